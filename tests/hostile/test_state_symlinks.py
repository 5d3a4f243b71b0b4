"""Family 1 of the trust boundary: a repository that commits symlinks inside `.brain/` can
never make brain follow, truncate, write or delete anything outside it.

Each attack is a real git repository, cloned as a user would (or launched by link, or copied
with `brain generate --project`), whose `.brain/` points at a victim folder and a victim file
outside every project. Afterwards the victims are byte-identical and brain either refused
with its one-line fix (exit 3) or went on without touching them.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from brain.share.url import make_link
from brain.statefs import MARKER
from tests.conftest import Result
from tests.hostile.state_helpers import Victims, clone, commit_repository, git
from tests.share import conftest as share_fixtures

start_hub = share_fixtures.start_hub  # a real `brain hub` on 127.0.0.1, stopped by pid

Brain = Callable[..., Result]
REFUSAL = "brain did not create it"


@pytest.fixture
def victims(tmp_path: Path) -> Victims:
    return Victims.make(tmp_path / "outside")


@pytest.fixture(autouse=True)
def own_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A cache per test: fetched repositories and plans of this test only."""
    cache = tmp_path / "cache"
    monkeypatch.setenv("BRAIN_CACHE_DIR", str(cache))
    return cache


# What a hostile repository commits, as links to the victims ("folder" or "file"). Without
# brain's marker, brain refuses the whole `.brain/`; with a forged marker it gets further, and
# each link must still be refused where brain meets it.
UNMARKED = {
    "venv-to-folder": {".brain/venv": "folder"},
    "envs-to-folder": {".brain/envs": "folder"},
    "lock-to-file": {".brain/lock": "file"},
    "runs-to-folder": {".brain/runs": "folder"},
    "state-to-folder": {".brain": "folder"},
    "gitignore-to-file": {".brain/.gitignore": "file"},
}
FORGED = {
    "venv-to-folder": {".brain/venv": "folder"},
    "envs-to-folder": {".brain/envs": "folder"},
    "lock-to-file": {".brain/lock": "file"},
    "runs-to-folder": {".brain/runs": "folder"},
    "reports-to-folder": {".brain/reports": "folder"},
    "build-in-envs": {".brain/envs/venv-aaaaaaaaaaaa-bbbbbb": "folder"},
    "venv-to-build-link": {".brain/venv": "envs/venv-aaaaaaaaaaaa-bbbbbb",
                           ".brain/envs/venv-aaaaaaaaaaaa-bbbbbb": "folder"},
    "marker-to-file": {".brain/envs/.brain-state": "file"},
}
COMMANDS = {
    "run": ("run", "{p}", "-e", "main"),
    "setup-deps": ("setup-deps", "{p}"),
    "clean": ("clean", "{p}"),
    "clean-all": ("clean", "--all", "{p}"),
    "report-index": ("report", "index"),  # in the project's folder
}


def _links(attack: dict[str, str], victims: Victims) -> dict[str, Path | str]:
    chosen = {"folder": victims.folder, "file": victims.file}
    return {rel: chosen.get(target, target) for rel, target in attack.items()}


def _forged_markers(attack: dict[str, str]) -> dict[str, str]:
    files = {f".brain/{MARKER}": "made by brain\n"}
    if not any(rel == ".brain/envs" or rel.endswith(MARKER) for rel in attack) and any(
            rel.startswith(".brain/envs/") for rel in attack):
        files[f".brain/envs/{MARKER}"] = "made by brain\n"
    return files


def _attack(brain: Brain, tmp_path: Path, victims: Victims, links: dict[str, Path | str],
            command: tuple[str, ...], files: dict[str, str] | None = None) -> Result:
    source = tmp_path / "attacker"
    commit_repository(source, links, files)
    project = clone(source, tmp_path / "clone")
    before = victims.snapshot()
    args = [arg.format(p=project) for arg in command]
    result = brain(*args, cwd=project)
    assert victims.snapshot() == before, result.output
    assert result.exit_code != 1, result.output  # never an internal error
    return result


