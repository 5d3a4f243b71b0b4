"""`brain import --from dvc` carries DVC's data side over: `.dvc` files, cached stage outs
and remotes become `data:`, and brain then pulls a DVC-layout remote as it is."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

import yaml

from tests.conftest import Result

DVC_YAML = """
stages:
  prepare:
    cmd: python prepare.py
    deps: [data/raw.csv]
    outs: [data/prepared]
  train:
    cmd: python train.py
    deps: [data/prepared]
    outs:
      - model.pkl
      - metrics.json: {cache: false}
"""


def _dvc_project(root: Path, remote: Path) -> bytes:
    """A DVC project as DVC leaves it: a pointer file, a remote in DVC 3's layout."""
    content = b"a,b\n1,2\n"
    md5 = hashlib.md5(content).hexdigest()
    (root / "data").mkdir(parents=True)
    (root / ".dvc").mkdir()
    (root / "dvc.yaml").write_text(DVC_YAML)
    (root / "data" / "raw.csv.dvc").write_text(
        f"outs:\n- md5: {md5}\n  size: {len(content)}\n  hash: md5\n  path: raw.csv\n")
    (root / ".dvc" / "config").write_text(
        f"[core]\n    remote = store\n['remote \"store\"']\n    url = {remote}\n"
        "    password = hunter2\n")
    blob = remote / "files" / "md5" / md5[:2] / md5[2:]
    blob.parent.mkdir(parents=True)
    blob.write_bytes(content)
    return content


def test_dvc_data_becomes_brain_data(brain: Callable[..., Result], tmp_path: Path) -> None:
    root = tmp_path / "dvcproject"
    content = _dvc_project(root, tmp_path / "dvc-remote")
    result = brain("import", "--from", "dvc", str(root))
    assert result.exit_code == 0, result.output
    assert "password not imported" in result.output
    spec = yaml.safe_load((root / "onebrain.yml").read_text())
    assert spec["data"]["datasets"] == {"raw.csv": {"path": "data/raw.csv"},
                                        "prepared": {"path": "data/prepared"},
                                        "model.pkl": {"path": "model.pkl"}}
    assert spec["data"]["remotes"] == {"store": {"url": str(tmp_path / "dvc-remote")}}
    assert "hunter2" not in (root / "onebrain.yml").read_text()
    pulled = brain("data", "pull", "raw.csv", cwd=root)
    assert pulled.exit_code == 0, pulled.output
    assert (root / "data" / "raw.csv").read_bytes() == content


def test_only_dvc_files_import_too(brain: Callable[..., Result], tmp_path: Path) -> None:
    root = tmp_path / "pointers"
    _dvc_project(root, tmp_path / "dvc-remote")
    (root / "dvc.yaml").unlink()
    (root / "data" / "evil.dvc").write_text(
        "outs:\n- md5: 0123456789abcdef0123456789abcdef\n  path: ../../etc/passwd\n")
    result = brain("import", "--from", "dvc", str(root))
    assert result.exit_code == 0, result.output
    assert "evil.dvc" in result.output and "leads out" in result.output
    spec = yaml.safe_load((root / "onebrain.yml").read_text())
    assert list(spec["data"]["datasets"]) == ["raw.csv"]
