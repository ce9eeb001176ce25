"""KrakenEmulator against a plain websocket-client socket (reference/protocols/kraken.md)."""

from __future__ import annotations

import json
import logging
import os
import re
import socket
import struct
import threading
import time
import zlib
from contextlib import ExitStack
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable

import pytest
import websocket

from exwire.testing import KrakenEmulator
from exwire.testing.kraken import book_checksum

SCALE = float(os.environ.get("EXWIRE_TEST_TIMEOUT_SCALE", "1"))
TIMEOUT = 5.0 * SCALE  # seconds to wait for something that should happen
QUIET = 0.3 * SCALE  # seconds of silence that count as "nothing more is coming"

FIXTURES = Path(__file__).resolve().parents[2].parent / "shared" / "fixtures" / "kraken"
ORDERBOOK_V1 = FIXTURES / "python-kraken-sdk" / "orderbook-v1.json"
CRYPTOFEED_BOOK = FIXTURES / "cryptofeed" / "KRAKEN.ws.50.0"
CRYPTOFEED_TRADE = FIXTURES / "cryptofeed" / "KRAKEN.ws.48.0"

PRICE_5 = re.compile(r"\d+\.\d{5}")
VOLUME_8 = re.compile(r"\d+\.\d{8}")
TIMESTAMP = re.compile(r"\d{10}\.\d{6}")


def fixture_path(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"capture {path} not found (../shared/fixtures next to the repository)")
    return path


@pytest.fixture(autouse=True)
def no_thread_left_behind():
    yield
    leftover = [t.name for t in threading.enumerate()
                if t.name.startswith("exwire-") and t.is_alive()]
    assert not leftover, f"threads left running: {leftover}"


@pytest.fixture
def stack():
    with ExitStack() as exit_stack:
        yield exit_stack


@pytest.fixture
def start(stack: ExitStack) -> Callable[..., KrakenEmulator]:
    def start_emulator(**kwargs: Any) -> KrakenEmulator:
        emulator = KrakenEmulator(**kwargs)
        stack.callback(emulator.close)
        return emulator.start()
    return start_emulator


@pytest.fixture
def connect(stack: ExitStack) -> Callable[[str], websocket.WebSocket]:
    def open_socket(url: str) -> websocket.WebSocket:
        ws = websocket.create_connection(url, timeout=TIMEOUT, skip_utf8_validation=True)
        stack.callback(ws.shutdown)  # runs last: close() leaves a dead socket open
        stack.callback(ws.close, timeout=QUIET)
        return ws
    return open_socket


def send(ws: websocket.WebSocket, message: dict[str, Any]) -> None:
    ws.send(json.dumps(message))


def recv(ws: websocket.WebSocket, timeout: float = TIMEOUT) -> Any:
    ws.settimeout(timeout)
    return json.loads(ws.recv())


def recv_until(ws: websocket.WebSocket, predicate: Callable[[Any], bool],
               timeout: float = TIMEOUT) -> tuple[Any, list[Any]]:
    """Read until a message satisfies predicate; return it and everything read before."""
    deadline = time.monotonic() + timeout
    before = []
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise AssertionError(f"no matching message within {timeout}s; last: {before[-3:]}")
        message = recv(ws, remaining)
        if predicate(message):
            return message, before
        before.append(message)


def is_event(name: str, **fields: Any) -> Callable[[Any], bool]:
    return lambda m: isinstance(m, dict) and m.get("event") == name and \
        all(m.get(k) == v for k, v in fields.items())


def subscribe(ws: websocket.WebSocket, pairs: list[str], subscription: dict[str, Any],
              reqid: int = 1) -> list[dict[str, Any]]:
    """Subscribe and return the len(pairs) subscriptionStatus acks (other frames skipped)."""
    send(ws, {"event": "subscribe", "reqid": reqid, "pair": pairs,
              "subscription": subscription})
    return [recv_until(ws, is_event("subscriptionStatus", reqid=reqid))[0] for _ in pairs]


def connected(connect: Callable[[str], websocket.WebSocket], url: str) -> websocket.WebSocket:
    """Open a socket and read the systemStatus every connection starts with."""
    ws = connect(url)
    assert recv(ws)["event"] == "systemStatus"
    return ws


