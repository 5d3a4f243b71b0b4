"""A red-team pass through the CLI: hostile specs (YAML and Jinja) and hostile parameter
values, each run as a real `brain` process. None may exit 1, hang, grow past a memory bound,
or run anything; every one is refused with exit 2 (or, for harmless values, runs as data)."""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.hostile.conftest import brain_process

MEMORY_KIB = 400_000  # far above brain's own footprint, far below what the bombs would take
ENTRY = "name: x\nversion: 0.1.0\nentry_points: {main: {type: bash, command: %s}}\n"


ENV = "name: x\nversion: 0.1.0\nenv:\n  %s\nentry_points: {main: {type: bash, command: echo}}\n"


def bomb(depth: int = 8) -> str:
    """Nested YAML aliases: 9**depth strings if expanded."""
    lines = ["a0: &a0 ['x','x','x','x','x','x','x','x','x']"]
    lines += [f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, depth)]
    return "\n".join(lines) + "\nname: x\nversion: 0.1.0\n" \
        "entry_points: {main: {type: bash, command: echo}}\n"


def jinja(expression: str) -> str:
    return ENTRY % json.dumps("echo " + expression)


# Spec text that brain must refuse (exit 2) with a bounded footprint, whatever the payload.
SPECS: dict[str, str | bytes] = {
    "yaml-alias-bomb": bomb(),
    "yaml-deep-flow": "name: " + "[" * 5000 + "]" * 5000 + "\n",
    "yaml-deep-mapping": "name: x\nversion: 0.1.0\nmeta: " + "{a: " * 3000 + "1" + "}" * 3000,
    "yaml-python-tag": "name: !!python/object/apply:os.system ['touch SENTINEL']\n",
    "yaml-huge-int": "name: x\nversion: " + "9" * 5000 + "\n"
                     "entry_points: {main: {type: bash, command: echo}}\n",
    "yaml-huge-int-param": ENTRY % "'echo {{ n }}'" + "",
    "yaml-huge-hex": "name: x\nversion: 0x" + "f" * 20000 + "\n",
    "yaml-huge-int-default": "name: x\nversion: 0.1.0\nentry_points: {main: {type: bash, "
                             "command: 'echo {{ n }}', parameters: {n: {type: int, default: "
                             + "7" * 4400 + "}}}}\n",
    "yaml-inf-bounds": "name: x\nversion: 0.1.0\nentry_points: {main: {type: bash, command: "
                       "'echo {{ a }}', parameters: {a: {type: float, default: .inf, "
                       "max: .nan}}}}\n",
    "yaml-duplicate-keys": "name: x\nname: y\nversion: 0.1.0\n"
                           "entry_points: {main: {type: bash, command: echo}}\n",
    "yaml-non-text-keys": "name: x\nversion: 0.1.0\nentry_points: {1: {type: bash, command: "
                          "echo}, [a]: {type: bash, command: echo}}\n",
    "yaml-nul-in-name": 'name: "x\\0y"\nversion: 0.1.0\n'
                        "entry_points: {main: {type: bash, command: echo}}\n",
    "yaml-binary-tag": "name: !!binary aGVsbG8=\nversion: 0.1.0\n",
    "yaml-set": "name: x\nversion: 0.1.0\nentry_points: !!set {main}\n",
    "yaml-list-root": "- a\n- b\n",
    "yaml-two-documents": "name: x\n---\nname: y\n",
    "yaml-bad-utf8": b"name: \xff\xfe\nentry_points: {}\n",
    "yaml-utf16": "\ufeffname: x".encode("utf-16"),
    "jinja-power-tower": jinja("{{ 9**9**9 }}"),
    "jinja-string-times": jinja("{{ 'x' * 100000000 }}"),
    "jinja-center": jinja("{{ 'x'|center(100000000) }}"),
    "jinja-percent-width": jinja("{{ '%100000000s'|format('a') }}"),
    "jinja-str-format-width": jinja("{{ '{:>100000000}'.format('a') }}"),
    "jinja-dunder-mro": jinja("{{ ''.__class__.__mro__ }}"),
    "jinja-lipsum": jinja("{{ lipsum(100000, false, 100000, 100000) }}"),
    "jinja-wordwrap": jinja("{{ 'a b'|wordwrap(1000000000) }}"),
    "jinja-indent": jinja("{{ ('a\\n' * 1000)|indent(1000000) }}"),
    "jinja-replace": jinja("{{ ('a'*100000)|replace('a', 'b'*100000) }}"),
    "jinja-nested-loops": jinja("{% for i in range(100000) %}{% for j in range(100000) %}"
                                "{% endfor %}{% endfor %}"),
    "jinja-recursive-macro": jinja("{% macro f(n) %}{{ f(n) }}{% endmacro %}{{ f(1) }}"),
    "jinja-list-times": jinja("{{ ([1]*100000000)|length }}"),
    "jinja-int-to-text": jinja("{{ (10**5000)|string }}"),
    "jinja-namespace-doubling": jinja("{% set ns = namespace(a='x') %}{% for i in range(30) %}"
                                      "{% set ns.a = ns.a ~ ns.a %}{% endfor %}{{ ns.a }}"),
    "jinja-join-wide": jinja("{{ range(100000)|join('x'*1000) }}"),
    "jinja-batch": jinja("{{ range(10)|batch(1000000000)|list }}"),
    "jinja-truncate-negative-leeway": jinja("{{ 'x'|truncate(10, leeway=-5) }}"),
    "jinja-truncate-short": jinja("{{ 'xxxxxxxxxx'|truncate(1) }}"),
    "jinja-filesizeformat-huge": jinja("{{ (10**4000)|filesizeformat }}"),
    "jinja-round-huge": jinja("{{ 1.5|round(10**9) }}"),
    "jinja-float-overflow": jinja("{{ (10**4000)|float }}"),
    "jinja-floor-div-zero": jinja("{{ 1 // 0 }}"),
    "jinja-star-width": jinja("{{ '%*d' % (100000000, 1) }}"),
    "jinja-tojson-indent": jinja("{{ 'x'|tojson(indent=100000000) }}"),
    "jinja-sum-huge": jinja("{{ [10**50000, 10**50000]|sum }}"),
    "jinja-lshift": jinja("{{ (2).__lshift__(10**9) }}"),
    "jinja-int-filter-huge": jinja("{{ ('9'*100000)|int }}"),
    "jinja-square-chain": jinja("{% set ns = namespace(a=2) %}{% for i in range(40) %}"
                                "{% set ns.a = ns.a * ns.a %}{% endfor %}{{ 1 }}"),
    "jinja-unicode-upper": jinja("{{ ('\\u0390'*500000)|upper }}"),
    "jinja-dictsort-bad": jinja("{{ {'a': 1}|dictsort(by='nope') }}"),
    "jinja-slice-zero": jinja("{{ [1, 2]|slice(0)|list }}"),
    "jinja-random-empty": jinja("{{ []|random }}"),
    "jinja-map-attribute": jinja("{{ [1]|map(attribute='__class__')|list }}"),
    # Spec fields that reach the argv of uv or a requirements file.
    "env-index-url-option": ENV % "python: {index_url: '--no-verify'}",
    "env-extra-index-option": ENV % "python: {extra_index_urls: ['--find-links=/etc']}",
    "env-index-url-newline": ENV % 'python: {index_url: "https://example.com/s\\n-r x"}',
    "env-pip-option": ENV % "python: {pip: ['--index-url=http://127.0.0.1:9/x']}",
    "env-pip-editable": ENV % "python: {pip: ['-e /etc']}",
    "env-pip-marker-shell": ENV % "python: {pip: {six: '; touch SENTINEL'}}",
    "env-requirements-absolute": ENV % "python: {requirements: /etc/passwd}",
    "env-requirements-dotdot": ENV % "python: {requirements: ../../../etc/passwd}",
    "env-python-option": ENV % "python: {version: '--python=/bin/sh'}",
}

