"""What a git remote address may look like: the one place brain parses git URLs and refs.

A value that reaches git from a user, a link or a spec is checked here first: nothing that
begins with `-` (git would read it as an option), no remote-helper transport (`ext::`, `fd::`
run commands), only the schemes the caller allows.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from brain.errors import InvalidInput

#: The transports git may use at all (GIT_ALLOW_PROTOCOL); `ext` and `fd` are never among them.
ALLOWED_PROTOCOLS = ("file", "git", "http", "https", "ssh")
#: The same without local paths, for addresses that come from someone else (a launch link).
REMOTE_PROTOCOLS = ("https", "http", "ssh", "git")

_URL_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
_SCP_LIKE = re.compile(r"^[A-Za-z0-9_.-]+@[A-Za-z0-9_.-]+:")
_SCP_LIKE_FULL = re.compile(r"[A-Za-z0-9_.-]+@[A-Za-z0-9_.-]+:[^:]+")
_UNSAFE_REF = re.compile(r"[\s\x00-\x1f\x7f]|\.\.|^-|^$")
_CREDENTIALS = re.compile(r"^(?P<scheme>(?:https?|ftps?)://)[^/@]*@", re.IGNORECASE)


def is_git_url(text: str) -> bool:
    """True for `scheme://...` and scp-like `user@host:path` addresses (not for local paths)."""
    return bool(_URL_SCHEME.match(text) or _SCP_LIKE.match(text))


def check_url(url: str, *, schemes: tuple[str, ...] = ALLOWED_PROTOCOLS,
              what: str = "git URL") -> str:
    """`url` if git may fetch it with one of `schemes` (or scp-like ssh); InvalidInput otherwise.

    `what` names the value in messages (e.g. "the link's repo").
    """
    if not url:
        raise InvalidInput(f"{what} is empty")
    if url.startswith("-"):
        raise InvalidInput(f"refusing {what} {url[:60]!r}: it begins with '-' and git would "
                           "read it as an option")
    if any(ch.isspace() for ch in url) or any(ord(ch) < 32 or ord(ch) == 127 for ch in url):
        raise InvalidInput(f"{what} {url[:60]!r} contains whitespace or control characters")
    if "::" in url.split("/", 1)[0]:
        raise InvalidInput(f"refusing {what} {url[:60]!r}: remote-helper transports (like "
                           "ext::) can run commands", hint="use an https://, ssh:// or file:// "
                           "URL")
    if "://" in url:
        scheme = url.split("://", 1)[0].lower()
        if scheme not in schemes:
            raise InvalidInput(f"refusing {what} {url[:60]!r}: scheme {scheme!r} is not one of "
                               f"{', '.join(schemes)}")
        host = urlsplit(url).netloc.rpartition("@")[2]
        if scheme != "file" and not host:
            raise InvalidInput(f"{what} {url[:60]!r} has no host")
        if host.startswith("-"):  # ssh would read `-oProxyCommand=...` as an option
            raise InvalidInput(f"refusing {what} {url[:60]!r}: its host begins with '-'")
        return url
    if _SCP_LIKE_FULL.fullmatch(url) and "ssh" in schemes and not url.startswith("-"):
        return url
    raise InvalidInput(f"{what} {url[:60]!r} is not a git URL",
                       hint="use https://host/owner/repo.git, ssh://..., user@host:path or "
                       "file:///path")


def check_clone_source(source: str) -> str:
    """A clone source typed by the user: a URL (checked as above) or a local folder; never
    an option or a remote helper."""
    if is_git_url(source) or "::" in source.split("/", 1)[0]:
        return check_url(source)
    if not source.strip() or source.startswith("-"):
        raise InvalidInput(f"invalid git URL {source!r}")
    return source


def check_ref(ref: str, *, what: str = "git ref") -> str:
    """`ref` if it can name a branch, tag or commit; option-like or malformed refs refused."""
    if _UNSAFE_REF.search(ref):
        raise InvalidInput(f"invalid {what} {ref!r}",
                           hint="pass a branch, tag or commit, e.g. main, origin/main, HEAD~1")
    return ref


def strip_credentials(url: str) -> str:
    """`url` without the user:token part of an http(s) URL (never record secrets)."""
    return _CREDENTIALS.sub(r"\g<scheme>", url)
