"""An R project: `DESCRIPTION` (an R package: Depends/Imports with their versions),
`install.R` (its `install.packages(...)` calls, read as text and never run) and `renv.lock`
(exact versions) become `env.r`; R scripts become `type: r` entry points, R notebooks
(`ir` kernel) notebook entries and R Markdown files `rmarkdown::render` commands.

DESCRIPTION is Debian control format (DCF): read with python-debian's deb822, the maintained
parser of that format (the `r` extra). A name outside R's package-name grammar is dropped
with one line saying so; every file is read bounded and must lie inside the project.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from brain.errors import InvalidInput
from brain.importers.base import MAX_SOURCE_BYTES, Imported, Importer, entry_name, spec_head

MAX_ENTRIES = 200
# Part of every R installation: never a requirement to install.
BASE_PACKAGES = frozenset({
    "base", "compiler", "datasets", "graphics", "grDevices", "grid", "methods", "parallel",
    "splines", "stats", "stats4", "tcltk", "tools", "translations", "utils"})
_DEPENDENCY = re.compile(r"^\s*([^\s(]+)\s*(?:\((.*)\))?\s*$", re.DOTALL)
_CONDITION = re.compile(r"^\s*(>=|<=|==|!=|>|<)\s*([0-9][0-9.-]*)\s*$")
_TOKEN = re.compile(r"""
    (?P<comment>\#[^\n]*)
  | (?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
  | (?P<name>[A-Za-z.][A-Za-z0-9._]*(?:::[A-Za-z.][A-Za-z0-9._]*)?)
  | (?P<punct>[(),=])
  | (?P<space>\s+)
  | (?P<other>.)
""", re.VERBOSE | re.DOTALL)
_INSTALLERS = {"install.packages", "utils::install.packages", "remotes::install_version",
               "install_version"}


@dataclass
class RRequirements:
    """What the R files ask for: name -> specifier, and lines about what was dropped."""

    packages: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    version: str | None = None  # env.r.version ("MAJOR.MINOR"), from renv.lock only
    repos: list[str] = field(default_factory=list)


class RImporter(Importer):
    """DESCRIPTION, install.R, renv.lock and R scripts."""

    name = "r"
    looks_for = "DESCRIPTION, install.R, renv.lock or R scripts"

    def detect(self, root: Path) -> bool:
        """One of the R project files at the top, or an R script at the top or in R/."""
        if any((root / name).is_file() or (root / name).is_symlink()
               for name in ("DESCRIPTION", "install.R", "renv.lock")):
            return True
        return bool(_scripts(root, package=False))

    def read(self, root: Path) -> Imported:
        """env.r from the R files; an entry point per script, R notebook or R Markdown."""
        found = RRequirements()
        description: dict[str, str] = {}
        if _present(root, "DESCRIPTION"):
            description = parse_description(_read(root, "DESCRIPTION"))
            read_description(description, found)
        if _present(root, "install.R"):
            read_install_script(_read(root, "install.R"), found)
        if _present(root, "renv.lock"):
            read_renv_lock(_read(root, "renv.lock"), found)
        spec = spec_head(root, description.get("Package"))
        version = _spec_version(description.get("Version", ""))
        if version:
            spec["version"] = version
        title = description.get("Title", "").strip()
        if title and "\x00" not in title:
            spec["description"] = " ".join(title.split())[:200]
        entries, notes = _entries(root, package=bool(description), requirements=found)
        found.notes += notes
        r_env: dict[str, Any] = {"packages": dict(sorted(found.packages.items()))}
        if found.version:
            r_env["version"] = found.version
        if found.repos:
            r_env["repos"] = found.repos
        spec["entry_points"] = entries
        spec["env"] = {"r": r_env}
        return Imported(spec, found.notes, self.name)


def parse_description(text: str) -> dict[str, str]:
    """The fields of a DESCRIPTION file (its first paragraph), by deb822."""
    from brain.extras import require_extra

    require_extra("r", "brain import of an R package (DESCRIPTION)")
    from debian.deb822 import Deb822

    try:
        paragraph = Deb822(text.splitlines())
    except (ValueError, TypeError) as error:  # deb822 is lenient; this is its refusal
        raise InvalidInput(f"DESCRIPTION: not a DCF file ({error})") from None
    return {str(key): str(value) for key, value in paragraph.items()}


def read_description(fields: dict[str, str], found: RRequirements) -> None:
    """Depends and Imports into `found` (R itself and base packages left out)."""
    for field_name in ("Depends", "Imports"):
        for item in fields.get(field_name, "").split(","):
            if not item.strip():
                continue
            match = _DEPENDENCY.fullmatch(item)
            name = match[1] if match else item.strip()
            if name == "R":
                if match and match[2]:
                    found.notes.append(
                        f"DESCRIPTION Depends: R ({_shown(match[2].strip())}): env.r.version "
                        "names one MAJOR.MINOR; set it to the R you run, e.g. \"4.2\"")
                continue
            specifier = _condition(match[2]) if match and match[2] else "*"
            _add(found, name, specifier, f"DESCRIPTION {field_name}")


def read_install_script(text: str, found: RRequirements) -> None:
    """The packages that `install.packages(...)` / `install_version(...)` calls name with
    literal strings; a call with a computed argument is reported, never evaluated."""
    tokens = [(kind, value) for kind, value in _tokens(text)
              if kind not in ("space", "comment")]
    for index, (kind, value) in enumerate(tokens):
        if kind != "name" or value not in _INSTALLERS:
            continue
        if index + 1 >= len(tokens) or tokens[index + 1] != ("punct", "("):
            continue
        arguments = _arguments(tokens, index + 2)
        if value.endswith("install_version"):
            _install_version(arguments, found)
            continue
        _repositories(arguments, found)
        first = next((arg for key, arg in arguments if key in (None, "pkgs")), [])
        names = _strings(first)
        if names is None:
            found.notes.append(f"install.R: {value}(...) with a computed package list; "
                               "add those packages to env.r.packages by hand")
            continue
        for name in names:
            _add(found, name, "*", "install.R")


def read_renv_lock(text: str, found: RRequirements) -> None:
    """renv.lock: each package at its exact version, the R version, the repositories."""
    from brain.rlang.specifiers import SpecifierError, check_repository

    try:
        data = json.loads(text)
    except ValueError as error:
        raise InvalidInput(f"renv.lock: not JSON ({error})") from None
    if not isinstance(data, dict):
        raise InvalidInput("renv.lock: expected a JSON object")
    r_part = data.get("R") if isinstance(data.get("R"), dict) else {}
    version = r_part.get("Version") if isinstance(r_part, dict) else None
    if isinstance(version, str) and re.fullmatch(r"\d\.\d{1,2}(\.\d+)*", version):
        found.version = ".".join(version.split(".")[:2])
    repositories = r_part.get("Repositories") if isinstance(r_part, dict) else None
    for repository in repositories if isinstance(repositories, list) else []:
        url = repository.get("URL") if isinstance(repository, dict) else None
        try:
            if isinstance(url, str) and check_repository(url) not in found.repos:
                found.repos.append(url)
        except SpecifierError as error:
            found.notes.append(f"renv.lock repository: {error}; dropped")
    packages = data.get("Packages")
    for key, record in (packages.items() if isinstance(packages, dict) else []):
        pinned = record.get("Version") if isinstance(record, dict) else None
        if key == "renv":
            continue  # renv's own entry: not needed to run the project
        _add(found, str(key), f"=={pinned}" if isinstance(pinned, str) else "*", "renv.lock",
             replace=True)


def _add(found: RRequirements, name: str, specifier: str, where: str, *,
         replace: bool = False) -> None:
    from brain.rlang.specifiers import SpecifierError, check_name, parse_specifier

    try:
        check_name(name)
    except SpecifierError:
        found.notes.append(f"{where}: {_shown(name)} is not an R package name; dropped")
        return
    if name in BASE_PACKAGES:
        return
    try:
        parse_specifier(specifier)
    except SpecifierError:
        found.notes.append(f"{where}: {name} {_shown(specifier)} is not a version brain "
                           "reads; any version accepted")
        specifier = "*"
    if replace or found.packages.get(name, "*") == "*":
        found.packages[name] = specifier


def _spec_version(text: str) -> str | None:
    """An R version (`0.2-1`) as the spec's PEP 440 version (`0.2.1`), when it is one."""
    from brain.rlang.specifiers import SpecifierError, parse_version

    try:
        return ".".join(map(str, parse_version(text.strip())))
    except SpecifierError:
        return None


def _condition(text: str) -> str:
    parts = [_CONDITION.fullmatch(part) for part in text.split(",")]
    if not parts or any(part is None for part in parts):
        return f"({text})"  # refused by _add, with its note
    return ",".join(f"{part[1]}{part[2]}" for part in parts if part is not None)


def _tokens(text: str) -> list[tuple[str, str]]:
    found = []
    for match in _TOKEN.finditer(text):
        kind = match.lastgroup or "other"
        found.append((kind, match.group(kind)))
    return found


def _arguments(tokens: list[tuple[str, str]], start: int
               ) -> list[tuple[str | None, list[tuple[str, str]]]]:
    """The arguments of a call whose `(` was just before `start`: (name or None, tokens)."""
    arguments: list[tuple[str | None, list[tuple[str, str]]]] = []
    current: list[tuple[str, str]] = []
    depth = 0
    for token in tokens[start:]:
        if token == ("punct", "("):
            depth += 1
        elif token == ("punct", ")"):
            if depth == 0:
                break
            depth -= 1
        elif token == ("punct", ",") and depth == 0:
            arguments.append(_named(current))
            current = []
            continue
        current.append(token)
    if current:
        arguments.append(_named(current))
    return arguments


def _named(tokens: list[tuple[str, str]]) -> tuple[str | None, list[tuple[str, str]]]:
    if len(tokens) >= 2 and tokens[0][0] == "name" and tokens[1] == ("punct", "="):
        return tokens[0][1], tokens[2:]
    return None, tokens


def _strings(tokens: list[tuple[str, str]]) -> list[str] | None:
    """The string literals of `"a"` or `c("a", "b")`; None for anything computed."""
    if len(tokens) == 1 and tokens[0][0] == "string":
        return [_literal(tokens[0][1])]
    if len(tokens) >= 3 and tokens[0] == ("name", "c") and tokens[1] == ("punct", "(") \
            and tokens[-1] == ("punct", ")"):
        inner = tokens[2:-1]
        names = [_literal(value) for kind, value in inner[::2] if kind == "string"]
        separators = inner[1::2]
        if len(names) == len(inner[::2]) and all(sep == ("punct", ",") for sep in separators):
            return names
    return None


def _repositories(arguments: list[tuple[str | None, list[tuple[str, str]]]],
                  found: RRequirements) -> None:
    """`repos = "URL"` / `repos = c(...)` of a call, when they are literal URLs."""
    from brain.rlang.specifiers import SpecifierError, check_repository

    for key, tokens in arguments:
        if key != "repos":
            continue
        for url in _strings(tokens) or []:
            try:
                if check_repository(url) not in found.repos:
                    found.repos.append(url)
            except SpecifierError as error:
                found.notes.append(f"install.R repos: {error}; dropped")


def _install_version(arguments: list[tuple[str | None, list[tuple[str, str]]]],
                     found: RRequirements) -> None:
    positional = [tokens for key, tokens in arguments if key is None]
    named = dict((key, tokens) for key, tokens in arguments if key is not None)
    package = _strings(named.get("package") or (positional[0] if positional else []))
    version_tokens = named.get("version") or (positional[1] if len(positional) > 1 else [])
    version = _strings(version_tokens) if version_tokens else []
    if package is None or len(package) != 1 or version is None or len(version) > 1:
        found.notes.append("install.R: install_version(...) with computed arguments; add the "
                           "package to env.r.packages by hand")
        return
    _add(found, package[0], f"=={version[0]}" if version else "*", "install.R", replace=True)


def _literal(token: str) -> str:
    return re.sub(r"\\(.)", r"\1", token[1:-1])


def _shown(text: str) -> str:
    """User text in a message: quoted, escaped, short."""
    shown = repr(text)
    return shown if len(shown) <= 60 else shown[:57] + "..."


def _present(root: Path, name: str) -> bool:
    path = root / name
    return path.is_file() or path.is_symlink()


def _read(root: Path, name: str) -> str:
    from brain.inputfs import read_input_text

    return read_input_text(root / name, root=root, cap=MAX_SOURCE_BYTES)


def _scripts(root: Path, *, package: bool) -> list[str]:
    """R scripts at the top, in scripts/, and in R/ unless R/ holds a package's functions."""
    folders = [root, root / "scripts"] + ([] if package else [root / "R"])
    found = []
    for folder in folders:
        if not folder.is_dir() or folder.is_symlink():
            continue
        for path in sorted(folder.iterdir()):
            if path.suffix in (".R", ".r") and path.is_file() and not path.is_symlink() \
                    and path.name != "install.R":
                found.append(path.relative_to(root).as_posix())
    return found


def _entries(root: Path, *, package: bool, requirements: RRequirements
             ) -> tuple[dict[str, Any], list[str]]:
    entries: dict[str, Any] = {}
    notes: list[str] = []

    def add(relative: str, entry: dict[str, Any]) -> None:
        name = re.sub(r"[^A-Za-z0-9._ -]+", "-", Path(relative).stem).strip(" -.")[:64]
        if len(entries) >= MAX_ENTRIES:
            notes.append(f"{relative}: more than {MAX_ENTRIES} entry points; skipped")
        elif not entry_name(name) or name in entries:
            notes.append(f"{relative}: no usable entry point name (or a duplicate); skipped")
        else:
            entries[name] = entry

    for relative in _scripts(root, package=package):
        add(relative, {"type": "r", "script": relative})
    for relative in _r_notebooks(root):
        add(relative, {"type": "notebook", "notebook": relative, "kernel": "ir"})
    for relative in _files(root, (".Rmd", ".rmd")):
        add(relative, {"type": "shell", "command":
                       f"Rscript -e \"rmarkdown::render('{relative}')\""})
        requirements.packages.setdefault("rmarkdown", "*")
    if package and (root / "R").is_dir():
        notes.append("R/ holds the package's functions: no entry points made from it")
    return entries, notes


def _files(root: Path, suffixes: tuple[str, ...]) -> list[str]:
    found = []
    for folder in (root, root / "notebooks", root / "reports"):
        if folder.is_dir() and not folder.is_symlink():
            found += [path.relative_to(root).as_posix() for path in sorted(folder.iterdir())
                      if path.suffix in suffixes and path.is_file() and not path.is_symlink()
                      and re.fullmatch(r"[A-Za-z0-9._/ -]+", path.relative_to(root).as_posix())]
    return found


def _r_notebooks(root: Path) -> list[str]:
    """Notebooks whose kernel is R (IRkernel)."""
    found = []
    for relative in _files(root, (".ipynb",)):
        try:
            data = json.loads(_read(root, relative))
        except (ValueError, InvalidInput):
            continue
        meta = data.get("metadata") if isinstance(data, dict) else None
        kernel = meta.get("kernelspec") if isinstance(meta, dict) else None
        if isinstance(kernel, dict) and (kernel.get("name") == "ir"
                                         or kernel.get("language") == "R"):
            found.append(relative)
    return found
