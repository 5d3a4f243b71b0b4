"""`brain publish`: build a project and put its wheel and sdist in a package index, either the
local PEP 503 folder (the default) or any index server through its upload API."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal
from urllib.parse import unquote, urlsplit

from brain.errors import InvalidInput

if TYPE_CHECKING:
    from brain.publish.index import Distribution
    from brain.spec.loader import Project


@dataclass(frozen=True)
class PublishTarget:
    """Where `brain publish` puts a release: a local index folder or an upload URL."""

    kind: Literal["local", "upload"]
    location: str  # the folder, or the URL

    @property
    def shown(self) -> str:
        """The location fit to print (no credentials)."""
        if self.kind == "upload":
            from brain.publish.upload import display_url

            return display_url(self.location)
        return self.location


@dataclass(frozen=True)
class PublishResult:
    """What `publish_project` did."""

    name: str
    version: str
    target: PublishTarget
    files: tuple[Distribution, ...]
    warnings: tuple[str, ...]

    def as_dict(self) -> dict[str, object]:
        """A JSON-ready summary."""
        return {
            "name": self.name,
            "version": self.version,
            "index": self.target.shown,
            "kind": self.target.kind,
            "files": [{"filename": dist.filename, "kind": dist.kind, "path": str(dist.path)}
                      for dist in self.files],
            "warnings": list(self.warnings),
        }


def resolve_target(given: str | None) -> PublishTarget:
    """The publish target from `--index`, else the `publish_index` setting, else the local
    index. http(s) URLs upload; a folder or file:// URL is a local index."""
    from brain.config import LOCAL_INDEX_ALIAS, get_setting
    from brain.publish.index import index_root
    from brain.publish.upload import check_upload_url
    from brain.settings import expand_user

    value = given
    if value is None:
        configured = get_setting("publish_index")
        value = configured if isinstance(configured, str) else None
    if value is None or value == LOCAL_INDEX_ALIAS:
        return PublishTarget("local", str(index_root()))
    if not value.strip():
        raise InvalidInput("--index is empty", hint="pass a folder or an http(s) URL")
    parts = urlsplit(value)
    if parts.scheme in ("http", "https"):
        return PublishTarget("upload", check_upload_url(value))
    if parts.scheme == "file":
        folder = Path(unquote(parts.path))
    elif "://" in value:
        raise InvalidInput(f"--index {value!r}: unsupported URL scheme {parts.scheme!r}",
                           hint="use an http(s) upload URL or a local folder")
    else:
        folder = expand_user(value)
    if folder.name == "simple" and (folder / "index.html").is_file():
        folder = folder.parent  # the user pointed at the simple pages: the root is above
    if folder.exists() and not folder.is_dir():
        raise InvalidInput(f"--index {value!r} is a file, not an index folder")
    return PublishTarget("local", str(folder.resolve()))


def publish_project(project: Project, target: PublishTarget) -> PublishResult:
    """Build `project` and publish the wheel and sdist to `target`; a version already there
    is refused (AlreadyPublished), never replaced."""
    from brain.publish.build import build_project, require_build_enabled
    from brain.publish.index import AlreadyPublished, LocalIndex

    require_build_enabled(project.spec)
    index = LocalIndex(Path(target.location)) if target.kind == "local" else None
    own_pyproject = (project.root / "pyproject.toml").is_file()
    if index is not None and not own_pyproject and index.has_version(
            project.spec.name, project.spec.version):
        # Known before building: say so at once rather than after a build.
        raise AlreadyPublished(
            f"{project.spec.name} {project.spec.version} is already published in {index.root}",
            hint="bump `version:` in onebrain.yml; published versions are never overwritten",
        )
    built = build_project(project)
    if index is not None:
        files = tuple(index.publish([dist.path for dist in built.files]))
    else:
        from brain.publish.upload import upload

        upload(built.files, target.location)
        files = built.files
    return PublishResult(built.name, built.version, target, files, built.warnings)
