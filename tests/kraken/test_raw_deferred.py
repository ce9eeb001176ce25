"""A raw Kraken client leaves ticker, trade, spread and OHLC JSON to the lanes.

The reader routes such a frame by its text alone (``KrakenProtocol._deferred_key``) and
the lane decodes it just before the callback (``Protocol.deferred``). What must hold: the
same events as decoding on the reader, on every captured frame and on generated texts
(a text routed this way is either the array decoding would route the same, or one
decoding refuses too); a refused text is logged, skipped and counted where it is
decoded; pull subscriptions and ``on_callback_error`` see decoded JSON, never the text.
"""

from __future__ import annotations

import json
import logging
import threading
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import exwire
from benchmarks.exchanges import kraken as bench
from benchmarks.wsserver import FloodServer, encode_flood
from exwire.errors import DecodeError
from exwire.kraken.protocol import KrakenProtocol
from tests.conftest import FIXTURES, timeout

CAPTURES = sorted((FIXTURES / "kraken" / "cryptofeed").glob("KRAKEN.ws.*")) if FIXTURES.is_dir() else []
PROPERTY = settings(max_examples=600, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow])


def _raw() -> KrakenProtocol:
    protocol = KrakenProtocol()
    protocol.raw = True
    protocol.subscribe("ticker", ["XBT/USD"])  # from a stream of these on, frames are looked at
    return protocol


def _eager(frame: str) -> Any:
    """What the reader makes of ``frame`` without leaving anything to the lanes."""
    protocol = _raw()
    protocol._deferred_key = lambda frame, comma: None  # type: ignore[method-assign]
    return protocol.receive(frame)


def _deferred(protocol: KrakenProtocol, frame: str) -> Any:
    """The reader's events of ``frame``, with any data left to the lanes decoded as a lane does."""
    events = protocol.receive(frame)
    assert protocol.deferred is not None
    return [event._replace(data=protocol.deferred.decode(frame)) if event.data is frame else event
            for event in events]


def _agree(frame: str, protocol: KrakenProtocol | None = None) -> bool:
    """Both ways give the same events, or both refuse the frame; whether it was left to the lanes."""
    protocol = protocol or _raw()
    try:
        expected = list(_eager(frame))
    except DecodeError:
        expected = None
    left = False
    try:
        events = protocol.receive(frame)
        left = any(event.data is frame for event in events)
        got = _deferred(protocol, frame) if left else list(events)
    except DecodeError:
        got = None
    assert got == expected, frame
    return left


def _capture_frames(path: Path) -> list[str]:
    frames = []
    for line in path.read_text(encoding="utf-8").splitlines():
        head, _, body = line.partition(": ")
        if " <- " not in head and " <-> " not in line and body:
            frames.append(body)
    return frames


@pytest.mark.skipif(not CAPTURES, reason=f"the Kraken captures are absent ({FIXTURES} is not beside the repository)")
def test_every_captured_frame_gives_the_same_events_left_to_the_lanes_or_not():
    protocol = _raw()  # one protocol for a whole capture: its remembered tails are in play
    left = total = 0
    for path in CAPTURES:
        for frame in _capture_frames(path):
            left += _agree(frame, protocol)
            total += 1
    assert total > 4_000 and left >= 20  # trades and tickers were left to the lanes; books were not


KRAKEN_NET = sorted((FIXTURES / "kraken" / "kraken-net").glob("*Update.txt")) if FIXTURES.is_dir() else []


@pytest.mark.skipif(not KRAKEN_NET, reason=f"the Kraken.Net samples are absent ({FIXTURES} is not beside the repository)")
def test_kraken_net_samples_give_the_same_events_as_sent_and_compacted():
    left = []
    for path in KRAKEN_NET:
        text = path.read_text(encoding="utf-8-sig")
        message = json.loads(text)
        left.append(_agree(text))  # as the sample is printed: decoded on the reader
        left.append(_agree(json.dumps(message, separators=(",", ":"), ensure_ascii=False)))
    assert any(left) and not all(left)


def test_the_benchmark_streams_are_left_to_the_lanes_and_books_are_not():
    protocol = _raw()
    for case in bench.ENTRY.streams:
        frames = case.frames(200, case.symbols, None)
        left = [_agree(frame, protocol) for frame in frames]
        assert all(left) if case.kind != "book" else not any(left), case.kind


_CHANNELS = st.sampled_from(["ticker", "trade", "spread", "ohlc-5", "ohlc-", "book-10", "own", "tick\\u0065r",
                             'tick"er', ""])
_PAIRS = st.sampled_from(["XBT/USD", "ETH/EUR", "", 'XB"T', "XBT\\/USD", "XBT/USD\\\\", "ß/€"])
_JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=4),
                     lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3),
                     max_leaves=6)


@PROPERTY
@given(st.integers(0, 99_999), st.lists(_JSON, max_size=2), _CHANNELS, _PAIRS,
       st.sampled_from(["", " ", ",", "]", '"', "x", ',"x"']), st.sampled_from(["", " ", "[", '"', ","]))
@example(100, [{"a": ["1.0", 1, "1.0"]}], "ticker", "XBT/USD", "", "")
@example(100, [], "ticker", "XBT/USD", "", "")  # three elements: refused both ways
@example(100, [[["1.0", "2.0", "3.1", "b", "m", ""]]], "trade", "XBT/USD", ",", "")
def test_generated_texts_give_the_same_events_left_to_the_lanes_or_not(channel_id, payloads, channel, pair,
                                                                        spoil_tail, spoil_head):
    parts = [str(channel_id)] + [json.dumps(p, separators=(",", ":")) for p in payloads]
    body = ",".join(parts) + f',"{channel}","{pair}"'
    frame = spoil_head + "[" + body + spoil_tail + "]"
    _agree(frame)
    _agree(frame.replace('"]', '" ]'))


