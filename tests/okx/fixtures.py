"""Where the shared OKX captures live (beside the repository), and readers for them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

FIXTURES = Path(__file__).resolve().parents[2].parent / "shared" / "fixtures" / "okx"


def fixture(*parts: str) -> Path:
    """A path under ``shared/fixtures/okx``, or skip the test with the reason."""
    path = FIXTURES.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"capture {path} is absent (the shared fixtures folder sits beside the repository)")
    return path


def transcript_push(*parts: str) -> dict[str, Any]:
    """The expected push (the ``=`` section) of a JKorf/OKX.Net transcript."""
    text = fixture("okx-net", *parts).read_text()
    body = text[text.index("\n=") + 2:]
    result: dict[str, Any] = json.loads(body)
    return result


def cryptofeed_frames(*parts: str) -> list[str]:
    """The received frames of a cryptofeed capture (header and sent ``<-`` lines skipped)."""
    frames = []
    for line in fixture("cryptofeed", *parts).read_text().splitlines():
        if " <- " in line or " <-> " in line or not line.strip():
            continue
        frames.append(line.split(": ", 1)[1])
    return frames
