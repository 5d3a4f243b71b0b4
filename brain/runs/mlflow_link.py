"""The MLflow tracking link: a `brain run` with a tracking server configured starts the MLflow
run itself, hands it to the entry point and ends it with the run's outcome.

Configured by `MLFLOW_TRACKING_URI` (as MLflow reads it) or the `mlflow_tracking_uri`
setting. brain talks to the server's REST API (`/api/2.0/mlflow/...`) with the standard
library, so brain never depends on the `mlflow` package; only the project's own environment
has it. The entry point gets `MLFLOW_TRACKING_URI`, `MLFLOW_EXPERIMENT_ID` and
`MLFLOW_RUN_ID`, which MLflow's fluent API (`mlflow.log_metric`, `mlflow.start_run`) resumes,
exactly as under `mlflow run`.

A server that cannot be reached never stops a run: the run happens, brain says why it is not
linked in one line, and the record says `linked: false` with the reason.

Imported only when a tracking URI is set (`brain run` stays light otherwise).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from brain.runs.record import RunRecord

from brain.runs.mlflow_config import TRACKING_URI

# brain's outcome -> MLflow's RunStatus.
STATUSES = {"succeeded": "FINISHED", "failed": "FAILED", "interrupted": "KILLED"}
_BATCH = 100  # params or tags per log-batch request (the server's limit)
_PARAM_VALUE_LIMIT = 6000  # the server refuses longer values; they are cut with a mark
_TAG_VALUE_LIMIT = 8000


class LinkFailure(Exception):
    """The tracking server could not be reached or refused a request (never a run failure)."""


@dataclass(frozen=True)
class MlflowRun:
    """An MLflow run brain started for one of its runs."""

    tracking_uri: str  # as configured (may hold credentials: never recorded or printed)
    experiment_id: str
    run_id: str

    @property
    def shown_uri(self) -> str:
        """The tracking URI without credentials."""
        return shown_uri(self.tracking_uri)

    @property
    def url(self) -> str:
        """The run's page in the MLflow UI."""
        return f"{self.shown_uri.rstrip('/')}/#/experiments/{self.experiment_id}/runs/{self.run_id}"

    def variables(self) -> dict[str, str]:
        """What the entry point gets so that MLflow's fluent API logs into this run."""
        return {TRACKING_URI: self.tracking_uri, "MLFLOW_EXPERIMENT_ID": self.experiment_id,
                "MLFLOW_RUN_ID": self.run_id}

    def as_record(self) -> dict[str, Any]:
        """The run record's `mlflow` entry."""
        return {"linked": True, "run_id": self.run_id, "experiment_id": self.experiment_id,
                "tracking_uri": self.shown_uri, "url": self.url}


def shown_uri(uri: str) -> str:
    """`uri` without a user:password part."""
    from brain.vcs.urls import strip_credentials

    return strip_credentials(uri)


def not_linked(uri: str, reason: str) -> dict[str, Any]:
    """The run record's `mlflow` entry for a run that is not linked, and why."""
    return {"linked": False, "tracking_uri": shown_uri(uri), "error": reason}


def start_run(uri: str, record: RunRecord) -> MlflowRun:
    """Start the MLflow run of `record` (experiment = the project's name, created when
    missing), tagged with brain's run id, project, entry point, commit and backend, with the
    parameters logged as params. LinkFailure when the server cannot be reached or refuses."""
    client = _Client(uri)
    experiment_id = client.experiment_id(record.project)
    tags = _tags(record)
    created = client.post("runs/create", {
        "experiment_id": experiment_id, "start_time": int(record.started_at * 1000),
        "run_name": f"{record.entry_point} {record.id}",
        "tags": [{"key": key, "value": value} for key, value in tags.items()],
    })
    run_id = _text(_text_path(created, "run", "info", "run_id"), "run id")
    params = [{"key": name[:250], "value": _cut(_param_value(value), _PARAM_VALUE_LIMIT)}
              for name, value in record.parameters.items()]
    for start in range(0, len(params), _BATCH):
        client.post("runs/log-batch", {"run_id": run_id, "params": params[start:start + _BATCH]})
    return MlflowRun(uri, experiment_id, run_id)


def end_run(run: MlflowRun, status: str, ended_at: float | None = None) -> None:
    """Mark `run` ended with brain's outcome `status` (succeeded, failed, interrupted);
    LinkFailure when the server cannot be told."""
    _Client(run.tracking_uri).post("runs/update", {
        "run_id": run.run_id, "status": STATUSES.get(status, "FAILED"),
        "end_time": int((ended_at if ended_at is not None else time.time()) * 1000),
    })


