"""R inside a project image: run by `python3` during the image build (standard library only,
beside a copy of brain.rlang.specifiers), never on the host. brain.rlang.image writes the
Dockerfile steps that call it and the JSON file it reads.

    setup.py system     apt: r-base-core and the Debian r-cran-* packages whose version fits
    setup.py packages   the rest from env.r.repos (install.R) into the image's R library

Package names and specifiers arrive in a JSON file, checked against brain's grammar again
here, and reach apt and R as argv words and environment variables, never through a shell.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
try:  # on the host (tests): brain's own module
    from brain.rlang.specifiers import SpecifierError, check_name, parse_specifier
except ModuleNotFoundError:  # in the image build: a copy of it lies beside this file
    sys.path.insert(0, str(HERE))
    from specifiers import (  # type: ignore[import-not-found,no-redef]
        SpecifierError,
        check_name,
        parse_specifier,
    )

REQUIREMENTS = HERE / "requirements.json"
SYSTEM_RECORD = HERE / "system.json"
_DEBIAN_VERSION = re.compile(r"^(?:\d+:)?(.+?)(?:-[^-]+)?$")  # epoch and revision dropped


def main(argv: list[str]) -> int:
    """`system` or `packages` (plus `--ca PATH` when a CA bundle was copied in)."""
    step = argv[0] if argv else ""
    ca = argv[argv.index("--ca") + 1] if "--ca" in argv else None
    wanted = _requirements()
    if step == "system":
        return _system(wanted, ca)
    if step == "packages":
        return _packages(wanted, ca)
    return _fail(f"unknown step {step!r}")


def debian_upstream(version: str) -> str:
    """`1.8.4+dfsg-1` -> `1.8.4`: the upstream part of a Debian version."""
    match = _DEBIAN_VERSION.fullmatch(version.strip())
    upstream = match.group(1) if match else version
    return re.split(r"[+~]", upstream, maxsplit=1)[0]


def fits(version: str | None, specifier: str) -> bool:
    """True when R version text `version` satisfies `specifier`."""
    if version is None:
        return False
    try:
        return bool(parse_specifier(specifier).allows(version))
    except SpecifierError:
        return False


def _requirements() -> dict[str, object]:
    data = json.loads(REQUIREMENTS.read_text(encoding="utf-8"))
    for name, specifier in data["requirements"]:
        check_name(name)  # the spec was checked at load; the file could have been edited
        parse_specifier(specifier)
    return dict(data)


def _system(wanted: dict[str, object], ca: str | None) -> int:
    apt = ["apt-get", "-q"] + ([f"-o=Acquire::https::CAInfo={ca}"] if ca else [])
    environment = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    _run([*apt, "update"], environment)
    chosen = []
    for name, specifier in _pairs(wanted):
        package = f"r-cran-{name.lower()}"
        version = _candidate(package)
        if version is not None and fits(debian_upstream(version), specifier):
            chosen.append(package)
    print(f"brain: from Debian: r-base-core {' '.join(chosen)}", flush=True)
    _run([*apt, "install", "-y", "--no-install-recommends", "r-base-core", *chosen],
         environment)
    _run(["apt-get", "clean"], environment)
    for lists in Path("/var/lib/apt/lists").glob("*"):
        if lists.is_file():
            lists.unlink()
    release = _r_release()
    asked = wanted.get("version")
    if isinstance(asked, str) and ".".join(release.split(".")[:2]) != asked:
        return _fail(f"env.r.version asks for R {asked}, but the base image's package "
                     f"manager installs R {release}: set env.docker.base_image to an image "
                     "whose distribution has it, or change env.r.version")
    SYSTEM_RECORD.write_text(json.dumps({"r": release, "debian": chosen}), encoding="utf-8")
    return 0


def _packages(wanted: dict[str, object], ca: str | None) -> int:
    library = str(wanted["library"])
    Path(library).mkdir(parents=True, exist_ok=True)
    system = _probe()
    needed = [(name, spec) for name, spec in _pairs(wanted) if not fits(system.get(name), spec)]
    installed: dict[str, str] = {}
    if needed:
        repos = [str(url) for url in wanted["repos"]]  # type: ignore[attr-defined]
        if not repos:
            return _fail("env.r.packages: " + ", ".join(name for name, _ in needed) +
                         " not in the base image's distribution (or not at a fitting "
                         "version), and env.r.repos names no repository to install from")
        pins = [f"{name} {spec.lstrip('= ').strip()}" for name, spec in needed
                if _exact(spec)]
        print(f"brain: from {', '.join(repos)}: {' '.join(name for name, _ in needed)}",
              flush=True)
        variables = {"BRAIN_R_LIB": library, "BRAIN_R_REPOS": "\n".join(repos),
                     "BRAIN_R_PACKAGES": "\n".join(name for name, _ in needed),
                     "BRAIN_R_PINNED": "\n".join(pins), "R_LIBS_USER": library}
        if ca:
            variables["CURL_CA_BUNDLE"] = ca
        done = _run(["Rscript", "--vanilla", str(HERE / "install.R")],
                    {**os.environ, **variables}, capture=True)
        installed = _name_versions(done)
    missing = [f"{name} {spec} (found {installed.get(name) or system.get(name) or 'none'})"
               for name, spec in needed if not fits(installed.get(name), spec)]
    if missing:
        return _fail("env.r.packages not available at a fitting version: " + ", ".join(missing))
    return 0


def _pairs(wanted: dict[str, object]) -> list[tuple[str, str]]:
    return [(str(name), str(spec)) for name, spec in wanted["requirements"]]  # type: ignore


def _exact(specifier: str) -> bool:
    clauses = parse_specifier(specifier).clauses
    return len(clauses) == 1 and clauses[0].operator == "=="


def _candidate(package: str) -> str | None:
    try:
        done = subprocess.run(["apt-cache", "show", "--no-all-versions", package],
                              capture_output=True, text=True, check=False)
    except FileNotFoundError:
        return None  # no apt here: `apt-get update` has said so already
    if done.returncode != 0:
        return None
    for line in done.stdout.splitlines():
        if line.startswith("Version:"):
            return line.partition(":")[2].strip()
    return None


def _r_release() -> str:
    return _run(["Rscript", "--vanilla", "-e",
                 "cat(R.version$major, R.version$minor, sep = '.')"], dict(os.environ),
                capture=True).strip()


def _probe() -> dict[str, str]:
    found = _run(["Rscript", "--vanilla", str(HERE / "probe.R")], dict(os.environ),
                 capture=True)
    return _name_versions(found.split("\n")[1:])


def _name_versions(lines: str | list[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    for line in lines.split("\n") if isinstance(lines, str) else lines:
        parts = line.split()
        if len(parts) == 2:
            found.setdefault(parts[0], parts[1])
    return found


def _run(argv: list[str], environment: dict[str, str], *, capture: bool = False) -> str:
    try:
        done = subprocess.run(argv, env=environment, text=True, check=False,
                              stdout=subprocess.PIPE if capture else None)
    except FileNotFoundError:
        raise SystemExit(_fail(f"{argv[0]} is not in the base image: env.r needs a Debian-like "
                               "base image (apt-get), e.g. python:3.11-slim")) from None
    if done.returncode != 0:
        raise SystemExit(_fail(f"{argv[0]} {argv[1] if len(argv) > 1 else ''} failed "
                               f"(exit {done.returncode})"))
    return done.stdout or ""


def _fail(message: str) -> int:
    print(f"brain: {message}", file=sys.stderr, flush=True)
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
