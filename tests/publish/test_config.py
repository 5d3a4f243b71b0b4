"""`brain config` and the package index settings projects resolve from."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest

from brain.config import config_path, package_index_settings
from brain.errors import InvalidInput
from brain.spec.loader import load_project


def test_set_get_list_unset_round_trip(brain, isolated: Path) -> None:
    assert brain("config", "set", "index_url", "https://mirror.example/simple").exit_code == 0
    result = brain("config", "set", "extra_index_urls", "local", "http://127.0.0.1:8080/simple")
    assert result.exit_code == 0, result.output
    assert brain("config", "get", "index_url").stdout == "https://mirror.example/simple\n"
    assert brain("config", "get", "extra_index_urls").stdout.splitlines() == [
        "local", "http://127.0.0.1:8080/simple"]
    data = tomllib.loads((isolated / "config.toml").read_text())
    assert data["extra_index_urls"] == ["local", "http://127.0.0.1:8080/simple"]
    listed = json.loads(brain("config", "list", "--json").stdout)
    assert {item["key"]: item["value"] for item in listed["settings"]}["index_url"] == \
        "https://mirror.example/simple"
    assert "index_url" in brain("config").stdout
    assert brain("config", "unset", "index_url").exit_code == 0
    assert brain("config", "get", "index_url").stdout == ""
    assert "was not set" in brain("config", "unset", "index_url").stdout


def test_values_with_quotes_survive_the_file(brain) -> None:
    odd = 'C:\\dir "quoted" ünïcode'
    assert brain("config", "set", "publish_index", odd).exit_code == 0
    assert brain("config", "get", "publish_index").stdout == odd + "\n"


@pytest.mark.parametrize(("args", "message"), [
    (["set", "index_ur", "https://x/simple"],
     "unknown setting 'index_ur' (did you mean 'index_url'?)"),
    (["get", "nope"], "unknown setting 'nope'"),
    (["set", "index_url", "ftp://x/simple"], "is not an http(s):// or file:// URL"),
    (["set", "index_url", "https://x/simple\n[evil]"], "whitespace or control characters"),
    (["set", "index_url", "a", "b"], "takes one value, got 2"),
])
def test_bad_settings_are_refused(brain, args: list[str], message: str, isolated) -> None:
    result = brain("config", *args)
    assert result.exit_code == 2
    assert message in result.stderr
    assert not (isolated / "config.toml").exists()


def test_a_broken_file_is_reported_not_ignored(brain, isolated: Path) -> None:
    (isolated / "config.toml").write_text("index_url = [unclosed\n")
    result = brain("config", "list")
    assert result.exit_code == 2
    assert "not valid TOML" in result.stderr
    (isolated / "config.toml").write_text('index_url = 3\nmystery = "x"\n')
    assert "index_url must be a string" in brain("config", "get", "index_url").stderr


def test_the_spec_comes_first_then_user_settings(brain, make_project, isolated) -> None:
    project = load_project(make_project({"onebrain.yml": (
        "name: b\nversion: 0.1.0\nenv:\n  python:\n"
        "    index_url: https://spec.example/simple\n"
        "    extra_index_urls: [https://extra.example/simple]\n")}))
    assert package_index_settings(project.spec) == (
        "https://spec.example/simple", ("https://extra.example/simple",))
    brain("config", "set", "index_url", "https://user.example/simple")
    brain("config", "set", "extra_index_urls", "local", "https://extra.example/simple")
    local = (isolated / "index" / "simple").as_uri()
    assert package_index_settings(project.spec) == (
        "https://spec.example/simple", ("https://extra.example/simple", local))
    bare = load_project(make_project({"onebrain.yml": "name: c\nversion: 1.0.0\n"}))
    assert package_index_settings(bare.spec) == (
        "https://user.example/simple", (local, "https://extra.example/simple"))
    assert package_index_settings(None)[0] == "https://user.example/simple"


def test_config_file_location_is_overridable(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv("BRAIN_CONFIG", str(tmp_path / "elsewhere.toml"))
    assert config_path() == tmp_path / "elsewhere.toml"
    with pytest.raises(InvalidInput):
        from brain.config import set_setting

        set_setting("index_url", [])


def test_emoji_and_astral_values_survive_the_file(brain, isolated: Path) -> None:
    odd = "/data/📦 packages/𝔦𝔫𝔡𝔢𝔵"
    assert brain("config", "set", "publish_index", odd).exit_code == 0
    assert tomllib.loads((isolated / "config.toml").read_text())["publish_index"] == odd
    assert brain("config", "get", "publish_index").stdout == odd + "\n"
