"""Pointer files: DVC's format written and read back, and no input that makes the parser
do anything but return a pointer or refuse with a located message."""

from __future__ import annotations

import string

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from brain.data.pointer import Pointer, PointerInvalid, parse_pointer, render_pointer

MD5 = st.text(alphabet="0123456789abcdef", min_size=32, max_size=32)
NAMES = st.text(alphabet=string.ascii_letters + string.digits + "._- ", min_size=1,
                max_size=40).filter(lambda name: name.strip(" ") == name and name not in (
                    ".", "..") and not name.startswith(".."))


def test_a_dvc_3_pointer_is_read_as_dvc_writes_it() -> None:
    text = ("outs:\n- md5: 6ea46d53348e675e87743182f72de908.dir\n  size: 4\n  nfiles: 2\n"
            "  hash: md5\n  path: imgs\n")
    pointer = parse_pointer(text, "data/imgs.dvc")
    assert pointer == Pointer("imgs", "6ea46d53348e675e87743182f72de908.dir", 4, 2)
    assert pointer.is_dir and render_pointer(pointer) == text


@given(md5=MD5, folder=st.booleans(), size=st.integers(0, 1 << 50),
       nfiles=st.integers(0, 1 << 20), path=NAMES)
@settings(max_examples=100, deadline=None)
def test_a_rendered_pointer_reads_back_the_same(md5: str, folder: bool, size: int,
                                                nfiles: int, path: str) -> None:
    pointer = Pointer(path, md5 + (".dir" if folder else ""), size, nfiles if folder else None)
    text = render_pointer(pointer)
    assert parse_pointer(text, "x.dvc") == pointer
    assert yaml.safe_load(text)["outs"][0]["hash"] == "md5"  # DVC 3 reads it as md5


YAMLISH = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
        st.sampled_from(["outs", "md5", "path", "size", "nfiles", "hash", "x"]), inner,
        max_size=5),
    max_leaves=20)


@given(data=YAMLISH)
@settings(max_examples=150, deadline=None)
def test_any_yaml_is_a_pointer_or_a_located_refusal(data: object) -> None:
    text = yaml.safe_dump({"outs": [data]} if isinstance(data, dict) else data)
    try:
        pointer = parse_pointer(text, "data/x.dvc")
    except PointerInvalid as error:
        assert error.message.startswith("data/x.dvc")
    else:
        assert ".." not in pointer.path.split("/") and not pointer.path.startswith("/")


@given(text=st.text(max_size=300))
@settings(max_examples=150, deadline=None)
def test_any_text_is_a_pointer_or_a_located_refusal(text: str) -> None:
    try:
        parse_pointer(text, "data/x.dvc")
    except PointerInvalid as error:
        assert error.message.startswith("data/x.dvc")


def test_paths_leaving_the_folder_are_refused() -> None:
    for path in ("../x", "/etc/passwd", "a/../../b", "~/x", "a\\..\\b", ""):
        text = render_pointer(Pointer("x", "0" * 32)).replace("path: x", f"path: '{path}'")
        try:
            parse_pointer(text, "p.dvc")
        except PointerInvalid as error:
            assert "outs.path" in error.message
        else:
            raise AssertionError(f"{path!r} was accepted")
