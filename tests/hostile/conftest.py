"""Fixtures shared by the hostile-input tests."""

from __future__ import annotations

# The sharing entry paths (`brain launch`, the hub) are attacked with the same fixtures.
from tests.run.conftest import module_home  # noqa: F401  # fixtures
from tests.share.conftest import make_remote, start_hub  # noqa: F401  # fixtures
