"""Rendering is bounded and context-safe: a parameter value is data in every quoting context
a command can have, template bombs stop with exit 2 in bounded memory, file tags are refused,
and every template problem is a located `brain validate` error — through `brain validate`,
`brain run`, `brain generate` and `brain launch`."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from brain.render import TemplateProblem, render_command
from tests.conftest import Result
from tests.run.conftest import build_environment, write_files
from tests.share.conftest import Remote

# Values that would run `touch SENTINEL` if they ever became shell syntax, in any context.
HOSTILE = [
    "'; touch SENTINEL; '",
    '"; touch SENTINEL; "',
    "$(touch SENTINEL)",
    "`touch SENTINEL`",
    "\\'; touch SENTINEL; \\'",
    "x\ntouch SENTINEL\n",
    "a[$(touch SENTINEL)]",
    "$'\\x27'; touch SENTINEL",
    "\\",
    "",
]

# Commands that place the value where bash would read it again: refused at validate and run.
REFUSED = {
    "backticks": "echo `echo {{ msg }}`",
    "arithmetic": "echo $(( {{ msg }} + 1 ))",
    "arithmetic command": "(( {{ msg }} > 1 )) && echo big",
    "old arithmetic": "echo $[ {{ msg }} ]",
    "double brackets": "[[ {{ msg }} -eq 1 ]] && echo one",
    "double brackets quoted": '[[ "{{ msg }}" -eq 1 ]] && echo one',
    "here-document": "cat <<EOF\n{{ msg }}\nEOF",
    "quoted here-document": "cat <<'EOF'\n{{ msg }}\nEOF",
    "here-document delimiter": "cat <<{{ msg }}\nx\n",
    "comment": "echo hi # {{ msg }}",
    "comment after operator": "echo hi;#{{ msg }}",
    "parameter expansion": "echo ${UNSET:-{{ msg }}}",
    "after dollar": "echo ${{ msg }}",
    "after backslash": "echo \\{{ msg }}",
    "array subscript": "a[{{ msg }}]=1",
    "eval": "eval {{ msg }}",
    "eval quoted": 'eval "{{ msg }}"',
    "eval substitution": 'eval "$(echo {{ msg }})"',
    "declare": "declare -a x={{ msg }}",
    "local with flags": "f() { local -i n={{ msg }}; }; f",
    "let": "let x={{ msg }}",
    "unset": "unset {{ msg }}",
    "read": "read {{ msg }} <<< x",
    "printf -v": "printf -v {{ msg }} %s x",
    "test -v": "[ -v {{ msg }} ]",
    "nested backticks in quotes": 'echo "`echo {{ msg }}`"',
    "arithmetic in quotes": 'echo "$(( {{ msg }} ))"',
    "unbalanced quote": "echo '{{ msg }}",
}

# Commands where the value stays data: in a plain word it is shell-quoted, inside the
# command's own quotes it is escaped for them. `printf '%s\0'` shows the argv bash built.
ALLOWED = {
    "plain": ("printf '%s\\0' {{ msg }}", lambda v: [v]),
    "concatenated": ("printf '%s\\0' a{{ msg }}b", lambda v: [f"a{v}b"]),
    "double quotes": ('printf \'%s\\0\' "<{{ msg }}>"', lambda v: [f"<{v}>"]),
    "single quotes": ("printf '%s\\0' '<{{ msg }}>'", lambda v: [f"<{v}>"]),
    "ansi-c quotes": ("printf '%s\\0' $'<{{ msg }}>'", lambda v: [f"<{v}>"]),
    "command substitution": ('printf \'%s\\0\' "$(printf %s {{ msg }})"',
                             lambda v: [v.rstrip("\n")]),
    "quotes inside substitution": ("""printf '%s\\0' "$(printf %s '{{ msg }}')" """,
                                   lambda v: [v.rstrip("\n")]),
    "assignment": ('X={{ msg }}; printf \'%s\\0\' "$X"', lambda v: [v]),
    "case": ("case {{ msg }} in *) printf '%s\\0' {{ msg }};; esac", lambda v: [v]),
    "jinja-made quotes": ('{% if true %}printf \'%s\\0\' "{% endif %}{{ msg }}'
                          '{% if true %}"{% endif %}', lambda v: [v]),
    "jinja expression with quotes": ("printf '%s\\0' {{ '\"' ~ msg ~ '\"' }}",
                                     lambda v: [f'"{v}"']),
    "jinja-made backticks": ("printf '%s\\0' {{ '`' }}{{ msg }}{{ '`' }}",
                             lambda v: [f"`{v}`"]),
    "filter": ("printf '%s\\0' {{ msg | replace('x', 'y') }}",
               lambda v: [v.replace("x", "y")]),
    "set block": ("{% set quoted %}'{{ msg }}'{% endset %}printf '%s\\0' {{ quoted }}",
                  lambda v: [f"'{v}'"]),
    "here-string": ("cat <<< {{ msg }} | tr -d '\\n'; printf '\\0'",
                    lambda v: [v.replace("\n", "")]),
    "after a here-document": ("cat <<EOF >/dev/null\nbody\nEOF\nprintf '%s\\0' {{ msg }}",
                              lambda v: [v]),
}


def spec(command: str, kind: str = "bash") -> str:
    return (f"name: hostile\nversion: 0.1.0\nentry_points:\n  main:\n    type: {kind}\n"
            f"    command: {json.dumps(command)}\n    parameters:\n"
            "      msg: {type: str, default: hello}\n")


def bash_argv(command: str, cwd: Path) -> list[str]:
    done = subprocess.run(["bash", "-c", command], cwd=cwd, capture_output=True,
                          stdin=subprocess.DEVNULL, timeout=30, check=True)
    return done.stdout.decode().split("\0")[:-1]


# -- every quoting context -------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(ALLOWED))
@pytest.mark.parametrize("value", HOSTILE)
def test_allowed_contexts_keep_the_value_as_data(tmp_path: Path, name: str, value: str) -> None:
    template, expected = ALLOWED[name]
    rendered = render_command(template, {"msg": value})
    assert bash_argv(rendered, tmp_path) == expected(value)
    assert not (tmp_path / "SENTINEL").exists()


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_validate_refuses_each_unsafe_context_with_its_place(
        brain: Callable[..., Result], make_project: Callable[..., Path], name: str) -> None:
    root = make_project({"onebrain.yml": spec(REFUSED[name])})
    result = brain("validate", str(root))
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert "onebrain.yml:6:14: entry_points.main.command:" in result.output
    assert "plain word" in result.output or "cannot tell" in result.output


@pytest.mark.parametrize("name", sorted(REFUSED))
@pytest.mark.parametrize("value", ["hello", *HOSTILE])
def test_run_path_refuses_on_its_own(name: str, value: str) -> None:
    # The run path does not trust that validation happened: rendering itself refuses.
    with pytest.raises(TemplateProblem):
        render_command(REFUSED[name], {"msg": value})


@pytest.mark.parametrize(("template", "expected"), [
    ("prog {{ msg }}", lambda v: ["prog", v]),
    ("prog '<{{ msg }}>'", lambda v: ["prog", f"<{v}>"]),
    ('prog "<{{ msg }}>"', lambda v: ["prog", f"<{v}>"]),
    ("prog --x={{ msg }} #{{ msg }}", lambda v: ["prog", f"--x={v}", f"#{v}"]),
])
@pytest.mark.parametrize("value", HOSTILE)
def test_shell_entries_split_each_value_into_one_argument(template: str, expected: Callable[
        [str], list[str]], value: str) -> None:
    import shlex

    assert shlex.split(render_command(template, {"msg": value}, bash=False)) == expected(value)


def test_shell_entries_refuse_an_escaped_value() -> None:
    with pytest.raises(TemplateProblem, match="after a backslash"):
        render_command("prog \\{{ msg }}", {"msg": "a b"}, bash=False)


@pytest.fixture(scope="module")
def quoting_project(tmp_path_factory: pytest.TempPathFactory, module_home: None) -> Path:
    root = write_files(tmp_path_factory.mktemp("quoting"), {"onebrain.yml": textwrap.dedent("""
        name: quoting
        version: 0.1.0
        entry_points:
          single: {type: bash, command: "echo '{{ msg }}' > out.txt", parameters: {msg: {}}}
          double: {type: bash, command: 'echo "{{ msg }}" > out.txt', parameters: {msg: {}}}
          argv:
            type: shell
            command: python -c 'import sys; open("out.txt", "w").write(sys.argv[1])' '{{ msg }}'
            parameters: {msg: {}}
        """)})
    build_environment(root)
    return root


@pytest.mark.parametrize("entry", ["single", "double", "argv"])
@pytest.mark.parametrize("value", HOSTILE[:6])
def test_brain_run_keeps_a_quoted_placeholder_literal(brain: Callable[..., Result],
                                                      quoting_project: Path, entry: str,
                                                      value: str) -> None:
    result = brain("run", str(quoting_project), "--no-setup", "-e", entry, "-P", f"msg={value}")
    assert result.exit_code == 0, result.output
    written = (quoting_project / "out.txt").read_text()
    assert written == (value if entry == "argv" else value + "\n")
    assert not (quoting_project / "SENTINEL").exists()


def test_brain_run_refuses_an_unsafe_context_before_anything_runs(
        brain: Callable[..., Result], make_project: Callable[..., Path]) -> None:
    root = make_project({"onebrain.yml": spec("touch RAN; echo `echo {{ msg }}`")})
    result = brain("run", str(root), "--no-setup", "-P", "msg=$(touch SENTINEL)")
    assert result.exit_code == 2, result.output
    assert "backticks" in result.stderr
    assert not (root / "RAN").exists() and not (root / "SENTINEL").exists()


# -- template problems are located validation errors ------------------------------------------

@pytest.mark.parametrize(("command", "words"), [
    ("echo {{ msg | nosuchfilter }}", "No filter named 'nosuchfilter'"),
    ("echo {% if msg is nosuchtest %}x{% endif %}", "No test named 'nosuchtest'"),
    ("echo {{ msg.nosuch }}", "unknown name or attribute"),
    ("echo {{ 1 // 0 }}", "ZeroDivisionError"),
    ("echo {{ msg + 1 }}", "TypeError"),
    ("echo {{ msg | int / 0 }}", "ZeroDivisionError"),
    ("echo {{ msg[99] }}", "unknown name or attribute"),
    ("echo {{ ''.__class__ }}", "unsafe template refused"),
    ("{% include 'x' %}", "cannot include"),
    ("{% extends 'x' %}", "cannot extends"),
    ("{% import 'x' as y %}", "cannot import"),
    ("{% from 'x' import y %}", "cannot from ... import"),
    ("echo {{ msg ", "syntax error"),
])
def test_every_template_problem_is_a_located_exit_2(
        brain: Callable[..., Result], make_project: Callable[..., Path], command: str,
        words: str) -> None:
    root = make_project({"onebrain.yml": spec(command)})
    result = brain("validate", str(root))
    assert result.exit_code == 2, result.output
    assert "onebrain.yml:6:14: entry_points.main.command:" in result.stderr + result.stdout
    assert words in result.output


# -- bombs: bounded memory, exit 2 -----------------------------------------------------------

BOMBS = {
    "nested loops": "{% for i in range(99999) %}{% for j in range(99999) %}x{% endfor %}"
                    "{% endfor %}",
    "silent loops": "{% for i in range(99999) %}{% for j in range(99999) %}{% endfor %}"
                    "{% endfor %}",
    "loops over text": "{% for a in 'x' * 100000 %}{% for b in 'x' * 100000 %}{% endfor %}"
                       "{% endfor %}",
    "repetition": "{{ 'x' * 10**10 }}",
    "ljust": "{{ 'x'.ljust(10**10) }}",
    "center filter": "{{ 'x' | center(10**10) }}",
    "percent format": "{{ '%0999999999d' % 1 }}",
    "format method": "{{ '{:>999999999}'.format(1) }}",
    "format filter": "{{ '%999999999s' | format(1) }}",
    "replace": "{{ ('x' * 100000).replace('x', 'x' * 100000) }}",
    "doubling joins": "{% set a = 'x' * 500000 %}{% set b = a ~ a %}{% set c = b ~ b %}{{ c }}",
    "list doubling": "{% set a = [1] * 900000 %}{{ (a + a + a) | length }}",
    "huge range": "{{ range(10**9) | list | length }}",
    "big integers": "{{ (9 ** 99) ** 99 }}",
    "macro doubling": "{% macro f(n) %}{% if n %}{{ f(n - 1) }}{{ f(n - 1) }}{% endif %}"
                      "{% endmacro %}{{ f(60) }}",
    "recursion": "{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}",
    "join": "{{ range(100000) | join('x' * 100000) }}",
    "indent": "{{ ('x\\n' * 100000) | indent(100000) }}",
}

MEMORY_LIMIT_MB = 400  # brain's own baseline is ~60 MB; a bomb that ran would need gigabytes


def measured(*args: str, cwd: Path) -> tuple[int, str, float]:
    """Run `python -m brain ARGS` under a 2 GiB address-space limit; exit code, stderr, and
    the peak resident memory (MB) of that child, from getrusage."""
    probe = textwrap.dedent("""
        import resource, subprocess, sys
        def limit():
            resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))
        done = subprocess.run([sys.executable, "-m", "brain", *sys.argv[1:]], preexec_fn=limit,
                              capture_output=True, text=True, timeout=120)
        sys.stderr.write(done.stderr)
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        print(done.returncode, peak)
    """)
    done = subprocess.run([sys.executable, "-c", probe, *args], cwd=cwd, capture_output=True,
                          text=True, timeout=180, check=True)
    code, peak = done.stdout.split()
    return int(code), done.stderr, float(peak)


@pytest.mark.parametrize("name", sorted(BOMBS))
def test_command_bombs_stop_with_exit_2_in_bounded_memory(
        make_project: Callable[..., Path], name: str) -> None:
    root = make_project({"onebrain.yml": spec(f"echo {BOMBS[name]}")})
    code, stderr, peak = measured("validate", str(root), cwd=root)
    assert code == 2, stderr
    assert "entry_points.main.command" in stderr
    assert peak < MEMORY_LIMIT_MB, f"{name}: {peak:.0f} MB"


@pytest.mark.parametrize("name", sorted(BOMBS))
def test_template_file_bombs_stop_generate_in_bounded_memory(
        user_templates: Callable[..., Path], tmp_path: Path, name: str) -> None:
    user_templates("bomb", {"onebrain.yml.jinja": MINIMAL_SPEC, "bomb.txt.jinja": BOMBS[name]})
    code, stderr, peak = measured("generate", "--no-input", "-t", "bomb", "--name", "victim",
                                  str(tmp_path / "out"), cwd=tmp_path)
    assert code == 2, stderr
    assert "bomb.txt" in stderr
    assert not (tmp_path / "out").exists()
    assert peak < MEMORY_LIMIT_MB, f"{name}: {peak:.0f} MB"


@pytest.mark.parametrize("tag", ["{% include 'onebrain.yml.jinja' %}",
                                 "{% extends 'onebrain.yml.jinja' %}",
                                 "{% import 'onebrain.yml.jinja' as x %}",
                                 "{% from 'onebrain.yml.jinja' import x %}"])
def test_generate_refuses_file_tags_with_their_line(
        brain: Callable[..., Result], user_templates: Callable[..., Path], tmp_path: Path,
        tag: str) -> None:
    user_templates("tags", {"onebrain.yml.jinja": MINIMAL_SPEC,
                            "notes.txt.jinja": f"line one\n{tag}\n"})
    result = brain("generate", "--no-input", "-t", "tags", "--name", "victim",
                   str(tmp_path / "out"), cwd=tmp_path)
    assert result.exit_code == 2, result.output
    assert "notes.txt.jinja:2:" in result.stderr and "cannot" in result.stderr
    assert not (tmp_path / "out").exists()


def test_generate_refuses_a_bomb_in_an_answer_default(
        brain: Callable[..., Result], user_templates: Callable[..., Path],
        tmp_path: Path) -> None:
    user_templates("answers", {"onebrain.yml.jinja": MINIMAL_SPEC, "{{ where }}.txt": "x\n"},
                   metadata="questions:\n  where: {type: str, default: notes}\n")
    result = brain("generate", "--no-input", "-t", "answers", "--name", "victim",
                   "--set", "where={{ 'x' * 10**10 }}", str(tmp_path / "out"), cwd=tmp_path)
    assert result.exit_code in (0, 2), result.output  # an answer is data, never rendered
    assert "Traceback" not in result.output


MINIMAL_SPEC = """\
name: {{ name }}
version: 0.1.0
entry_points:
  main:
    type: shell
    command: echo hi
