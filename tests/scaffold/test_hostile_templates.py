"""Templates written by someone else: they never write outside the target, never escape the
sandbox, never run hooks without --trust, and a failure leaves everything as it was."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from .helpers import MINIMAL_SPEC, git, snapshot


def _generate(brain, tmp_path: Path, template: str, *extra: str):  # type: ignore[no-untyped-def]
    return brain("generate", "--no-input", "-t", template, "--name", "victim",
                 str(tmp_path / "out"), *extra, cwd=tmp_path)


def _refused(result, before: dict[str, str], tmp_path: Path, *words: str) -> None:  # type: ignore[no-untyped-def]
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    for word in words:
        assert word in result.stderr, result.stderr
    assert snapshot(tmp_path) == before  # nothing written anywhere, target included


@pytest.mark.parametrize(("value", "why"), [
    ("../x", "'..'"),
    ("/etc/x", "absolute"),
    ("", "empty"),
    ("a//b", "empty segment"),
    ("./x", "'.'"),
    (".git/hooks/post-commit", ".git"),
    ("a\\\\..\\\\x", "backslash"),
])
def test_file_names_rendering_outside_are_refused(brain, user_templates, tmp_path: Path,
                                                  value: str, why: str) -> None:
    user_templates("evil", {"onebrain.yml.jinja": MINIMAL_SPEC, "{{ where }}": "pwned\n"},
                   metadata=f"questions:\n  where: {{type: str, default: \"{value}\"}}\n")
    before = snapshot(tmp_path)
    _refused(_generate(brain, tmp_path, "evil"), before, tmp_path, "unsafe path", why)
    assert not Path("/etc/x").exists()


def test_folder_names_rendering_outside_are_refused(brain, user_templates,
                                                    tmp_path: Path) -> None:
    user_templates("evil", {"onebrain.yml.jinja": MINIMAL_SPEC,
                            "{{ '..' }}/escaped.txt": "pwned\n"})
    before = snapshot(tmp_path)
    _refused(_generate(brain, tmp_path, "evil"), before, tmp_path, "unsafe path")


def test_answers_cannot_smuggle_a_path(brain, user_templates, tmp_path: Path) -> None:
    user_templates("evil", {"onebrain.yml.jinja": MINIMAL_SPEC, "{{ where }}.txt": "x\n"},
                   metadata="questions:\n  where: {type: str, default: notes}\n")
    before = snapshot(tmp_path)
    _refused(_generate(brain, tmp_path, "evil", "--set", "where=../../stolen"), before,
             tmp_path, "unsafe path")


@pytest.mark.parametrize("kind", ["file", "folder"])
def test_symlinks_pointing_outside_are_refused(brain, user_templates, tmp_path: Path,
                                               kind: str) -> None:
    secret = tmp_path / "secret"
    secret.mkdir()
    (secret / "key.txt").write_text("do not copy\n")
    root = user_templates("evil", {"onebrain.yml.jinja": MINIMAL_SPEC})
    (root / "link").symlink_to(secret / "key.txt" if kind == "file" else secret)
    before = snapshot(tmp_path)
    _refused(_generate(brain, tmp_path, "evil"), before, tmp_path, "symlink link points outside")


def test_relative_symlink_climbing_out_is_refused(brain, user_templates, tmp_path: Path) -> None:
    root = user_templates("evil", {"onebrain.yml.jinja": MINIMAL_SPEC})
    (root / "sub").mkdir()
    (root / "sub" / "up").symlink_to("../../../..")
    before = snapshot(tmp_path)
    _refused(_generate(brain, tmp_path, "evil"), before, tmp_path, "points outside")


def test_symlinks_inside_the_template_are_kept(brain, user_templates, tmp_path: Path) -> None:
    root = user_templates("linked", {"onebrain.yml.jinja": MINIMAL_SPEC,
                                     "data/real.csv": "a,b\n"})
    (root / "latest.csv").symlink_to("data/real.csv")
    (root / "everything").symlink_to(root / "data")  # absolute, but inside
    result = _generate(brain, tmp_path, "linked")
    assert result.exit_code == 0, result.output
    out = tmp_path / "out"
    assert os.readlink(out / "latest.csv") == "data/real.csv"
    assert os.readlink(out / "everything") == "data"
    assert (out / "latest.csv").read_text() == "a,b\n"


@pytest.mark.parametrize("payload", [
    "{{ ''.__class__.__mro__ }}",
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ cycler.__init__.__globals__ }}",
    "{{ self.__init__.__globals__ }}",
    "{{ lipsum.__globals__['os'].popen('id').read() }}",
    "{{ name.__class__.__base__.__subclasses__() }}",
    "{{ name | attr('__class__') }}",
    "{{ config.items() }}",
    "{{ request.application.__globals__ }}",
    "{% include '/etc/passwd' %}",
    "{% import 'os' as os %}",
    "{{ 'x' * 100000000 }}",
    "{{ 9 ** 999999 }}",
    "{% for i in range(100000000) %}x{% endfor %}",
    "{{ unclosed",
    "{{ '{0.__class__.__mro__}'.format(name) }}",
    "{{ '{x.__class__}'.format_map({'x': name}) }}",
    "{% set ns = namespace(a=1) %}{{ ns }}",
    "{{ dict.mro() }}",
    "{{ range.__globals__ }}",
])
def test_sandbox_escape_payloads_fail_cleanly(brain, user_templates, tmp_path: Path,
                                              payload: str) -> None:
    user_templates("evil", {"onebrain.yml.jinja": MINIMAL_SPEC, "README.md.jinja": payload})
    before = snapshot(tmp_path)
    result = _generate(brain, tmp_path, "evil")
    _refused(result, before, tmp_path, "README.md.jinja")
    assert "root:" not in result.output and "uid=" not in result.output


def test_sandbox_payload_in_a_path_name(brain, user_templates, tmp_path: Path) -> None:
    user_templates("evil", {"onebrain.yml.jinja": MINIMAL_SPEC,
                            "{{ ''.__class__.__mro__ }}.txt": "x"})
    before = snapshot(tmp_path)
    _refused(_generate(brain, tmp_path, "evil"), before, tmp_path, "unsafe template refused")


def test_hooks_do_not_run_without_trust(brain, user_templates, tmp_path: Path) -> None:
    marker = tmp_path / "hook-ran"
    user_templates("hooked", {"onebrain.yml.jinja": MINIMAL_SPEC},
                   metadata=f"hooks:\n  - [touch, {marker}]\n  - [touch, made-by-hook]\n")
    result = _generate(brain, tmp_path, "hooked")
    assert result.exit_code == 0, result.output
    assert not marker.exists()
    assert not (tmp_path / "out" / "made-by-hook").exists()
    assert "2 template hook(s) not run (pass --trust" in result.stderr
    assert f"touch {marker}" in result.stderr


def test_hooks_run_with_trust_after_being_shown(brain, user_templates, tmp_path: Path) -> None:
    user_templates("hooked", {"onebrain.yml.jinja": MINIMAL_SPEC},
                   metadata="hooks:\n  - [touch, '{{ package }}.flag']\n")
    result = _generate(brain, tmp_path, "hooked", "--trust")
    assert result.exit_code == 0, result.output
    assert "will run 1 hook(s)" in result.stderr and "$ touch victim.flag" in result.stderr
    assert (tmp_path / "out" / "victim.flag").is_file()
    assert "victim.flag" in git("ls-files", cwd=tmp_path / "out")  # in the first commit


def test_a_failing_trusted_hook_writes_nothing(brain, user_templates, tmp_path: Path) -> None:
    user_templates("hooked", {"onebrain.yml.jinja": MINIMAL_SPEC},
                   metadata="hooks:\n  - [sh, -c, 'echo boom >&2; exit 7']\n")
    before = snapshot(tmp_path)
    result = _generate(brain, tmp_path, "hooked", "--trust")
    assert result.exit_code == 3, result.output
    assert "boom" in result.stderr and "exit 7" in result.stderr
    assert snapshot(tmp_path) == before


def test_a_template_producing_an_invalid_spec_writes_nothing(brain, user_templates,
                                                             tmp_path: Path) -> None:
    user_templates("bad", {"onebrain.yml.jinja": "name: {{ name }}\nversion: 0.1.0\nbogus: 1\n"})
    before = snapshot(tmp_path)
    result = _generate(brain, tmp_path, "bad")
    _refused(result, before, tmp_path, "produced an invalid onebrain.yml", "bogus")


def test_unknown_template_and_bad_metadata(brain, user_templates, tmp_path: Path) -> None:
    result = brain("generate", "--no-input", "-t", "basci", "--name", "x", cwd=tmp_path)
    assert result.exit_code == 2 and "did you mean 'basic'" in result.stderr
    user_templates("odd", {}, metadata="questions:\n  name: {type: str}\n")
    result = brain("generate", "--no-input", "-t", "odd", "--name", "x", cwd=tmp_path)
    assert result.exit_code == 2 and "may not be named name" in result.stderr
    assert not (tmp_path / "x").exists()


def test_non_empty_target_is_refused_without_force(brain, tmp_path: Path) -> None:
    target = tmp_path / "out"
    target.mkdir()
    (target / "notes.txt").write_text("mine\n")
    before = snapshot(tmp_path)
    result = brain("generate", "--no-input", "--name", "victim", str(target))
    _refused(result, before, tmp_path, "not empty", )
    assert "--force" in result.stderr


def test_force_adds_files_and_keeps_the_others(brain, tmp_path: Path) -> None:
    target = tmp_path / "out"
    target.mkdir()
    (target / "notes.txt").write_text("mine\n")
    (target / "README.md").write_text("old readme\n")
    result = brain("generate", "--no-input", "--name", "victim", "--force", str(target))
    assert result.exit_code == 0, result.output
    assert (target / "notes.txt").read_text() == "mine\n"
    assert (target / "README.md").read_text().startswith("# victim")
    assert "replaced" in result.stdout and "README.md" in result.stdout
    assert (target / "onebrain.yml").is_file()
    assert set(os.listdir(tmp_path)) == {"out"}  # no staging or backup folder left behind
    committed = git("ls-files", cwd=target).splitlines()
    assert "onebrain.yml" in committed and "README.md" in committed
    assert "notes.txt" not in committed  # the user's own files are not committed for them


def test_force_never_writes_through_a_symlink_in_the_target(brain, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    target = tmp_path / "out"
    target.mkdir()
    (target / "src").symlink_to(elsewhere)
    before = snapshot(tmp_path)
    result = brain("generate", "--no-input", "--name", "victim", "--force", str(target))
    _refused(result, before, tmp_path, "symlink in the target")
    assert list(elsewhere.iterdir()) == []


def test_force_with_a_failing_template_leaves_the_target_untouched(
        brain, user_templates, tmp_path: Path) -> None:
    user_templates("evil", {"onebrain.yml.jinja": MINIMAL_SPEC, "a.txt": "a",
                            "z.txt.jinja": "{{ ''.__class__ }}"})
    target = tmp_path / "out"
    target.mkdir()
    (target / "a.txt").write_text("keep me")
    before = snapshot(tmp_path)
    _refused(_generate(brain, tmp_path, "evil", "--force"), before, tmp_path, "unsafe")


def test_target_that_is_a_file(brain, tmp_path: Path) -> None:
    (tmp_path / "out").write_text("x")
    before = snapshot(tmp_path)
    result = brain("generate", "--no-input", "--name", "victim", str(tmp_path / "out"))
    _refused(result, before, tmp_path, "is a file")


def test_interrupted_generation_leaves_nothing(user_templates, tmp_path: Path) -> None:
    import signal
    import subprocess
    import sys
    import time

    started = tmp_path / "hook-started"
    user_templates("slow", {"onebrain.yml.jinja": MINIMAL_SPEC},
                   metadata=f"hooks:\n  - [sh, -c, 'touch {started}; exec sleep 60']\n")
    work = tmp_path / "work"
    work.mkdir()
    process = subprocess.Popen(  # the real CLI, so a real SIGINT can reach it
        [sys.executable, "-m", "brain", "generate", "--no-input", "-t", "slow", "--name", "x",
         "--trust", str(work / "out")], env=dict(os.environ), stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 30
    while not started.exists():
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert len(os.listdir(work)) == 1  # the staging folder, beside the target
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=30) == 130
    assert os.listdir(work) == []


@pytest.mark.parametrize(("metadata", "words"), [
    ("helpers: {'../escaped.R': brain.R}\n", ("unsafe path", "'..'")),
    ("helpers: {'/tmp/x.R': brain.R}\n", ("unsafe path", "absolute")),
    ("helpers: {'.git/hooks/post-commit': brain.R}\n", ("unsafe path", ".git")),
    ("helpers: {'x.R': ../../etc/passwd}\n", ("template.yml",)),
    ("helpers: {'onebrain.yml': brain.R}\n", ("both become onebrain.yml",)),
])
def test_a_template_asks_only_for_brains_helpers_inside_the_project(
        brain, user_templates, tmp_path: Path, metadata: str, words: tuple[str, ...]) -> None:
    user_templates("evil", {"onebrain.yml.jinja": MINIMAL_SPEC}, metadata=metadata)
    before = snapshot(tmp_path)
    _refused(_generate(brain, tmp_path, "evil"), before, tmp_path, *words)


def test_a_helper_is_written_where_the_template_asks(brain, user_templates,
                                                     tmp_path: Path) -> None:
    user_templates("helped", {"onebrain.yml.jinja": MINIMAL_SPEC},
                   metadata="helpers: {'lib/brain.R': brain.R}\n")
    result = _generate(brain, tmp_path, "helped")
    assert result.exit_code == 0, result.output
    assert "brain_params" in (tmp_path / "out" / "lib" / "brain.R").read_text()
    assert "lib/brain.R" in git("ls-files", cwd=tmp_path / "out")
