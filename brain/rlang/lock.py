"""`onebrain.r.lock`: the R packages of a project pinned by `brain lock` (name, version,
repository, the repository's MD5 checksum), and its renv.lock-compatible export.

The lock records the digest of the spec's R inputs; while they are unchanged, `setup-deps`
installs exactly the pinned versions (see brain.rlang.library). Pins come from the project
library as built: `brain lock` sets it up first.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from brain.errors import EnvironmentFailure
from brain.rlang.pins import R_LOCK_NAME

if TYPE_CHECKING:
    from brain.envs.base import Progress
    from brain.spec.models import Spec

LOCK_FORMAT = 1


def write_r_lock(root: Path, spec: Spec, *, progress: Progress | None = None) -> Path | None:
    """Set up the project library, then pin what it holds into onebrain.r.lock; None when
    the spec declares no env.r."""
    from brain.rlang.library import ensure_library, r_inputs

    inputs = r_inputs(spec, root, locked=False)
    if inputs is None:
        return None
    built = ensure_library(root, spec, progress=progress, lock_command="brain lock",
                           locked=False)
    assert built is not None
    written = dict(zip(inputs.repos, spec.env.r.repos if spec.env.r else (), strict=False))
    indexes = {url: _repository_index(url) for url in inputs.repos}
    packages: list[dict[str, Any]] = []
    for name, version in sorted(built.installed.items()):
        url, md5 = _find(indexes, name, version)
        packages.append({"name": name, "version": version, "source": "repository",
                         "repository": written.get(url, url) if url else None, "md5": md5})
    for name, version in sorted(built.system.items()):
        packages.append({"name": name, "version": version, "source": "system",
                         "repository": None, "md5": None})
    data = {"format": LOCK_FORMAT, "inputs_sha256": inputs.digest(), "r": built.r_version,
            "repos": list(spec.env.r.repos) if spec.env.r else [], "packages": packages}
    path = root / R_LOCK_NAME
    temporary = path.with_name(f".{R_LOCK_NAME}.{os.getpid()}")
    temporary.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    os.replace(temporary, path)
    from brain.rlang.library import adopt_lock

    adopt_lock(root, spec)
    return path


def renv_lock(root: Path) -> dict[str, Any]:
    """The R lock as an renv.lock document (for users who move to renv)."""
    try:
        data = json.loads((root / R_LOCK_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise EnvironmentFailure(f"no readable {R_LOCK_NAME} in {root}",
                                 hint="run `brain lock` first") from None
    from brain.rlang.library import repository_url

    names = {repo: ("CRAN" if index == 0 else f"repo{index + 1}")
             for index, repo in enumerate(data.get("repos", []))}
    packages = {}
    for item in data["packages"]:
        entry = {"Package": item["name"], "Version": item["version"], "Source": "Repository",
                 "Repository": names.get(item["repository"], "CRAN")}
        if item.get("md5"):
            entry["MD5sum"] = item["md5"]
        packages[item["name"]] = entry
    return {"R": {"Version": data.get("r"),
                  "Repositories": [{"Name": name, "URL": repository_url(repo)}
                                   for repo, name in names.items()]},
            "Packages": packages}


def _repository_index(url: str) -> list[dict[str, str]]:
    """The entries of a CRAN-like repository's src/contrib/PACKAGES (empty when unreadable)."""
    import urllib.request

    try:
        with urllib.request.urlopen(f"{url.rstrip('/')}/src/contrib/PACKAGES",
                                    timeout=30) as answer:
            text = answer.read(20_000_000).decode("utf-8", "replace")
    except (OSError, ValueError):
        return []
    return parse_dcf(text)


def parse_dcf(text: str) -> list[dict[str, str]]:
    """Debian-control-style records ("Key: value", continuation lines indented)."""
    records: list[dict[str, str]] = []
    current: dict[str, str] = {}
    key = None
    for line in text.splitlines():
        if not line.strip():
            if current:
                records.append(current)
            current, key = {}, None
        elif line[0].isspace() and key is not None:
            current[key] += " " + line.strip()
        elif ":" in line:
            key, _, value = line.partition(":")
            current[key] = value.strip()
    if current:
        records.append(current)
    return records


def _find(indexes: dict[str, list[dict[str, str]]], name: str,
          version: str) -> tuple[str | None, str | None]:
    for url, records in indexes.items():
        for record in records:
            if record.get("Package") == name and record.get("Version") == version:
                return url, record.get("MD5sum")
    return None, None
