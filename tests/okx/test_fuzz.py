"""OkxProtocol.receive raises only DecodeError/ProtocolError for any input (seeded fuzz over
random JSON and mutated real captures), and the ccxt 2026 capture parses cleanly."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from exwire._core.protocol import Reply, Update
from exwire.okx.protocol import OkxProtocol
from tests.okx.fixtures import cryptofeed_frames, fixture
from tests.test_protocol_fuzz import DEEP, FUZZ, check, encoded, json_values, mutated

OKX_KEYS = ["arg", "data", "event", "id", "op", "code", "msg", "channel", "instId", "action", "asks", "bids",
            "checksum", "seqId", "prevSeqId", "sCode", "sMsg", "ts", "px", "sz", "side", "uid", "connId"]


def _protocol() -> OkxProtocol:
    protocol = OkxProtocol()
    for request_id in range(1, 4):  # pending requests the fuzzed replies may answer
        protocol.subscribe([{"channel": "tickers", "instId": "BTC-USDT"}])
        protocol.login({"apiKey": "k", "passphrase": "p", "timestamp": "1", "sign": "s"})
        protocol.operation("order", [{"instIdCode": request_id}])
    return protocol


@pytest.fixture(scope="module")
def okx_captures() -> list[Any]:
    values: list[Any] = [json.loads(frame) for frame in cryptofeed_frames("OKX.ws.1.0")[:80]]
    for path in sorted(fixture("okx-net").rglob("*.txt")):
        text = path.read_text(encoding="utf-8").replace("|1|", "1")
        body = text[text.index("\n=") + 2:] if "\n=" in text else ""
        try:
            values.append(json.loads(body))
        except ValueError:
            continue
    return values


@given(encoded(json_values(OKX_KEYS)))
@FUZZ
def test_receive_raises_only_decode_errors(frame: Any) -> None:
    check(_protocol(), frame)


@given(st.data())
@FUZZ
def test_mutated_captures_raise_only_decode_errors(okx_captures: list[Any], data: st.DataObject) -> None:
    value = data.draw(mutated(okx_captures, json_values(OKX_KEYS)))
    check(_protocol(), json.dumps(value))


def test_absurd_nesting_is_a_decode_error() -> None:
    check(_protocol(), DEEP)


def test_the_ccxt_2026_capture_parses_into_updates_and_acks() -> None:
    cases = json.loads(fixture("ccxt", "okx-static-ws.json").read_text(encoding="utf-8"))["cases"]
    protocol = OkxProtocol()
    updates = 0
    for case in cases:
        for sent in case["sent"]:
            if sent.get("op") in ("subscribe", "unsubscribe"):
                protocol.subscribe(sent["args"], unsubscribe=sent["op"] == "unsubscribe")
        for received in case["received"]:
            events = protocol.receive(received if isinstance(received, str) else json.dumps(received))
            assert all(isinstance(event, (Update, Reply)) for event in events), events
            updates += sum(isinstance(event, Update) for event in events)
    assert updates >= len(cases)