class BookVerifier:
    """Independent order book: apply snapshot/updates, truncate to depth, check ``c``."""

    def __init__(self, depth: int) -> None:
        self.depth = depth
        self.asks: dict[str, str] = {}
        self.bids: dict[str, str] = {}

    def apply(self, message: list[Any]) -> bool | None:
        """Apply one book message; return whether its checksum matched (None: none)."""
        checksum = None
        for payload in message[1:-2]:
            if "as" in payload:
                self.asks = {level[0]: level[1] for level in payload["as"]}
                self.bids = {level[0]: level[1] for level in payload["bs"]}
            for key, side in (("a", self.asks), ("b", self.bids)):
                for price, volume, *_ in payload.get(key, []):
                    if Decimal(volume) == 0:
                        side.pop(price, None)
                    else:
                        side[price] = volume
            checksum = payload.get("c", checksum)
        ask_prices = sorted(self.asks, key=Decimal)[:self.depth]
        bid_prices = sorted(self.bids, key=Decimal, reverse=True)[:self.depth]
        self.asks = {p: self.asks[p] for p in ask_prices}
        self.bids = {p: self.bids[p] for p in bid_prices}
        if checksum is None:
            return None
        def digits(text: str) -> str:
            return text.replace(".", "").lstrip("0")
        text = "".join(digits(price) + digits(side[price])
                       for side, prices in ((self.asks, ask_prices), (self.bids, bid_prices))
                       for price in prices[:10])
        return zlib.crc32(text.encode()) == int(checksum)


# -- checksum --------------------------------------------------------------------------


def test_book_checksum_gives_kraken_worked_example_1():
    # Kraken's checksum guide: the bids skip 0.04985 (see the concatenation in §5.5).
    ask_prices = "05005 05010 05015 05020 05025 05030 05035 05040 05045 05050"
    bid_prices = "05000 04995 04990 04980 04975 04970 04965 04960 04955 04950"
    asks = [(f"0.{price}", "0.00000500") for price in ask_prices.split()]
    bids = [(f"0.{price}", "0.00000500") for price in bid_prices.split()]
    assert book_checksum(asks, bids) == 974947235


def test_book_checksum_gives_worked_example_2_from_the_capture():
    capture = json.loads(fixture_path(ORDERBOOK_V1).read_text())
    snapshot = capture["init"][3][1]
    bids = {level[0]: level for level in snapshot["bs"]}
    update = capture["updates"][0][1]
    for level in update["b"]:
        bids[level[0]] = level
    ordered_bids = sorted(bids.values(), key=lambda level: Decimal(level[0]), reverse=True)
    assert update["c"] == "3572756970"
    assert book_checksum(snapshot["as"], ordered_bids) == 3572756970


# -- connection-level messages ---------------------------------------------------------


@pytest.mark.parametrize("path", ["/", "/auth"])
def test_system_status_is_sent_on_connect(start, connect, path):
    emulator = start()
    status = recv(connect(f"{emulator.url.rstrip('/')}{path}"))
    assert status["event"] == "systemStatus"
    assert status["status"] == "online" and status["version"] == "1.9.1"
    assert isinstance(status["connectionID"], int) and 0 <= status["connectionID"] < 2**64
    assert emulator.client_kwargs() == {"url": f"ws://127.0.0.1:{emulator.port}/",
                                        "private_url": f"ws://127.0.0.1:{emulator.port}/auth",
                                        "rest_url": f"http://127.0.0.1:{emulator.port}"}


def test_unknown_path_is_refused(start):
    emulator = start()
    with pytest.raises(websocket.WebSocketBadStatusException):
        websocket.create_connection(f"{emulator.url}nowhere", timeout=TIMEOUT)


@pytest.mark.parametrize("endpoint", ["url", "private_url"])
def test_ping_is_answered_with_pong_echoing_reqid(start, connect, endpoint):
    emulator = start()
    ws = connected(connect, emulator.client_kwargs()[endpoint])
    send(ws, {"event": "ping", "reqid": 42})
    assert recv(ws) == {"event": "pong", "reqid": 42}
    send(ws, {"event": "ping"})
    assert recv(ws) == {"event": "pong"}
    send(ws, {"event": "ping", "reqid": "a"})
    assert recv(ws)["event"] == "pingStatus"


def test_heartbeats_arrive_once_subscribed(start, connect):
    emulator = start(push_interval=None, heartbeat_interval=0.05)
    ws = connected(connect, emulator.url)
    subscribe(ws, ["XBT/USD"], {"name": "trade"})
    recv_until(ws, is_event("heartbeat"))


# -- subscribe / unsubscribe -----------------------------------------------------------