"""


@pytest.fixture
def user_templates(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Path]:
    """Template folders on BRAIN_TEMPLATES_PATH: make(name, {path: text})."""
    folder = tmp_path / "user-templates"
    folder.mkdir()
    monkeypatch.setenv("BRAIN_TEMPLATES_PATH", str(folder))

    def make(name: str, files: dict[str, str], *, metadata: str = "description: test\n") -> Path:
        root = folder / name
        root.mkdir()
        (root / "template.yml").write_text(metadata)
        for relative, text in files.items():
            (root / relative).write_text(text)
        return root

    return make


# -- brain launch ------------------------------------------------------------------------------

LAUNCHED = """\
name: hostile
version: 0.1.0
entry_points:
  main:
    type: bash
    command: {command}
    parameters: {{msg: {{type: str, default: hi}}}}
"""


def test_launch_keeps_a_quoted_placeholder_literal(
        brain: Callable[..., Result], make_remote: Callable[..., Remote], tmp_path: Path) -> None:
    from brain.share.url import make_link

    sentinel = tmp_path / "SENTINEL"
    remote = make_remote({"onebrain.yml": LAUNCHED.format(command="echo 'got {{ msg }}'")})
    value = f"'; touch {sentinel}; echo '"
    url = make_link(remote.url, remote.commit, path="projects/hello", entry="main",
                    params={"msg": value}).to_url()
    result = brain("launch", url)
    assert result.exit_code == 0, result.output
    assert f"got {value}" in result.stdout
    assert not sentinel.exists()


def test_launch_refuses_an_unsafe_placeholder_before_anything_runs(
        brain: Callable[..., Result], make_remote: Callable[..., Remote], tmp_path: Path) -> None:
    from brain.share.url import make_link

    sentinel = tmp_path / "SENTINEL"
    remote = make_remote({"onebrain.yml": LAUNCHED.format(
        command=f"touch {tmp_path / 'RAN'}; echo `echo {{{{ msg }}}}`")})
    url = make_link(remote.url, remote.commit, path="projects/hello", entry="main",
                    params={"msg": f"$(touch {sentinel})"}).to_url()
    result = brain("launch", url)
    assert result.exit_code == 2, result.output
    assert "entry_points.main.command" in result.stderr and "backticks" in result.stderr
    assert not sentinel.exists() and not (tmp_path / "RAN").exists()

