"""Launch links: the documented, stable URL format behind `brain generate-url` and the hub.

Format (version 1)::

    <hub>/launch?v=1&repo=<git URL>&commit=<40-hex sha>[&path=<sub/folder>][&entry=<name>]
                 [&p.<name>=<value>]...[&sig=<64-hex HMAC-SHA256>]

- `repo`: a git remote URL (`https://`, `http://`, `ssh://`, `git://`, `file://`, or scp-like
  `user@host:path`); never one beginning with `-` (it would reach git as an option) and never
  a remote-helper transport such as `ext::`.
- `commit`: the full commit SHA (40 hex digits); a branch, tag or short SHA is refused, so a
  link always means exactly one tree.
- `path`: the project's folder inside the repository (monorepos), normalised, relative, and
  never escaping the repository (no `..`, no leading `/`).
- `entry`: the entry point; default the only one, or `main`.
- `p.<name>`: a parameter value, as text (`-P name=value`).
- `sig`: HMAC-SHA256, keyed by the hub's secret, over the canonical form of every other field
  (`canonical_text`); the hub requires it when it has a secret.

Links longer than MAX_URL_BYTES are refused before anything else is read. Parsing is strict:
unknown or repeated fields are errors. Every error is an InvalidInput naming the field.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from urllib.parse import parse_qsl, urlencode, urlsplit

from brain.errors import InvalidInput

FORMAT_VERSION = "1"
MAX_URL_BYTES = 8192
DEFAULT_HUB = "http://127.0.0.1:8765"
PARAM_PREFIX = "p."

_SHA = re.compile(r"[0-9a-f]{40}")
_SIGNATURE = re.compile(r"[0-9a-f]{64}")
_PARAM_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]{0,127}")
_URL_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_FIELDS = ("v", "repo", "commit", "path", "entry", "sig")
_MAX_FIELD = 2048


class NotAllowed(InvalidInput):
    """A well-formed link this hub refuses: unsigned, badly signed, or not on the allowlist."""


class TooLong(InvalidInput):
    """A link over MAX_URL_BYTES."""


@dataclass(frozen=True)
class LaunchLink:
    """A parsed, validated launch link (signature not yet checked: see `verify`)."""

    repo: str
    commit: str
    path: str = ""  # "" is the repository's root
    entry: str | None = None
    params: Mapping[str, str] = field(default_factory=dict)
    signature: str | None = None
    hub: str = DEFAULT_HUB

    def canonical_text(self) -> str:
        """What the signature covers: every field but `sig`, in a fixed order."""
        return urlencode(self._fields(), safe="/:@")

    def sign(self, secret: str) -> LaunchLink:
        """This link with an HMAC-SHA256 signature keyed by `secret`."""
        return replace(self, signature=_hmac(secret, self.canonical_text()))

    def verify(self, secret: str) -> None:
        """InvalidInput unless the link carries a valid signature for `secret`."""
        if self.signature is None:
            raise NotAllowed("this hub requires signed links and the link has no sig",
                               hint="ask its author for a link made with "
                               "`brain generate-url --sign`")
        if not hmac.compare_digest(self.signature, _hmac(secret, self.canonical_text())):
            raise NotAllowed("the link's signature does not match: it was changed after "
                               "signing, or signed with another secret",
                               hint="ask its author for a fresh `brain generate-url --sign`")

    def with_params(self, params: Mapping[str, str]) -> LaunchLink:
        """The same code with other parameter values (unsigned: the values changed)."""
        changed = dict(params) != dict(self.params)
        checked = {_check_param_name(name): _check_text(f"p.{name}", value)
                   for name, value in params.items()}
        return replace(self, params=checked, signature=None if changed else self.signature)

    def query(self) -> str:
        """The query string (signature included when present)."""
        pairs = self._fields()
        if self.signature is not None:
            pairs.append(("sig", self.signature))
        return urlencode(pairs, safe="/:@")

    def to_url(self, hub: str | None = None) -> str:
        """The full link on `hub` (default: the link's own)."""
        base = (hub or self.hub).rstrip("/")
        return f"{base}/launch?{self.query()}"

    def _fields(self) -> list[tuple[str, str]]:
        pairs = [("v", FORMAT_VERSION), ("repo", self.repo), ("commit", self.commit)]
        if self.path:
            pairs.append(("path", self.path))
        if self.entry is not None:
            pairs.append(("entry", self.entry))
        pairs += [(PARAM_PREFIX + name, self.params[name]) for name in sorted(self.params)]
        return pairs


def make_link(repo: str, commit: str, *, path: str = "", entry: str | None = None,
              params: Mapping[str, str] | None = None, hub: str = DEFAULT_HUB) -> LaunchLink:
    """A validated link from its parts (the same checks `parse_link` applies)."""
    return LaunchLink(
        repo=check_repo(repo), commit=check_commit(commit), path=normalize_path(path),
        entry=_check_entry(entry), hub=_check_hub(hub),
        params={_check_param_name(name): _check_text(f"p.{name}", value)
                for name, value in (params or {}).items()},
    )


def parse_link(url: str) -> LaunchLink:
    """Parse and validate a launch link (a full URL, or just its query string)."""
    if len(url.encode("utf-8", "surrogatepass")) > MAX_URL_BYTES:
        raise TooLong(f"the link is {len(url.encode('utf-8', 'surrogatepass'))} bytes, "
                           f"over the {MAX_URL_BYTES}-byte limit",
                           hint="launch links carry a commit and a few parameters; pass large "
                           "inputs as a path or URI parameter")
    url = url.strip()
    hub = DEFAULT_HUB
    query = url
    if _URL_SCHEME.match(url):
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise InvalidInput(f"not a launch link: {url[:80]!r}",
                               hint="expected http(s)://HUB/launch?repo=...&commit=...")
        if not parts.path.rstrip("/").endswith("/launch"):
            raise InvalidInput(f"not a launch link (path {parts.path!r}, expected /launch)")
        hub = f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')[:-len('/launch')]}"
        query = parts.query
    elif query.startswith("?"):
        query = query[1:]
    try:
        pairs = parse_qsl(query, keep_blank_values=True, strict_parsing=True,
                          max_num_fields=256, errors="strict")
    except (ValueError, UnicodeDecodeError) as error:
        raise InvalidInput(f"the link's query is malformed: {error}",
                           hint="copy the whole link as `brain generate-url` printed it") \
            from None
    fields: dict[str, str] = {}
    params: dict[str, str] = {}
    for key, value in pairs:
        if key.startswith(PARAM_PREFIX):
            name = _check_param_name(key[len(PARAM_PREFIX):])
            if name in params:
                raise InvalidInput(f"parameter {name!r} appears twice in the link")
            params[name] = _check_text(key, value)
        elif key in _FIELDS:
            if key in fields:
                raise InvalidInput(f"field {key!r} appears twice in the link")
            fields[key] = value
        else:
            raise InvalidInput(f"unknown field {key!r} in the link",
                               hint=f"fields: {', '.join(_FIELDS)}, p.<parameter>")
    version = fields.get("v", FORMAT_VERSION)
    if version != FORMAT_VERSION:
        raise InvalidInput(f"link format v={version!r} is not supported (this brain reads "
                           f"v={FORMAT_VERSION})", hint="upgrade brain")
    for required in ("repo", "commit"):
        if required not in fields:
            raise InvalidInput(f"the link has no {required!r} field",
                               hint="make links with `brain generate-url`")
    signature = fields.get("sig")
    if signature is not None and not _SIGNATURE.fullmatch(signature):
        raise InvalidInput("the link's sig is not a 64-hex-digit HMAC-SHA256")
    return LaunchLink(
        repo=check_repo(fields["repo"]), commit=check_commit(fields["commit"]),
        path=normalize_path(fields.get("path", "")), entry=_check_entry(fields.get("entry")),
        params=params, signature=signature, hub=hub,
    )


def check_repo(repo: str) -> str:
    """`repo` if it is a git URL brain may fetch; InvalidInput otherwise."""
    from brain.vcs.urls import check_url

    return check_url(_check_text("repo", repo), what="the link's repo")


def check_commit(commit: str) -> str:
    """`commit` if it is a full 40-hex SHA (lowercased); refs and short SHAs are refused."""
    if commit.startswith("-"):
        raise InvalidInput(f"refusing commit {commit[:60]!r}: it begins with '-' and git "
                           "would read it as an option")
    lowered = commit.lower()
    if not _SHA.fullmatch(lowered):
        raise InvalidInput(f"the link's commit {commit[:60]!r} is not a full 40-hex-digit SHA",
                           hint="links pin an exact commit; branches, tags and short SHAs "
                           "can move or collide")
    return lowered


def normalize_path(path: str) -> str:
    """The project's folder inside the repository, normalised ("" for the root).

    Refuses absolute paths, backslashes, `..` anywhere, and control characters, so a link can
    never point outside the repository it names.
    """
    text = _check_text("path", path)
    if text.startswith("-"):
        raise InvalidInput(f"refusing path {text[:60]!r}: it begins with '-'")
    if text.startswith("/") or "\\" in text or re.match(r"[A-Za-z]:", text):
        raise InvalidInput(f"the link's path {text[:60]!r} must be relative to the repository "
                           "(no leading /, no backslashes)")
    parts = [part for part in text.split("/") if part not in ("", ".")]
    if ".." in parts:
        raise InvalidInput(f"the link's path {text[:60]!r} escapes the repository ('..')",
                           hint="path names a folder inside the repository, e.g. "
                           "projects/fit-model")
    if any(part.startswith("-") for part in parts):
        raise InvalidInput(f"refusing path {text[:60]!r}: a part begins with '-'")
    return "/".join(parts)


def _check_entry(entry: str | None) -> str | None:
    if entry is None or entry == "":
        return None
    entry = _check_text("entry", entry)
    if entry.startswith("-") or len(entry) > 200:
        raise InvalidInput(f"the link's entry {entry[:60]!r} is not an entry point name")
    return entry


def _check_hub(hub: str) -> str:
    parts = urlsplit(hub)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query:
        raise InvalidInput(f"hub {hub!r} is not an http(s) URL",
                           hint="e.g. --hub http://127.0.0.1:8765")
    return hub.rstrip("/")


def _check_param_name(name: str) -> str:
    if not _PARAM_NAME.fullmatch(name):
        raise InvalidInput(f"the link's parameter name {name[:60]!r} is not a valid name")
    return name


def _check_text(what: str, value: str) -> str:
    if len(value) > _MAX_FIELD:
        raise InvalidInput(f"the link's {what} is {len(value)} characters, over "
                           f"{_MAX_FIELD}")
    if _CONTROL.search(value):
        raise InvalidInput(f"the link's {what} contains control characters")
    return value


def _hmac(secret: str, text: str) -> str:
    return hmac.new(secret.encode(), text.encode(), hashlib.sha256).hexdigest()


def fingerprint(link: LaunchLink) -> str:
    """A short stable id of what a link runs (for logs and history)."""
    return hashlib.sha256(link.canonical_text().encode()).hexdigest()[:12]