# Templates the sandbox may render: their work and output are small once evaluated.
HARMLESS = {"jinja-power-tower", "jinja-batch", "jinja-int-filter-huge", "jinja-map-attribute",
            "jinja-round-huge", "jinja-tojson-indent", "jinja-truncate-short"}


@pytest.mark.parametrize("name", sorted(SPECS))
@pytest.mark.parametrize("command", ["validate", "run"])
def test_a_hostile_spec_is_refused_with_exit_2(name: str, command: str, tmp_path: Path) -> None:
    project = tmp_path / "p"
    project.mkdir()
    text = SPECS[name]
    (project / "onebrain.yml").write_bytes(text if isinstance(text, bytes) else text.encode())
    args = ["run", str(project), "--dry-run"] if command == "run" else ["validate", str(project)]
    done = brain_process(*args, cwd=tmp_path, timeout=60)
    # Bounded, harmless templates may be accepted; everything else is a located refusal.
    assert done.exit_code in ((0, 2) if name in HARMLESS else (2,)), done.output
    assert "internal error" not in done.output and "Traceback" not in done.output
    assert done.max_rss_kib < MEMORY_KIB, f"{done.max_rss_kib} KiB"
    assert not (tmp_path / "SENTINEL").exists()


PARAM_SPEC = """\
name: pp
version: 0.1.0
entry_points:
  main:
    type: bash
    command: printf '%s\\0' {{ n }} {{ f }} {{ s }} "{{ s }}" x{{ s }}y $(printf %s {{ p }}) {{ c }}
    parameters:
      n: {type: int, default: 1}
      f: {type: float, default: 0.5}
      s: {type: str, default: a}
      p: {type: path, default: data.txt}
      c: {type: choice, choices: [a, b], default: a}
"""

