"""The shared material beside the project (../shared: the mail corpus, the seeds). A developer
without it gets a skip with the reason; under CI=true it must be there, so its absence fails."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[2] / "shared"


def shared_path(*parts: str) -> Path:
    """`../shared/<parts>`, or a skip (a failure under CI=true) saying it is not there."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        reason = f"{path} not found (the shared folder beside the project)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason}; CI=true: the tests that need it must run", pytrace=False)
        pytest.skip(reason, allow_module_level=True)
    return path