def test_a_channel_id_taken_over_by_another_stream_is_routed_by_its_own_tail():
    protocol = _raw()
    first = '[100,{"a":["1.0",1,"1.0"]},"ticker","XBT/USD"]'
    other = '[100,{"a":["2.0",1,"2.0"]},"ticker","ETH/USD"]'  # the id reused after a resubscription
    assert protocol.receive(first)[0].key == ("ticker", "XBT/USD")
    assert protocol.receive(other)[0].key == ("ticker", "ETH/USD")
    assert protocol.receive(first)[0].key == ("ticker", "XBT/USD")


def test_nothing_is_looked_at_before_a_stream_that_may_be_left_to_the_lanes_is_subscribed():
    protocol = KrakenProtocol()
    protocol.raw = True
    protocol.subscribe("book-10", ["XBT/USD"])
    frame = '[100,{"a":["1.0",1,"1.0"]},"ticker","XBT/USD"]'
    assert type(protocol.receive(frame)[0].data) is list and not protocol._tails
    protocol.subscribe("ohlc-5", ["XBT/USD"])
    assert protocol.receive(frame)[0].data is frame


def test_only_subscriptions_of_streams_left_to_the_lanes_decode_on_their_lane():
    decoder = _raw().deferred
    assert decoder is not None
    assert [decoder.defers(key) for key in [("ticker", "XBT/USD"), ("trade", "X"), ("spread", "X"), ("ohlc-5", "X"),
                                            ("book-10", "X"), ("ownTrades", None), "ticker"]] == [True] * 4 + [False] * 3


def test_a_typed_client_leaves_nothing_to_the_lanes():
    protocol = KrakenProtocol()
    assert protocol.deferred is None
    event = protocol.receive('[100,{"a":["1.0",1,"1.0"],"b":["1.0",1,"1.0"],"c":["1.0","1.0"],"v":["1","1"],'
                             '"p":["1","1"],"t":[1,1],"l":["1","1"],"h":["1","1"],"o":["1","1"]},"ticker","XBT/USD"]')[0]
    assert isinstance(event.data, exwire.kraken.Ticker)


# -- through the client ---------------------------------------------------------------------

GOOD = [f'[100,{{"a":["{n}.5",1,"1.0"]}},"ticker","XBT/USD"]' for n in range(3)]
BAD = '[100,{"a":["9.5",1,"1.0"],},"ticker","XBT/USD"]'  # a trailing comma: not JSON


def _flooded(**options: Any) -> Any:
    server = FloodServer(bench.ENTRY.handler)
    server.__enter__()
    mark = server.mark()
    client = exwire.KrakenClient(**bench.ENTRY.client_kwargs(server.url(bench.ENTRY.path)), raw=True, **options)
    return server, mark, client


def test_a_lane_decodes_each_frame_and_skips_and_counts_one_that_is_not_json(caplog):
    server, mark, client = _flooded()
    received: list[Any] = []
    done = threading.Event()

    def callback(event: Any) -> None:
        received.append(event)
        if len(received) == 3:
            done.set()

    try:
        with caplog.at_level(logging.WARNING, logger="exwire"):
            client.subscribe_to_ticker_updates("XBT/USD", callback)
            server.connection_after(mark, timeout(5)).flood(encode_flood([GOOD[0], BAD, GOOD[1], GOOD[2]]))
            assert done.wait(timeout(5))
        assert [event.data for event in received] == [json.loads(frame) for frame in GOOD]
        assert all(event.symbol == "XBT/USD" and event.topic.startswith("ticker") for event in received)
        assert client.health()["connections"]["public"]["frames_skipped"] == 1
        assert any("skipped a frame" in record.getMessage() for record in caplog.records)
    finally:
        client.close()
        server.__exit__(None, None, None)


def test_a_pull_subscription_gets_decoded_json_and_skips_a_frame_that_is_not():
    server, mark, client = _flooded()
    try:
        with client.subscribe_to_ticker_updates("XBT/USD") as ticks:
            server.connection_after(mark, timeout(5)).flood(encode_flood([GOOD[0], BAD, GOOD[1]]))
            assert [ticks.get(timeout(5)).data for _ in range(2)] == [json.loads(GOOD[0]), json.loads(GOOD[1])]
        assert client.health()["connections"]["public"]["frames_skipped"] == 1
    finally:
        client.close()
        server.__exit__(None, None, None)


def test_on_callback_error_is_given_the_decoded_event():
    errors: list[tuple[BaseException, Any]] = []
    failed = threading.Event()

    def on_error(exc: BaseException, event: Any) -> None:
        errors.append((exc, event))
        failed.set()

    def callback(event: Any) -> None:
        raise RuntimeError("boom")

    server, mark, client = _flooded(on_callback_error=on_error)
    try:
        client.subscribe_to_ticker_updates("XBT/USD", callback)
        server.connection_after(mark, timeout(5)).flood(encode_flood([GOOD[0]]))
        assert failed.wait(timeout(5))
        exc, event = errors[0]
        assert isinstance(exc, RuntimeError) and event.data == json.loads(GOOD[0])
    finally:
        client.close()
        server.__exit__(None, None, None)
