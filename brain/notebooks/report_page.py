"""A rendered notebook report made for readers: a provenance header (run, commit, values,
environment), code folded behind a toggle, the parameter cells shown once as a table, and
nothing fetched from the network (nbconvert's require.js and MathJax script tags are removed,
so the file reads the same offline)."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from jinja2 import Environment

MARK = "<!-- brain report header -->"
_REMOTE_SCRIPT = re.compile(
    r"<script\b[^>]*\bsrc\s*=\s*[\"']?(?:https?:)?//[^>]*>\s*</script>", re.IGNORECASE)
_MATHJAX_CONFIG = re.compile(r"<script\b[^>]*type\s*=\s*[\"']text/x-mathjax-config[\"'][^>]*>"
                             r".*?</script>", re.IGNORECASE | re.DOTALL)
_BODY = re.compile(r"<body\b[^>]*>", re.IGNORECASE)
_HEAD = re.compile(r"<head\b[^>]*>", re.IGNORECASE)
VIEWPORT = '<meta name="viewport" content="width=device-width, initial-scale=1">'


@cache
def templates() -> Environment:
    """brain/notebooks/templates, autoescaped."""
    from jinja2 import Environment, PackageLoader, StrictUndefined

    return Environment(loader=PackageLoader("brain.notebooks", "templates"), autoescape=True,
                       undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)


def header(provenance: dict[str, Any]) -> str:
    """The provenance header of one report."""
    from brain.checks.summary import check_rows
    from brain.share.pages import duration, when

    found = provenance.get("timings")
    timings: dict[str, Any] = found if isinstance(found, dict) else {}
    found = provenance.get("environment")
    environment: dict[str, Any] = found if isinstance(found, dict) else {}
    started = timings.get("started_at")
    seconds = timings.get("seconds")
    parameters = provenance.get("parameters")
    identity = str(environment.get("identity") or "unknown")
    return templates().get_template("report_header.html").render(
        title=f"{provenance.get('project', 'report')} · {provenance.get('entry_point', '')}",
        run_id=str(provenance.get("run_id", "")), status=provenance.get("status"),
        commit=provenance.get("commit"), dirty=bool(provenance.get("dirty")),
        started=when(float(started)) if isinstance(started, int | float) else None,
        seconds=duration(float(seconds)) if isinstance(seconds, int | float) else None,
        environment=" · ".join(str(item) for item in (
            environment.get("backend"), identity[:16], environment.get("python")) if item),
        parameters=[(str(name), _shown(value)) for name, value in
                    (parameters.items() if isinstance(parameters, dict) else ())],
        checks=check_rows(provenance.get("checks")))



def _shown(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


_MAX_REPORT_BYTES = 200_000_000  # a report with many inline images; never unbounded


def finish(html: Path, provenance: dict[str, Any]) -> None:
    """Rewrite a rendered report for readers (once: a finished one is left as it is). The
    run wrote it, so it is read and replaced as brain's state: never through a link."""
    from brain.statefs import read_text, write_atomic

    text = read_text(html, limit=_MAX_REPORT_BYTES)
    if MARK in text:
        return
    text = _MATHJAX_CONFIG.sub("", _REMOTE_SCRIPT.sub("", text))
    if 'name="viewport"' not in text:
        text = _HEAD.sub(lambda found: found.group(0) + VIEWPORT, text, count=1)
    added = MARK + header(provenance)
    text, count = _BODY.subn(lambda found: found.group(0) + added, text, count=1)
    if count == 0:
        text = added + text
    write_atomic(html, text)