def test_subscribe_acks_each_pair_with_reqid_and_maps_btc_to_xbt(start, connect):
    emulator = start(push_interval=None)
    ws = connected(connect, emulator.url)
    acks = subscribe(ws, ["BTC/USD", "ETH/EUR"], {"name": "ohlc", "interval": 5}, reqid=7)
    assert [a["pair"] for a in acks] == ["XBT/USD", "ETH/EUR"]
    for ack in acks:
        assert ack["status"] == "subscribed" and ack["reqid"] == 7
        assert ack["channelName"] == "ohlc-5" and isinstance(ack["channelID"], int)
        assert ack["subscription"] == {"interval": 5, "name": "ohlc"}
    book_ack, = subscribe(ws, ["XDG/USD"], {"name": "book"}, reqid=8)
    assert book_ack["channelName"] == "book-10"
    assert book_ack["subscription"] == {"depth": 10, "name": "book"}
    assert emulator.wait_for(lambda: emulator.subscriptions == 3, TIMEOUT)


@pytest.mark.parametrize("pairs, subscription, expected", [
    (["XBT/USD"], {"name": "book", "depth": 42}, "Subscription depth not supported"),
    (["XBT/USD"], {"name": "ohlc", "interval": 7}, "Subscription ohlc interval not supported"),
    (["ABC/XYZ"], {"name": "ticker"}, "Pair(s) not found"),
    (["XBTUSD"], {"name": "ticker"}, "Currency pair not in ISO 4217-A3 format XBTUSD"),
    (["XBT/USD"], {"depth": 10}, "Malformed request"),
    (["XBT/USD"], {"name": "candles"}, "Subscription name invalid"),
])
def test_bad_subscription_gets_error_ack(start, connect, pairs, subscription, expected):
    emulator = start(push_interval=None)
    ws = connected(connect, emulator.url)
    ack, = subscribe(ws, pairs, subscription, reqid=3)
    assert ack["status"] == "error" and ack["errorMessage"] == expected
    assert ack["pair"] == pairs[0] and ack["subscription"] == subscription
    assert emulator.subscriptions == 0


def test_duplicate_and_missing_subscriptions_get_error_acks(start, connect):
    emulator = start(push_interval=None)
    ws = connected(connect, emulator.url)
    subscribe(ws, ["XBT/USD"], {"name": "ticker"}, reqid=1)
    again, = subscribe(ws, ["BTC/USD"], {"name": "ticker"}, reqid=2)
    assert again["errorMessage"] == "Already subscribed"
    send(ws, {"event": "unsubscribe", "reqid": 3, "pair": ["ETH/USD"],
              "subscription": {"name": "ticker"}})
    missing, _ = recv_until(ws, is_event("subscriptionStatus", reqid=3))
    assert missing["status"] == "error" and missing["errorMessage"] == "Subscription Not Found"
    send(ws, {"event": "subscribe", "reqid": 4})
    assert recv_until(ws, is_event("subscriptionStatus", reqid=4))[0]["status"] == "error"
    send(ws, {"event": "subscribed", "reqid": 5})
    typo, _ = recv_until(ws, is_event("subscriptionStatus", reqid=5))
    assert typo["errorMessage"] == "Unsupported event"
    ws.send("not json")
    assert recv_until(ws, is_event("error"))[0]["errorMessage"] == "Malformed request"


def test_unsubscribe_acks_and_stops_pushes(start, connect):
    emulator = start(push_interval=0.01)
    ws = connected(connect, emulator.url)
    ack, = subscribe(ws, ["XBT/USD"], {"name": "ticker"}, reqid=1)
    recv_until(ws, lambda m: isinstance(m, list) and m[-2] == "ticker")
    send(ws, {"event": "unsubscribe", "reqid": 2, "pair": ["XBT/USD"],
              "subscription": {"name": "ticker"}})
    gone, _ = recv_until(ws, is_event("subscriptionStatus", reqid=2))
    assert gone["status"] == "unsubscribed" and gone["channelID"] == ack["channelID"]
    send(ws, {"event": "ping", "reqid": 3})
    _, between = recv_until(ws, is_event("pong", reqid=3))
    assert not [m for m in between if isinstance(m, list)]
    assert emulator.subscriptions == 0


def test_refuse_next_subscription_refuses_one_request(start, connect):
    emulator = start(push_interval=None)
    ws = connected(connect, emulator.url)
    emulator.refuse_next_subscription("Exceeded msg rate")
    refused = subscribe(ws, ["XBT/USD", "ETH/USD"], {"name": "spread"}, reqid=1)
    assert [(a["status"], a["errorMessage"], a["pair"]) for a in refused] == [
        ("error", "Exceeded msg rate", "XBT/USD"), ("error", "Exceeded msg rate", "ETH/USD")]
    accepted, = subscribe(ws, ["XBT/USD"], {"name": "spread"}, reqid=2)
    assert accepted["status"] == "subscribed"


# -- generated market data -------------------------------------------------------------


