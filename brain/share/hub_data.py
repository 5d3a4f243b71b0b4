"""What the hub reads from requests and keeps beside each launch: the POST body of a
launch, a refusal's HTTP status and the parameter it is about, the launch's summary (the
project, entry point, help texts, values and commit, as the launch page shows them) and its
notebook report."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

from brain.errors import BrainError

if TYPE_CHECKING:
    from starlette.requests import Request

    from brain.share.history import Launch


def field_errors(message: str) -> dict[str, str]:
    """Each parameter's problem in a refusal (`parameter 'alpha': ...`), for its form field."""
    import re

    return {name: text.strip() for name, text in
            re.findall(r"parameter '([A-Za-z_][A-Za-z0-9_]*)': ([^;]+)", message)}


def write_summary(launch: Launch, prepared: Any, *, source_link: str) -> None:
    """Keep what the launch page says about the project beside the launch's log."""
    import json

    from brain.params import format_value
    from brain.process import run_checked

    spec = prepared.project.spec
    entry = spec.entry_points[prepared.plan.entry_name]
    summary: dict[str, Any] = {
        "name": spec.name, "description": spec.description, "entry": prepared.plan.entry_name,
        "entry_type": prepared.plan.entry_type, "entry_description": entry.description,
        "helps": {name: param.help for name, param in entry.parameters.items() if param.help},
        "source_link": source_link,
        # Every value the run gets, defaults included (the link carries only those it sets).
        "values": {name: format_value(value)
                   for name, value in prepared.plan.parameters.items()}}
    # Without the commit's message the page still works: reading it may fail quietly.
    with contextlib.suppress(BrainError, ValueError):
        shown = run_checked(["git", "log", "-1", "--format=%s%x00%cI", launch.commit_sha],
                            cwd=prepared.checkout.root, what="reading the commit", timeout=30)
        summary["commit_message"], summary["commit_date"] = \
            shown.stdout.strip().split("\x00", 1)
    Path(launch.log_path).with_name("summary.json").write_text(json.dumps(summary),
                                                                 encoding="utf-8")


def read_summary(launch: Launch) -> dict[str, Any]:
    """What write_summary kept ({} when there is nothing readable)."""
    import json

    try:
        data = json.loads(Path(launch.log_path).with_name("summary.json").read_text("utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def read_checks(launch: Launch) -> list[Any]:
    """The data checks the launch's run recorded (its `result.json`), [] when none."""
    import json

    try:
        with Path(launch.log_path).with_name("result.json").open("rb") as handle:
            data = json.loads(handle.read(_RESULT_CAP))
    except (OSError, ValueError):
        return []
    extra = data.get("extra") if isinstance(data, dict) else None
    checks = extra.get("checks") if isinstance(extra, dict) else None
    return checks if isinstance(checks, list) else []


_RESULT_CAP = 16_000_000  # bytes of a launch's run record read back


def has_port_parameter(prepared: Any) -> bool:
    spec = prepared.project.spec
    return "port" in spec.entry_points[prepared.plan.entry_name].parameters


def launch_request(body: bytes) -> tuple[str, dict[str, str] | None]:
    """(link, params) from a POST body; InvalidInput naming what is wrong."""
    import json

    from brain.errors import InvalidInput

    try:
        data = json.loads(body or b"{}")
    except (ValueError, RecursionError):  # RecursionError: `[[[[...` nested past the stack
        raise InvalidInput("the request body is not JSON",
                           hint='send {"link": URL, "params": {"name": "value"}}') from None
    if not isinstance(data, dict) or not isinstance(data.get("link"), str):
        raise InvalidInput('the request needs a "link" (the launch URL, text)')
    unknown = set(data) - {"link", "params"}
    if unknown:
        raise InvalidInput(f"unknown request fields: {', '.join(sorted(unknown))}")
    params = data.get("params")
    if params is None:
        return data["link"], None
    if not isinstance(params, dict) or not all(
            isinstance(key, str) and isinstance(value, str | int | float | bool)
            for key, value in params.items()):
        raise InvalidInput('"params" must map parameter names to values')
    return data["link"], {key: _text(value) for key, value in params.items()}


def _text(value: str | int | float | bool) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def report_file(launch: Launch) -> Path | None:
    """The rendered HTML of a finished notebook launch, inside its project folder, or None."""
    from brain.notebooks.reports import report_of

    if launch.project_dir is None or launch.run_id is None:
        return None
    root = Path(launch.project_dir).resolve()
    found = report_of(root, launch.run_id)
    html = found.html if found is not None else None
    if html is None or not html.is_file() or root not in html.resolve().parents:
        return None
    return html


def status_of(error: BrainError) -> int:
    """The HTTP status for a refusal."""
    from brain.errors import InvalidInput
    from brain.share.launcher import TooBusy
    from brain.share.url import NotAllowed, TooLong

    if isinstance(error, TooLong):
        return 414
    if isinstance(error, NotAllowed):
        return 403
    if isinstance(error, TooBusy):
        return 429
    if isinstance(error, InvalidInput):
        return 400
    return 502  # the remote or the environment failed: not the client's doing


def require_json(request: Request) -> None:
    """InvalidInput unless the request says its body is JSON. A page on another site can
    make a browser post a form (urlencoded, multipart or text/plain) here without asking,
    but not a JSON request: that needs a CORS preflight this hub never answers."""
    from brain.errors import InvalidInput

    declared = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if declared != "application/json":
        raise InvalidInput("the request must be JSON (Content-Type: application/json)",
                           hint='send {"link": URL, "params": {"name": "value"}}')


async def capped_body(request: Request, cap: int) -> bytes:
    """The request body, refused (TooLong) past `cap` bytes before more is read: a client
    announcing or streaming gigabytes must not make the hub hold them."""
    from brain.share.url import TooLong

    announced = request.headers.get("content-length", "")
    if announced.isdigit() and int(announced) > cap:
        raise TooLong(f"the request is {announced} bytes, over the {cap}-byte limit")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > cap:
            raise TooLong(f"the request is over the {cap}-byte limit")
    return bytes(body)
