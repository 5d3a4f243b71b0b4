"""The hub's HTML: a project page per link, a page per launch, the history, errors.

Plain HTML with a little script (no build step, no external assets); every value from a link
or a spec goes through `html.escape`, and data handed to scripts through `json.dumps` with
`<`, `>` and `&` escaped, so nothing a link carries can become markup or script.
"""

from __future__ import annotations

import json
from html import escape
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from brain.share.history import Launch
    from brain.share.launch import ParameterField, ProjectPage
    from brain.share.url import LaunchLink

_STYLE = """
body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;
color:#1d232a}
h1{font-size:1.5rem;margin-bottom:.2rem} .muted{color:#667} code{font-size:.9em}
form{display:grid;gap:.7rem;margin:1.2rem 0} label{display:grid;gap:.2rem;font-weight:600}
label small{font-weight:400;color:#667} input,select{font:inherit;padding:.35rem;max-width:28rem}
input[type=checkbox]{justify-self:start;width:1.1rem;height:1.1rem}
button{font:inherit;padding:.5rem 1.4rem;background:#1f6feb;color:#fff;border:0;
border-radius:6px;cursor:pointer;justify-self:start} button:disabled{opacity:.5}
pre{background:#0d1117;color:#e6edf3;padding:1rem;border-radius:6px;min-height:6rem;
max-height:32rem;overflow:auto;white-space:pre-wrap}
.phases{display:flex;gap:.5rem;list-style:none;padding:0}
.phases li{padding:.2rem .7rem;border-radius:1rem;background:#eaeef2}
.phases li.done{background:#d2f4d3} .phases li.current{background:#fff1b8}
.status-succeeded{color:#1a7f37} .status-failed,.status-timed-out,.status-interrupted{color:#cf222e}
.error{background:#ffebe9;border:1px solid #ff8182;padding:.8rem;border-radius:6px}
table{border-collapse:collapse} td,th{padding:.2rem .8rem;text-align:left;
border-bottom:1px solid #eaeef2}
"""


def _page(title: str, body: str) -> str:
    return (f"<!doctype html><html lang=en><head><meta charset=utf-8>"
            f"<meta name=viewport content='width=device-width,initial-scale=1'>"
            f"<title>{escape(title)} · brain hub</title><style>{_STYLE}</style></head>"
            f"<body>{body}</body></html>")


def _script_data(data: Any) -> str:
    text = json.dumps(data)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def error_page(status: int, message: str, hint: str | None = None) -> str:
    """A refusal, with its reason."""
    tip = f"<p class=muted>hint: {escape(hint)}</p>" if hint else ""
    return _page("refused", f"<h1>Cannot launch this link</h1><p class=muted>HTTP {status}</p>"
                 f"<p class=error id=error>{escape(message)}</p>{tip}<p><a href='/'>hub</a></p>")


def project_page(link: LaunchLink, page: ProjectPage) -> str:
    """The page a launch link opens: the project, its parameters in a form, Launch."""
    description = (f"<p id=description>{escape(page.description)}</p>" if page.description
                   else "")
    inputs = "".join(_field(item) for item in page.fields) or \
        "<p class=muted>This entry point takes no parameters.</p>"
    where = f" in <code>{escape(link.path)}</code>" if link.path else ""
    body = f"""
<h1 id=project>{escape(page.name)}</h1>
<p class=muted>{escape(page.namespace)}/{escape(page.name)} {escape(page.version)} ·
entry point <code id=entry>{escape(page.entry)}</code> ({escape(page.entry_type)})</p>
{description}
<p class=muted>Code: <code>{escape(link.repo)}</code>{where} at commit
<code id=commit>{escape(link.commit)}</code></p>
<form id=launch-form novalidate>{inputs}
<button type=submit id=launch>Launch</button></form>
<p class=error id=error hidden></p>
<script>
const LINK = {_script_data(link.to_url())};
const form = document.getElementById('launch-form');
form.addEventListener('submit', async (event) => {{
  event.preventDefault();
  const button = document.getElementById('launch');
  const shown = document.getElementById('error');
  button.disabled = true; shown.hidden = true;
  const params = {{}};
  for (const input of form.querySelectorAll('[name]')) {{
    params[input.name] = input.type === 'checkbox' ? String(input.checked) : input.value;
  }}
  try {{
    const answer = await fetch('/api/launches', {{method: 'POST',
      headers: {{'Content-Type': 'application/json'}},
      body: JSON.stringify({{link: LINK, params: params}})}});
    const data = await answer.json();
    if (!answer.ok) throw new Error(data.error + (data.hint ? ' (hint: ' + data.hint + ')' : ''));
    window.location.href = data.page;
  }} catch (error) {{
    shown.textContent = error.message; shown.hidden = false; button.disabled = false;
  }}
}});
</script>"""
    return _page(page.name, body)