def test_generated_channels_have_the_documented_shapes(start, connect):
    emulator = start(push_interval=0.01)
    ws = connected(connect, emulator.url)
    for reqid, subscription in enumerate(
            [{"name": "ticker"}, {"name": "trade"}, {"name": "spread"},
             {"name": "ohlc", "interval": 1}], start=1):
        subscribe(ws, ["XBT/USD"], subscription, reqid=reqid)
    seen: dict[str, Any] = {}

    def collect(message: Any) -> bool:
        if isinstance(message, list):
            assert len(message) == 4 and message[-1] == "XBT/USD"
            seen[message[-2]] = message[1]
        return len(seen) == 4
    recv_until(ws, collect)
    ticker = seen["ticker"]
    assert PRICE_5.fullmatch(ticker["a"][0]) and isinstance(ticker["a"][1], int)
    assert PRICE_5.fullmatch(ticker["c"][0]) and VOLUME_8.fullmatch(ticker["c"][1])
    assert all(isinstance(n, int) for n in ticker["t"])
    assert set(ticker) == {"a", "b", "c", "v", "p", "t", "l", "h", "o"}
    for price, volume, timestamp, side, kind, misc in seen["trade"]:
        assert PRICE_5.fullmatch(price) and VOLUME_8.fullmatch(volume)
        assert TIMESTAMP.fullmatch(timestamp) and side in "bs" and kind in "ml" and misc == ""
    bid, ask, timestamp, bid_volume, ask_volume = seen["spread"]
    assert Decimal(bid) < Decimal(ask) and TIMESTAMP.fullmatch(timestamp)
    assert VOLUME_8.fullmatch(bid_volume) and VOLUME_8.fullmatch(ask_volume)
    candle = seen["ohlc-1"]
    assert len(candle) == 9 and isinstance(candle[8], int)
    assert all(PRICE_5.fullmatch(p) for p in candle[2:7]) and VOLUME_8.fullmatch(candle[7])
    assert Decimal(candle[1]) % 60 == 0


def test_generated_book_updates_carry_valid_checksums(start, connect):
    emulator = start(push_interval=0.002)
    ws = connected(connect, emulator.url)
    # Sent without waiting for the acks, so that no snapshot is skipped.
    send(ws, {"event": "subscribe", "pair": ["XBT/USD"],
              "subscription": {"name": "book", "depth": 10}})
    send(ws, {"event": "subscribe", "pair": ["XDG/USD"],
              "subscription": {"name": "book", "depth": 25}})
    books = {"book-10": BookVerifier(10), "book-25": BookVerifier(25)}
    counts = {"book-10": 0, "book-25": 0}
    shapes = {"five": 0, "republish": 0, "repeated": 0}

    def check(message: Any) -> bool:
        if not isinstance(message, list):
            return False
        name = message[-2]
        result = books[name].apply(message)
        if result is not None:
            assert result, f"checksum mismatch in {message}"
            counts[name] += 1
            levels = [level for payload in message[1:-2]
                      for key in ("a", "b") for level in payload.get(key, [])]
            shapes["five"] += len(message) == 5
            shapes["republish"] += any(level[-1] == "r" for level in levels)
            shapes["repeated"] += len({level[0] for level in levels}) < len(levels)
        return min(counts.values()) >= 150
    recv_until(ws, check, timeout=2 * TIMEOUT)
    assert all(shapes.values()), shapes
    assert len(books["book-10"].asks) == 10 and len(books["book-25"].bids) == 25


def test_corrupt_next_checksum_breaks_exactly_one_update(start, connect):
    emulator = start(push_interval=0.002)
    ws = connected(connect, emulator.url)
    subscribe(ws, ["ETH/USD"], {"name": "book"})
    book = BookVerifier(10)
    results: list[bool] = []

    def check(message: Any) -> bool:
        if isinstance(message, list):
            result = book.apply(message)
            if result is not None:
                results.append(result)
                if len(results) == 5:
                    emulator.corrupt_next_checksum()
        return len(results) >= 40
    recv_until(ws, check)
    assert results.count(False) == 1 and all(results[:5])


# -- replay ----------------------------------------------------------------------------


