"""User settings in `BRAIN_HOME/config.toml` (or `BRAIN_CONFIG`), and the package index a
project resolves from (its spec merged with the user's settings).

The file is read with tomllib; it is written by `brain config set` from the typed KEYS below,
so a hand-edited file with an unknown key or a wrong type is reported, not silently ignored.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from brain import paths
from brain.errors import InvalidInput

if TYPE_CHECKING:
    from brain.spec.models import Spec

# `local` stands for the local index that `brain publish` writes (a file:// URL).
from brain.index_urls import LOCAL_INDEX_ALIAS as LOCAL_INDEX_ALIAS
from brain.index_urls import check_index_url as check_index_url


@dataclass(frozen=True)
class Key:
    """One setting: its name, whether it holds a list of values, and what it means."""

    name: str
    is_list: bool
    help: str


KEYS: dict[str, Key] = {
    key.name: key
    for key in (
        Key("index_url", False,
            "Package index projects resolve from (replaces PyPI); `local` = brain's local index."),
        Key("extra_index_urls", True,
            "More indexes to resolve from, besides index_url; `local` = brain's local index."),
        Key("store", False,
            "The run store: a SQLite file or postgresql://USER:PASSWORD@HOST/DB (BRAIN_STORE "
            "wins); the password is never shown."),
        Key("publish_index", False,
            "Default target of `brain publish`: a local index folder or an upload URL."),
        # Limits on each launch of `brain hub` (defaults in brain.share.limits, documented in
        # docs/sharing.md).
        Key("ray_address", False,
            "Ray cluster (dashboard) address for --backend ray, e.g. http://HEAD:8265."),
        Key("mlflow_tracking_uri", False,
            "MLflow tracking server every `brain run` logs an MLflow run to, e.g. "
            "http://127.0.0.1:5000 (MLFLOW_TRACKING_URI wins when set)."),
        Key("hub_timeout", False, "Wall-clock seconds a hub launch may run (default 1800)."),
        Key("hub_cpu_seconds", False, "CPU seconds per process of a hub launch (default 1800)."),
        Key("hub_memory", False, "Memory a hub launch may use, e.g. 2GiB (default 2GiB)."),
        Key("hub_file_size", False,
            "Largest file a hub launch may write, e.g. 1GiB (default 1GiB)."),
        Key("hub_log_size", False, "Launch log the hub keeps, e.g. 10MiB (default 10MiB)."),
        Key("hub_processes", False, "Processes a hub launch may run at once (default 256)."),
        Key("hub_user", False,
            "User that hub launches run as when the hub runs as root (default nobody)."),
        Key("hub_uid_range", False,
            "A root hub runs each launch as its own user id from FIRST-LAST, ids no account uses "
            "(default: every launch as hub_user)."),
        Key("hub_python", False,
            "Python (with brain installed) that runs hub launches (default: the hub's own)."),
        Key("hub_pass_env", True,
            "More environment variables hub launches get (e.g. HTTPS_PROXY; default none)."),
        Key("hub_allow_root", False,
            "true: a root hub may run launches as root when hub_user is missing (default false)."),
        Key("hub_app_idle", False,
            "Seconds an app launch may go unvisited before the hub stops it (default 900)."),
    )
}

_SIZE_UNITS = {"": 1, "b": 1, "k": 1 << 10, "kb": 1000, "kib": 1 << 10, "m": 1 << 20,
               "mb": 1000**2, "mib": 1 << 20, "g": 1 << 30, "gb": 1000**3, "gib": 1 << 30,
               "t": 1 << 40, "tb": 1000**4, "tib": 1 << 40}


def parse_size(text: str, *, setting: str = "size") -> int:
    """Bytes from `2GiB`, `512MiB`, `100k` or a plain number; InvalidInput otherwise."""
    import re

    found = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*", text)
    unit = found.group(2).lower() if found else ""
    if found is None or unit not in _SIZE_UNITS or float(found.group(1)) <= 0:
        raise InvalidInput(f"{setting} {text!r} is not a size",
                           hint="write a positive number with a unit, e.g. 2GiB or 512MiB")
    return int(float(found.group(1)) * _SIZE_UNITS[unit])


def parse_count(text: str, *, setting: str = "count") -> int:
    """A positive whole number; InvalidInput otherwise."""
    if not text.strip().isdigit() or int(text) <= 0:
        raise InvalidInput(f"{setting} {text!r} is not a positive whole number")
    return int(text)


def parse_range(text: str, *, setting: str = "range") -> tuple[int, int]:
    """(first, last) from `FIRST-LAST`, both positive and first <= last; InvalidInput otherwise."""
    first, _, last = text.strip().partition("-")
    if not (first.isdigit() and last.isdigit()) or not 0 < int(first) <= int(last) < 2**31:
        raise InvalidInput(f"{setting} {text!r} is not a range of user ids",
                           hint="write FIRST-LAST, e.g. 70000-70099 (ids no account uses)")
    return int(first), int(last)


def parse_flag(text: str, *, setting: str = "flag") -> bool:
    """true/false (also yes/no, 1/0); InvalidInput otherwise."""
    value = text.strip().lower()
    if value not in ("true", "false", "yes", "no", "1", "0"):
        raise InvalidInput(f"{setting} {text!r} is not true or false")
    return value in ("true", "yes", "1")


def config_path() -> Path:
    """The user settings file: `BRAIN_CONFIG`, default `BRAIN_HOME/config.toml`."""
    return paths.config_path()


def load_settings() -> dict[str, str | list[str]]:
    """Every setting in the user file, checked against KEYS; {} when there is no file."""
    import tomllib

    path = config_path()
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return {}
    except OSError as error:
        raise InvalidInput(f"cannot read {path}: {error.strerror}") from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise InvalidInput(f"{path}: not valid TOML: {error}",
                           hint="fix the file, or delete it and use `brain config set`") from None
    settings: dict[str, str | list[str]] = {}
    for name, value in data.items():
        key = _key(name, where=str(path))
        settings[name] = _checked(key, value, where=str(path))
    return settings


def get_setting(name: str) -> str | list[str] | None:
    """One setting's value, or None when it is not set."""
    _key(name)
    return load_settings().get(name)


