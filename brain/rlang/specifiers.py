"""R package names and version specifiers: a strict grammar, checked at validation.

Names follow "Writing R Extensions": ASCII letters, digits and dots, starting with a letter,
at least two characters, not ending in a dot. Anything else (quotes, parentheses, spaces,
semicolons) is refused before a name reaches R. A specifier is `*` (any version), a bare
version (`1.8` means `==1.8`), or comma-separated clauses `OP VERSION` with OP one of
`>=`, `<=`, `==`, `!=`, `>`, `<`; R versions are integers joined by `.` or `-` (`2`, `0.1-2`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

NAME_PATTERN = r"^[A-Za-z][A-Za-z0-9.]*[A-Za-z0-9]$"
VERSION_PATTERN = r"^\d+(?:[.-]\d+)*$"
_NAME = re.compile(NAME_PATTERN)
_VERSION = re.compile(VERSION_PATTERN)
_CLAUSE = re.compile(r"^(>=|<=|==|!=|>|<)?\s*(\S+)$")
_SPECIFIER_CHARS = re.compile(r"[0-9.<>=!, *-]*")  # spaces, never tabs or newlines
_MAX_LENGTH = 200
OPERATORS = (">=", "<=", "==", "!=", ">", "<")


class SpecifierError(ValueError):
    """A name or specifier outside the grammar (the message says what is wrong)."""


@dataclass(frozen=True)
class Clause:
    """One `OP VERSION` condition."""

    operator: str
    version: tuple[int, ...]

    def __str__(self) -> str:
        return f"{self.operator}{'.'.join(map(str, self.version))}"


@dataclass(frozen=True)
class Specifier:
    """All clauses must hold; no clause means any version."""

    clauses: tuple[Clause, ...] = ()

    def __str__(self) -> str:
        return ",".join(map(str, self.clauses)) or "*"

    def allows(self, version: str) -> bool:
        """True when R version text `version` satisfies every clause."""
        parsed = parse_version(version)
        return all(_holds(parsed, clause) for clause in self.clauses)


def check_name(name: str) -> str:
    """`name` when it is a valid R package name, else SpecifierError."""
    if not isinstance(name, str) or len(name) > _MAX_LENGTH or not _NAME.fullmatch(name):
        raise SpecifierError(
            f"{name!r} is not an R package name (letters, digits and dots, starting with a "
            "letter, at least two characters, not ending in a dot)")
    return name


def parse_version(text: str) -> tuple[int, ...]:
    """`"0.1-2"` -> (0, 1, 2); SpecifierError for anything else."""
    if not isinstance(text, str) or len(text) > _MAX_LENGTH or not _VERSION.fullmatch(text):
        raise SpecifierError(f"{text!r} is not an R version (integers joined by '.' or '-', "
                             "e.g. 2, 1.8 or 0.1-2)")
    return tuple(int(part) for part in re.split(r"[.-]", text))


def parse_specifier(text: str) -> Specifier:
    """The specifier `text` (`*`, `1.8`, `>=1.8`, `>=1.8,<2.0`); SpecifierError if invalid."""
    if not isinstance(text, str) or len(text) > _MAX_LENGTH or not _SPECIFIER_CHARS.fullmatch(
            text):
        raise SpecifierError(f"{text!r} is not a version specifier (e.g. \"*\", \">=1.8\", "
                             "\">=1.8,<2\")")
    stripped = text.strip()
    if stripped in ("", "*"):
        return Specifier()
    clauses = []
    for part in stripped.split(","):
        match = _CLAUSE.fullmatch(part.strip())
        if match is None:
            raise SpecifierError(f"{text!r} is not a version specifier (e.g. \"*\", \">=1.8\", "
                                 "\">=1.8,<2\")")
        try:
            version = parse_version(match[2])
        except SpecifierError as error:
            raise SpecifierError(f"in {text!r}: {error}") from None
        clauses.append(Clause(match[1] or "==", version))
    return Specifier(tuple(clauses))


def _holds(version: tuple[int, ...], clause: Clause) -> bool:
    # R compares versions component-wise with missing components lower (1.8 < 1.8.0).
    left, right = version, clause.version
    return {
        ">=": left >= right, "<=": left <= right, "==": left == right,
        "!=": left != right, ">": left > right, "<": left < right,
    }[clause.operator]


LOCAL_REPOSITORY = "local"  # brain's own index (its CRAN-like part, see brain.rlang.repository)


def check_repository(url: str) -> str:
    """`url` when it is `local` or an http(s)/file URL without whitespace or quotes."""
    if url == LOCAL_REPOSITORY:
        return url
    from urllib.parse import urlsplit

    if not isinstance(url, str) or len(url) > 2000 or any(
            char.isspace() or ord(char) < 32 or char in "'\"\\`" for char in url):
        raise SpecifierError(f"repository {url!r} contains whitespace, quotes or control "
                             "characters")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https", "file") or (
            parts.scheme != "file" and not parts.netloc):
        raise SpecifierError(f"repository {url!r} is not an http(s):// or file:// URL "
                             "(or `local` for brain's own index)")
    return url
