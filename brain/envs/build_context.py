"""The build context of a project image: the generated files and the project's own files,
assembled in memory as a tar, with a content hash that names the image it produces.

Layout of the tar:
  _brain/Dockerfile, _brain/requirements.txt, _brain/dispatcher-requirements.txt,
  _brain/ca-certificates.crt, _brain/src/brain/...   (generated; see brain.envs.dockerfile)
  _brain/r/..., _brain/r-repo/...                    (env.r; see brain.rlang.image)
  project/...                                        (the project, minus .dockerignore matches)

Times, owners and permissions other than the executable bit are normalised, so the hash and
Docker's layer cache depend on content only: touching a file rebuilds nothing.
"""

from __future__ import annotations

import hashlib
import io
import os
import stat
import time
from pathlib import Path
from typing import IO, TYPE_CHECKING, NamedTuple

from brain.errors import InvalidInput
from brain.settled import RACY_SECONDS

if TYPE_CHECKING:
    from brain.envs.dockerfile import BuildSettings
    from brain.file_hashes import DigestMemo
    from brain.spec.loader import Project

DOCKERFILE_PATH = "_brain/Dockerfile"
_IN_MEMORY = 64 * 2**20
_SETTLED_NS = int(RACY_SECONDS * 1e9)  # brain.settled's racy window
# Folders brain.envs.dockerfile.BASE_IGNORES leaves out whole, at the top or at any depth.
_DROPPED_AT_ROOT = {".git", ".hg", ".svn", ".venv", "venv", ".tox", ".nox", ".pytest_cache",
                    ".mypy_cache", ".ruff_cache", ".ipynb_checkpoints", "mlruns"}
_DROPPED_ANYWHERE = {".brain", "__pycache__"}


class ContextFile(NamedTuple):
    """One member of the context: bytes in memory, a file on disk, or a symlink."""

    name: str  # path inside the tar
    data: bytes | None = None
    source: Path | None = None
    link: str | None = None
    executable: bool = False


class BuildContext(NamedTuple):
    """Everything sent to the daemon for one build, and the hashes that identify it."""

    dockerfile: str
    files: tuple[ContextFile, ...]
    env_identity: str  # base image, settings, apt, dependencies: what the dependency layers hold
    identity: str  # env_identity + brain's source + the project's files: the whole image
    # Each file's content key (a link's target, else the sha256 of its bytes), in order:
    # what brain.envs.docker_stage compares to leave unchanged files in place.
    keys: tuple[str, ...] = ()

    def tar(self, *, dockerfile_suffix: str = "") -> IO[bytes]:
        """The context as an uncompressed tar (the daemon is local; gzip would cost time),
        in memory while small, on disk beyond (a project may carry large data files).

        `dockerfile_suffix` is appended to the Dockerfile: the provenance labels, which are
        not part of the identity (they hold it).
        """
        import tarfile
        import tempfile

        buffer: IO[bytes] = tempfile.SpooledTemporaryFile(max_size=_IN_MEMORY)  # noqa: SIM115
        with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as archive:
            for member in self.files:
                if member.name == DOCKERFILE_PATH and dockerfile_suffix:
                    member = ContextFile(member.name, data=(self.dockerfile + dockerfile_suffix
                                                            ).encode())
                info = tarfile.TarInfo(member.name)
                info.mtime = 0
                info.uid = info.gid = 0
                if member.link is not None:
                    info.type = tarfile.SYMTYPE
                    info.linkname = member.link
                    info.mode = 0o777
                    archive.addfile(info)
                    continue
                info.mode = 0o755 if member.executable else 0o644
                if member.data is not None:
                    info.size = len(member.data)
                    archive.addfile(info, io.BytesIO(member.data))
                else:
                    assert member.source is not None
                    with member.source.open("rb") as handle:
                        info.size = os.fstat(handle.fileno()).st_size
                        archive.addfile(info, handle)
        buffer.seek(0)
        return buffer