def set_setting(name: str, values: list[str]) -> str | list[str]:
    """Set `name` (a list key takes every value given) and save the file atomically."""
    key = _key(name)
    if not values:
        raise InvalidInput(f"no value given for {name}", hint=f"brain config set {name} VALUE")
    if not key.is_list and len(values) > 1:
        raise InvalidInput(f"{name} takes one value, got {len(values)}")
    value: str | list[str] = list(values) if key.is_list else values[0]
    checked = _checked(key, value, where="the command line")
    settings = load_settings()
    settings[name] = checked
    _save(settings)
    return checked


def unset_setting(name: str) -> bool:
    """Remove `name` from the file; False when it was not set."""
    _key(name)
    settings = load_settings()
    if name not in settings:
        return False
    del settings[name]
    _save(settings)
    return True


def local_index_url() -> str:
    """The file:// URL of the local index's simple pages (usable by pip and uv)."""
    return (paths.index_dir() / "simple").as_uri()


def package_index_settings(spec: Spec | None) -> tuple[str | None, tuple[str, ...]]:
    """(index_url, extra_index_urls) a project resolves from: the spec's `env.python` first,
    then the user's settings. None means the resolver's default (PyPI or its own config)."""
    settings = load_settings()
    python = spec.env.python if spec is not None else None
    configured = settings.get("index_url")
    index_url = (python.index_url if python is not None else None) or (
        configured if isinstance(configured, str) else None)
    extras: list[str] = list(python.extra_index_urls) if python is not None else []
    configured_extras = settings.get("extra_index_urls", [])
    extras.extend(configured_extras if isinstance(configured_extras, list) else [])
    expanded_index = _expand(index_url) if index_url else None
    unique: list[str] = []
    for url in (_expand(url) for url in extras):
        if url != expanded_index and url not in unique:
            unique.append(url)
    return expanded_index, tuple(unique)


def _expand(url: str) -> str:
    return local_index_url() if url == LOCAL_INDEX_ALIAS else url


def _key(name: str, *, where: str | None = None) -> Key:
    key = KEYS.get(name)
    if key is None:
        close = difflib.get_close_matches(name, list(KEYS), n=1)
        place = f"{where}: " if where else ""
        raise InvalidInput(
            f"{place}unknown setting {name!r}"
            + (f" (did you mean {close[0]!r}?)" if close else ""),
            hint="known settings: " + ", ".join(KEYS),
        )
    return key