def replay_and_verify(emulator: KrakenEmulator, ws: websocket.WebSocket,
                      depth: int) -> tuple[int, int]:
    """Subscribe to the captured channel, read the whole replay, verify every checksum."""
    acks = subscribe(ws, emulator.replay_pairs, emulator.replay_channel, reqid=1)
    assert all(ack["status"] == "subscribed" for ack in acks)
    books = {pair: BookVerifier(depth) for pair in emulator.replay_pairs}
    verified = failed = 0

    def check(message: Any) -> bool:
        nonlocal verified, failed
        if isinstance(message, list):
            result = books[message[-1]].apply(message)
            verified += result is True
            failed += result is False
        return verified + failed >= emulator.replay_book_updates
    recv_until(ws, check, timeout=4 * TIMEOUT)
    assert emulator.replay_finished.wait(TIMEOUT)
    # Everything the replay sent precedes this pong: nothing more may be a book update.
    send(ws, {"event": "ping", "reqid": 99})
    _, after = recv_until(ws, is_event("pong", reqid=99))
    assert not [m for m in after if isinstance(m, list)]
    return verified, failed


def test_replay_of_python_kraken_sdk_capture_delivers_every_book_update(start, connect):
    emulator = start(replay=fixture_path(ORDERBOOK_V1), heartbeat_interval=None)
    assert emulator.replay_pairs == ["XBT/USD"]
    assert emulator.replay_channel == {"name": "book", "depth": 10}
    assert emulator.replay_book_updates == 979
    ws = connected(connect, emulator.url)
    assert replay_and_verify(emulator, ws, depth=10) == (979, 0)


def test_replay_of_cryptofeed_book_capture_delivers_every_book_update(start, connect):
    emulator = start(replay=fixture_path(CRYPTOFEED_BOOK), heartbeat_interval=None)
    assert len(emulator.replay_pairs) == 10 and "XBT/CHF" in emulator.replay_pairs
    assert emulator.replay_channel == {"name": "book", "depth": 1000}
    assert emulator.replay_book_updates == 4269
    ws = connected(connect, emulator.url)
    assert replay_and_verify(emulator, ws, depth=1000) == (4269, 0)


def test_replay_of_cryptofeed_trade_capture_uses_acked_channel_ids(start, connect):
    emulator = start(replay=fixture_path(CRYPTOFEED_TRADE), heartbeat_interval=None)
    assert emulator.replay_channel == {"name": "trade"}
    ws = connected(connect, emulator.url)
    acks = subscribe(ws, emulator.replay_pairs, {"name": "trade"})
    channel_ids = {ack["pair"]: ack["channelID"] for ack in acks}
    assert emulator.replay_finished.wait(TIMEOUT)
    send(ws, {"event": "ping", "reqid": 99})
    _, before = recv_until(ws, is_event("pong", reqid=99))
    trades = [m for m in before if isinstance(m, list)]
    assert len(trades) == 8
    assert all(m[0] == channel_ids[m[-1]] and m[-2] == "trade" for m in trades)
    assert sum(m == {"event": "heartbeat"} for m in before) == 30


# -- faults ----------------------------------------------------------------------------


def test_drop_connections_cuts_sockets_without_close_frame(start, connect):
    emulator = start()
    ws = connected(connect, emulator.url)
    assert emulator.drop_connections() == 1
    with pytest.raises((websocket.WebSocketConnectionClosedException, ConnectionError)):
        ws.settimeout(TIMEOUT)
        ws.recv_data(control_frame=True)
    assert emulator.wait_for(lambda: not emulator.connections, TIMEOUT)
    # The emulator keeps serving new connections.
    connected(connect, emulator.url)


def test_close_connections_sends_the_chosen_close_code(start, connect):
    emulator = start()
    ws = connected(connect, emulator.url)
    assert emulator.close_connections(4001, "maintenance") == 1
    ws.settimeout(TIMEOUT)
    opcode, data = ws.recv_data(control_frame=True)
    assert opcode == websocket.ABNF.OPCODE_CLOSE
    assert int.from_bytes(data[:2], "big") == 4001 and data[2:] == b"maintenance"
    ws.shutdown()  # websocket-client answered the close frame; a client then hangs up
    assert emulator.wait_for(lambda: not emulator.connections, TIMEOUT)


def test_stall_silences_open_connections_but_not_new_ones(start, connect):
    emulator = start(push_interval=0.01, heartbeat_interval=0.05)
    ws = connected(connect, emulator.url)
    subscribe(ws, ["XBT/USD"], {"name": "ticker"})
    recv_until(ws, lambda m: isinstance(m, list))
    assert emulator.stall() == 1
    with pytest.raises(websocket.WebSocketTimeoutException):  # drain what was in flight
        while True:
            recv(ws, QUIET)
    received = emulator.messages_received
    send(ws, {"event": "ping", "reqid": 5})
    ws.ping(b"still there?")
    assert emulator.wait_for(lambda: emulator.messages_received > received, TIMEOUT)
    with pytest.raises(websocket.WebSocketTimeoutException):
        ws.settimeout(QUIET)
        ws.recv_data(control_frame=True)
    assert ws.connected and len(emulator.connections) == 1
    fresh = connected(connect, emulator.url)
    send(fresh, {"event": "ping", "reqid": 6})
    assert recv(fresh) == {"event": "pong", "reqid": 6}