def build_context(project: Project, settings: BuildSettings, *, brain_version: str
                  ) -> BuildContext:
    """Generate the Dockerfile and gather the files for `project`, hashing as it goes."""
    from brain.envs import dockerfile as generated

    text = generated.dockerfile_text(project, settings, brain_version=brain_version)
    files = [
        ContextFile(DOCKERFILE_PATH, data=text.encode()),
        ContextFile("_brain/requirements.txt",
                    data=generated.requirements_text(project).encode()),
        ContextFile("_brain/dispatcher-requirements.txt",
                    data=generated.dispatcher_requirements().encode()),
    ]
    if settings.ca_bundle is not None:
        files.append(ContextFile("_brain/ca-certificates.crt",
                                 data=read_bytes(settings.ca_bundle)))
    from brain.rlang.image import context_files as r_files

    for name, content in r_files(project):
        files.append(ContextFile(name, data=content) if isinstance(content, bytes)
                     else ContextFile(name, source=content))
    memo = digest_memo(project.root)
    context = assemble(text, files, settings.pip_args, settings.network_mode,
                       code_files(project.root, generated.dockerignore_patterns(project)), memo)
    memo.save()
    return context


def assemble(dockerfile: str, env_files: list[ContextFile], pip_args: dict[str, str],
             network: str, code: list[ContextFile], memo: DigestMemo | None = None
             ) -> BuildContext:
    """The context of the generated `env_files` and the `code` files, with its identities;
    `memo` answers for code files hashed before and unchanged since."""
    env_digest = hashlib.sha256()
    keys = [_feed(env_digest, member) for member in env_files]
    for name, value in sorted(pip_args.items()):
        env_digest.update(f"arg {name}={value}\n".encode())
    env_digest.update(f"network {network}\n".encode())
    env_identity = env_digest.hexdigest()
    digest = hashlib.sha256(env_identity.encode())
    keys += [_feed(digest, member, memo) for member in code]
    return BuildContext(dockerfile, tuple(env_files + code), env_identity, digest.hexdigest(),
                        tuple(keys))


def digest_memo(root: Path) -> DigestMemo:
    """The digests of the files of the project at `root` (and brain's) hashed by its last
    build: a code-only rebuild reads only the files that changed."""
    from brain.file_hashes import DigestMemo
    from brain.paths import cache_dir

    return DigestMemo(cache_dir() / "docker-context" / f"{project_key(root)}.digests.json")


def project_key(root: Path) -> str:
    """The name under which brain's cache keeps what it knows of the project at `root`."""
    return hashlib.sha256(str(root).encode()).hexdigest()[:32]


def code_files(root: Path, patterns: list[str]) -> list[ContextFile]:
    """brain's source (for the dispatcher), then the project's files the patterns keep."""
    return [*_brain_source(), *_project_files(root, patterns)]


def _brain_source() -> list[ContextFile]:
    """brain's own modules (Python files only), from wherever this brain is installed."""
    import brain

    package = os.path.dirname(os.path.realpath(brain.__file__))
    found = []
    # os.walk and plain strings: pathlib's rglob costs several times more on every rebuild.
    for folder, subfolders, names in os.walk(package):
        subfolders[:] = [name for name in subfolders if name != "__pycache__"]
        relative = os.path.relpath(folder, package).replace(os.sep, "/")
        prefix = "_brain/src/brain/" if relative == "." else f"_brain/src/brain/{relative}/"
        found += [ContextFile(prefix + name, source=Path(folder, name))
                  for name in names if name.endswith(".py")]
    return sorted(found, key=lambda member: member.name)


