"""Property tests for command rendering with real bash: whatever the value, a template brain
accepts gives the command exactly the declared value; whatever the template, no value brain
accepts ever runs as code."""

from __future__ import annotations

import contextlib
import shlex
import subprocess
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from brain.render import TemplateProblem, render_command
from tests.hostile.test_rendering import ALLOWED, REFUSED

# Any text bash and a command line can carry: no NUL, no lone surrogates.
VALUES = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
                 max_size=40)
# Values built to run `touch SENTINEL` in every context bash has.
PROBES = ["'; touch SENTINEL; '", '"; touch SENTINEL; "', "$(touch SENTINEL)",
          "`touch SENTINEL`", "a[$(touch SENTINEL)]", "\ntouch SENTINEL\n", "\\", "'", '"',
          "EOF\ntouch SENTINEL", "x) touch SENTINEL;; esac; case x in x", "}; touch SENTINEL; {"]
# Pieces of shell syntax a template can arrange around a value.
TOKENS = [" ", "echo", "printf %s", "'", '"', "$'", "$(", "$((", "((", "))", "(", ")", "`",
          "#", "\n", "<<EOF", "<<'EOF'", "EOF", ";", "|", "&&", "$", "\\", "${x:-", "}", "{",
          "[[", "]]", "=", "x=", "a[", "]", "case x in", "x)", ";;", "esac", "eval", "declare",
          "let", "cat", "<<<", "-eq 1", "true", "{{ v }}", "{{ v }}", "{{ v }}"]


def argv_of(command: str, cwd: Path) -> list[str]:
    done = subprocess.run(["bash", "-c", command], cwd=cwd, capture_output=True,
                          stdin=subprocess.DEVNULL, timeout=30, check=True)
    return done.stdout.decode("utf-8", "surrogateescape").split("\0")[:-1]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(value=VALUES | st.sampled_from(PROBES))
def test_accepted_templates_give_the_command_the_declared_value(value: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        for template, expected in ALLOWED.values():
            assert argv_of(render_command(template, {"msg": value}), Path(folder)) == expected(
                value), template
            assert not (Path(folder) / "SENTINEL").exists()


@settings(max_examples=200, deadline=None)
@given(value=VALUES | st.sampled_from(PROBES))
def test_argv_entries_split_back_to_the_declared_value(value: str) -> None:
    for template, expected in [("prog {{ msg }}", ["prog", value]),
                               ("prog '{{ msg }}'", ["prog", value]),
                               ('prog "{{ msg }}"', ["prog", value]),
                               ("prog x{{ msg }}'y'", ["prog", f"x{value}y"])]:
        assert shlex.split(render_command(template, {"msg": value}, bash=False)) == expected


@settings(max_examples=100, deadline=None)
@given(value=VALUES | st.sampled_from(PROBES))
def test_refused_templates_are_refused_whatever_the_value(value: str) -> None:
    for template in REFUSED.values():
        try:
            render_command(template, {"msg": value})
        except TemplateProblem:
            continue
        raise AssertionError(f"accepted: {template!r}")


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(template=st.lists(st.sampled_from(TOKENS), min_size=1, max_size=14).map("".join),
       value=st.sampled_from(PROBES))
def test_no_template_lets_a_value_run_as_code(template: str, value: str) -> None:
    try:
        command = render_command(template, {"v": value})
    except TemplateProblem:
        return  # refused: nothing runs
    with tempfile.TemporaryDirectory() as folder:
        with contextlib.suppress(subprocess.TimeoutExpired):  # a hang ran nothing either
            subprocess.run(["bash", "-c", command], cwd=folder, capture_output=True,
                           stdin=subprocess.DEVNULL, timeout=10, check=False)
        assert not (Path(folder) / "SENTINEL").exists(), command
