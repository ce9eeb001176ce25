"""DataEvent: an immutable NamedTuple record, and the reader's fast construction of it."""

from __future__ import annotations

import pickle
from datetime import datetime, timezone

import pytest

from exwire import DataEvent, UpdateType
from exwire._core.client import _new_event
from exwire._core.subscription import _announce

AT = datetime(2026, 12, 3, 12, 0, tzinfo=timezone.utc)


def test_fields_and_defaults() -> None:
    event = DataEvent([1, 2], "trade:XBT/USD", "XBT/USD", AT)
    assert (event.data, event.topic, event.symbol, event.received_at) == ([1, 2], "trade:XBT/USD", "XBT/USD", AT)
    assert event.update_type is UpdateType.UPDATE
    assert event.raw is None
    assert event.dropped_before == 0
    assert DataEvent._fields == ("data", "topic", "symbol", "received_at", "update_type", "raw", "dropped_before")


def test_immutable() -> None:
    event = DataEvent("x", "t", None, AT)
    with pytest.raises(AttributeError):
        event.data = "y"  # type: ignore[misc]
    with pytest.raises(AttributeError):
        event.extra = 1  # type: ignore[attr-defined]


def test_reader_construction_equals_the_constructor() -> None:
    built = _new_event(DataEvent, ("x", "t", "S", AT, UpdateType.SNAPSHOT, "{}", 0))
    assert type(built) is DataEvent
    assert built == DataEvent("x", "t", "S", AT, UpdateType.SNAPSHOT, "{}")
    assert hash(built) == hash(DataEvent("x", "t", "S", AT, UpdateType.SNAPSHOT, "{}"))


def test_repr_leaves_out_the_frame_text() -> None:
    text = repr(DataEvent("x", "t", "S", AT, UpdateType.UPDATE, raw='{"secret-looking": "frame"}', dropped_before=2))
    assert text.startswith("DataEvent(data='x', topic='t', symbol='S', received_at=")
    assert "dropped_before=2" in text
    assert "frame" not in text


def test_announce_stamps_the_drops_on_a_copy() -> None:
    event = DataEvent("x", "t", "S", AT, dropped_before=1)
    stamped = _announce(event, 3)
    assert stamped.dropped_before == 4
    assert stamped._replace(dropped_before=1) == event
    assert event.dropped_before == 1
    assert _announce("not an event", 3) == "not an event"


def test_pickles() -> None:
    event = DataEvent({"a": "1.5"}, "t", "S", AT, UpdateType.SNAPSHOT, None, 0)
    assert pickle.loads(pickle.dumps(event)) == event
