"""The local package index: a folder in the PEP 503 "simple" layout that pip and uv read
directly (file://) or through `brain index serve`.

    <root>/simple/index.html                      one link per project
    <root>/simple/<normalized-name>/index.html    one link per file, `#sha256=` anchors
    <root>/simple/<normalized-name>/<file>        the wheels and sdists themselves

Published files are never overwritten: a version that is already there is refused.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tarfile
import tempfile
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

from brain import paths
from brain.errors import EnvironmentFailure, InvalidInput

if TYPE_CHECKING:
    from brain.envs.locking import ProjectLock

LOCK_TIMEOUT_SECONDS = 30.0


class AlreadyPublished(InvalidInput):
    """The version is already in the index; published files are never replaced (exit 2)."""


def index_root() -> Path:
    """The local index folder: `BRAIN_INDEX_DIR`, default `BRAIN_HOME/index`."""
    return paths.index_dir()


def normalize_name(name: str) -> str:
    """The PEP 503 form of a project name: `Air_Forecaster` -> `air-forecaster`."""
    return re.sub(r"[-_.]+", "-", name).lower()


@dataclass(frozen=True)
class Distribution:
    """A wheel or sdist file, with the project name and version its filename declares."""

    path: Path
    name: str
    version: str
    kind: str  # "wheel" | "sdist"

    @property
    def filename(self) -> str:
        """The file's name."""
        return self.path.name


def inspect_distribution(path: Path) -> Distribution:
    """Name, version and kind from a distribution's filename; InvalidInput if it is not one."""
    from packaging.utils import (
        InvalidSdistFilename,
        InvalidWheelFilename,
        parse_sdist_filename,
        parse_wheel_filename,
    )

    try:
        if path.name.endswith(".whl"):
            name, version, _, _ = parse_wheel_filename(path.name)
            return Distribution(path, normalize_name(name), str(version), "wheel")
        name, version = parse_sdist_filename(path.name)
        return Distribution(path, normalize_name(name), str(version), "sdist")
    except (InvalidWheelFilename, InvalidSdistFilename) as error:
        raise InvalidInput(f"{path.name} is not a wheel or sdist filename: {error}") from None


class LocalIndex:
    """A PEP 503 index in a folder."""

    def __init__(self, root: Path | None = None) -> None:
        self.root = root if root is not None else index_root()
        self.simple = self.root / "simple"

    @property
    def url(self) -> str:
        """The file:// URL of the simple pages, for `--extra-index-url`."""
        return self.simple.resolve().as_uri()

    def ensure(self) -> None:
        """Create the folder and an (empty) root page, so a new index is already valid."""
        self.simple.mkdir(parents=True, exist_ok=True)
        if not (self.simple / "index.html").is_file():
            with self._locked():
                self._write_root_page()

    def projects(self) -> dict[str, list[Distribution]]:
        """Every project in the index with its files, by normalized name."""
        found: dict[str, list[Distribution]] = {}
        if not self.simple.is_dir():
            return found
        for folder in sorted(self.simple.iterdir()):
            if folder.is_dir() and not folder.name.startswith("."):
                files = self.files(folder.name)
                if files:
                    found[folder.name] = files
        return found

    def files(self, name: str) -> list[Distribution]:
        """The distributions published for project `name`."""
        folder = self.simple / normalize_name(name)
        if not folder.is_dir():
            return []
        found = []
        for path in sorted(folder.iterdir()):
            if path.is_file() and _is_distribution(path.name):
                try:
                    found.append(inspect_distribution(path))
                except InvalidInput:
                    continue  # a stray file someone copied in: not ours to judge
        return found

    def has_version(self, name: str, version: str) -> bool:
        """True when any file of `name` at `version` (compared as PEP 440) is published."""
        from packaging.version import Version

        wanted = Version(version)
        return any(Version(dist.version) == wanted for dist in self.files(name))

    def publish(self, files: Sequence[Path]) -> list[Distribution]:
        """Add `files` to the index and rewrite its pages; refuse any version already there."""
        distributions = [inspect_distribution(path) for path in files]
        if not distributions:
            raise InvalidInput("nothing to publish: no wheel or sdist was given")
        try:
            return self._publish(distributions)
        except OSError as error:
            raise EnvironmentFailure(
                f"cannot write to the index {self.root}: {error.strerror or error}",
                hint="pass a folder you can write to with --index") from None

    def _publish(self, distributions: list[Distribution]) -> list[Distribution]:
        from brain.statefs import safe_dir

        safe_dir(self.root, self.simple.name)  # never a folder reached through a symlink
        published: list[Distribution] = []
        with self._locked():
            for dist in distributions:
                if self.has_version(dist.name, dist.version):
                    raise AlreadyPublished(
                        f"{dist.name} {dist.version} is already published in {self.root}",
                        hint="bump `version:` in onebrain.yml; published versions are never "
                        "overwritten",
                    )
            try:
                for dist in distributions:
                    folder = safe_dir(self.simple, dist.name)
                    target = folder / dist.filename
                    _copy_atomically(dist.path, target)
                    published.append(Distribution(target, dist.name, dist.version, dist.kind))
            except BaseException:
                # all of a release or none of it: a wheel without its sdist is half a release
                for done in published:
                    done.path.unlink(missing_ok=True)
                raise
            for name in sorted({dist.name for dist in distributions}):
                self._write_project_page(name)
            self._write_root_page()
        return published

    def _write_project_page(self, name: str) -> None:
        links = [_Link(f"{quote(dist.filename)}#sha256={_sha256(dist.path)}", dist.filename,
                       _requires_python(dist)) for dist in self.files(name)]
        _write_page(self.simple / name / "index.html", f"Links for {name}", links)

    def _write_root_page(self) -> None:
        links = [_Link(f"{quote(name)}/", name) for name in self.projects()]
        _write_page(self.simple / "index.html", "Simple index", links)

    def _locked(self) -> ProjectLock:
        # Two `brain publish` at once must not both pass the "not yet published" check. The
        # one lock helper: never through a symlink, names its owner when busy.
        from brain.envs.locking import ProjectLock

        return ProjectLock(self.root / ".lock", command="brain publish",
                           timeout=LOCK_TIMEOUT_SECONDS, what=f"the local index {self.root}")


