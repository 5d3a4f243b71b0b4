"""R source packages: `brain build` on a project with a DESCRIPTION (`R CMD build`), and
brain's CRAN-like repository that `brain publish` writes and `brain index serve` serves.

    <index>/r/src/contrib/<Package>_<Version>.tar.gz
    <index>/r/src/contrib/PACKAGES, PACKAGES.gz, PACKAGES.rds   (tools::write_PACKAGES)

so `install.packages("pkg", repos = "http://127.0.0.1:PORT/r")` works in plain R, and
`repos: [local]` in a project's env.r reads the same folder through file://. Published files
are never overwritten.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from brain.errors import EnvironmentFailure, InvalidInput

REPOSITORY_FOLDER = "r"  # under the local index root; served as /r
# What `R CMD build` gets to see of a project: the package layout, nothing of brain's.
_PACKAGE_PARTS = ("DESCRIPTION", "NAMESPACE", "R", "man", "src", "inst", "tests", "data",
                  "vignettes", "LICENSE", "LICENSE.md", "NEWS.md", "README.md", "tools",
                  "exec", "demo", "po", ".Rbuildignore")
_TARBALL = re.compile(r"^([A-Za-z][A-Za-z0-9.]*[A-Za-z0-9])_(\d+(?:[.-]\d+)+)\.tar\.gz$")


@dataclass(frozen=True)
class RPackage:
    """A built R source package."""

    path: Path
    name: str
    version: str


def r_repository_root(index: Path | None = None) -> Path:
    """The CRAN-like part of the local index (`<index>/r`)."""
    from brain.publish.index import index_root

    return (index if index is not None else index_root()) / REPOSITORY_FOLDER


def is_r_package(root: Path) -> bool:
    """True when the project is an R package (it has a DESCRIPTION file)."""
    return (root / "DESCRIPTION").is_file()


def inspect_tarball(path: Path) -> RPackage:
    """Name and version from `<Package>_<Version>.tar.gz`; InvalidInput otherwise."""
    match = _TARBALL.fullmatch(path.name)
    if match is None:
        raise InvalidInput(f"{path.name} is not an R source package filename "
                           "(<Package>_<Version>.tar.gz)")
    return RPackage(path, match[1], match[2])


def build_r_package(root: Path, out_dir: Path | None = None) -> RPackage:
    """`R CMD build` the package at `root` into `out_dir` (default `<root>/dist`)."""
    from brain.process import run_checked, scrubbed_environment

    out = out_dir or root / "dist"
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="brain-rbuild-") as work:
        staged = Path(work) / "package"
        staged.mkdir()
        for part in _PACKAGE_PARTS:
            _copy_inside(root, part, staged)
        built = Path(work) / "built"
        built.mkdir()
        env = scrubbed_environment({"R_LIBS_USER": str(staged / "none")})
        run_checked(["R", "CMD", "build", "--no-manual", "--no-build-vignettes",
                     "--no-resave-data", str(staged)], cwd=built, env=env,
                    what="building the R package (R CMD build)", timeout=1800)
        tarballs = sorted(built.glob("*.tar.gz"))
        if len(tarballs) != 1:
            raise EnvironmentFailure("R CMD build left no source package")
        package = inspect_tarball(tarballs[0])
        target = out / package.path.name
        shutil.copyfile(package.path, target)
    return RPackage(target, package.name, package.version)


def publish_r_package(package: RPackage, index: Path | None = None) -> Path:
    """Copy `package` into the CRAN-like repository and rewrite its PACKAGES files; a
    version that is already there is refused (AlreadyPublished), never replaced."""
    from brain.envs.locking import ProjectLock
    from brain.publish.index import AlreadyPublished

    contrib = r_repository_root(index) / "src" / "contrib"
    try:
        contrib.mkdir(parents=True, exist_ok=True)
        with ProjectLock(contrib.parent / ".lock", command="brain publish", timeout=30):
            target = contrib / package.path.name
            if target.exists():
                raise AlreadyPublished(
                    f"{package.name} {package.version} is already published in {contrib}",
                    hint="bump Version: in DESCRIPTION; published versions are never "
                    "overwritten")
            _copy_new(package.path, target)
            try:
                write_packages_index(contrib)
            except BaseException:
                target.unlink(missing_ok=True)
                raise
    except OSError as error:
        raise EnvironmentFailure(f"cannot write to the R repository {contrib}: "
                                 f"{error.strerror or error}") from None
    return target


def write_packages_index(contrib: Path) -> None:
    """PACKAGES, PACKAGES.gz and PACKAGES.rds for the source packages in `contrib`."""
    from brain.process import run_checked, scrubbed_environment

    script = Path(__file__).resolve().parent / "write_packages.R"
    run_checked(["Rscript", "--vanilla", str(script)], cwd=contrib,
                env=scrubbed_environment({"BRAIN_R_CONTRIB": str(contrib)}),
                what="writing the R repository's PACKAGES files", timeout=600)


def _copy_inside(root: Path, part: str, destination: Path) -> None:
    """Copy `root/part` when present, refusing anything that resolves outside `root`."""
    source = root / part
    if not source.exists() and not source.is_symlink():
        return
    real_root = root.resolve()
    if not source.resolve().is_relative_to(real_root):
        raise InvalidInput(f"{part} points outside the project",
                           hint="an R package's files must live inside the project folder")
    if source.is_dir():
        def outside(folder: str, names: list[str]) -> list[str]:
            return [name for name in names
                    if not (Path(folder) / name).resolve().is_relative_to(real_root)]

        shutil.copytree(source, destination / part, symlinks=False, ignore=outside)
    else:
        shutil.copyfile(source, destination / part)


def _copy_new(source: Path, target: Path) -> None:
    """Copy to a temporary name, then link: a concurrent or half copy is never visible."""
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".upload-")
    os.close(handle)
    try:
        shutil.copyfile(source, temporary)
        os.chmod(temporary, 0o644)
        os.link(temporary, target)
    finally:
        Path(temporary).unlink(missing_ok=True)
