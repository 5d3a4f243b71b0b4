"""brain.settings: every BRAIN_* variable declared once, one error for a bad value, and
`brain config list` showing them all with where each value came from."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from brain import settings
from brain.errors import InvalidInput

REPO = Path(__file__).resolve().parent.parent
PROTOCOL = settings.PROTOCOL


def test_every_variable_brain_mentions_is_declared() -> None:
    mentioned = set()
    for source in (REPO / "brain").rglob("*.py"):
        mentioned |= set(re.findall(r"\b(?:BRAIN|MLFLOW)_[A-Z][A-Z_]*[A-Z]\b", source.read_text()))
    assert mentioned - PROTOCOL - set(settings.ENVIRONMENT) == set()
    assert all(variable.help.endswith(".") for variable in settings.ENVIRONMENT.values())


@pytest.mark.parametrize("name", ["BRAIN_STORE_TIMEOUT", "BRAIN_LOCK_TIMEOUT"])
@pytest.mark.parametrize("value", ["abc", "-1", "nan", "inf", "1e999", "10s"])
def test_bad_durations_get_one_error(name: str, value: str, monkeypatch) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(InvalidInput, match=f"^{name} must be a number of seconds"):
        settings.seconds(name)


def test_durations_and_defaults(monkeypatch) -> None:
    monkeypatch.delenv("BRAIN_LOCK_TIMEOUT", raising=False)
    assert settings.seconds("BRAIN_LOCK_TIMEOUT") == 900
    monkeypatch.setenv("BRAIN_LOCK_TIMEOUT", " 2.5 ")
    assert settings.seconds("BRAIN_LOCK_TIMEOUT") == 2.5


def test_bad_store_timeout_is_reported_by_the_cli(brain, monkeypatch) -> None:
    monkeypatch.setenv("BRAIN_STORE_TIMEOUT", "soon")
    result = brain("runs", "list")
    assert result.exit_code == 2
    assert "BRAIN_STORE_TIMEOUT must be a number of seconds (0 or more), got 'soon'" \
        in result.stderr


def test_flags_and_text(monkeypatch) -> None:
    for value, expected in (("", False), ("0", False), ("no", False), ("1", True),
                            ("TRUE", True), ("yes", True)):
        monkeypatch.setenv("BRAIN_DEBUG", value)
        assert settings.flag("BRAIN_DEBUG") is expected
    monkeypatch.setenv("BRAIN_DEBUG", "maybe")
    with pytest.raises(InvalidInput, match="BRAIN_DEBUG must be 1/true/yes or 0/false/no"):
        settings.flag("BRAIN_DEBUG")
    monkeypatch.setenv("BRAIN_DOCKER_NETWORK", "bridge\nRUN rm -rf /")
    with pytest.raises(InvalidInput, match="BRAIN_DOCKER_NETWORK must be text"):
        settings.text("BRAIN_DOCKER_NETWORK")
    with pytest.raises(KeyError):
        settings.raw("BRAIN_NOT_DECLARED")


def test_config_list_shows_every_setting_with_its_source(brain, monkeypatch,
                                                         tmp_path: Path) -> None:
    monkeypatch.setenv("BRAIN_LOCK_TIMEOUT", "5")
    monkeypatch.setenv("BRAIN_HUB_SECRET", "s3cret")
    assert brain("config", "set", "index_url", "https://mirror.example/simple").exit_code == 0
    listed = json.loads(brain("config", "list", "--json").stdout)
    by_name = {item["key"]: item for item in listed["settings"]}
    assert set(by_name) >= set(settings.ENVIRONMENT) | {"index_url", "publish_index"}
    assert by_name["index_url"]["source"] == "config file"
    assert by_name["BRAIN_LOCK_TIMEOUT"] | {"meaning": ""} == {
        "key": "BRAIN_LOCK_TIMEOUT", "value": "5", "source": "env", "kind": "seconds",
        "meaning": "", "set_with": "export BRAIN_LOCK_TIMEOUT=VALUE"}
    assert by_name["BRAIN_STORE_TIMEOUT"]["source"] == "default"
    assert by_name["BRAIN_HUB_SECRET"]["value"] == "(set)"
    text = brain("config", "list").stdout
    assert "s3cret" not in text and "s3cret" not in json.dumps(listed)
    assert "BRAIN_DOCKER_NETWORK" in text and "Network mode of image builds." in text


def test_config_list_json_keys_are_the_table_columns_and_what_config_set_takes(
        brain, isolated: Path) -> None:
    from brain.config import KEYS

    listed = json.loads(brain("config", "list", "--json").stdout)
    assert set(listed) == {"file", "settings"}
    header = brain("config", "list").stdout.splitlines()[1].split("\t")
    for item in listed["settings"]:
        assert list(item) == [*header, "kind", "set_with"]  # key, value, source, meaning
    file_keys = [item for item in listed["settings"] if item["set_with"].startswith("brain")]
    assert [item["key"] for item in file_keys] == list(KEYS)
    for item in file_keys:  # every key listed is one `config get` and `config set` accept
        assert brain("config", "get", item["key"]).exit_code == 0
        assert item["set_with"].startswith(f"brain config set {item['key']} VALUE")
    assert brain("config", "set", "publish_index", "/tmp/index").exit_code == 0
    again = json.loads(brain("config", "list", "--json").stdout)
    assert {item["key"]: item for item in again["settings"]}["publish_index"] | {
        "meaning": ""} == {"key": "publish_index", "value": "/tmp/index", "source": "config file",
                           "meaning": "", "kind": "text",
                           "set_with": "brain config set publish_index VALUE"}


@given(st.text(max_size=20))
def test_accepted_durations_are_finite_and_not_negative(value: str) -> None:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("BRAIN_STORE_TIMEOUT", value.replace("\0", ""))
        try:
            number = settings.seconds("BRAIN_STORE_TIMEOUT")
        except InvalidInput:
            return
    assert number >= 0 and math.isfinite(number)


def test_a_path_under_an_unknown_user_is_left_as_written(monkeypatch: pytest.MonkeyPatch) -> None:
    # pathlib's expanduser raises RuntimeError for `~nosuchuser`: a traceback for a typo.
    from brain import settings

    monkeypatch.setenv("BRAIN_HOME", "~no-such-user-here/brain")
    assert settings.path("BRAIN_HOME") == Path("~no-such-user-here/brain")
    monkeypatch.setenv("BRAIN_HOME", "~/brain")
    assert settings.path("BRAIN_HOME") == Path.home() / "brain"