def _project_files(root: Path, patterns: list[str]) -> list[ContextFile]:
    members = []
    for relative in _kept_paths(root, patterns):
        path = root / relative
        try:
            mode = path.lstat().st_mode
        except OSError:
            continue  # vanished while walking
        name = "project/" + Path(relative).as_posix()
        if stat.S_ISLNK(mode):
            members.append(ContextFile(name, link=os.readlink(path)))
        elif stat.S_ISREG(mode):
            if not os.access(path, os.R_OK):
                raise InvalidInput(f"cannot read {path} for the image",
                                   hint="fix its permissions, or list it in .dockerignore")
            members.append(ContextFile(name, source=path, executable=bool(mode & 0o111)))
        # directories are implied by their files; empty ones are not kept (as in git)
    return members


def _kept_paths(root: Path, patterns: list[str]) -> list[str]:
    """The project's paths the patterns keep (docker's own matching), remembered while no
    folder of the project changed: a file added, removed or renamed changes its folder's
    mtime. A code-only rebuild then skips importing the docker SDK (~0.3 s)."""
    import json

    from brain.cache_stamp import read_cached, write_cached
    from brain.paths import cache_dir

    folders = _folder_stamps(root, prune=not any(line.startswith("!") for line in patterns))
    key = hashlib.sha256(json.dumps([str(root), patterns, folders]).encode()).hexdigest()
    record = cache_dir() / "docker-context" / f"{project_key(root)}.json"
    cached = read_cached(record)
    if cached is not None and cached.get("key") == key and isinstance(cached.get("kept"), list):
        return [str(name) for name in cached["kept"]]
    from docker.utils.build import exclude_paths

    # exclude_paths always keeps the file it is told is the Dockerfile; ours is not in the
    # project, so name one that cannot exist there.
    kept = sorted(exclude_paths(str(root), patterns, dockerfile="_brain/nonexistent/Dockerfile"))
    # A folder changed within the last seconds may change again within the same mtime tick
    # (as git's "racy" index entries): remember only a settled tree.
    if all(stamp < time.time_ns() - _SETTLED_NS for _, stamp in folders):
        write_cached(record, {"key": key, "kept": kept})
    return kept


def _folder_stamps(root: Path, *, prune: bool) -> list[tuple[str, int]]:
    """(folder, mtime) of every folder of the project; with `prune`, not inside the folders
    that BASE_IGNORES drops whole (no `!` pattern can bring their files back then)."""
    found = []
    for folder, subfolders, _ in os.walk(root):
        relative = os.path.relpath(folder, root)
        try:
            found.append((relative, os.stat(folder).st_mtime_ns))
        except OSError:
            found.append((relative, -1))
        if prune:
            dropped = _DROPPED_ANYWHERE | (_DROPPED_AT_ROOT if relative == "." else set())
            subfolders[:] = [name for name in subfolders if name not in dropped]
    return found


def read_bytes(path: Path) -> bytes:
    """A file's bytes for the context; InvalidInput (with the reason) when it cannot be read."""
    try:
        return path.read_bytes()
    except OSError as error:
        raise InvalidInput(f"cannot read {path}: {error.strerror}") from None


def _feed(digest: hashlib._Hash, member: ContextFile, memo: DigestMemo | None = None) -> str:
    """Add `member` to `digest`; its content key (hex)."""
    kind = "l" if member.link is not None else ("x" if member.executable else "f")
    digest.update(f"{kind} {member.name}\n".encode())
    if member.link is not None:
        digest.update(member.link.encode() + b"\n")
        return "link:" + member.link.encode().hex()
    if member.data is not None:
        content = hashlib.sha256(member.data).digest()
    elif memo is not None:
        assert member.source is not None
        try:
            content = memo.digest(member.source)
        except OSError as error:  # gone, or a link put in its place, since it was listed
            raise InvalidInput(f"cannot read {member.source} for the image: "
                               f"{error.strerror or error} (changed while building?)",
                               hint="build again, or list it in .dockerignore") from None
    else:
        assert member.source is not None
        with member.source.open("rb") as handle:
            content = hashlib.file_digest(handle, "sha256").digest()
    digest.update(content)
    return content.hex()
