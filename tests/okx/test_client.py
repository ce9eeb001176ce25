"""OkxClient against exwire.testing.okx.OkxEmulator over loopback sockets."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

import exwire
from exwire.errors import (
    AuthenticationError,
    ConfigurationError,
    ConnectionClosed,
    InsufficientFunds,
    InvalidRequest,
    InvalidState,
    OrderNotFound,
)
from exwire.models import Side
from exwire.okx import CancelRequest, OkxClient, OrderRequest, OrderStatus, Ticker
from exwire.testing.okx import OkxEmulator
from tests.conftest import timeout
from tests.helpers import Collector, wait_until

T = timeout(10)


@pytest.fixture
def emulator() -> Iterator[OkxEmulator]:
    with OkxEmulator(push_interval=None) as emu:
        yield emu


@pytest.fixture
def client(emulator: OkxEmulator) -> Iterator[OkxClient]:
    with OkxClient(**emulator.client_kwargs(), credentials=emulator.credentials, request_timeout=T) as okx:
        yield okx


def _reconnects(client: OkxClient, name: str) -> int:
    reconnects: int = client.health()["connections"][name]["reconnects"]
    return reconnects


# -- construction ------------------------------------------------------------------------


def test_construction_does_no_io_and_keeps_its_urls() -> None:
    with OkxClient() as okx:
        assert okx.url == "wss://ws.okx.com:8443/ws/v5/public"
        assert okx.private_url == "wss://ws.okx.com:8443/ws/v5/private"
        assert okx.business_url == "wss://ws.okx.com:8443/ws/v5/business"
        assert all(c["state"] == "new" for c in okx.health()["connections"].values())
    with OkxClient(demo=True, url="ws://127.0.0.1:1/x") as demo:
        assert demo.private_url.startswith("wss://wspap.okx.com:8443/") and demo.url == "ws://127.0.0.1:1/x"


@pytest.mark.parametrize("kwargs", [{"url": "http://x"}, {"private_url": "nope"}, {"business_url": 5},
                                    {"ping_interval": 0}, {"pong_timeout": -1}, {"demo": "yes"},
                                    {"credentials": exwire.Credentials("k", "s")}])
def test_bad_construction_is_refused(kwargs: dict[str, object]) -> None:
    with pytest.raises(ConfigurationError):
        OkxClient(**kwargs)  # type: ignore[arg-type]


def test_exwire_exposes_the_client_lazily() -> None:
    assert exwire.OkxClient is OkxClient


# -- public data --------------------------------------------------------------------------


def test_ping_and_ticker_stream(emulator: OkxEmulator, client: OkxClient) -> None:
    assert client.ping() >= 0
    with client.subscribe_to_ticker_updates("btc/usdt") as sub:
        emulator.step()
        event = sub.get(timeout=T)
        assert isinstance(event.data, Ticker) and event.symbol == "BTC-USDT" and event.topic == "tickers:BTC-USDT"
        assert isinstance(event.data.last_price, Decimal) and event.received_at.tzinfo is not None
        assert client.latest.ticker("BTC-USDT") is not None


def test_candles_come_from_the_business_connection(emulator: OkxEmulator, client: OkxClient) -> None:
    with client.subscribe_to_kline_updates("BTC-USDT", "1m") as sub:
        emulator.step()
        event = sub.get(timeout=T)
        assert event.data.symbol == "BTC-USDT" and event.data.interval.value == "1m"
    assert any(arg.get("channel") == "candle1m" for _, endpoint, request in emulator.requests("subscribe")
               if endpoint == "business" for arg in request["args"])


def test_an_unknown_instrument_is_the_exchanges_to_refuse(client: OkxClient) -> None:
    with pytest.raises(InvalidRequest):
        client.subscribe_to_ticker_updates("NOPE-USDT")


@pytest.mark.parametrize("call", [
    lambda c: c.subscribe_to_ticker_updates(""),
    lambda c: c.subscribe_to_ticker_updates(["BTC_USDT"]),
    lambda c: c.subscribe_to_kline_updates("BTC-USDT", "1x"),
    lambda c: c.subscribe_to_order_book_updates("BTC-USDT", "books7"),
    lambda c: c.watch_order_book("BTC-USDT", depth=10),
    lambda c: c.place_order("BTC-USDT", "up", "limit", "cash", "1", "1"),
    lambda c: c.place_order("BTC-USDT", "buy", "limit", "cash", "1"),
    lambda c: c.place_order("BTC-USDT", "buy", "limit", "cash", "nan", "1"),
    lambda c: c.place_order("BTC-USDT", "buy", "limit", "cash", "1", "1", expires_at=datetime(2030, 1, 1)),
    lambda c: c.place_multiple_orders([]),
    lambda c: c.place_multiple_orders([{"symbol": "BTC-USDT"}] * 21),
    lambda c: c.place_multiple_orders([{"symbol": "BTC-USDT", "sidee": "buy"}]),
    lambda c: c.cancel_order("BTC-USDT"),
    lambda c: c.amend_order("BTC-USDT", order_id="1"),
    lambda c: c.subscribe_to_order_updates("PERP"),
    lambda c: c.subscribe_to_symbol_updates("ANY"),
])
def test_bad_arguments_are_refused_before_any_io(emulator: OkxEmulator, client: OkxClient, call: object) -> None:
    with pytest.raises(ConfigurationError):
        call(client)  # type: ignore[operator]
    assert all(c["state"] == "new" for c in client.health()["connections"].values())
    assert emulator.requests() == []


def test_private_calls_without_credentials_send_nothing(emulator: OkxEmulator) -> None:
    with OkxClient(**emulator.client_kwargs()) as public_only:
        with pytest.raises(ConfigurationError):
            public_only.subscribe_to_order_updates()
        with pytest.raises(ConfigurationError):
            public_only.place_order("BTC-USDT", "buy", "limit", "cash", "1", "1")
        assert emulator.requests() == []


# -- order book -------------------------------------------------------------------------


def _book_matches(watcher: exwire.OrderBookWatcher, emulator: OkxEmulator, symbol: str) -> bool:
    wire = emulator.order_book(symbol)
    snapshot = watcher.snapshot()
    return ([(format(level.price, "f"), format(level.quantity, "f")) for level in snapshot.bids]
            == [tuple(level[:2]) for level in wire["bids"]]
            and [(format(level.price, "f"), format(level.quantity, "f")) for level in snapshot.asks]
            == [tuple(level[:2]) for level in wire["asks"]])


def test_watched_book_equals_the_exchanges_and_verifies_checksums(emulator: OkxEmulator, client: OkxClient) -> None:
    with client.watch_order_book("BTC-USDT") as watcher:
        assert watcher.wait_synced(T)
        emulator.step(30, "BTC-USDT")
        wait_until(lambda: watcher.updates_applied >= 31 and _book_matches(watcher, emulator, "BTC-USDT"), T)
        assert watcher.checksums_verified >= 30 and watcher.checksums_mismatched == 0 and watcher.resyncs == 0


def test_a_corrupted_checksum_resubscribes(emulator: OkxEmulator, client: OkxClient) -> None:
    with client.watch_order_book("BTC-USDT") as watcher:
        assert watcher.wait_synced(T)
        emulator.corrupt_next_checksum()
        emulator.step(3, "BTC-USDT")
        wait_until(lambda: watcher.resyncs == 1 and watcher.synced, T)
        assert watcher.checksums_mismatched == 1 and watcher.sequence_gaps == 0
        emulator.step(3, "BTC-USDT")
        wait_until(lambda: _book_matches(watcher, emulator, "BTC-USDT"), T)


def test_a_sequence_gap_resyncs_without_counting_a_mismatch(emulator: OkxEmulator, client: OkxClient) -> None:
    with client.watch_order_book("BTC-USDT") as watcher:
        assert watcher.wait_synced(T)
        emulator.skip_next_sequence()
        emulator.step(3, "BTC-USDT")
        wait_until(lambda: watcher.resyncs == 1 and watcher.synced, T)
        assert watcher.sequence_gaps == 1 and watcher.checksums_mismatched == 0
        emulator.step(2, "BTC-USDT")
        wait_until(lambda: _book_matches(watcher, emulator, "BTC-USDT"), T)


def test_keepalive_update_and_sequence_reset_are_accepted(emulator: OkxEmulator, client: OkxClient) -> None:
    with client.watch_order_book("BTC-USDT") as watcher:
        assert watcher.wait_synced(T)
        emulator.step(2, "BTC-USDT")
        assert emulator.send_book_keepalive("BTC-USDT") == 1
        emulator.reset_sequence("BTC-USDT")
        emulator.step(3, "BTC-USDT")
        wait_until(lambda: watcher.updates_applied >= 7 and _book_matches(watcher, emulator, "BTC-USDT"), T)
        assert watcher.resyncs == 0 and watcher.sequence_gaps == 0


def test_checksum_zero_is_not_compared() -> None:
    with OkxEmulator(push_interval=None, books_checksum=False) as emulator, \
            OkxClient(**emulator.client_kwargs(), credentials=emulator.credentials, request_timeout=T) as client, \
            client.watch_order_book("ETH-USDT") as watcher:
        assert watcher.wait_synced(T)
        emulator.step(5, "ETH-USDT")
        wait_until(lambda: watcher.updates_applied >= 6 and _book_matches(watcher, emulator, "ETH-USDT"), T)
        assert (watcher.checksums_verified, watcher.checksums_mismatched, watcher.resyncs) == (0, 0, 0)


# -- login and trading ---------------------------------------------------------------------


def test_login_then_order_with_resolved_code_and_exptime(emulator: OkxEmulator, client: OkxClient) -> None:
    client.login()
    assert emulator.logged_in_connections() == 1
    expires = datetime.now(UTC) + timedelta(minutes=1)
    result = client.place_order("BTC-USDT", Side.BUY, "limit", "cash", Decimal("1E-3"), "1000",
                                client_order_id="mine1", expires_at=expires)
    assert result.order_id and result.client_order_id == "mine1" and result.error is None
    (_, endpoint, request) = emulator.requests("order")[-1]
    assert endpoint == "private"
    assert request["expTime"] == str(int(expires.timestamp() * 1000))
    assert request["args"][0]["instIdCode"] == emulator.instrument_code("BTC-USDT")
    assert request["args"][0]["sz"] == "0.001" and request["args"][0]["px"] == "1000"
    assert emulator.order(result.order_id)["state"] == "live"


def test_order_updates_arrive_after_the_login(emulator: OkxEmulator, client: OkxClient) -> None:
    collector = Collector()
    with client.subscribe_to_order_updates(callback=collector):
        result = client.place_order("BTC-USDT", "buy", "limit", "cash", "0.01", "1000")
        (event,) = collector.wait_for(1, T)[:1]
        assert event.data.order_id == result.order_id and event.data.status is OrderStatus.LIVE
    ops = [request["op"] for _, endpoint, request in emulator.requests() if endpoint == "private"]
    assert ops.index("login") < ops.index("subscribe")


def test_batches_return_one_result_per_order_without_raising(emulator: OkxEmulator, client: OkxClient) -> None:
    results = client.place_multiple_orders([
        OrderRequest(symbol="BTC-USDT", side="buy", order_type="limit", trade_mode="cash", quantity="0.01",
                     price="1000"),
        {"symbol": "BTC-USDT", "side": "buy", "order_type": "limit", "trade_mode": "cash", "quantity": "100000",
         "price": "1000"},
    ])
    assert len(results) == 2 and results[0].error is None
    assert isinstance(results[1].error, InsufficientFunds) and results[1].code == "51008"
    cancels = client.cancel_multiple_orders([CancelRequest(symbol="BTC-USDT", order_id=results[0].order_id),
                                             {"symbol": "BTC-USDT", "order_id": "123"}])
    assert cancels[0].error is None and isinstance(cancels[1].error, OrderNotFound)


def test_single_order_errors_are_mapped(client: OkxClient) -> None:
    with pytest.raises(InsufficientFunds):
        client.place_order("BTC-USDT", "buy", "limit", "cash", "100000", "1000")
    with pytest.raises(OrderNotFound):
        client.cancel_order("BTC-USDT", order_id="999")
    placed = client.place_order("BTC-USDT", "buy", "limit", "cash", "0.01", "1000")
    amended = client.amend_order("BTC-USDT", order_id=placed.order_id, new_price="1001", request_id="r1")
    assert amended.order_id == placed.order_id


def test_a_refused_login_is_an_authentication_error(emulator: OkxEmulator, client: OkxClient) -> None:
    emulator.refuse_next_login(code="60024")
    with pytest.raises(AuthenticationError):
        client.login()
    client.login()  # the next try logs in
    assert emulator.logged_in_connections() == 1


# -- connection life ----------------------------------------------------------------------


def test_a_drop_logs_in_again_resubscribes_and_never_replays(emulator: OkxEmulator, client: OkxClient) -> None:
    collector = Collector()
    with client.subscribe_to_order_updates(callback=collector):
        emulator.withhold_next_reply("order")
        failure: list[BaseException] = []
        started = threading.Event()

        def place() -> None:
            started.set()
            try:
                client.place_order("BTC-USDT", "buy", "limit", "cash", "0.01", "1000")
            except BaseException as exc:  # noqa: BLE001 - the test inspects it
                failure.append(exc)

        thread = threading.Thread(target=place)
        thread.start()
        started.wait(T)
        wait_until(lambda: len(emulator.requests("order")) == 1, T)
        logins = emulator.logins
        emulator.drop_connections()
        thread.join(T)
        assert failure and isinstance(failure[0], ConnectionClosed)
        wait_until(lambda: emulator.logins > logins and any(
            arg.get("channel") == "orders" for arg in emulator.subscriptions("private")), T)
        client.place_order("BTC-USDT", "buy", "limit", "cash", "0.01", "1000")
        assert len(emulator.requests("order")) == 2  # the first was not replayed
        collector.wait_for(2, T)


def test_text_pings_keep_a_quiet_connection_open() -> None:
    with OkxEmulator(push_interval=None, idle_timeout=timeout(1.0)) as emulator, \
            OkxClient(**emulator.client_kwargs(), credentials=emulator.credentials, ping_interval=timeout(0.2), request_timeout=T) as client:
        with client.subscribe_to_system_status_updates() as status:
            status.get(timeout=T)
            wait_until(lambda: emulator.pings_received >= 8, T)
            assert _reconnects(client, "public") == 0


def test_a_missing_pong_reconnects(emulator: OkxEmulator) -> None:
    with OkxClient(**emulator.client_kwargs(), credentials=emulator.credentials, ping_interval=timeout(0.2), pong_timeout=timeout(0.3),
                   request_timeout=T) as client:
        with client.subscribe_to_ticker_updates("BTC-USDT"):
            emulator.withhold_pong()
            wait_until(lambda: _reconnects(client, "public") >= 1, T)
            emulator.withhold_pong(False)


def test_notice_64008_moves_to_a_new_connection(emulator: OkxEmulator, client: OkxClient) -> None:
    with client.subscribe_to_ticker_updates("BTC-USDT") as sub:
        assert emulator.send_notice("64008") == 1
        wait_until(lambda: _reconnects(client, "public") == 1 and client.health()["connections"]["public"]["ready"], T)
        wait_until(lambda: len(emulator.subscriptions("public")) == 1, T)
        emulator.step()
        assert sub.get(timeout=T).data.symbol == "BTC-USDT"


def test_malformed_and_unknown_frames_are_skipped(emulator: OkxEmulator, client: OkxClient) -> None:
    with client.subscribe_to_ticker_updates("BTC-USDT") as sub:
        emulator.send_raw("{not json")
        emulator.send_raw('{"event": "brand-new", "connId": "a"}')
        emulator.send_raw('{"arg": {"channel": "tickers", "instId": "BTC-USDT"}, "data": [{"instId": 5}]}')
        wait_until(lambda: client.health()["connections"]["public"]["frames_skipped"] >= 2, T)
        emulator.step()
        assert sub.get(timeout=T).data.symbol == "BTC-USDT"
        assert _reconnects(client, "public") == 0


def test_a_skipped_frame_is_logged_with_the_passphrase_blanked(
        emulator: OkxEmulator, client: OkxClient, caplog: pytest.LogCaptureFixture) -> None:
    passphrase = emulator.credentials.passphrase
    assert passphrase
    with client.subscribe_to_ticker_updates("BTC-USDT"):
        emulator.send_raw('{"echo": "' + passphrase + '", ')  # malformed: logged, then skipped
        wait_until(lambda: client.health()["connections"]["public"]["frames_skipped"] >= 1, T)
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "***" in logged and passphrase not in logged


def test_close_stops_everything_and_later_calls_raise(emulator: OkxEmulator) -> None:
    client = OkxClient(**emulator.client_kwargs(), credentials=emulator.credentials, request_timeout=T)
    client.subscribe_to_ticker_updates("BTC-USDT")
    client.login()
    client.close()
    client.close()
    with pytest.raises(InvalidState):
        client.subscribe_to_ticker_updates("BTC-USDT")
    with pytest.raises(InvalidState):
        client.place_order("BTC-USDT", "buy", "limit", "cash", "0.01", "1000")
    assert not [t for t in threading.enumerate() if t.name.startswith("exwire-okx-")]


def test_an_unlisted_instrument_is_refused_before_any_order_is_sent(emulator: OkxEmulator, client: OkxClient) -> None:
    with pytest.raises(InvalidRequest):
        client.place_order("NOPE-USDT", "buy", "limit", "cash", "1", "1")
    assert emulator.requests("order") == []


def test_a_given_symbol_code_skips_the_lookup(emulator: OkxEmulator, client: OkxClient) -> None:
    code = emulator.instrument_code("ETH-USDT")
    result = client.place_order("ETH-USDT", "buy", "limit", "cash", "0.01", "100", symbol_code=code)
    assert result.order_id
    assert not [arg for _, _, request in emulator.requests("subscribe") for arg in request["args"]
                if arg.get("channel") == "instruments"]
