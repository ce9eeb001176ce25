"""OkxProtocol.receive: absurd nesting is a DecodeError and the ccxt 2026 capture parses
cleanly (the seeded fuzz over random JSON and mutated captures is in tests/test_protocol_fuzz.py,
with every other protocol's)."""

from __future__ import annotations

import json

from exwire._core.protocol import Reply, Update
from exwire.okx.protocol import OkxProtocol
from tests.okx.fixtures import fixture
from tests.test_protocol_fuzz import DEEP, check


def test_absurd_nesting_is_a_decode_error() -> None:
    check(OkxProtocol(), DEEP)


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