@pytest.mark.parametrize("command", list(COMMANDS), ids=list(COMMANDS))
@pytest.mark.parametrize("attack", list(UNMARKED), ids=list(UNMARKED))
def test_a_committed_brain_folder_is_refused_and_victims_are_untouched(
        brain: Brain, tmp_path: Path, victims: Victims, attack: str, command: str) -> None:
    result = _attack(brain, tmp_path, victims, _links(UNMARKED[attack], victims),
                     COMMANDS[command])
    assert result.exit_code == 3, result.output
    assert REFUSAL in result.stderr
    assert "Traceback" not in result.output


@pytest.mark.parametrize("command", list(COMMANDS), ids=list(COMMANDS))
@pytest.mark.parametrize("attack", list(FORGED), ids=list(FORGED))
def test_a_forged_marker_gets_no_further_than_the_first_link(
        brain: Brain, tmp_path: Path, victims: Victims, attack: str, command: str) -> None:
    links = _links(FORGED[attack], victims)
    result = _attack(brain, tmp_path, victims, links, COMMANDS[command],
                     _forged_markers(FORGED[attack]))
    # Either brain met the link and refused it, or the command did not need that path.
    assert result.exit_code in (0, 3), result.output
    if result.exit_code == 3:
        assert REFUSAL in result.stderr, result.output
    for rel in links:
        # A link stays, unless it sat inside a marked folder `brain clean` removed as a whole
        # (rmtree removes such a link itself, never what it points to).
        link = tmp_path / "clone" / rel
        assert os.path.islink(link) or not os.path.lexists(link.parent), f"{rel} was replaced"


def test_the_venv_link_attack_of_the_report_is_refused_at_run(
        brain: Brain, tmp_path: Path, victims: Victims) -> None:
    """The reported attack, as one story: `.brain/venv` pointing at a folder to empty."""
    links = _links({".brain/venv": "folder"}, victims)
    result = _attack(brain, tmp_path, victims, links, COMMANDS["run"],
                     {f".brain/{MARKER}": "forged\n"})
    assert result.exit_code == 3
    venv = tmp_path / "clone" / ".brain" / "venv"
    assert f"remove {venv}: brain did not create it" in result.stderr


def test_a_real_project_with_brain_made_state_still_works(brain: Brain, tmp_path: Path,
                                                          victims: Victims) -> None:
    """The rules cost an honest project nothing: run, re-run, clean, run again."""
    source = tmp_path / "honest"
    commit_repository(source, {})
    for _ in range(2):
        result = brain("run", str(source), "-e", "main")
        assert result.exit_code == 0, result.output
        assert result.stdout == "hello\n"
    assert (source / ".brain" / MARKER).is_file()
    assert git(source, "status", "--porcelain") == ""  # brain's state never dirties the tree
    assert brain("clean", "--all", str(source)).exit_code == 0
    assert brain("run", str(source), "-e", "main").exit_code == 0


def test_a_state_folder_from_an_older_brain_is_adopted(brain: Brain, tmp_path: Path) -> None:
    """A `.brain/` made before the marker existed (brain's own .gitignore in it) still works."""
    source = tmp_path / "older"
    commit_repository(source, {})
    (source / ".brain" / "runs" / "old-run").mkdir(parents=True)
    old_build = source / ".brain" / "envs" / "venv-aaaaaaaaaaaa-bbbbbb"
    (old_build / "bin").mkdir(parents=True)
    os.symlink("envs/venv-aaaaaaaaaaaa-bbbbbb", source / ".brain" / "venv")
    (source / ".brain" / ".gitignore").write_text("*\n")
    assert brain("run", str(source), "-e", "main").exit_code == 0
    assert (source / ".brain" / MARKER).is_file()
    assert (source / ".brain" / "runs" / MARKER).is_file()
    assert not old_build.exists()  # the old build was adopted, then replaced
    assert brain("clean", "--all", str(source)).exit_code == 0
    assert not (source / ".brain" / "runs").exists()


