"""Reading input is bounded and contained: a spec, workspace file or template file that is a
FIFO, a device, a huge file or a symlink out of its folder is refused quickly, with bounded
memory, and no byte of a file that is not a spec ever reaches an output."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import Result
from tests.hostile.conftest import SENTINEL, brain_process
from tests.share.conftest import Hub, Remote, git

SPEC = "name: fine\nversion: 0.1.0\nentry_points:\n  main: {command: echo hi}\n"
# Peak memory allowed for a refused read: brain's own start-up is well under this, while
# reading /dev/zero or a 3 GB file whole would be far above it.
MEMORY_BOUND_KIB = 400 * 1024


@pytest.fixture
def victim(tmp_path: Path) -> Path:
    """A host file with a secret: its text must never be shown."""
    path = tmp_path / "victim" / "secret.txt"
    path.parent.mkdir()
    path.write_text(f"{SENTINEL} host password\n")  # one scalar: YAML would quote it
    return path


def _spec_link(tmp_path: Path, target: str | Path) -> Path:
    project = tmp_path / "project"
    project.mkdir(exist_ok=True)
    (project / "main.py").write_text("print('hi')\n")
    (project / "onebrain.yml").symlink_to(target)
    return project


@pytest.mark.timeout(120)
@pytest.mark.parametrize("target", ["/dev/zero", "/dev/urandom"])
def test_spec_linked_to_an_endless_device_is_refused_with_bounded_memory(
        tmp_path: Path, target: str) -> None:
    project = _spec_link(tmp_path, target)
    for args in (["validate", str(project)], ["info", str(project)],
                 ["run", str(project), "--no-setup"], ["validate", target]):
        done = brain_process(*args)
        assert done.exit_code == 2, done.output
        assert done.max_rss_kib < MEMORY_BOUND_KIB, (args, done.max_rss_kib)
        assert "Traceback" not in done.output


@pytest.mark.timeout(120)
def test_spec_that_is_a_fifo_does_not_hang(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    os.mkfifo(project / "onebrain.yml")
    workspace_child = tmp_path / "tree" / "a"
    workspace_child.mkdir(parents=True)
    os.mkfifo(workspace_child / "onebrain.yml")
    for args, where in ((["validate", str(project)], None), (["info", str(project)], None),
                        (["run", str(project), "--no-setup"], None),
                        (["validate", str(tmp_path / "tree")], None),
                        (["list"], tmp_path / "tree")):
        done = brain_process(*args, cwd=where)
        # `brain list` lists the valid projects and warns about the others
        assert done.exit_code == (0 if args == ["list"] else 2), (args, done.output)
        assert "FIFO" in done.output, done.output


@pytest.mark.timeout(120)
def test_huge_sparse_spec_is_refused_without_reading_it(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    with (project / "onebrain.yml").open("wb") as stream:
        stream.truncate(3 * 1024**3)  # 3 GB of zeros, no disk used
    done = brain_process("validate", str(project))
    assert done.exit_code == 2
    assert "larger than 2000000 bytes" in done.output
    assert done.max_rss_kib < MEMORY_BOUND_KIB


@pytest.mark.parametrize("relative", [False, True])
def test_spec_linked_to_a_host_file_never_shows_it(
        brain: Callable[..., Result], tmp_path: Path, victim: Path, relative: bool) -> None:
    target = os.path.relpath(victim, tmp_path / "project") if relative else victim
    project = _spec_link(tmp_path, target)
    for args in (["validate", str(project)], ["validate", "--json", str(project)],
                 ["info", str(project)], ["run", str(project), "--no-setup"],
                 ["validate", str(project / "onebrain.yml")],
                 ["generate", "--project", str(project), str(tmp_path / "copy")]):
        result = brain(*args, cwd=tmp_path)
        assert result.exit_code == 2, (args, result.output)
        assert SENTINEL not in result.output and "root:x" not in result.output, args
        assert "symlink to a file outside" in result.output, (args, result.output)
    listed = brain("list", cwd=project)
    assert SENTINEL not in listed.output


def test_spec_linked_inside_its_project_is_read(brain: Callable[..., Result],
                                                tmp_path: Path) -> None:
    project = tmp_path / "project"
    (project / "specs").mkdir(parents=True)
    (project / "specs" / "real.yml").write_text(SPEC)
    (project / "onebrain.yml").symlink_to("specs/real.yml")
    assert brain("validate", str(project)).exit_code == 0


def test_workspace_file_linked_to_a_host_file_never_shows_it(
        brain: Callable[..., Result], tmp_path: Path, victim: Path) -> None:
    root = tmp_path / "mono"
    (root / "p").mkdir(parents=True)
    (root / "p" / "onebrain.yml").write_text(SPEC)
    (root / "brain-workspace.yml").symlink_to(victim)
    result = brain("list", cwd=root)
    assert result.exit_code == 2
    assert SENTINEL not in result.output


def test_template_settings_linked_to_a_host_file_never_show_it(
        brain: Callable[..., Result], tmp_path: Path, victim: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    template = tmp_path / "templates" / "evil"
    template.mkdir(parents=True)
    (template / "template.yml").symlink_to(victim)
    (template / "onebrain.yml.jinja").write_text("name: {{ name }}\nversion: 0.1.0\n")
    monkeypatch.setenv("BRAIN_TEMPLATES_PATH", str(tmp_path / "templates"))
    for args in (["templates"], ["generate", "--template", str(template), "--name", "x",
                                 str(tmp_path / "new")]):
        result = brain(*args, cwd=tmp_path)
        assert SENTINEL not in result.output, args
    assert not (tmp_path / "new").exists()


@pytest.mark.timeout(120)
def test_template_file_swapped_for_a_fifo_is_never_read(tmp_path: Path) -> None:
    """A FIFO among a template's files is left out (never opened), not waited on."""
    template = tmp_path / "tpl"
    template.mkdir()
    (template / "template.yml").write_text("description: t\n")
    (template / "onebrain.yml.jinja").write_text(
        "name: {{ name }}\nversion: 0.1.0\nentry_points:\n  main: {command: echo hi}\n")
    os.mkfifo(template / "pipe.txt")
    done = brain_process("generate", "--template", str(template), "--name", "made",
                         "--no-git", str(tmp_path / "made"))
    assert done.exit_code in (0, 2), done.output
    assert not (tmp_path / "made" / "pipe.txt").exists()


