"""Where the store is, and hostile store URLs: unsupported schemes, injection, control
characters, huge values; a password is never printed (config list/get/set, errors)."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import psycopg
import pytest
from hypothesis import given
from hypothesis import strategies as st

from brain.errors import InvalidInput
from brain.store.location import masked, parse_store, store_location
from tests.postgres import PASSWORD


def test_default_env_and_setting(isolated: Path, brain, monkeypatch):
    assert store_location().path == isolated / "brain.db"
    assert brain("config", "set", "store", "postgresql://ann:pw1@db.example.com/team")\
        .exit_code == 0
    found = store_location()
    assert found.kind == "postgresql" and found.shown == "postgresql://ann:***@db.example.com/team"
    monkeypatch.setenv("BRAIN_STORE", str(isolated / "elsewhere.db"))
    assert store_location().path == isolated / "elsewhere.db"  # the variable wins
    assert parse_store("sqlite:////tmp/x/runs.db").path == Path("/tmp/x/runs.db")
    assert parse_store("postgres://u@h/db").url == "postgresql+psycopg://u@h/db"


@pytest.mark.parametrize("value, words", [
    ("mysql://u:topsecret@example.com/db", "unsupported store URL scheme 'mysql'"),
    ("http://u:topsecret@example.com/db", "unsupported store URL scheme 'http'"),
    ("postgresql://u:topsecret@example.com:99999/db", "bad port"),
    ("postgresql://u:topsecret@example.com/", "must name a host and one database"),
    ("postgresql://u:topsecret@example.com/a/b", "must name a host and one database"),
    ("postgresql://u:topsecret@example.com/db\n; DROP TABLE runs", "control characters"),
    ("postgresql://u:topsecret@example.com/" + "d" * 5000, "at most 4096"),
    ("sqlite://", "needs a file path"),
])
def test_hostile_urls_are_refused_without_showing_the_password(value, words, brain):
    with pytest.raises(InvalidInput, match=words) as error:
        parse_store(value)
    assert "topsecret" not in error.value.message
    result = brain("config", "set", "store", value)
    assert result.exit_code == 2 and "topsecret" not in result.output


def test_an_injection_in_the_database_name_is_only_a_name(postgres, postgres_url, brain,
                                                          monkeypatch):
    from brain.runs.store import RunStore

    with RunStore(postgres_url) as store:
        store.count()
    hostile = postgres_url + "%27%3B%20DROP%20TABLE%20runs%3B--"
    monkeypatch.setenv("BRAIN_STORE", hostile)
    result = brain("runs", "list")
    assert result.exit_code == 3, result.output
    assert "does not exist" in result.stderr and PASSWORD not in result.output
    with psycopg.connect(postgres_url) as db:  # the real store is untouched
        assert db.execute("SELECT count(*) FROM runs").fetchone() == (0,)


def test_a_wrong_password_is_exit_3_and_never_printed(postgres, postgres_url, brain,
                                                      monkeypatch):
    wrong = postgres_url.replace(PASSWORD, "Wr0ng-Passw0rd")
    monkeypatch.setenv("BRAIN_STORE", wrong)
    result = brain("runs", "list")
    assert result.exit_code == 3, result.output
    assert "password authentication failed" in result.stderr
    assert "Wr0ng-Passw0rd" not in result.output and "***" in result.stderr


def test_config_never_prints_the_password(isolated: Path, brain, monkeypatch):
    url = "postgresql://ann:Sup3r-Secret@db.example.com:5432/team"
    result = brain("config", "set", "store", url)
    assert result.exit_code == 0 and "Sup3r-Secret" not in result.output
    mode = stat.S_IMODE((isolated / "config.toml").stat().st_mode)
    assert mode == 0o600
    for args in (("config", "list"), ("config", "list", "--json"), ("config", "get", "store")):
        shown = brain(*args)
        assert shown.exit_code == 0 and "Sup3r-Secret" not in shown.output, args
        assert "ann:***@db.example.com" in shown.output, args
    monkeypatch.setenv("BRAIN_STORE", url)
    listed = json.loads(brain("config", "list", "--json").stdout)
    variable = next(item for item in listed["settings"] if item["key"] == "BRAIN_STORE")
    assert variable["value"] == "postgresql://ann:***@db.example.com:5432/team"


def test_a_password_in_the_query_string_is_masked_too():
    assert "hidden" not in masked("postgresql://ann@h/db?password=hidden&sslmode=require")


@given(password=st.text(alphabet=st.characters(whitelist_categories=("L", "N"),
                                               max_codepoint=0x2FF), min_size=4,
                        max_size=40))
def test_masked_never_contains_the_password(password):
    from urllib.parse import quote, urlsplit

    url = f"postgresql://user:{quote(password, safe='')}@db.example.com/x"
    shown = urlsplit(masked(url))
    assert shown.password == "***" and shown.username == "user"
    assert shown.hostname == "db.example.com" and shown.path == "/x"
