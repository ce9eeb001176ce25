"""OkxEmulator on the wire, driven by bare websocket-client sockets (no exwire client).

Checks that the emulator speaks OKX API v5 as documented (https://www.okx.com/docs-v5/en/):
text ping/pong, the idle rule, login signing and its refusals, one ack per arg with the
request id, error events, order books whose sequence ids and checksums a test recomputes
on its own, and coherent public channels.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import zlib
from decimal import Decimal
from typing import Any

import pytest
import websocket

from exwire.testing.okx import OkxEmulator
from tests.conftest import timeout

# A signing vector of the OKX login rule, computed with openssl, Python and Node alike.
VECTOR_SECRET = "22582BD0CFF14C41EDBF1AB98506286D"
VECTOR_TIMESTAMP = "1538054050"
VECTOR_SIGN = "+LdIr8lkkvhr5hoA3g9TMC0+uQJ849ftAcocA/ouu4M="


def sign(secret: str, timestamp: str) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}GET/users/self/verify".encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def crc(bids: list[list[str]], asks: list[list[str]]) -> int:
    """The book checksum, recomputed here: best 25 a side, interleaved bid first, signed CRC32."""
    fields: list[str] = []
    for i in range(25):
        if i < len(bids):
            fields += bids[i][:2]
        if i < len(asks):
            fields += asks[i][:2]
    value = zlib.crc32(":".join(fields).encode())
    return value - 2**32 if value > 2**31 - 1 else value


class Book:
    """A client-side book built by the documented merge rule."""

    def __init__(self) -> None:
        self.bids: dict[str, list[str]] = {}
        self.asks: dict[str, list[str]] = {}

    def apply(self, data: dict[str, Any], snapshot: bool) -> None:
        if snapshot:
            self.bids, self.asks = {}, {}
        for side, levels in ((self.bids, data["bids"]), (self.asks, data["asks"])):
            for level in levels:
                if level[1] == "0":
                    side.pop(level[0], None)
                else:
                    side[level[0]] = level

    def sides(self) -> tuple[list[list[str]], list[list[str]]]:
        bids = sorted(self.bids.values(), key=lambda level: Decimal(level[0]), reverse=True)
        asks = sorted(self.asks.values(), key=lambda level: Decimal(level[0]))
        return bids, asks


class Wire:
    """A raw socket to one endpoint of the emulator."""

    def __init__(self, emulator: OkxEmulator, endpoint: str = "public", **options: Any) -> None:
        self.emulator = emulator
        key = {"public": "url", "private": "private_url", "business": "business_url"}[endpoint]
        url = emulator.client_kwargs()[key]  # type: ignore[literal-required]
        self.socket = websocket.create_connection(url, timeout=timeout(5), **options)

    def send(self, message: Any) -> None:
        self.socket.send(message if isinstance(message, str) else json.dumps(message))

    def recv(self) -> Any:
        text = self.socket.recv()
        return text if text == "pong" else json.loads(text)

    def expect(self, predicate, limit: int = 500) -> Any:
        """The first message matching ``predicate``, skipping others."""
        for _ in range(limit):
            message = self.recv()
            if predicate(message):
                return message
        raise AssertionError("no matching message")

    def push(self, channel: str, limit: int = 500) -> dict[str, Any]:
        return self.expect(lambda m: isinstance(m, dict) and m.get("arg", {}).get("channel") == channel
                           and "event" not in m, limit)

    def barrier(self) -> list[Any]:
        """Every message before the pong of a ping sent now (replies come in order)."""
        self.send("ping")
        seen = []
        while (message := self.recv()) != "pong":
            seen.append(message)
        return seen

    def login(self, *, key: str | None = None, passphrase: str | None = None, secret: str | None = None,
              timestamp: str | None = None, request_id: str = "login1") -> dict[str, Any]:
        emulator = self.emulator
        stamp = timestamp if timestamp is not None else str(int(time.time()))
        self.send({"id": request_id, "op": "login", "args": [{
            "apiKey": key if key is not None else emulator.api_key,
            "passphrase": passphrase if passphrase is not None else emulator.passphrase,
            "timestamp": stamp, "sign": sign(secret if secret is not None else emulator.secret, stamp)}]})
        return self.expect(lambda m: isinstance(m, dict) and m.get("event") in ("login", "error"))

    def subscribe(self, *args: dict[str, Any], request_id: str = "s1") -> None:
        self.send({"id": request_id, "op": "subscribe", "args": list(args)})

    def close(self) -> None:
        self.socket.close()
        self.socket.shutdown()  # the socket too, when the server had already closed


@pytest.fixture
def emulator():
    with OkxEmulator(push_interval=None) as emu:
        yield emu


@pytest.fixture
def wire(emulator):
    connection = Wire(emulator)
    yield connection
    connection.close()


@pytest.fixture
def private(emulator):
    connection = Wire(emulator, "private")
    yield connection
    connection.close()


def is_event(name: str):
    return lambda m: isinstance(m, dict) and m.get("event") == name


# -- endpoints, keep-alive ------------------------------------------------------------


def test_client_kwargs_name_the_three_endpoints_and_credentials_the_account(emulator):
    kwargs = emulator.client_kwargs()
    assert set(kwargs) == {"url", "private_url", "business_url"}  # endpoints only, as on every emulator
    assert kwargs["url"].endswith("/ws/v5/public") and kwargs["private_url"].endswith("/ws/v5/private")
    assert kwargs["business_url"] == f"ws://127.0.0.1:{emulator.port}/ws/v5/business"
    credentials = emulator.credentials
    assert credentials.passphrase == emulator.passphrase
    assert credentials.key == emulator.api_key and credentials.secret == emulator.secret


def test_unknown_paths_are_refused(emulator):
    with pytest.raises(websocket.WebSocketBadStatusException):
        websocket.create_connection(f"ws://127.0.0.1:{emulator.port}/ws/v5/other", timeout=timeout(5))
    assert emulator.connections_accepted == 0


def test_text_ping_gets_a_text_pong_unless_withheld(emulator, wire):
    wire.send("ping")
    assert wire.socket.recv() == "pong"
    emulator.withhold_pong()
    wire.send("ping")
    emulator.withhold_pong(False)
    wire.send("ping")
    assert wire.socket.recv() == "pong"
    emulator.wait_for(lambda: emulator.pings_received == 3, timeout(5))
    assert emulator.pings_received == 3


def test_an_idle_connection_is_closed_with_4004_and_a_ping_keeps_it_open():
    with OkxEmulator(push_interval=None, idle_timeout=0.5) as emu:
        wire = Wire(emu)
        try:
            started = time.monotonic()
            for _ in range(4):  # a client pinging every 0.2 s stays connected past the timeout
                wire.send("ping")
                assert wire.socket.recv() == "pong"
                emu.wait_for(lambda: False, 0.2)  # the pacing of the scenario, not a wait for an outcome
            assert time.monotonic() - started > 0.5
            opcode, frame = wire.socket.recv_data_frame(True)
            assert opcode == websocket.ABNF.OPCODE_CLOSE
            assert int.from_bytes(frame.data[:2], "big") == 4004
            assert frame.data[2:] == b"No data received in 30s"
        finally:
            wire.close()


def test_tls_serves_wss_with_the_generated_certificate():
    with OkxEmulator(push_interval=None, tls=True) as emu:
        assert emu.client_kwargs()["url"].startswith("wss://")
        wire = Wire(emu, sslopt={"context": emu.ssl_context()})
        try:
            wire.send("ping")
            assert wire.socket.recv() == "pong"
        finally:
            wire.close()


# -- login ------------------------------------------------------------------------------


def test_the_documented_signing_vector_logs_in_and_the_id_is_echoed():
    with OkxEmulator(push_interval=None, secret=VECTOR_SECRET, clock=lambda: int(VECTOR_TIMESTAMP) + 5) as emu:
        wire = Wire(emu, "private")
        try:
            wire.send({"id": "abc1", "op": "login", "args": [{
                "apiKey": emu.api_key, "passphrase": emu.passphrase, "timestamp": VECTOR_TIMESTAMP,
                "sign": VECTOR_SIGN}]})
            reply = wire.recv()
        finally:
            wire.close()
    assert reply == {"id": "abc1", "event": "login", "code": "0", "msg": "", "connId": reply["connId"]}
    assert len(reply["connId"]) == 8 and int(reply["connId"], 16) >= 0
    assert sign(VECTOR_SECRET, VECTOR_TIMESTAMP) == VECTOR_SIGN


@pytest.mark.parametrize(("change", "code"), [
    ({"passphrase": "wrong"}, "60024"),
    ({"secret": "another-secret"}, "60007"),
    ({"key": "unknown-key"}, "60032"),
    ({"key": ""}, "60005"),
    ({"timestamp": str(int(time.time()) - 120)}, "60006"),
    ({"timestamp": str(int(time.time() * 1000))}, "60004"),
    ({"timestamp": f"{time.time():.3f}"}, "60004"),
])
def test_a_bad_login_is_refused_with_okx_codes(emulator, private, change, code):
    reply = private.login(**change)
    assert reply["event"] == "error" and reply["code"] == code and reply["msg"]
    assert reply["id"] == "login1"
    assert emulator.logged_in_connections() == 0


def test_a_whole_second_json_integer_timestamp_is_accepted_too(emulator, private):
    stamp = int(time.time())  # what the official python-okx SDK sends
    private.send({"op": "login", "args": [{"apiKey": emulator.api_key, "passphrase": emulator.passphrase,
                                           "timestamp": stamp, "sign": sign(emulator.secret, str(stamp))}]})
    reply = private.recv()
    assert reply["event"] == "login" and reply["code"] == "0" and "id" not in reply


def test_the_pytest_plugin_fixture_serves_the_three_endpoints(okx_emulator):
    for endpoint in ("public", "private", "business"):
        wire = Wire(okx_emulator, endpoint)
        try:
            wire.send("ping")
            assert wire.socket.recv() == "pong"
        finally:
            wire.close()
    assert okx_emulator.connections_accepted == 3


def test_refuse_next_login_refuses_a_right_one_with_60009_then_accepts(emulator, private):
    emulator.refuse_next_login()
    refused = private.login()
    assert refused == {"id": "login1", "event": "error", "code": "60009", "msg": "Login failed.",
                       "connId": refused["connId"]}
    assert private.login(request_id="login2")["code"] == "0"
    assert emulator.logins == 1 and emulator.logged_in_connections() == 1


def test_a_second_login_on_one_connection_is_refused(private):
    assert private.login()["code"] == "0"
    assert private.login(request_id="again")["code"] == "60031"


def test_private_channel_before_login_gets_60011_and_after_login_a_snapshot(emulator, private):
    private.subscribe({"channel": "account", "ccy": "USDT"}, request_id="early")
    error = private.recv()
    assert error["event"] == "error" and error["code"] == "60011" and error["id"] == "early"
    assert private.login()["code"] == "0"
    private.subscribe({"channel": "account", "ccy": "USDT"}, request_id="late")
    assert private.recv() == {"id": "late", "event": "subscribe", "arg": {"channel": "account", "ccy": "USDT"},
                              "connId": error["connId"]}
    count = private.recv()
    assert count["event"] == "channel-conn-count" and count["channel"] == "account" and count["connCount"] == "1"
    push = private.recv()
    assert push["arg"] == {"channel": "account", "ccy": "USDT", "uid": push["arg"]["uid"]}
    detail = push["data"][0]["details"]
    assert [d["ccy"] for d in detail] == ["USDT"] and detail[0]["cashBal"] == "100000"


# -- subscribe, acks, errors ------------------------------------------------------------


def test_every_arg_gets_its_own_ack_with_the_id(wire):
    args = [{"channel": "tickers", "instId": "BTC-USDT"}, {"channel": "books5", "instId": "ETH-USDT"},
            {"channel": "status"}]
    wire.subscribe(*args, request_id="r42")
    acks = [m for m in wire.barrier() if m.get("event") == "subscribe"]
    assert [a["arg"] for a in acks] == args and {a["id"] for a in acks} == {"r42"}
    wire.send({"id": "u1", "op": "unsubscribe", "args": args[:1]})
    assert wire.expect(is_event("unsubscribe")) == {"id": "u1", "event": "unsubscribe", "arg": args[0],
                                                     "connId": acks[0]["connId"]}


def test_unsubscribed_channels_stop_pushing(emulator, wire):
    wire.subscribe({"channel": "tickers", "instId": "BTC-USDT"})
    wire.push("tickers")
    wire.send({"op": "unsubscribe", "args": [{"channel": "tickers", "instId": "BTC-USDT"}]})
    wire.expect(is_event("unsubscribe"))
    emulator.step(3)
    assert wire.barrier() == []
    assert emulator.subscriptions() == []


@pytest.mark.parametrize(("endpoint", "arg", "code"), [
    ("public", {"channel": "nope", "instId": "BTC-USDT"}, "60018"),
    ("public", {"channel": "tickers", "instId": "XYZ-USDT"}, "60018"),
    ("public", {"channel": "funding-rate", "instId": "BTC-USDT"}, "60018"),
    ("public", {"channel": "candle1m", "instId": "BTC-USDT"}, "64001"),
    ("public", {"channel": "trades-all", "instId": "BTC-USDT"}, "64001"),
    ("business", {"channel": "tickers", "instId": "BTC-USDT"}, "64002"),
    ("public", {"channel": "books-l2-tbt", "instId": "BTC-USDT"}, "60011"),
    ("public", {"channel": "instruments", "instType": "ANY"}, "60013"),
    ("public", {"instId": "BTC-USDT"}, "60013"),
    ("public", {"channel": "tickers", "uly": "BTC-USDT", "instId": "BTC-USDT"}, "64000"),
])
def test_bad_args_get_an_error_event_with_okx_codes(emulator, endpoint, arg, code):
    wire = Wire(emulator, endpoint)
    try:
        wire.subscribe(arg, request_id="bad1")
        reply = wire.recv()
    finally:
        wire.close()
    assert reply["event"] == "error" and reply["code"] == code and reply["id"] == "bad1"
    assert "arg" not in reply
    if code == "60018":
        assert reply["msg"].startswith(f"Wrong URL or channel:{arg['channel']},instId:{arg['instId']} doesn't exist")


def test_malformed_requests_get_60012_and_unknown_ops_60019(wire):
    wire.send("{not json")
    reply = wire.recv()
    assert reply["event"] == "error" and reply["code"] == "60012" and reply["msg"] == "Invalid request: {not json"
    wire.send({"id": "x1", "op": "subscribe", "argss": []})
    assert wire.recv()["code"] == "60012"
    wire.send({"id": "x2", "op": "dance"})
    assert wire.recv() == {"id": "x2", "event": "error", "code": "60019", "msg": "Invalid op: dance",
                           "connId": reply["connId"]}
    wire.send({"id": "not-alnum!", "op": "subscribe", "args": [{"channel": "status"}]})
    assert wire.recv()["code"] == "60012"


def test_books_l2_tbt_excludes_books_for_the_same_instrument(emulator, wire):
    assert wire.login()["code"] == "0"
    wire.subscribe({"channel": "books", "instId": "BTC-USDT"}, request_id="a")
    wire.expect(lambda m: m.get("action") == "snapshot")
    wire.subscribe({"channel": "books-l2-tbt", "instId": "BTC-USDT"}, request_id="b")
    assert wire.recv()["code"] == "64004"
    wire.subscribe({"channel": "books-l2-tbt", "instId": "ETH-USDT"}, request_id="c")
    assert wire.recv()["event"] == "subscribe"


def test_withheld_subscribe_ack_still_subscribes(emulator, wire):
    emulator.withhold_next_reply("subscribe")
    wire.subscribe({"channel": "tickers", "instId": "BTC-USDT"})
    seen = wire.barrier()
    assert [m.get("event") for m in seen] == [None] and seen[0]["arg"]["channel"] == "tickers"
    assert emulator.subscriptions("public") == [{"channel": "tickers", "instId": "BTC-USDT"}]
    assert [r[2]["op"] for r in emulator.requests()] == ["subscribe"]


# -- order books ----------------------------------------------------------------------


def _follow(wire: Wire, emulator: OkxEmulator, channel: str, steps: int, depth: int) -> Book:
    book = Book()
    snapshot = wire.push(channel)
    assert snapshot["action"] == "snapshot" and snapshot["data"][0]["prevSeqId"] == -1
    book.apply(snapshot["data"][0], True)
    assert snapshot["data"][0]["checksum"] == crc(*book.sides())
    last = snapshot["data"][0]["seqId"]
    for _ in range(steps):
        emulator.step(inst_id="BTC-USDT")
        for message in wire.barrier():
            if message.get("arg", {}).get("channel") != channel:
                continue
            data = message["data"][0]
            assert message["action"] == "update" and data["prevSeqId"] == last and data["seqId"] > last
            last = data["seqId"]
            book.apply(data, False)
            bids, asks = book.sides()
            assert len(bids) <= depth and len(asks) <= depth
            assert data["checksum"] == crc(bids, asks) != 0
    assert last == emulator.sequence_id("BTC-USDT")
    return book


def test_books_snapshot_and_updates_chain_by_seq_id_and_match_their_checksums(emulator, wire):
    wire.subscribe({"channel": "books", "instId": "BTC-USDT"})
    book = _follow(wire, emulator, "books", 40, 400)
    bids, asks = book.sides()
    expected = emulator.order_book("BTC-USDT")
    assert [level[:2] for level in bids] == [level[:2] for level in expected["bids"]]
    assert [level[:2] for level in asks] == [level[:2] for level in expected["asks"]]
    assert any(len(level[1].split(".")[-1]) == 8 for level in bids + asks)  # tiny sizes as plain decimals
    assert all("E" not in level[0] + level[1] for level in bids + asks)


def test_books50_l2_tbt_keeps_fifty_levels_with_checksums(emulator, wire):
    assert wire.login()["code"] == "0"
    wire.subscribe({"channel": "books50-l2-tbt", "instId": "BTC-USDT"})
    book = _follow(wire, emulator, "books50-l2-tbt", 30, 50)
    bids, asks = book.sides()
    expected = emulator.order_book("BTC-USDT", 50)
    assert len(bids) == len(asks) == 50
    assert [level[0] for level in bids] == [level[0] for level in expected["bids"]]


def test_books5_and_bbo_tbt_send_top_levels_with_seq_id_and_no_checksum(emulator, wire):
    wire.subscribe({"channel": "books5", "instId": "BTC-USDT"}, {"channel": "bbo-tbt", "instId": "BTC-USDT"})
    five, bbo = wire.push("books5"), wire.push("bbo-tbt")
    for message, depth in ((five, 5), (bbo, 1)):
        data = message["data"][0]
        assert "action" not in message and "checksum" not in data and "prevSeqId" not in data
        assert len(data["bids"]) == len(data["asks"]) == depth and data["instId"] == "BTC-USDT"
        assert data["seqId"] == emulator.sequence_id("BTC-USDT")
    assert bbo["data"][0]["bids"] == five["data"][0]["bids"][:1]


def test_books_checksum_can_be_zero_like_okx_today():
    with OkxEmulator(push_interval=None, books_checksum=False) as emu:
        wire = Wire(emu)
        try:
            assert wire.login()["code"] == "0"
            wire.subscribe({"channel": "books", "instId": "BTC-USDT"},
                           {"channel": "books-l2-tbt", "instId": "ETH-USDT"})
            assert wire.push("books")["data"][0]["checksum"] == 0
            tbt = wire.push("books-l2-tbt")["data"][0]
            assert tbt["checksum"] == crc(tbt["bids"], tbt["asks"]) != 0
            emu.step(5)
            updates = [m for m in wire.barrier() if m.get("arg", {}).get("channel") == "books"]
            assert updates and all(m["data"][0]["checksum"] == 0 for m in updates)
        finally:
            wire.close()


def _next_update(wire: Wire, emulator: OkxEmulator) -> dict[str, Any]:
    for _ in range(50):
        emulator.step(inst_id="BTC-USDT")
        updates = [m["data"][0] for m in wire.barrier() if m.get("action") == "update"]
        if updates:
            return updates[0]
    raise AssertionError("no book update")


def test_corrupt_next_checksum_spoils_one_update_only(emulator, wire):
    wire.subscribe({"channel": "books", "instId": "BTC-USDT"})
    book = Book()
    book.apply(wire.push("books")["data"][0], True)
    emulator.corrupt_next_checksum()
    first = _next_update(wire, emulator)
    book.apply(first, False)
    assert first["checksum"] != crc(*book.sides())
    second = _next_update(wire, emulator)
    book.apply(second, False)
    assert second["checksum"] == crc(*book.sides())


def test_skip_next_sequence_leaves_a_gap_in_prev_seq_id(emulator, wire):
    wire.subscribe({"channel": "books", "instId": "BTC-USDT"})
    last = wire.push("books")["data"][0]["seqId"]
    emulator.skip_next_sequence()
    update = _next_update(wire, emulator)
    assert update["prevSeqId"] != last and update["prevSeqId"] > last


def test_a_sequence_reset_and_the_no_change_update_keep_the_chain(emulator, wire):
    wire.subscribe({"channel": "books", "instId": "BTC-USDT"})
    last = wire.push("books")["data"][0]["seqId"]
    assert emulator.send_book_keepalive() == 1
    keepalive = wire.push("books")["data"][0]
    assert keepalive["asks"] == keepalive["bids"] == [] and keepalive["prevSeqId"] == keepalive["seqId"] == last
    emulator.reset_sequence("BTC-USDT")
    update = _next_update(wire, emulator)
    assert update["prevSeqId"] == last and update["seqId"] < last


def test_resubscribing_a_book_starts_again_with_a_snapshot(emulator, wire):
    arg = {"channel": "books", "instId": "BTC-USDT"}
    wire.subscribe(arg)
    wire.push("books")
    emulator.step(3)
    wire.send({"op": "unsubscribe", "args": [arg]})
    wire.expect(is_event("unsubscribe"))
    wire.subscribe(arg)
    snapshot = wire.push("books")
    assert snapshot["action"] == "snapshot" and snapshot["data"][0]["seqId"] == emulator.sequence_id("BTC-USDT")


def test_books_sequence_ids_are_the_same_on_every_connection(emulator):
    first, second = Wire(emulator), Wire(emulator)
    try:
        for wire in (first, second):
            wire.subscribe({"channel": "books", "instId": "ETH-USDT"})
            wire.push("books")
        emulator.step(5, inst_id="ETH-USDT")
        chains = [[m["data"][0]["seqId"] for m in wire.barrier() if m.get("action") == "update"]
                  for wire in (first, second)]
    finally:
        first.close()
        second.close()
    assert chains[0] and chains[0] == chains[1]


# -- coherence and the other public channels ---------------------------------------------


def test_tickers_trades_and_book_agree_at_every_step(emulator, wire):
    wire.subscribe({"channel": "tickers", "instId": "BTC-USDT"}, {"channel": "books5", "instId": "BTC-USDT"},
                   {"channel": "trades", "instId": "BTC-USDT"})
    wire.barrier()
    trades_seen = 0
    for _ in range(60):
        emulator.step(inst_id="BTC-USDT")
        messages = wire.barrier()
        tickers = [m["data"][0] for m in messages if m["arg"]["channel"] == "tickers"]
        trades = [t for m in messages if m["arg"]["channel"] == "trades" for t in m["data"]]
        ticker = tickers[-1]
        bid, ask, last = Decimal(ticker["bidPx"]), Decimal(ticker["askPx"]), Decimal(ticker["last"])
        assert bid <= last <= ask
        assert (bid, ask) == emulator.best_prices("BTC-USDT")
        books = [m["data"][0] for m in messages if m["arg"]["channel"] == "books5"]
        if books:
            assert books[-1]["bids"][0][:2] == [ticker["bidPx"], ticker["bidSz"]]
            assert books[-1]["asks"][0][:2] == [ticker["askPx"], ticker["askSz"]]
        if trades:
            trades_seen += len(trades)
            assert trades[-1]["px"] == ticker["last"] and trades[-1]["sz"] == ticker["lastSz"]
            assert all(t["side"] in ("buy", "sell") and isinstance(t["seqId"], int) for t in trades)
    assert trades_seen > 10


def test_every_public_channel_pushes_its_documented_fields(emulator):
    public, business = Wire(emulator), Wire(emulator, "business")
    try:
        public.subscribe(
            {"channel": "mark-price", "instId": "BTC-USDT-SWAP"},
            {"channel": "funding-rate", "instId": "BTC-USDT-SWAP"},
            {"channel": "open-interest", "instId": "BTC-USDT-SWAP"},
            {"channel": "index-tickers", "instId": "BTC-USDT"},
            {"channel": "price-limit", "instId": "BTC-USDT-SWAP"},
            {"channel": "estimated-price", "instType": "FUTURES", "instFamily": "BTC-USDT"},
            {"channel": "opt-summary", "instFamily": "BTC-USD"},
            {"channel": "instruments", "instType": "SPOT"},
            {"channel": "status"})
        business.subscribe({"channel": "candle1m", "instId": "BTC-USDT"},
                           {"channel": "mark-price-candle1H", "instId": "BTC-USDT-SWAP"},
                           {"channel": "index-candle1Dutc", "instId": "BTC-USD"},
                           {"channel": "trades-all", "instId": "BTC-USDT"})
        pushes = {m["arg"]["channel"]: m["data"] for m in public.barrier() + business.barrier() if "event" not in m}
        emulator.step(20, inst_id="BTC-USDT")  # both subscriptions are in place: their acks came
        pushes.update({m["arg"]["channel"]: m["data"] for m in business.barrier() if "event" not in m})
    finally:
        public.close()
        business.close()
    assert set(pushes["mark-price"][0]) == {"instType", "instId", "markPx", "ts"}
    assert {"fundingRate", "fundingTime", "nextFundingTime", "premium", "settState"} <= set(pushes["funding-rate"][0])
    assert {"oi", "oiCcy", "oiUsd"} <= set(pushes["open-interest"][0])
    assert pushes["index-tickers"][0]["instId"] == "BTC-USDT" and Decimal(pushes["index-tickers"][0]["idxPx"]) > 0
    limit = pushes["price-limit"][0]
    assert Decimal(limit["sellLmt"]) < Decimal(limit["buyLmt"]) and limit["enabled"] is True
    assert pushes["estimated-price"][0]["instType"] == "FUTURES"
    assert {row["instId"] for row in pushes["opt-summary"]} == {i for i in emulator.instruments if i.endswith(("-C", "-P"))}
    codes = {row["instId"]: row["instIdCode"] for row in pushes["instruments"]}
    assert codes["BTC-USDT"] == emulator.instrument_code("BTC-USDT") and isinstance(codes["ETH-USDT"], int)
    assert pushes["status"][0]["state"] == "completed"
    candle = pushes["candle1m"][0]
    assert len(candle) == 9 and candle[-1] == "0" and Decimal(candle[2]) >= Decimal(candle[3])
    assert int(candle[0]) % 60_000 == 0
    assert len(pushes["mark-price-candle1H"][0]) == 6 and len(pushes["index-candle1Dutc"][0]) == 6
    assert set(pushes["trades-all"][0]) >= {"instId", "tradeId", "px", "sz", "side", "ts"}
    assert len(pushes["trades-all"]) == 1


def test_set_status_pushes_the_new_state(emulator, wire):
    wire.subscribe({"channel": "status"})
    wire.push("status")
    emulator.set_status(state="ongoing", title="Spot upgrade")
    assert wire.push("status")["data"][0]["state"] == "ongoing"


def test_the_market_moves_by_itself_with_a_push_interval():
    with OkxEmulator(push_interval=0.02) as emu:
        wire = Wire(emu)
        try:
            wire.subscribe({"channel": "tickers", "instId": "ETH-USDT"})
            first = wire.push("tickers")["data"][0]["ts"]
            later = wire.expect(lambda m: m.get("arg") and m["data"][0]["ts"] != first)
        finally:
            wire.close()
    assert int(later["data"][0]["ts"]) > int(first)


# -- connection faults ------------------------------------------------------------------


def test_send_notice_tells_every_connection_to_reconnect(emulator, wire, private):
    wire.barrier()
    private.barrier()
    assert emulator.send_notice() == 2
    notice = wire.recv()
    assert notice["event"] == "notice" and notice["code"] == "64008" and "service upgrade" in notice["msg"]
    assert private.recv()["code"] == "64008"


def test_send_frame_and_drop_connections(emulator, wire):
    wire.barrier()
    assert emulator.send_frame({"event": "mystery"}, endpoint="public") == 1
    assert wire.recv() == {"event": "mystery"}
    assert emulator.send_frame("garbage{") == 1
    assert wire.socket.recv() == "garbage{"
    assert emulator.drop_connections() == 1
    with pytest.raises((websocket.WebSocketConnectionClosedException, ConnectionError)):
        wire.recv()
    assert emulator.wait_for(lambda: not emulator.connections, timeout(5))


def test_stall_silences_the_connection(emulator, wire):
    wire.barrier()
    received = emulator.messages_received
    assert emulator.stall() == 1
    wire.send("ping")
    assert emulator.wait_for(lambda: emulator.messages_received == received + 1, timeout(5))
    wire.socket.settimeout(0.3)
    with pytest.raises(websocket.WebSocketTimeoutException):
        wire.socket.recv()  # the silence itself is the outcome: a short bounded wait
    assert emulator.pings_received == 1


def test_a_candle_closes_with_confirm_1_when_its_bar_ends():
    now = [1_700_000_000.0]
    with OkxEmulator(push_interval=None, clock=lambda: now[0], idle_timeout=None) as emu:
        wire = Wire(emu, "business")
        try:
            wire.subscribe({"channel": "candle1m", "instId": "BTC-USDT"})
            first = wire.push("candle1m")["data"][0]
            now[0] += 60
            emu.step(inst_id="BTC-USDT")
            closed, current = wire.push("candle1m")["data"][0], wire.push("candle1m")["data"][0]
        finally:
            wire.close()
    assert first[0] == closed[0] == "1699999980000" and closed[-1] == "1" and first[-1] == "0"
    assert current[0] == "1700000040000" and current[-1] == "0" and current[1] == closed[4]