def test_send_raw_reaches_every_connection(start, connect):
    emulator = start()
    sockets = [connected(connect, emulator.url) for _ in range(2)]
    assert emulator.send_raw('{"event":"mystery"}') == 2
    assert all(recv(ws) == {"event": "mystery"} for ws in sockets)


def test_abrupt_client_disconnect_logs_nothing_above_debug(start, caplog):
    caplog.set_level(logging.DEBUG)
    emulator = start(push_interval=0.001)
    ws = websocket.create_connection(emulator.url, timeout=TIMEOUT)
    subscribe(ws, ["XBT/USD"], {"name": "book", "depth": 100})
    subscribe(ws, ["ETH/USD"], {"name": "trade"}, reqid=2)
    ws.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    ws.sock.close()  # RST, no close frame
    ws.shutdown()
    assert emulator.wait_for(lambda: not emulator.connections, TIMEOUT)
    emulator.close()
    loud = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert not loud, [r.getMessage() for r in loud]


def test_close_is_idempotent_and_final(start, connect):
    emulator = start(close_timeout=0.1)
    connected(connect, emulator.url)  # never reads: its close is cut short
    emulator.close()
    emulator.close()
    assert emulator.connections == []
    with pytest.raises(RuntimeError):
        emulator.start()


# -- private side: the REST token endpoint (§6) ---------------------------------------------

TOKEN_PATH = "/0/private/GetWebSocketsToken"


def post_token(emulator: KrakenEmulator, *, key: str | None = None, secret: str | None = None,
               nonce: int | None = None, path: str = TOKEN_PATH, sign_nonce: int | None = None) -> dict[str, Any]:
    """POST a signed token request by hand (independent of the client)."""
    import base64
    import hashlib
    import hmac

    import requests

    credentials = emulator.credentials
    key, secret = key or credentials.key, secret or credentials.secret
    nonce = nonce if nonce is not None else time.time_ns() // 1000
    body = f"nonce={nonce}"
    digest = hashlib.sha256((str(sign_nonce or nonce) + body).encode()).digest()
    signature = base64.b64encode(hmac.new(base64.b64decode(secret), path.encode() + digest,
                                          hashlib.sha512).digest()).decode()
    response = requests.post(f"{emulator.client_kwargs()['rest_url']}{path}", data=body, timeout=TIMEOUT,
                             headers={"API-Key": key, "API-Sign": signature,
                                      "Content-Type": "application/x-www-form-urlencoded"})
    return response.json()


def test_emulator_signature_check_accepts_kraken_published_vector():
    from exwire.testing._kraken.rest import Form, signature_matches

    secret = "kQH5HW/8p1uGOVjbgWA7FunAmGO8lsSUXNsu3eow76sz84Q18fWxnyRzBHCd3pd5nE9qa99HAZtuZuj6F1huXg=="
    form = Form(b"nonce=1616492376594&ordertype=limit&pair=XBTUSD&price=37500&type=buy&volume=1.25")
    sign = "4/dpxb3iT4tp/ZCVEwSnEsLxx0bqyhLpdfOpc6fn7OR8+UClSV5n9E6aSS8MPtnRfp32bAb0nmbRn6H8ndwLUQ=="
    assert signature_matches("/0/private/AddOrder", form, sign, secret)
    assert not signature_matches("/0/private/AddOrder", form, sign.replace("4", "5", 1), secret)
    assert not signature_matches("/0/private/CancelOrder", form, sign, secret)


def test_token_endpoint_issues_tokens_and_checks_key_signature_and_nonce(start):
    emulator = start(push_interval=None)
    nonce = time.time_ns() // 1000
    issued = post_token(emulator, nonce=nonce)
    assert issued["error"] == [] and issued["result"]["expires"] == 900
    assert issued["result"]["token"] == emulator.tokens_issued[-1]
    assert post_token(emulator, nonce=nonce) == {"error": ["EAPI:Invalid nonce"]}  # reused
    assert post_token(emulator, nonce=nonce - 5) == {"error": ["EAPI:Invalid nonce"]}  # lower
    assert post_token(emulator, nonce=nonce + 1, sign_nonce=nonce + 2) == {"error": ["EAPI:Invalid signature"]}
    other = "c29tZWJvZHkgZWxzZSdzIHNlY3JldA=="
    assert post_token(emulator, nonce=nonce + 3, secret=other) == {"error": ["EAPI:Invalid signature"]}
    assert post_token(emulator, key="nobody") == {"error": ["EAPI:Invalid key"]}
    assert post_token(emulator, path="/0/private/Balance") == {"error": ["EGeneral:Unknown method"]}
    assert post_token(emulator, nonce=nonce + 4)["error"] == []  # a refused signature used up no nonce
    assert len(emulator.tokens_issued) == 2
    emulator.refuse_next_token("EAPI:Rate limit exceeded")
    assert post_token(emulator) == {"error": ["EAPI:Rate limit exceeded"]}
    assert emulator.connections_accepted == 0  # plain HTTP never reaches the WebSocket side


