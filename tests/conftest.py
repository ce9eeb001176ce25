"""Suite-wide fixtures: scaled timeouts, thread-leak check, fixture location."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest

#: Multiply every test timeout by EXWIRE_TEST_TIMEOUT_SCALE on slow machines.
SCALE = float(os.environ.get("EXWIRE_TEST_TIMEOUT_SCALE", "1"))
REPO_ROOT = Path(__file__).resolve().parent.parent
FIXTURES = REPO_ROOT.parent / "shared" / "fixtures"


def timeout(seconds: float) -> float:
    """A test timeout scaled for the machine."""
    return seconds * SCALE


def fixture_path(*parts: str) -> Path:
    """A path in ../shared/fixtures, or skip the test with the reason."""
    path = FIXTURES.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"capture {path} is absent (shared/fixtures is not beside the repository)")
    return path


def _exwire_threads() -> set[threading.Thread]:
    return {t for t in threading.enumerate() if t.name.startswith("exwire-") and t.is_alive()}


@pytest.fixture(autouse=True)
def no_thread_left_behind():
    """Fail any test that leaves an ``exwire-*`` thread running."""
    before = _exwire_threads()
    yield
    deadline = time.monotonic() + timeout(5)
    leaked = _exwire_threads() - before
    while leaked and time.monotonic() < deadline:
        for thread in leaked:
            thread.join(max(0.0, deadline - time.monotonic()))
        leaked = _exwire_threads() - before
    assert not leaked, f"threads left running: {sorted(t.name for t in leaked)}"