def _field(item: ParameterField) -> str:
    name = escape(item.name)
    help_text = f"<small>{escape(item.help)}</small>" if item.help else ""
    kind = f"<small>{escape(item.type)}{' · required' if item.required else ''}</small>"
    value = escape(item.value)
    if item.choices:
        options = "".join(
            f"<option{' selected' if choice == item.value else ''}>{escape(choice)}</option>"
            for choice in item.choices)
        control = f"<select name='{name}' id='param-{name}'>{options}</select>"
    elif item.type == "bool":
        checked = " checked" if item.value == "true" else ""
        control = f"<input type=checkbox name='{name}' id='param-{name}'{checked}>"
    else:
        html_type = {"int": "number", "float": "number", "date": "date"}.get(item.type, "text")
        extra = " step=any" if item.type == "float" else ""
        extra += f" min='{item.min:g}'" if item.min is not None else ""
        extra += f" max='{item.max:g}'" if item.max is not None else ""
        control = (f"<input type={html_type} name='{name}' id='param-{name}' "
                   f"value='{value}'{extra}>")
    return f"<label for='param-{name}'>{name} {kind}{control}{help_text}</label>"


def launch_page(launch: Launch) -> str:
    """A launch: its phases, live log, final status, outputs and app link."""
    phases = "".join(f"<li data-phase={name}>{name}</li>"
                     for name in ("fetching", "environment", "running", "done"))
    body = f"""
<h1>Launch <code>{escape(launch.id)}</code></h1>
<p class=muted>{escape(launch.repo)} at <code>{escape(launch.commit_sha[:12])}</code>
{escape(launch.path)} · entry <code>{escape(launch.entry or '(default)')}</code></p>
<ul class=phases id=phases>{phases}</ul>
<p>Status: <strong id=status>{escape(launch.status)}</strong> <span id=message></span></p>
<p id=app hidden>App: <a id=app-link href='#' target=_blank></a>
<button type=button id=stop>Stop</button></p>
<p id=report hidden><a id=report-link href='#' target=_blank>Open the report</a>
(the executed notebook, rendered as HTML)</p>
<div id=outputs hidden><h2>Outputs</h2><ul id=output-list></ul></div>
<pre id=log></pre>
<p><a href='/'>all launches</a></p>
<script>
const ID = {_script_data(launch.id)};
const ORDER = ['fetching', 'environment', 'running', 'done'];
let offset = 0, finished = false;
async function poll() {{
  const logs = await fetch(`/api/launches/${{ID}}/logs?offset=${{offset}}`);
  if (logs.ok) {{
    const text = await logs.text();
    offset = Number(logs.headers.get('X-Next-Offset') || offset);
    if (text) {{ const pre = document.getElementById('log'); pre.textContent += text;
                 pre.scrollTop = pre.scrollHeight; }}
  }}
  const answer = await fetch(`/api/launches/${{ID}}`);
  if (answer.ok) show(await answer.json());
  if (!finished) setTimeout(poll, 400);
}}
function show(data) {{
  const status = document.getElementById('status');
  status.textContent = data.status; status.className = 'status-' + data.status;
  document.getElementById('message').textContent = data.message || '';
  const at = ORDER.indexOf(data.phase);
  for (const item of document.querySelectorAll('#phases li')) {{
    const index = ORDER.indexOf(item.dataset.phase);
    item.className = index < at || (data.phase === 'done') ? 'done'
      : index === at ? 'current' : '';
  }}
  if (data.app_url) {{
    const link = document.getElementById('app-link');
    link.href = `/launches/${{ID}}/app`; link.textContent = data.app_url;
    document.getElementById('app').hidden = data.finished;
  }}
  if (data.report) {{
    document.getElementById('report-link').href = data.report;
    document.getElementById('report').hidden = false;
  }}
  const outputs = Object.keys(data.outputs || {{}});
  if (outputs.length) {{
    const list = document.getElementById('output-list'); list.textContent = '';
    for (const name of outputs) {{
      const item = document.createElement('li'); const a = document.createElement('a');
      a.href = `/launches/${{ID}}/outputs/${{encodeURI(name)}}`; a.textContent = name;
      item.appendChild(a); list.appendChild(item);
    }}
    document.getElementById('outputs').hidden = false;
  }}
  finished = data.finished;
}}
document.getElementById('stop').addEventListener('click', () =>
  fetch(`/api/launches/${{ID}}/stop`, {{method: 'POST'}}));
poll();
</script>"""
    return _page(f"launch {launch.id}", body)


def index_page(launches: list[Launch]) -> str:
    """The hub's front page: recent launches."""
    rows = "".join(
        f"<tr><td><a href='/launches/{escape(item.id)}'>{escape(item.id)}</a></td>"
        f"<td>{escape(item.repo)}</td><td><code>{escape(item.commit_sha[:12])}</code></td>"
        f"<td>{escape(item.entry or '')}</td>"
        f"<td class='status-{escape(item.status)}'>{escape(item.status)}</td></tr>"
        for item in launches)
    table = (f"<table><tr><th>launch</th><th>repository</th><th>commit</th><th>entry</th>"
             f"<th>status</th></tr>{rows}</table>" if rows
             else "<p class=muted>No launches yet: open a link from `brain generate-url`.</p>")
    return _page("launches", f"<h1>brain hub</h1>{table}")