def test_bounded_reader_refuses_every_non_regular_kind(tmp_path: Path) -> None:
    from brain.inputfs import InputRefused, read_input

    os.mkfifo(tmp_path / "fifo")
    (tmp_path / "dir").mkdir()
    (tmp_path / "big").write_bytes(b"x" * 101)
    (tmp_path / "ok").write_bytes(b"x" * 100)
    (tmp_path / "out").symlink_to("/etc/hostname")
    for name, why in (("fifo", "a FIFO"), ("dir", "a folder"), ("big", "larger than 100"),
                      ("out", "outside")):
        with pytest.raises(InputRefused, match=why):
            read_input(tmp_path / name, root=tmp_path, cap=100)
    with pytest.raises(InputRefused, match="a device"):
        read_input(Path("/dev/zero"), root=Path("/dev"), cap=100)
    assert read_input(tmp_path / "ok", root=tmp_path, cap=100) == b"x" * 100


# -- through `brain launch` and the hub: a repository whose onebrain.yml links to a host file



def _linked_remote(make_remote: Callable[..., Remote], victim: Path) -> tuple[Remote, str]:
    remote = make_remote({"main.py": "print('hi')\n"}, push=False)
    (remote.project / "onebrain.yml").symlink_to(victim)
    git(remote.work, "add", "-A")
    git(remote.work, "commit", "-qm", "spec")
    git(remote.work, "push", "-q", "-u", "origin", "main")
    return remote, git(remote.work, "rev-parse", "HEAD")


def test_launch_of_a_spec_linked_to_a_host_file_never_shows_it(
        brain: Callable[..., Result], make_remote: Callable[..., Remote],
        victim: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from brain.share.url import make_link

    monkeypatch.setenv("BRAIN_CACHE_DIR", str(tmp_path / "cache"))

    remote, commit = _linked_remote(make_remote, victim)
    result = brain("launch", make_link(remote.url, commit, path="projects/hello").to_url())
    assert result.exit_code == 2, result.output
    assert SENTINEL not in result.output and "root:x" not in result.output


def test_hub_of_a_spec_linked_to_a_host_file_never_shows_it(
        start_hub: Callable[..., Hub], make_remote: Callable[..., Remote],
        victim: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import httpx

    monkeypatch.setenv("BRAIN_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("BRAIN_HUB_SECRET", raising=False)

    from brain.share.url import make_link

    remote, commit = _linked_remote(make_remote, victim)
    hub = start_hub()
    link = make_link(remote.url, commit, path="projects/hello", hub=hub.url).to_url()
    with httpx.Client(base_url=hub.url, timeout=60) as client:
        api = client.post("/api/launches", json={"link": link})
        page = client.get(link)
    assert api.status_code == 400, api.text
    for text in (api.text, page.text, hub.output()):
        assert SENTINEL not in text and "root:x" not in text


# -- the spec loader, property-based: whatever the bytes, a list of problems or a project


_YAML_PIECES = st.sampled_from([
    "name: x\n", "version: 1.10\n", "entry_points:\n", "  main:\n", "    command: echo {{ a }}\n",
    "    parameters:\n", "      a: {type: str, default: NO}\n",
    "      b: {type: path, default: -x}\n",
    "  \"a\\u202eb\": {command: echo}\n", "env:\n  variables: {TZ: on, X: ~}\n", "- item\n",
    "&a [*a]\n", "!!python/object:os.system x\n", "key: [[[[[\n", "\t\n", "'unterminated\n",
    "description: 2024-13-45\n", "hardware: {memory: 0x1F}\n", ": : :\n", "---\n", "...\n",
    "tags: [yes, no, 1e5, .inf, 0o17, 1_000, 12:30]\n", "\x00\x1b[2J\n", "\ufeff",
])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(content=st.one_of(st.binary(max_size=400), st.text(max_size=300),
                         st.lists(_YAML_PIECES, max_size=12).map("".join)))
def test_no_spec_content_makes_the_loader_fail_unexpectedly(tmp_path: Path,
                                                            content: bytes | str) -> None:
    from brain.spec.loader import problems_for

    spec = tmp_path / "onebrain.yml"
    spec.write_bytes(content.encode("utf-8", "surrogatepass") if isinstance(content, str)
                     else content)
    problems, project = problems_for(spec)  # any exception here is a crash (exit 1)
    assert (project is None) == bool(problems)
    for problem in problems:
        assert problem.message


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.function_scoped_fixture])
@given(content=st.lists(_YAML_PIECES, max_size=12).map("".join))
def test_no_spec_content_makes_validate_exit_1(brain: Callable[..., Result], tmp_path: Path,
                                               content: str) -> None:
    (tmp_path / "onebrain.yml").write_text(content, encoding="utf-8", errors="surrogatepass")
    result = brain("validate", str(tmp_path))
    assert result.exit_code in (0, 2), result.output
    assert "Traceback" not in result.output
