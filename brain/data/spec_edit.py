"""`brain data add`'s edits of the project's text files: the spec and `.gitignore`.

The spec is edited as text (one line inserted where the YAML marks say) so comments and
layout stay as the user wrote them; the result is validated before it replaces the file,
and a layout brain cannot edit safely (flow style) is left alone with the line to add.
"""

from __future__ import annotations

from pathlib import Path

from brain.errors import InvalidInput


def declare_dataset(spec_file: Path, name: str, path: str, remote: str | None) -> bool:
    """Add `name: {path, remote}` under `data.datasets` in `spec_file`; False when it is
    already declared with that path."""
    from brain.inputfs import read_spec_bytes
    from brain.spec.document import decode, parse
    from brain.statefs import write_atomic

    text = decode(read_spec_bytes(spec_file))
    document = parse(text)
    data = document.data.get("data") if isinstance(document.data, dict) else None
    datasets = data.get("datasets") if isinstance(data, dict) else None
    if isinstance(datasets, dict) and name in datasets:
        declared = datasets[name]
        declared_path = declared if isinstance(declared, str) else (
            declared.get("path") if isinstance(declared, dict) else None)
        if declared_path == path:
            return False
        raise InvalidInput(f"a dataset named {name!r} is already declared for "
                           f"{declared_path!r}", hint="pass another --name")
    value = f"{{path: {_quoted(path)}" + (f", remote: {_quoted(remote)}" if remote else "") + "}"
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    if data is None:
        lines += ["data:\n", "  datasets:\n", f"    {_quoted(name)}: {value}\n"]
    elif isinstance(datasets, dict) and datasets:
        first = document.keys.get(("data", "datasets", next(iter(datasets))))
        _insert(lines, first, f"{_quoted(name)}: {value}\n", spec_file)
    elif isinstance(data, dict) and data and datasets is None:
        first = document.keys.get(("data", next(iter(data))))
        _insert(lines, first, f"datasets:\n{' ' * _column(first)}  {_quoted(name)}: {value}\n",
                spec_file)
    else:
        raise _cannot_edit(spec_file, name, value)
    edited = "".join(lines)
    _check(edited, spec_file, name, value)
    write_atomic(spec_file, edited)
    return True


def _column(mark: object) -> int:
    return int(getattr(mark, "column", 1)) - 1


def _insert(lines: list[str], mark: object, text: str, spec_file: Path) -> None:
    """Insert `text` before the line of `mark`, at its indentation (block style only)."""
    line = int(getattr(mark, "line", 0)) - 1
    indent = _column(mark)
    if mark is None or line < 0 or line >= len(lines) or lines[line][:indent].strip():
        raise _cannot_edit(spec_file, *text.split(": ", 1))
    lines.insert(line, " " * indent + text)


def _quoted(text: str) -> str:
    import json

    return text if text.replace("/", "").replace("_", "").replace("-", "").replace(
        ".", "").isalnum() and not text[0].isdigit() else json.dumps(text)


def _cannot_edit(spec_file: Path, name: str, value: str) -> InvalidInput:
    return InvalidInput(f"{spec_file.name}: brain cannot add the dataset to this layout of "
                        "`data:` without rewriting it",
                        hint=f"add `{name}: {value.strip()}` under data.datasets yourself")


def _check(text: str, spec_file: Path, name: str, value: str) -> None:
    from brain.spec.document import parse
    from brain.spec.loader import check_document

    problems, spec = check_document(parse(text))
    if spec is None or name not in spec.data.datasets:
        detail = problems[0].message if problems else "the dataset did not appear"
        raise InvalidInput(f"{spec_file.name}: adding the dataset would make the spec "
                           f"invalid ({detail})",
                           hint=f"add `{name}: {value}` under data.datasets yourself")


def ignore_in_git(dataset: Path) -> bool:
    """Add `/<name>` to the `.gitignore` beside `dataset` (as DVC does); False when there."""
    from brain.statefs import write_atomic

    ignore = dataset.parent / ".gitignore"
    entry = f"/{dataset.name}"
    if ignore.is_symlink():
        raise InvalidInput(f"{ignore} is a symlink; brain does not write through it")
    text = ignore.read_text(encoding="utf-8") if ignore.exists() else ""
    if entry in text.splitlines():
        return False
    if text and not text.endswith("\n"):
        text += "\n"
    write_atomic(ignore, text + entry + "\n")
    return True