def test_launch_drops_the_repository_state_folder(brain: Brain, tmp_path: Path,
                                                  victims: Victims) -> None:
    """`brain launch URL` of a repository with a hostile `.brain/`: the checkout never has it,
    so the launch runs with brain's own fresh state and the victims stay whole."""
    links = _links({".brain/venv": "folder", ".brain/lock": "file", ".brain/runs": "folder",
                    "sub/.brain": "folder"}, victims)
    work = tmp_path / "attacker"
    commit = commit_repository(work, links, {f".brain/{MARKER}": "forged\n"})
    bare = tmp_path / "origin.git"
    git(tmp_path, "init", "--quiet", "--bare", str(bare))
    git(work, "push", "--quiet", str(bare), "HEAD:refs/heads/main")
    before = victims.snapshot()
    url = make_link(bare.as_uri(), commit, entry="main").to_url()
    for _ in range(2):  # the second launch reuses the cached checkout
        result = brain("launch", url)
        assert result.exit_code == 0, result.output
        assert "hello" in result.stdout
    assert victims.snapshot() == before
    from brain.share.fetch import repos_dir

    (tree,) = repos_dir().glob(f"*/trees/{commit}")
    assert not (tree / "sub" / ".brain").exists() and not (tree / "sub").exists()
    assert (tree / ".brain" / MARKER).is_file() and not (tree / ".brain" / "runs").is_symlink()
    assert os.path.realpath(tree / ".brain" / "venv").startswith(str(tree))


@pytest.mark.parametrize("from_git", [False, True], ids=["folder", "git-url"])
def test_generate_from_a_project_leaves_its_state_folder_behind(
        brain: Brain, tmp_path: Path, victims: Victims, from_git: bool) -> None:
    links = _links({".brain/venv": "folder", ".brain/lock": "file", ".brain": "folder"}, victims)
    links.pop(".brain/venv")
    links.pop(".brain/lock")
    source = tmp_path / "attacker"
    commit_repository(source, {**links, "data/.brain": victims.folder})
    before = victims.snapshot()
    target = tmp_path / "copy"
    origin = source.as_uri() if from_git else str(source)
    result = brain("generate", "--no-input", "--project", origin, str(target))
    assert result.exit_code == 0, result.output
    assert victims.snapshot() == before
    assert not os.path.lexists(target / ".brain")
    assert not os.path.lexists(target / "data" / ".brain")
    assert brain("run", str(target), "-e", "main").exit_code == 0
    assert victims.snapshot() == before


def test_a_docker_build_context_never_carries_a_state_folder(tmp_path: Path,
                                                              victims: Victims) -> None:
    """Committed `.brain` folders and links, at any depth, stay out of the image context."""
    import tarfile

    from brain.envs.build_context import build_context
    from brain.envs.dockerfile import BuildSettings
    from brain.spec.loader import load_project

    root = tmp_path / "attacker"
    commit_repository(root, {".brain": victims.folder, "sub/.brain": victims.file},
                      {"pkg/.brain/notes.txt": "state\n", "pkg/code.py": "print(1)\n"})
    context = build_context(load_project(root), BuildSettings(), brain_version="1")
    with tarfile.open(fileobj=context.tar()) as archive:
        names = {name for name in archive.getnames() if name.startswith("project/")}
    assert names == {"project/onebrain.yml", "project/pkg/code.py"}


def test_the_run_store_is_never_opened_through_a_link(brain: Brain, isolated: Path,
                                                       victims: Victims) -> None:
    os.symlink(victims.file, isolated / "brain.db")
    before = victims.snapshot()
    result = brain("runs", "list")
    assert result.exit_code == 3, result.output
    assert f"remove {isolated / 'brain.db'}: {REFUSAL}" in result.stderr
    assert victims.snapshot() == before


