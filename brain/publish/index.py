"""The local package index: a folder in the PEP 503 "simple" layout that pip and uv read
directly (file://) or through `brain index serve`.

    <root>/simple/index.html                      one link per project
    <root>/simple/<normalized-name>/index.html    one link per file, `#sha256=` anchors
    <root>/simple/<normalized-name>/<file>        the wheels and sdists themselves

Published files are never overwritten: a version that is already there is refused.
"""

from __future__ import annotations

import fcntl
import hashlib
import html
import os
import re
import shutil
import tarfile
import tempfile
import time
import zipfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from brain import paths
from brain.errors import Busy, EnvironmentFailure, InvalidInput

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
        links = []
        for dist in self.files(name):
            digest = _sha256(dist.path)
            requires = _requires_python(dist)
            attribute = (f' data-requires-python="{html.escape(requires, quote=True)}"'
                         if requires else "")
            href = f"{quote(dist.filename)}#sha256={digest}"
            links.append(f'    <a href="{html.escape(href, quote=True)}"{attribute}>'
                         f"{html.escape(dist.filename)}</a><br>")
        _write_page(self.simple / name / "index.html", f"Links for {name}", links)

    def _write_root_page(self) -> None:
        links = [f'    <a href="{quote(name)}/">{html.escape(name)}</a><br>'
                 for name in self.projects()]
        _write_page(self.simple / "index.html", "Simple index", links)

    @contextmanager
    def _locked(self) -> Iterator[None]:
        # Two `brain publish` at once must not both pass the "not yet published" check.
        from brain.statefs import open_file

        lock_path = self.root / ".lock"
        with os.fdopen(open_file(lock_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT), "a") as handle:
            deadline = time.monotonic() + LOCK_TIMEOUT_SECONDS
            while True:
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        raise Busy(f"the local index {self.root} stayed locked for "
                                   f"{LOCK_TIMEOUT_SECONDS:.0f}s",
                                   hint="another `brain publish` is running; retry") from None
                    time.sleep(0.1)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)


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


def _write_page(path: Path, title: str, links: list[str]) -> None:
    body = "\n".join([
        "<!DOCTYPE html>",
        "<html>",
        "  <head>",
        '    <meta name="pypi:repository-version" content="1.0">',
        f"    <title>{html.escape(title)}</title>",
        "  </head>",
        "  <body>",
        f"    <h1>{html.escape(title)}</h1>",
        *links,
        "  </body>",
        "</html>",
        "",
    ])
    from brain.statefs import write_atomic

    write_atomic(path, body)


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
