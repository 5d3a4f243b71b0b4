"""The YAML layer: positions of keys and values, refused constructs, kept source text."""

from __future__ import annotations

import pytest

from brain.spec.document import MAX_NODES, Mark, YamlProblem, decode, parse


def test_values_and_keys_keep_their_positions() -> None:
    document = parse("name: demo\nentry_points:\n  fit models:\n    command: run\n")
    assert document.values[("name",)] == Mark(1, 7)
    assert document.keys[("entry_points", "fit models")] == Mark(3, 3)
    assert document.values[("entry_points", "fit models", "command")] == Mark(4, 14)
    # A path with no node of its own is placed at its nearest ancestor.
    assert document.mark(("entry_points", "fit models", "nothing", 3)) == Mark(4, 5)


def test_numbers_remember_how_they_were_written() -> None:
    document = parse("a: 3.10\nb: 0.1\nc: 007\nd: 0x1F\n")
    assert [getattr(document.data[k], "yaml_source", None) for k in "abcd"] == [
        "3.10", "0.1", "007", "0x1F"]
    assert document.data["a"] == 3.1
    assert document.data["c"] == 7  # YAML 1.2: decimal, not YAML 1.1's octal
    assert parse("d: 1_000\n").data["d"] == "1_000"  # not a number in YAML 1.2


def test_keys_are_the_text_as_written() -> None:
    document = parse("3.10: x\nnull: y\ntrue: z\n")
    assert list(document.data) == ["3.10", "null", "true"]


def test_a_duplicate_key_is_reported_and_the_first_value_kept() -> None:
    with pytest.raises(YamlProblem, match="duplicate key 'a'"):
        parse("a: 1\nb: 2\na: 3\n")
    document = parse("a: 1\nb: 2\na: 3\n", collect=True)
    assert document.data == {"a": 1, "b": 2}
    [problem] = document.problems
    assert (problem.mark, problem.path) == (Mark(3, 1), ("a",))
    assert "first defined at line 1" in problem.message


def test_refused_tags_drop_only_their_value() -> None:
    document = parse("a: !!python/object:os.system x\nb: !!set {x}\nc: fine\n", collect=True)
    assert document.data == {"a": None, "b": None, "c": "fine"}
    assert [p.path for p in document.problems] == [("a",), ("b",)]
    assert document.is_dropped(("a",)) and document.is_dropped(("b", "x"))
    assert not document.is_dropped(("c",))


def test_an_alias_bomb_stops_at_the_node_budget() -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 9)]
    with pytest.raises(YamlProblem, match="alias bomb") as raised:
        parse("\n".join(lines))
    assert str(MAX_NODES) in raised.value.message


def test_plain_aliases_still_work() -> None:
    document = parse("base: &b [x, y]\ncopy: *b\n")
    assert document.data["copy"] == ["x", "y"]


@pytest.mark.parametrize(("raw", "message", "mark"), [
    (b"a: \xff\n", r"not UTF-8 text \(byte 0xff\)", Mark(1, 4)),
    (b"a: 1\n" * 10 + b"b: \xc3\x28\n", "not UTF-8", Mark(11, 4)),
])
def test_bad_bytes_are_located(raw: bytes, message: str, mark: Mark) -> None:
    with pytest.raises(YamlProblem, match=message) as raised:
        decode(raw)
    assert raised.value.mark == mark


def test_a_byte_order_mark_is_accepted() -> None:
    assert parse(decode("\ufeffname: demo\n".encode())).data == {"name": "demo"}


@pytest.mark.parametrize(("text", "message"), [
    ("", "the file is empty"),
    ("# only a comment\n", "the file is empty"),
    ("- a\n- b\n", "got a list"),
    ("42\n", "got the single value '42'"),
    ("!!python/object:os.system {}\n", "is not allowed"),
    ("a: b\n---\nc: d\n", "more than one YAML document"),
    ("a:\n\t- b\n", "tab character"),
])
def test_unusable_documents(text: str, message: str) -> None:
    with pytest.raises(YamlProblem, match=message):
        parse(text)