# -- private side: channels and trading on /auth (§7, §8) ----------------------------------


def private_socket(emulator: KrakenEmulator, connect: Callable[[str], websocket.WebSocket]) -> tuple[websocket.WebSocket, str]:
    token = post_token(emulator)["result"]["token"]
    return connected(connect, emulator.client_kwargs()["private_url"]), token


def trade(ws: websocket.WebSocket, token: str, event: str, reqid: int, **fields: Any) -> None:
    send(ws, {"event": event, "token": token, "reqid": reqid, **fields})


def test_private_subscriptions_ack_then_snapshot_with_sequence(start, connect):
    emulator = start(push_interval=None, heartbeat_interval=0.05)
    ws, token = private_socket(emulator, connect)
    send(ws, {"event": "subscribe", "reqid": 1, "subscription": {"name": "openOrders", "token": token,
                                                                  "ratecounter": True}})
    ack, _ = recv_until(ws, is_event("subscriptionStatus", reqid=1))
    assert ack == {"channelName": "openOrders", "event": "subscriptionStatus", "reqid": 1, "status": "subscribed",
                   "subscription": {"maxratecount": 125, "name": "openOrders"}}
    assert recv(ws) == [[], "openOrders", {"sequence": 1}]
    recv_until(ws, is_event("heartbeat"))  # a private subscription gets heartbeats too (§4.2)
    send(ws, {"event": "subscribe", "reqid": 2, "subscription": {"name": "ownTrades", "token": token,
                                                                  "snapshot": False}})
    recv_until(ws, is_event("subscriptionStatus", reqid=2, status="subscribed"))
    bid, _ = emulator.best_prices("XBT/USD")
    trade(ws, token, "addOrder", 3, ordertype="market", type="sell", pair="BTC/USD", volume="0.01")
    reply, _ = recv_until(ws, is_event("addOrderStatus", reqid=3))
    assert reply["status"] == "ok" and reply["descr"] == "sell 0.01000000 XBTUSD @ market"
    own, _ = recv_until(ws, lambda m: isinstance(m, list) and m[1] == "ownTrades")
    (trade_id, fields), = own[0][0].items()
    assert own[2] == {"sequence": 1} and fields["ordertxid"] == reply["txid"] and fields["price"] == str(bid)
    closed, _ = recv_until(ws, lambda m: isinstance(m, list) and m[1] == "openOrders"
                           and m[0][0][reply["txid"]].get("status") == "closed")
    assert closed[0][0][reply["txid"]]["ratecount"] >= 1


def test_private_subscription_refusals(start, connect):
    emulator = start(push_interval=None)
    ws, token = private_socket(emulator, connect)
    cases = [
        ({"name": "ownTrades"}, None, "EAPI:Invalid token"),
        ({"name": "ownTrades", "token": "forged"}, None, "EAPI:Invalid token"),
        ({"name": "ownTrades", "token": token}, ["XBT/USD"], "Pair field unsupported for this subscription type"),
        ({"name": "ownTrades", "token": token, "depth": 10}, None, "Subscription object unsupported field"),
    ]
    for reqid, (subscription, pairs, expected) in enumerate(cases, 1):
        request = {"event": "subscribe", "reqid": reqid, "subscription": subscription}
        if pairs:
            request["pair"] = pairs
        send(ws, request)
        reply, _ = recv_until(ws, is_event("subscriptionStatus", reqid=reqid))
        assert reply["status"] == "error" and reply["errorMessage"] == expected
        assert "token" not in reply["subscription"]
    send(ws, {"event": "unsubscribe", "reqid": 9, "subscription": {"name": "openOrders", "token": token}})
    assert recv_until(ws, is_event("subscriptionStatus", reqid=9))[0]["errorMessage"] == "Subscription Not Found"
    public = connected(connect, emulator.url)
    trade(public, token, "cancelAll", 10)
    reply = recv_until(public, is_event("cancelAllStatus", reqid=10))[0]
    assert reply["errorMessage"].startswith("Private data and trading are unavailable on this endpoint")


