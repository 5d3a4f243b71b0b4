"""Upload distributions to any index server through the standard upload API, with twine.

Credentials come from twine's own variables (`TWINE_USERNAME`, `TWINE_PASSWORD`); keyring is
switched off so an upload never waits on a desktop password prompt.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Sequence
from urllib.parse import urlsplit, urlunsplit

from brain.errors import BrainError, EnvironmentFailure, InvalidInput
from brain.publish.index import AlreadyPublished, Distribution

UPLOAD_TIMEOUT_SECONDS = 600.0

# Phrases in twine's output, mapped to what the user should hear.
# (port numbers appear in the output too, so status codes are matched with their reason.)
_ALREADY = ("409 conflict", "already exist", "file exists")
_UNREACHABLE = ("connectionerror", "connection refused", "max retries exceeded",
                "name or service not known", "failed to establish", "timed out",
                "temporary failure in name resolution", "no route to host")
_DENIED = ("401 unauthorized", "403 forbidden", "invalid or non-existent authentication")


_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


class _TwineFailed(BrainError):
    """A failed twine run; `upload` turns what twine printed into a plain reason."""


def check_upload_url(url: str) -> str:
    """`url` when it is an http(s) URL without control characters, else InvalidInput."""
    if any(ch.isspace() or ord(ch) < 32 for ch in url):
        raise InvalidInput(f"upload URL {url!r} contains whitespace or control characters")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidInput(f"{url!r} is not an http(s) URL",
                           hint="pass an index's upload URL, e.g. http://127.0.0.1:8080/")
    return url


def display_url(url: str) -> str:
    """`url` without any user:password part, fit to print."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = host + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, ""))


def upload(distributions: Sequence[Distribution], url: str) -> None:
    """Upload `distributions` to the index at `url`; an existing version is an error."""
    from brain.process import run_checked, scrubbed_environment

    check_upload_url(url)
    if not distributions:
        raise InvalidInput("nothing to upload: no wheel or sdist was given")
    # --verbose: the server's reason ("already exists") is only in the response body.
    argv = [sys.executable, "-m", "twine", "upload", "--non-interactive", "--verbose",
            "--disable-progress-bar", "--repository-url", url,
            *[str(dist.path) for dist in distributions]]
    # An index without authentication (pypiserver -a .) still needs twine to send some
    # credentials in non-interactive mode; real ones come from TWINE_USERNAME/TWINE_PASSWORD.
    # Wide, plain output: the phrases matched below must not be wrapped or coloured apart.
    env = scrubbed_environment({"PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring",
                                "COLUMNS": "1000", "NO_COLOR": "1"})
    env.setdefault("TWINE_USERNAME", "brain")
    env.setdefault("TWINE_PASSWORD", "brain")
    shown = display_url(url)
    first = distributions[0]
    try:
        run_checked(argv, env=env, what=f"uploading to {shown}", error=_TwineFailed,
                    timeout=UPLOAD_TIMEOUT_SECONDS)
    except _TwineFailed as failure:
        plain = _ANSI.sub("", failure.message)
        text = plain.lower()
        if "no module named twine" in text:
            raise EnvironmentFailure("twine is not installed beside brain",
                                     hint="pip install twine") from None
        if any(phrase in text for phrase in _ALREADY):
            raise AlreadyPublished(
                f"{first.name} {first.version} is already published on {shown}",
                hint="bump `version:` in onebrain.yml; published versions are never overwritten",
            ) from None
        if any(phrase in text for phrase in _UNREACHABLE):
            raise EnvironmentFailure(f"cannot reach the package index at {shown}",
                                     hint="is the index server running and the URL right?"
                                     ) from None
        if any(phrase in text for phrase in _DENIED):
            raise EnvironmentFailure(f"the package index at {shown} refused the upload "
                                     "(authentication)",
                                     hint="set TWINE_USERNAME and TWINE_PASSWORD") from None
        errors = [line.strip() for line in plain.splitlines() if "ERROR" in line]
        raise EnvironmentFailure(f"uploading to {shown} failed: "
                                 + (" ".join(errors) or plain.strip().splitlines()[-1])) from None
