"""BuildKit's plain progress read back in the classic builder's words (no daemon needed)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from brain.envs.buildkit import classic_lines, failure_lines

SUCCESS = """\
#1 [internal] load build definition from Dockerfile
#1 transferring dockerfile: 1.2kB done
#1 DONE 0.0s
#5 [ 1/10] FROM docker.io/library/brain-base:bookworm
#5 DONE 0.0s
#6 [ 2/10] RUN python3 -m venv /opt/venv
#6 CACHED
#9 [10/10] COPY project/ /app/
#9 DONE 0.1s
#10 exporting to image
"""

FAILURE_TAIL = """\
#7 [ 3/10] RUN pip install -r requirements.txt
#7 1.203 ERROR: No matching distribution found for brain-no-such-package-xyz==0.0.1
#8 0.100 unrelated line of another step
#7 ERROR: executor failed running [/bin/sh -c pip install]: exit code: 1
------
 > [ 3/10] RUN pip install -r requirements.txt:
------
executor failed running [/bin/sh -c pip install]: exit code: 1
"""


def test_steps_and_cache_hits_read_as_the_classic_builder_says_them() -> None:
    lines = classic_lines(SUCCESS)
    assert [line for line in lines if line.startswith("Step ")] == [
        "Step 1/10 : FROM docker.io/library/brain-base:bookworm",
        "Step 2/10 : RUN python3 -m venv /opt/venv",
        "Step 10/10 : COPY project/ /app/",
    ]
    assert lines.count(" ---> Using cache") == 1


def test_a_failure_puts_the_failed_step_before_its_own_output() -> None:
    assert failure_lines(FAILURE_TAIL) == [
        "Step 3/10 : RUN pip install -r requirements.txt",
        "ERROR: No matching distribution found for brain-no-such-package-xyz==0.0.1",
    ]


def test_a_failure_before_any_step_keeps_its_lines() -> None:
    tail = "failed to solve with frontend dockerfile.v0: pull access denied\n"
    assert failure_lines(tail) == ["failed to solve with frontend dockerfile.v0: "
                                   "pull access denied"]


@given(st.text())
def test_any_output_reads_without_error(text: str) -> None:
    lines = classic_lines(text)
    assert len(lines) <= len(text.splitlines())
    assert all(line.strip() for line in lines)  # blank lines and bare markers dropped
    failed = failure_lines(text)
    assert len(failed) <= len(text.splitlines())