def test_a_multi_id_cancel_gets_one_status_per_id_in_order(start, connect):
    emulator = start(push_interval=None)
    ws, token = private_socket(emulator, connect)
    bid, _ = emulator.best_prices("XBT/USD")
    txids = []
    for reqid in (1, 2):
        trade(ws, token, "addOrder", reqid, ordertype="limit", type="buy", pair="XBT/USD", volume="0.01",
              price=str(bid - 50))
        txids.append(recv_until(ws, is_event("addOrderStatus", reqid=reqid))[0]["txid"])
    trade(ws, token, "cancelOrder", 3, txid=[txids[0], "OUNKNO-WN000-000000", txids[1]])
    replies = [recv_until(ws, is_event("cancelOrderStatus", reqid=3))[0] for _ in range(3)]
    assert [r["status"] for r in replies] == ["ok", "error", "ok"]
    assert replies[1]["errorMessage"] == "EOrder:Unknown order"
    assert emulator.open_orders() == [] and emulator.requests_received("cancelOrder") == 1


def test_order_checks_answer_with_kraken_errors(start, connect):
    emulator = start(push_interval=None, balances={"USD": "10", "XBT": "0"})
    ws, token = private_socket(emulator, connect)
    cases = [
        ({"ordertype": "limit", "type": "buy", "pair": "XBT/USD", "volume": "0.01"}, "EGeneral:Invalid arguments:price"),
        ({"ordertype": "limit", "type": "buy", "pair": "XBT/USD", "volume": "-1", "price": "1"},
         "EGeneral:Invalid arguments:volume"),
        ({"ordertype": "market", "type": "buy", "pair": "XBT/USD", "volume": "0.01"}, "EOrder:Insufficient funds"),
        ({"ordertype": "market", "type": "sell", "pair": "XBT/USD", "volume": "0.01"}, "EOrder:Insufficient funds"),
        ({"ordertype": "market", "type": "buy", "pair": "XBT/USD", "volume": "0.01", "oflags": "moon"},
         "EGeneral:Invalid arguments:oflags"),
        ({"ordertype": "iceberg", "type": "buy", "pair": "XBT/USD", "volume": "0.01"},
         "EGeneral:Invalid arguments:ordertype"),
        ({"ordertype": "market", "type": "buy", "pair": "XBT/USD", "volume": "0.01", "validate": True},
         "EOrder:Insufficient funds"),
    ]
    for reqid, (fields, expected) in enumerate(cases, 1):
        trade(ws, token, "addOrder", reqid, **fields)
        reply = recv_until(ws, is_event("addOrderStatus", reqid=reqid))[0]
        assert reply == {"errorMessage": expected, "event": "addOrderStatus", "reqid": reqid, "status": "error"}
    trade(ws, token, "cancelAllOrdersAfter", 20, timeout="60")
    assert recv_until(ws, is_event("cancelAllOrdersAfterStatus", reqid=20))[0]["status"] == "error"
    trade(ws, "forged", "cancelAll", 21)
    assert recv_until(ws, is_event("cancelAllStatus", reqid=21))[0]["errorMessage"] == "EAPI:Invalid token"
    assert emulator.requests_received("addOrder") == len(cases) and emulator.open_orders() == []


def test_the_dead_mans_switch_fires_once_and_can_be_refreshed(start, connect):
    emulator = start(push_interval=None)
    ws, token = private_socket(emulator, connect)
    bid, _ = emulator.best_prices("ETH/USD")
    trade(ws, token, "addOrder", 1, ordertype="limit", type="buy", pair="ETH/USD", volume="1", price=str(bid - 10))
    recv_until(ws, is_event("addOrderStatus", reqid=1))
    trade(ws, token, "cancelAllOrdersAfter", 2, timeout=60)
    armed = recv_until(ws, is_event("cancelAllOrdersAfterStatus", reqid=2))[0]
    current = time.strptime(armed["currentTime"], "%Y-%m-%dT%H:%M:%SZ")
    trigger = time.strptime(armed["triggerTime"], "%Y-%m-%dT%H:%M:%SZ")
    assert time.mktime(trigger) - time.mktime(current) == 60
    trade(ws, token, "cancelAllOrdersAfter", 3, timeout=1)  # refreshed with a short countdown
    recv_until(ws, is_event("cancelAllOrdersAfterStatus", reqid=3))
    assert emulator.wait_for(lambda: emulator.open_orders() == [], 5 * TIMEOUT)
    assert len(emulator.open_orders()) == 0