def _checked(key: Key, value: Any, *, where: str) -> str | list[str]:
    if key.is_list:
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise InvalidInput(f"{where}: {key.name} must be a list of strings")
        return [_checked_value(key, item) for item in value]
    if not isinstance(value, str):
        raise InvalidInput(f"{where}: {key.name} must be a string")
    return _checked_value(key, value)


def _checked_value(key: Key, value: str) -> str:
    if key.name in ("index_url", "extra_index_urls"):
        return check_index_url(value, setting=key.name)
    if key.name == "mlflow_tracking_uri" and not value.startswith(("http://", "https://")):
        raise InvalidInput(f"mlflow_tracking_uri {value!r} is not an http(s) URL",
                           hint="brain links runs through a tracking server's REST API, "
                           "e.g. http://127.0.0.1:5000")
    if key.name == "store":
        from brain.store.url import parse_store

        parse_store(value, where="store")
    if key.name in ("hub_memory", "hub_file_size", "hub_log_size"):
        parse_size(value, setting=key.name)
    elif key.name in ("hub_timeout", "hub_cpu_seconds", "hub_processes", "hub_app_idle"):
        parse_count(value, setting=key.name)
    elif key.name == "hub_allow_root":
        parse_flag(value, setting=key.name)
    elif key.name == "hub_uid_range":
        parse_range(value, setting=key.name)
    if any(ord(ch) < 32 for ch in value):
        raise InvalidInput(f"{key.name} {value!r} contains control characters")
    return value


def _save(settings: dict[str, str | list[str]]) -> None:
    import tomli_w

    text = ("# brain user settings: edit with `brain config set KEY VALUE`\n"
            + tomli_w.dumps({name: settings[name] for name in sorted(settings)}))
    path = config_path()
    from brain.statefs import write_atomic

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # A store URL may hold a password: only the user reads the file then.
        write_atomic(path, text, mode=0o600 if "store" in settings else 0o644)
    except OSError as error:
        raise InvalidInput(f"cannot write {path}: {error.strerror}") from None


# -- everything, for `brain config list` ----------------------------------------------------


@dataclass(frozen=True)
class Shown:
    """One setting as `brain config list` shows it. `key` is what `brain config get/set`
    takes (a config file key) or the environment variable's name."""

    key: str
    value: Any
    source: Literal["default", "env", "config file"]
    kind: str
    meaning: str
    set_with: str  # how a person changes it

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form: the table's columns (key, value, source, meaning), kind, set_with."""
        return {"key": self.key, "value": self.value, "source": self.source,
                "meaning": self.meaning, "kind": self.kind, "set_with": self.set_with}


def shown_value(name: str, value: Any) -> Any:
    """A setting's value as brain prints it: a store URL with its password masked."""
    if name == "store" and isinstance(value, str):
        from brain.store.url import masked

        return masked(value)
    return value


def describe() -> list[Shown]:
    """Every setting: the config file's keys, then the environment variables
    (brain.settings), with the value in force and where it came from (secrets never shown)."""
    from brain import settings

    stored = load_settings()
    shown = [Shown(key.name, shown_value(key.name, stored.get(key.name)),
                   "config file" if key.name in stored else "default",
                   "list" if key.is_list else "text", key.help,
                   f"brain config set {key.name} VALUE{' ...' if key.is_list else ''}")
             for key in KEYS.values()]
    locations = {"BRAIN_HOME": paths.brain_home, "BRAIN_STORE": paths.default_store,
                 "BRAIN_CONFIG": paths.config_path, "BRAIN_CACHE_DIR": paths.cache_dir,
                 "BRAIN_INDEX_DIR": paths.index_dir}
    for variable in settings.ENVIRONMENT.values():
        value = settings.raw(variable.name)
        is_set = bool(value.strip())
        if variable.kind == "secret":
            value = "(set)" if is_set else ""
        elif variable.kind == "store":
            value = shown_value("store", value)
        resolved = locations.get(variable.name)
        default = str(resolved()) if resolved is not None else variable.default
        shown.append(Shown(variable.name, value if is_set else default,
                           "env" if is_set else "default", variable.kind, variable.help,
                           f"export {variable.name}=VALUE"))
    return shown
