"""brain's own words (messages, hints, docs) name no public package registry's host: examples
use neutral example.com hosts, so nothing reads as an endorsement or a default."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HOSTS = ("pypi.org", "pythonhosted.org", "registry.npmjs.org", "crates.io", "hub.docker.com",
         "anaconda.org")


@pytest.mark.parametrize("folder", ["brain", "templates", "docs"])
def test_no_registry_host_is_named(folder: str) -> None:
    found = [f"{path.relative_to(ROOT)}: {host}"
             for path in sorted((ROOT / folder).rglob("*")) if path.is_file()
             and path.suffix in (".py", ".md", ".jinja", ".yml", ".yaml", ".toml", ".txt")
             for host in HOSTS if host in path.read_text(encoding="utf-8", errors="replace")]
    assert not found, found
