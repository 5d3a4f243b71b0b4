"""A red-team pass through `brain generate --project` (a hostile project folder or URL to
copy from), `brain generate` options, and `brain remote add`: every hostile input is refused
(exit 2, or 3 for a fetch that fails), nothing outside the target is read or written, and no
value reaches git or ssh as an option."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.hostile.conftest import brain_process

SPEC = "name: src\nversion: 0.1.0\nentry_points: {main: {type: bash, command: echo hi}}\n"


def hostile_source(base: Path, link: str, target: str) -> Path:
    """A project to copy from holding one symlink `link` -> `target` (and a victim beside)."""
    victim = base / "victim"
    victim.mkdir(exist_ok=True)
    (victim / "keep.txt").write_text("VICTIM")
    source = base / "src"
    source.mkdir()
    (source / "onebrain.yml").write_text(SPEC)
    (source / link).parent.mkdir(parents=True, exist_ok=True)
    (source / link).symlink_to(target)
    return source


LINKS = {
    "file-to-etc-passwd": ("leak.txt", "/etc/passwd"),
    "folder-to-victim": ("vdir", "../victim"),
    "nested-to-etc": ("sub/deeper/etc", "/etc"),
    "dotdot-chain": ("data.csv", "../../../../../../etc/hostname"),
    "into-own-brain-state": ("link", "../victim/keep.txt"),
}


@pytest.mark.parametrize("name", sorted(LINKS))
def test_copying_a_project_with_an_escaping_symlink_is_refused(name: str, tmp_path: Path) -> None:
    link, target = LINKS[name]
    source = hostile_source(tmp_path, link, target)
    done = brain_process("generate", "--project", str(source), "out", "--no-input",
                         cwd=tmp_path)
    assert done.exit_code == 2, done.output
    assert "root:" not in done.output
    assert not (tmp_path / "out").exists()
    assert (tmp_path / "victim" / "keep.txt").read_text() == "VICTIM"


def test_a_copied_projects_own_brain_state_is_left_behind(tmp_path: Path) -> None:
    source = hostile_source(tmp_path, ".brain/venv", "../../victim")
    done = brain_process("generate", "--project", str(source), "out", "--no-input",
                         cwd=tmp_path)
    assert done.exit_code == 0, done.output
    assert not os.path.lexists(tmp_path / "out" / ".brain")
    assert sorted(p.name for p in (tmp_path / "victim").iterdir()) == ["keep.txt"]


SENTINEL = "PWNED-by-generate"
# Arguments after `brain generate` that must be refused without running anything.
GENERATE = {
    "project-upload-pack": ["--project", f"--upload-pack=touch {SENTINEL}", "out"],
    "project-ext-helper": ["--project", f"ext::sh -c touch% {SENTINEL}", "out"],
    "project-ext-url": ["--project", f"ext::sh -c touch {SENTINEL}://x", "out"],
    "project-fd-helper": ["--project", "fd::3", "out"],
    "project-ssh-proxy": ["--project", f"ssh://-oProxyCommand=touch {SENTINEL}/r", "out"],
    "ref-option": ["--project", "https://example.com/r.git", "--ref",
                   f"--upload-pack=touch {SENTINEL}", "out"],
    "ref-dotdot": ["--project", "https://example.com/r.git", "--ref", "a..b", "out"],
    "template-dotdot": ["-t", "../../etc", "out"],
    "template-absolute": ["-t", "/etc", "out"],
    "name-traversal": ["out", "--set", "name=../../x"],
    "name-shell": ["out", "--set", f"name=$(touch {SENTINEL})"],
    "name-bidi": ["out", "--set", "name=a\u202eb"],
}


@pytest.mark.parametrize("name", sorted(GENERATE))
def test_brain_generate_refuses_a_hostile_argument(name: str, tmp_path: Path) -> None:
    done = brain_process("generate", *GENERATE[name], "--no-input", cwd=tmp_path)
    assert done.exit_code in (2, 3), done.output
    assert "internal error" not in done.output
    assert not list(tmp_path.rglob(f"*{SENTINEL}*"))
    assert not (tmp_path / "out").exists()


def test_a_template_value_is_not_rendered_again(tmp_path: Path) -> None:
    """A --set value is data: Jinja in it is written as text, not evaluated."""
    done = brain_process("generate", "out", "--set",
                         "description={{ lipsum(100000, false, 100000, 100000) }}",
                         "--no-input", cwd=tmp_path)
    assert done.exit_code == 0, done.output
    assert "{{ lipsum(100000" in (tmp_path / "out" / "onebrain.yml").read_text()


REMOTES = ["-oProxyCommand=touch", "user@-oProxyCommand=x", "ssh://-oProxyCommand=x/p",
           "ssh://host:-1/p", "host:--rsync-path=touch", "ho st", "ssh://h/../../etc",
           "ssh://h\n-oProxyCommand=x/p", "ext::sh", "ssh://h:99999/p"]


@pytest.mark.parametrize("url", REMOTES, ids=lambda url: repr(url)[:30])
def test_brain_remote_add_refuses_an_option_like_address(url: str, tmp_path: Path) -> None:
    project = tmp_path / "rp"
    project.mkdir()
    (project / "onebrain.yml").write_text(SPEC.replace("src", "rp"))
    done = brain_process("remote", "add", "evil", "--", url, cwd=project)
    assert done.exit_code == 2, done.output
    listed = brain_process("remote", "list", cwd=project)
    assert "evil" not in listed.output
