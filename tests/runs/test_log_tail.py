"""Reading the end of a run's log files."""

from __future__ import annotations

from brain.runs.record import tail_lines


def test_last_lines_of_a_large_log(tmp_path):
    log = tmp_path / "out.log"
    log.write_text("".join(f"line {n}\n" for n in range(200_000)))
    assert tail_lines(log, 3) == ["line 199997", "line 199998", "line 199999"]
    assert tail_lines(str(log), 1) == ["line 199999"]


def test_short_logs_long_lines_and_no_final_newline(tmp_path):
    log = tmp_path / "out.log"
    log.write_text("one\ntwo")
    assert tail_lines(log, 10) == ["one", "two"]
    log.write_text("x" * 200_000 + "\nend\n")
    assert tail_lines(log, 2) == ["x" * 200_000, "end"]


def test_empty_missing_binary_and_zero(tmp_path):
    log = tmp_path / "out.log"
    log.write_bytes(b"")
    assert tail_lines(log, 5) == []
    assert tail_lines(tmp_path / "missing.log", 5) is None
    assert tail_lines(None, 5) is None
    assert tail_lines(tmp_path, 5) is None  # a folder where a log should be
    log.write_bytes(b"ok\n\xff\xfe broken utf-8\n")
    assert tail_lines(log, 1) == ["\ufffd\ufffd broken utf-8"]
    assert tail_lines(log, 0) == []