# -P values brain must refuse (exit 2) before anything runs.
REFUSED_PARAMS = [
    "n=" + "9" * 5000, "f=1e999", "f=" + "9" * 5000, "f=nan", "n=0x10", "n=\u0661\u0662",
    "s=-rf", "s=--exec=touch SENTINEL", "p=/etc/passwd", "p=../../etc/passwd",
    "p=data/../../x", "p=escape/passwd", "p=escape", "c=a;b", "c=A", "n=1e3", "=1", "zz=1",
    "n", "p=" + "../" * 500 + "etc",
]
# -P values that are plain data: the command receives exactly them, one word each.
DATA_PARAMS = ["$(touch SENTINEL)", "';touch SENTINEL;'", "`touch SENTINEL`",
               '"$(touch SENTINEL)"', "a;touch SENTINEL", "${IFS}", "$HOME", "%s%n",
               "*", "~root", "a b\tc", "!!", "$((1+1))"]


def param_project(tmp_path: Path) -> Path:
    project = tmp_path / "pp"
    project.mkdir()
    (project / "onebrain.yml").write_text(PARAM_SPEC)
    (project / "escape").symlink_to("/etc")
    return project


@pytest.mark.parametrize("pair", REFUSED_PARAMS, ids=lambda pair: pair[:24])
def test_a_hostile_parameter_is_refused(pair: str, tmp_path: Path) -> None:
    project = param_project(tmp_path)
    done = brain_process("run", str(project), "--dry-run", "-P", pair, cwd=tmp_path)
    assert done.exit_code == 2, done.output
    assert "internal error" not in done.output
    assert not (tmp_path / "SENTINEL").exists() and not (project / "SENTINEL").exists()


@pytest.mark.parametrize("value", DATA_PARAMS, ids=lambda value: repr(value)[:24])
def test_a_hostile_text_value_stays_one_word(value: str, tmp_path: Path) -> None:
    project = param_project(tmp_path)
    done = brain_process("run", str(project), "--dry-run", "-P", f"s={value}", cwd=tmp_path)
    assert done.exit_code == 0, done.output
    script = done.output.split("argv:\n", 1)[1].split("\n")[2].strip()
    import subprocess

    ran = subprocess.run(["bash", "-c", shlex.split(script)[0]], cwd=project,
                         capture_output=True, timeout=30, check=True)
    words = ran.stdout.decode().split("\0")[:-1]
    assert words[2:5] == [value, value, f"x{value}y"]
    assert not (project / "SENTINEL").exists() and not (tmp_path / "SENTINEL").exists()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(prefix=st.sampled_from(["", "-", "+", "0x", "0o", "1_"]),
       pattern=st.text("0123456789", min_size=1, max_size=8)
       | st.text("0123456789abcdef._eE+-", min_size=1, max_size=8),
       length=st.integers(1, 50) | st.integers(4000, 6000),
       field=st.sampled_from(["version", "description", "meta"]))
def test_no_plain_number_in_a_spec_crashes_the_loader(prefix: str, pattern: str, length: int,
                                                      field: str) -> None:
    """The spec loader reads plain scalars itself (YAML 1.2 core): any number, however long,
    is a value or a located problem, never an exception."""
    import tempfile

    from brain.spec.loader import problems_for

    number = prefix + (pattern * length)[:length]
    with tempfile.TemporaryDirectory() as folder:
        spec = Path(folder) / "onebrain.yml"
        spec.write_text(f"name: x\nversion: 0.1.0\n{field}: {number}\n".replace(
            "version: 0.1.0\nversion", "version"))
        problems, _project = problems_for(spec)
        assert all(problem.message for problem in problems)