def _is_distribution(filename: str) -> bool:
    return filename.endswith((".whl", ".tar.gz", ".zip"))


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _requires_python(dist: Distribution) -> str | None:
    """The Requires-Python of a distribution's metadata, so pip can skip what cannot run."""
    try:
        if dist.kind == "wheel":
            with zipfile.ZipFile(dist.path) as archive:
                member = next((n for n in archive.namelist()
                               if n.endswith(".dist-info/METADATA") and n.count("/") == 1), None)
                text = archive.read(member).decode("utf-8", "replace") if member else ""
        elif dist.filename.endswith(".tar.gz"):
            with tarfile.open(dist.path, "r:gz") as archive:
                member_info = next((m for m in archive.getmembers()
                                    if m.name.count("/") == 1 and m.name.endswith("/PKG-INFO")),
                                   None)
                stream = archive.extractfile(member_info) if member_info else None
                text = stream.read().decode("utf-8", "replace") if stream else ""
        else:
            return None
    except (OSError, zipfile.BadZipFile, tarfile.TarError, KeyError):
        return None
    for line in text.splitlines():
        if not line.strip():
            break  # the headers end at the first blank line
        if line.lower().startswith("requires-python:"):
            return line.split(":", 1)[1].strip() or None
    return None


@dataclass(frozen=True)
class _Link:
    """One anchor of a PEP 503 page."""

    href: str
    text: str
    requires_python: str | None = None


# PEP 503's simple page, rendered by Jinja with autoescape (names and metadata are escaped).
_PAGE = """<!DOCTYPE html>
<html>
  <head>
    <meta name="pypi:repository-version" content="1.0">
    <title>{{ title }}</title>
  </head>
  <body>
    <h1>{{ title }}</h1>
{%- for link in links %}
    <a href="{{ link.href }}"
       {%- if link.requires_python %} data-requires-python="{{ link.requires_python }}"
       {%- endif %}>{{ link.text }}</a><br>
{%- endfor %}
  </body>
</html>
"""


def _write_page(path: Path, title: str, links: list[_Link]) -> None:
    from jinja2 import Environment

    from brain.statefs import write_atomic

    page = Environment(autoescape=True, keep_trailing_newline=True).from_string(_PAGE)
    write_atomic(path, page.render(title=title, links=links))


def _copy_atomically(source: Path, target: Path) -> None:
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".upload-")
    os.close(handle)
    try:
        shutil.copyfile(source, temporary)
        os.chmod(temporary, 0o644)
        # os.link fails if the target appeared meanwhile: never replace a published file.
        os.link(temporary, target)
    except FileExistsError:
        raise AlreadyPublished(f"{target.name} is already published",
                               hint="bump `version:` in onebrain.yml") from None
    finally:
        Path(temporary).unlink(missing_ok=True)
