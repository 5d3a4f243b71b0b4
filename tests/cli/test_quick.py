"""The click-free fast path (`brain.cli.quick`) reads every form it answers exactly as click
does, shows the same help and version, and hands everything else to click."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import click
import pytest
from hypothesis import given
from hypothesis import strategies as st

from brain import __version__
from brain.cli.app import help_text, run_cli
from brain.cli.quick import parse_run, quick_call
from brain.cli.run_commands import run
from tests.conftest import Result

ANSWERED = [
    [],
    ["-e", "main"],
    ["--entry", "fit models"],
    ["--entry=fit-models"],
    ["examples/fit-model", "-e", "fit_models", "-P", "alpha=0.7", "-P", "mode=full"],
    ["-e", "main", "--param=a=b=c", "--no-setup", "--force"],
    ["-P", "x=", "project"],
]
HANDED_TO_CLICK = [
    ["-e"],
    ["-e", "--force"],
    ["-e", "a", "-e", "b"],
    ["--json", "-e", "main"],
    ["--dry-run"],
    ["a", "b"],
    ["--help"],
    ["-emain"],
    ["--no-setup=1"],
    ["--backend", "docker"],
    ["-P"],
]


def _click_reading(args: list[str]) -> dict[str, object]:
    context = run.make_context("run", list(args))
    params = dict(context.params)
    return {"project": params["project"], "entry": params["entry"],
            "params": tuple(params["params"]), "no_setup": params["no_setup"],
            "force": params["force"]}


@pytest.mark.parametrize("args", ANSWERED)
def test_each_answered_form_reads_as_click_reads_it(args: list[str]) -> None:
    quick = parse_run(args)
    assert quick is not None
    assert quick == _click_reading(args)
    defaults = run.make_context("run", list(args)).params
    # What the fast path leaves at its defaults, click does too.
    assert (defaults["backend"], defaults["dry_run"], defaults["as_json"],
            defaults["commit_first"]) == ("venv", False, False, False)
    from brain.cli.run_flow import DEFAULT_START_TIMEOUT

    assert defaults["start_timeout"] == DEFAULT_START_TIMEOUT


@pytest.mark.parametrize("args", HANDED_TO_CLICK)
def test_other_forms_go_to_click(args: list[str]) -> None:
    assert parse_run(args) is None
    assert quick_call(["run", *args]) is None


@given(st.lists(st.sampled_from(["-e", "--entry", "-P", "--param", "--no-setup", "--force",
                                 "main", "a=1", "--entry=x", "--param=k=v", "dir", "-x", "--",
                                 "=", "-"]), max_size=7))
def test_whatever_the_fast_path_answers_click_reads_the_same(args: list[str]) -> None:
    quick = parse_run(args)
    if quick is None:
        return
    try:
        expected = _click_reading(args)
    except click.UsageError:
        pytest.fail(f"the fast path answered {args}, which click refuses")
    assert quick == expected


@pytest.mark.parametrize("argv", [["--help"], ["-h"], ["--version"]])
def test_help_and_version_match_click(argv: list[str],
                                      capsys: pytest.CaptureFixture[str]) -> None:
    from brain.cli import main

    assert quick_call(argv) is not None
    with pytest.raises(SystemExit) as leaving:
        main(argv)
    assert leaving.value.code == 0
    fast = capsys.readouterr().out
    assert run_cli(argv) == 0
    assert capsys.readouterr().out == fast
    assert fast.startswith("Usage: brain") or fast == f"brain, version {__version__}\n"
    if argv != ["--version"]:
        assert fast == help_text() + "\n"


def test_help_is_kept_and_shown_again_from_the_cache(isolated: Path) -> None:
    env = {**os.environ, "COLUMNS": "91"}
    first = subprocess.run([sys.executable, "-m", "brain", "--help"], env=env,
                           capture_output=True, text=True, check=True)
    kept = list((Path(os.environ["BRAIN_CACHE_DIR"]) / "cli-help").glob("*-91.txt"))
    assert len(kept) == 1
    second = subprocess.run([sys.executable, "-X", "importtime", "-m", "brain", "--help"],
                            env=env, capture_output=True, text=True, check=True)
    assert second.stdout == first.stdout
    assert " click" not in second.stderr  # answered from the cache, click never loaded


def test_run_through_the_fast_path_never_loads_click(
        brain: Callable[..., Result], make_project: Callable[..., Path]) -> None:
    project = make_project({"onebrain.yml": (
        "name: quick\nversion: 0.1.0\nentry_points:\n  main:\n"
        "    command: python -c \"import sys; print('click' in sys.modules)\"\n")})
    assert brain("run", str(project), "-e", "main").exit_code == 0  # environment ready
    env = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"}
    probe = subprocess.run(
        [sys.executable, "-c", "import sys\nfrom brain.cli import main\n"
         "try:\n    main(['run', sys.argv[1], '-e', 'main'])\n"
         "finally:\n    print('click loaded' if 'click' in sys.modules else 'no click',"
         " file=sys.stderr)\n", str(project)],
        env=env, capture_output=True, text=True, check=False)
    assert probe.returncode == 0, probe.stderr
    assert "no click" in probe.stderr


@pytest.mark.parametrize(("argv", "answered"), [
    (["setup-deps"], True), (["setup-deps", "project"], True),
    (["setup-deps", "--json"], False), (["setup-deps", "a", "b"], False),
    (["setup-deps", "--backend", "docker"], False), (["setup-deps", "-h"], False),
])
def test_setup_deps_fast_path_takes_only_the_bare_forms(argv: list[str], answered: bool) -> None:
    assert (quick_call(argv) is not None) is answered


def test_setup_deps_fast_path_defaults_are_clicks() -> None:
    import inspect

    from brain.cli.env_commands import setup_deps
    from brain.cli.setup_flow import set_up_environment

    clicks = setup_deps.make_context("setup-deps", []).params
    ours = {name: parameter.default
            for name, parameter in inspect.signature(set_up_environment).parameters.items()
            if name != "project"}
    assert ours == {name: clicks[name] for name in ours}


def test_setup_deps_through_the_fast_path(make_project: Callable[..., Path]) -> None:
    project = make_project({"onebrain.yml": "name: quick\nversion: 0.1.0\nentry_points:\n"
                                            "  main:\n    command: python -c pass\n"})
    env = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"}
    for expected in ("environment ready", "environment up to date"):
        done = subprocess.run([sys.executable, "-m", "brain", "setup-deps", str(project)],
                              env=env, capture_output=True, text=True, check=False)
        assert done.returncode == 0, done.stderr
        assert expected in done.stdout + done.stderr


def _imported(stderr: str) -> set[str]:
    """The modules `python -X importtime` says were imported."""
    return {line.rpartition("|")[2].strip() for line in stderr.splitlines()
            if line.startswith("import time:")}


def test_a_settled_no_op_is_answered_from_its_card_until_an_input_changes(
        make_project: Callable[..., Path], tmp_path: Path) -> None:
    from brain import settled

    project = make_project({"onebrain.yml": "name: quick\nversion: 0.1.0\nentry_points:\n"
                                            "  main:\n    command: python -c pass\n"})
    env = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"}
    env["BRAIN_CACHE_DIR"] = str(tmp_path / "cache")  # cards of this test only

    def setup(*flags: str, cwd: Path = project) -> subprocess.CompletedProcess[str]:
        done = subprocess.run([sys.executable, *flags, "-m", "brain", "setup-deps"], cwd=cwd,
                              env=env, capture_output=True, text=True, check=False)
        assert done.returncode == 0, done.stderr
        return done

    assert "environment ready" in setup().stdout
    time.sleep(settled.RACY_SECONDS + 0.2)  # what the build wrote is no longer racy
    full = setup("-X", "importtime")  # checked in full, and its answer kept
    assert "brain.envs.identity" in _imported(full.stderr)
    kept = setup("-X", "importtime")
    assert kept.stdout == full.stdout == "environment up to date: .brain/venv\n"
    assert not {"pathlib", "json", "brain.envs.identity"} & _imported(kept.stderr)
    # From a subfolder the project is found above: never answered from a card.
    (project / "src").mkdir()
    below = setup("-X", "importtime", cwd=project / "src")
    assert "brain.envs.identity" in _imported(below.stderr)
    # A changed spec is a changed input: checked in full again.
    with (project / "onebrain.yml").open("a") as spec:
        spec.write("# a comment\n")
    changed = setup("-X", "importtime")
    assert "brain.envs.identity" in _imported(changed.stderr)
    # The venv's interpreter gone: never "up to date" from a card.
    time.sleep(settled.RACY_SECONDS + 0.2)
    setup()
    assert "brain.envs.identity" not in _imported(setup("-X", "importtime").stderr)
    (project / ".brain" / "venv" / "bin" / "python").unlink()
    assert "environment ready" in setup().stdout


@pytest.mark.parametrize(("argv", "answered"), [
    (["validate"], True), (["validate", "a", "b/onebrain.yml"], True),
    (["validate", "--json"], False), (["validate", "a", "-h"], False),
])
def test_validate_fast_path_takes_only_paths(argv: list[str], answered: bool) -> None:
    assert (quick_call(argv) is not None) is answered


def test_validate_through_the_fast_path_says_what_click_says(
        brain: Callable[..., Result], make_project: Callable[..., Path]) -> None:
    good = make_project({"onebrain.yml": "name: good\nversion: 0.1.0\nentry_points:\n"
                                         "  main:\n    command: python -c pass\n"})
    bad = make_project({"onebrain.yml": "name: bad\nversion: [1]\n"})
    env = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"}
    for targets, code in (([good], 0), ([good, bad], 2)):
        args = ["validate", *map(str, targets)]
        fast = subprocess.run([sys.executable, "-m", "brain", *args], env=env,
                              capture_output=True, text=True, check=False)
        through_click = brain(*args, "--json")  # the same command, by click
        assert fast.returncode == code == through_click.exit_code
        assert "checked" in fast.stdout + fast.stderr or "ok:" in fast.stdout
        slow = subprocess.run([sys.executable, "-c", "from brain.cli.app import run_cli\n"
                               f"import sys\nsys.exit(run_cli({args!r}))"], env=env,
                              capture_output=True, text=True, check=False)
        assert (slow.returncode, slow.stdout, slow.stderr) == (
            fast.returncode, fast.stdout, fast.stderr)


def test_help_under_a_forced_width_is_not_kept_for_a_terminal(
        brain: Callable[..., Result], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # click's CliRunner forces 80 columns of text; a terminal of 80 columns gets 78.
    monkeypatch.setenv("BRAIN_CACHE_DIR", str(tmp_path / "cache"))
    assert brain("--help").exit_code == 0
    env = {**os.environ, "COLUMNS": "80"}
    shown = subprocess.run([sys.executable, "-m", "brain", "--help"], env=env,
                           capture_output=True, text=True, check=True).stdout
    rendered = subprocess.run(
        [sys.executable, "-c", "from brain.cli.app import help_text; print(help_text())"],
        env=env, capture_output=True, text=True, check=True).stdout
    assert shown == rendered


# What an environment variable can hold: no NUL, no lone surrogate (os.environ cannot encode
# one, so no user can set it).
_VALUES = st.text(st.characters(blacklist_characters="\0", blacklist_categories=("Cs",)),
                  max_size=12)


@given(cache=st.none() | _VALUES, home=st.none() | _VALUES)
def test_the_help_cache_is_where_brain_paths_puts_caches(cache: str | None,
                                                        home: str | None) -> None:
    from brain.cli.quick import cache_root
    from brain.errors import InvalidInput
    from brain.paths import cache_dir

    with pytest.MonkeyPatch.context() as patch:
        for name, value in (("BRAIN_CACHE_DIR", cache), ("BRAIN_HOME", home)):
            if value is None:
                patch.delenv(name, raising=False)
            else:
                patch.setenv(name, value)
        try:
            expected = cache_dir()
        except InvalidInput:
            with pytest.raises(InvalidInput):
                cache_root()
            return
        assert Path(cache_root()) == expected


@pytest.mark.parametrize(("argv", "answered"), [
    (["build", "--docker"], True), (["build", "--docker", "project"], True),
    (["build", "--docker", "--json"], False), (["build", "--docker", "a", "b"], False),
    (["build", "--docker", "--force"], False), (["build", "--docker", "--tag", "x"], False),
    (["build", "--wheel"], False), (["build", "project", "--docker"], False),
])
def test_build_fast_path_takes_only_the_bare_docker_forms(argv: list[str],
                                                          answered: bool) -> None:
    assert (quick_call(argv) is not None) is answered


def test_build_without_a_plan_goes_to_click(brain: Callable[..., Result],
                                            make_project: Callable[..., Path],
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    # No plan kept for this project: the full command runs (here it stops at its own check
    # of the spec, which only the full path reads).
    project = make_project({"onebrain.yml": "name: noplan\nversion: [1]\n"})
    result = brain("build", "--docker", str(project))
    assert result.exit_code == 2
    assert "version" in result.stderr