def test_a_linked_cache_folder_is_skipped_never_written(
        brain: Brain, tmp_path: Path, own_cache: Path, victims: Victims) -> None:
    own_cache.mkdir(parents=True)
    for name in ("plans", "specs"):
        os.symlink(victims.folder, own_cache / name)
    source = tmp_path / "honest"
    commit_repository(source, {})
    before = victims.snapshot()
    assert brain("setup-deps", str(source)).exit_code == 0  # a cache only costs speed
    assert brain("run", str(source), "-e", "main").exit_code == 0
    assert victims.snapshot() == before


def test_a_linked_repository_cache_is_refused_by_launch(
        brain: Brain, tmp_path: Path, own_cache: Path, victims: Victims) -> None:
    work = tmp_path / "project"
    commit = commit_repository(work, {})
    own_cache.mkdir(parents=True)
    os.symlink(victims.folder, own_cache / "repos")
    before = victims.snapshot()
    result = brain("launch", make_link(work.as_uri(), commit, entry="main").to_url())
    assert result.exit_code == 3, result.output
    assert REFUSAL in result.stderr
    assert victims.snapshot() == before


def test_a_hard_linked_lock_file_is_refused_not_truncated(
        brain: Brain, tmp_path: Path, victims: Victims) -> None:
    """git cannot commit a hard link, but an archive or a copy tool can make one."""
    source = tmp_path / "honest"
    commit_repository(source, {})
    assert brain("setup-deps", str(source)).exit_code == 0
    lock = source / ".brain" / "lock"
    lock.unlink()
    os.link(victims.file, lock)
    before = victims.snapshot()
    result = brain("clean", str(source))
    assert result.exit_code == 3, result.output
    assert "hard link" in result.stderr and f"remove {lock}" in result.stderr
    assert victims.snapshot() == before


@pytest.mark.parametrize("link", [".brain", "src/.brain"], ids=["folder-link", "file-link"])
def test_generate_from_a_template_folder_leaves_its_state_folder_behind(
        brain: Brain, tmp_path: Path, victims: Victims, link: str) -> None:
    import shutil

    from tests.conftest import REPO_ROOT

    template = tmp_path / "hostile-template"
    shutil.copytree(REPO_ROOT / "templates" / "basic", template)
    (template / link).parent.mkdir(exist_ok=True)
    os.symlink(victims.folder if link == ".brain" else victims.file, template / link)
    before = victims.snapshot()
    target = tmp_path / "made"
    result = brain("generate", "--no-input", "--no-git", "-t", str(template), str(target))
    if link == ".brain":  # a state folder is never copied
        assert result.exit_code == 0, result.output
    else:  # a file link leading outside the template is refused as any other would be
        assert result.exit_code == 2, result.output
        assert "points outside the template" in result.stderr
    assert victims.snapshot() == before
    assert not os.path.lexists(target / link)


def test_a_hub_launch_of_a_hostile_repository_touches_no_victim(
        start_hub: Callable[..., share_fixtures.Hub], tmp_path: Path, victims: Victims) -> None:
    """The same repository through the hub's HTTP API: one click on a link, nothing outside."""
    import httpx

    links = _links({".brain/venv": "folder", ".brain/lock": "file", ".brain/envs": "folder"},
                   victims)
    work = tmp_path / "attacker"
    commit = commit_repository(work, links, {f".brain/{MARKER}": "forged\n"})
    before = victims.snapshot()
    hub = start_hub()
    link = make_link(work.as_uri(), commit, entry="main", hub=hub.url)
    with httpx.Client(base_url=hub.url, timeout=60) as client:
        created = client.post("/api/launches", json={"link": link.to_url()})
        assert created.status_code == 202, created.text
        final = share_fixtures.wait_finished(client, created.json()["id"], timeout=120)
        assert final["status"] == "succeeded", final
        logs = client.get(f"/api/launches/{final['id']}/logs").text
    assert "hello" in logs
    assert victims.snapshot() == before