def _tags(record: RunRecord) -> dict[str, str]:
    git = record.git
    commit = git.commit or ""
    tags = {
        "brain.run_id": record.id,
        "brain.project": f"{record.namespace}/{record.project}",
        "brain.entry_point": record.entry_point,
        "brain.backend": record.backend,
        "mlflow.source.type": "PROJECT",
        "mlflow.source.name": record.project_path,
        "mlflow.project.entryPoint": record.entry_point,
        "mlflow.user": record.user,
    }
    if commit:
        tags["brain.commit"] = commit + ("+dirty" if git.dirty else "")
        tags["mlflow.source.git.commit"] = commit
    if git.branch:
        tags["mlflow.source.git.branch"] = git.branch
    return {key: _cut(value, _TAG_VALUE_LIMIT) for key, value in tags.items()}


def _param_value(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _text_path(data: Any, *keys: str) -> Any:
    for key in keys:
        data = data.get(key) if isinstance(data, dict) else None
    return data


def _text(value: Any, what: str) -> str:
    if not isinstance(value, str) or not value:
        raise LinkFailure(f"the tracking server's answer has no {what}")
    return value


class _Client:
    """The few REST calls brain makes, over urllib (no third-party client)."""

    def __init__(self, uri: str) -> None:
        from urllib.parse import urlsplit

        try:
            parts = urlsplit(uri)
            port = parts.port  # ValueError when not a number
            usable = parts.scheme in ("http", "https") and bool(parts.hostname)
        except ValueError:  # e.g. an unclosed IPv6 bracket
            usable = False
        if not usable or parts.hostname is None:
            raise LinkFailure(f"{shown_uri(uri)} is not an http(s) tracking server (brain links "
                              "runs only through a server's REST API)")
        self._headers = {"Content-Type": "application/json", **request_auth(uri)}
        host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname  # IPv6
        netloc = host if port is None else f"{host}:{port}"
        self._base = f"{parts.scheme}://{netloc}{parts.path.rstrip('/')}/api/2.0/mlflow/"

    def experiment_id(self, name: str) -> str:
        """The id of experiment `name`, created when it does not exist yet."""
        from urllib.parse import quote

        found = self._call("GET", f"experiments/get-by-name?experiment_name={quote(name)}",
                           None, missing_ok=True)
        if found is None:
            created = self._call("POST", "experiments/create", {"name": name},
                                 exists_ok=True)
            if created is not None:
                return _text(created.get("experiment_id"), "experiment id")
            # Another client created it meanwhile: read it back.
            found = self._call("GET", f"experiments/get-by-name?experiment_name={quote(name)}",
                               None)
        return _text(_text_path(found, "experiment", "experiment_id"), "experiment id")

    def post(self, path: str, body: dict[str, Any]) -> Any:
        """POST `body` as JSON to `path`; its JSON answer."""
        return self._call("POST", path, body)

    def _call(self, method: str, path: str, body: dict[str, Any] | None, *,
              missing_ok: bool = False, exists_ok: bool = False) -> Any:
        import urllib.error
        import urllib.request

        from brain import settings

        request = urllib.request.Request(
            self._base + path, method=method, headers=self._headers,
            data=None if body is None else json.dumps(body).encode())
        try:
            timeout = settings.seconds("BRAIN_MLFLOW_TIMEOUT")
            with urllib.request.urlopen(request, timeout=timeout) as answer:
                return json.loads(answer.read(1_000_000) or b"{}")
        except urllib.error.HTTPError as error:
            code = _error_code(error)
            if (missing_ok and code == "RESOURCE_DOES_NOT_EXIST") or (
                    exists_ok and code == "RESOURCE_ALREADY_EXISTS"):
                return None
            raise LinkFailure(f"the tracking server answered {error.code} to {path.split('?')[0]}"
                              + (f" ({code})" if code else "")) from None
        except (urllib.error.URLError, OSError, ValueError) as error:
            reason = getattr(error, "reason", None) or error
            raise LinkFailure(f"cannot reach the tracking server: {reason}") from None


def request_auth(uri: str) -> dict[str, str]:
    """The Authorization header MLflow's own client would send: MLFLOW_TRACKING_TOKEN, else
    MLFLOW_TRACKING_USERNAME/PASSWORD, else a user:password in the URI; {} for none."""
    import base64
    from urllib.parse import unquote, urlsplit

    from brain import settings

    token = settings.raw("MLFLOW_TRACKING_TOKEN").strip()
    if token:
        return {"Authorization": f"Bearer {token}"}
    user = settings.raw("MLFLOW_TRACKING_USERNAME")
    password = settings.raw("MLFLOW_TRACKING_PASSWORD")
    if not user:
        parts = urlsplit(uri)
        user, password = unquote(parts.username or ""), unquote(parts.password or "")
    if not user:
        return {}
    pair = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {pair}"}


def _error_code(error: Any) -> str | None:
    try:
        data = json.loads(error.read(100_000) or b"{}")
    except (OSError, ValueError):
        return None
    code = data.get("error_code") if isinstance(data, dict) else None
    return code if isinstance(code, str) else None
