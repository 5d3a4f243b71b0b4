"""Whether `brain run` links MLflow tracking: the tracking URI in force, found without loading
the link itself (brain.runs.mlflow_link), so runs without one stay light."""

from __future__ import annotations

TRACKING_URI = "MLFLOW_TRACKING_URI"
SETTING = "mlflow_tracking_uri"


def configured_uri() -> str | None:
    """The tracking URI in force: MLFLOW_TRACKING_URI, else the `mlflow_tracking_uri`
    setting; None when neither is set."""
    from brain import paths, settings

    found = settings.text(TRACKING_URI)
    if found:
        return found
    try:  # most runs have no such setting: skip parsing the file (brain run stays light)
        if SETTING.encode() not in paths.config_path().read_bytes():
            return None
    except OSError:
        return None
    from brain.config import get_setting

    value = get_setting(SETTING)
    return value.strip() or None if isinstance(value, str) else None
