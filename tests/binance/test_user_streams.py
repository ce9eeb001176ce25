"""Futures user data against BinanceEmulator: a listen key and its private stream per market,
ORDER_TRADE_UPDATE from a placed order, the key kept alive, renewed after listenKeyExpired
(once, however often it comes), the listen-key methods, the raw ``request`` escape hatch,
and close() leaving no listen-key thread."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest

from exwire.binance import BinanceClient, FuturesMarket
from exwire.binance import futures_events as fe
from exwire.binance.enums import OrderStatus
from exwire.errors import ConfigurationError, ExchangeError, InvalidRequest
from exwire.testing.binance import BinanceEmulator
from tests.binance.test_client import fast_backoff
from tests.conftest import timeout
from tests.helpers import wait_until

U, C = FuturesMarket.USDM, FuturesMarket.COINM
SYMBOL = {U: "BTCUSDT", C: "BTCUSD_PERP"}
QUANTITY = {U: "0.01", C: "1"}


def _client(emulator: BinanceEmulator, **options) -> BinanceClient:
    credentials = emulator.add_account("ed25519")
    client = BinanceClient(credentials=credentials, request_timeout=timeout(5), backoff_factory=fast_backoff,
                           **{**emulator.client_kwargs(), **options})
    client.emulator_credentials = credentials  # type: ignore[attr-defined]
    return client


@pytest.fixture(scope="module")
def emulator():
    with BinanceEmulator(seed=15) as emu:
        yield emu


@pytest.fixture
def client(emulator):
    with _client(emulator) as client:
        yield client


def _next(subscription, kind, seconds=5.0):
    """The next event of ``kind`` (others skipped)."""
    while True:
        event = subscription.get(timeout(seconds))
        if isinstance(event.data, kind):
            return event


def _rest_order(client, market):
    """A buy far below the market: it rests (an ORDER_TRADE_UPDATE NEW)."""
    price = (client.get_futures_order_book(SYMBOL[market], 5).bids[0].price * Decimal("0.9")).quantize(Decimal(1)) \
        if market is U else Decimal(27000)
    return client.submit_new_futures_order(market, SYMBOL[market], "BUY", "LIMIT", time_in_force="GTC",
                                           price=price, quantity=QUANTITY[market])


@pytest.mark.parametrize("market", [U, C], ids=["usdm", "coinm"])
def test_a_placed_order_produces_order_trade_update(client, market):
    with client.subscribe_user_data_stream(market=market) as subscription:
        order = _rest_order(client, market)
        event = _next(subscription, fe.FuturesOrderUpdate)
        update = event.data
        assert update.order_id == order.order_id and update.symbol == SYMBOL[market] == event.symbol
        assert update.status is OrderStatus.NEW and isinstance(update.price, Decimal)
        assert update.quantity == Decimal(QUANTITY[market])
        assert update.event_time.tzinfo is not None
        assert (update.margin_asset is None) is (market is U)  # COIN-M sends ma and the account alias
        client.cancel_futures_order(market, SYMBOL[market], order_id=order.order_id)
        assert _next(subscription, fe.FuturesOrderUpdate).data.status is OrderStatus.CANCELED
    assert "usdm-user" not in client._connections and "coinm-user" not in client._connections


def test_two_subscriptions_share_one_key_and_connection(client):
    first = client.subscribe_user_data_stream(market=U)
    second = client.subscribe_user_data_stream(market=U)
    connection = client._connections["usdm-user"]
    _rest_order(client, U)
    assert isinstance(_next(first, fe.FuturesOrderUpdate).data, fe.FuturesOrderUpdate)
    assert isinstance(_next(second, fe.FuturesOrderUpdate).data, fe.FuturesOrderUpdate)
    first.unsubscribe()
    assert client._connections["usdm-user"] is connection  # still used by the second
    client.unsubscribe_user_data_stream(market=U)
    assert not second.active and "usdm-user" not in client._connections


def test_the_key_is_kept_alive():
    # Keys live 6 ping intervals: after 9 pings the first key is still the one in use.
    interval = timeout(0.1)
    with BinanceEmulator(seed=16, listen_key_validity=6 * interval) as emulator, \
            _client(emulator, listen_key_ping_interval=interval) as client:
        pings = threading.Semaphore(0)
        ping = client.ping_user_data_stream_for_key

        def counted(listen_key, *, market, timeout=None):
            ping(listen_key, market=market, timeout=timeout)
            pings.release()

        client.ping_user_data_stream_for_key = counted  # type: ignore[method-assign]
        with client.subscribe_user_data_stream(market=U) as subscription:
            key = client._user_streams().streams[U].listen_key
            for _ in range(9):
                assert pings.acquire(timeout=timeout(5))
            assert emulator.listen_keys.lookup(key) is not None
            assert client._user_streams().streams[U].listen_key == key
            _rest_order(client, U)
            assert isinstance(_next(subscription, fe.FuturesOrderUpdate).data, fe.FuturesOrderUpdate)


@pytest.mark.parametrize("market", [U, C], ids=["usdm", "coinm"])
def test_listen_key_expired_renews_the_key_and_resumes(client, emulator, market):
    with client.subscribe_user_data_stream(market=market) as subscription:
        old_key = client._user_streams().streams[market].listen_key
        old_connection = client._connections[f"{market.value}-user"]
        assert emulator.expire_listen_key(market, client.emulator_credentials) == 1
        expired = _next(subscription, fe.ListenKeyExpired).data
        assert expired.listen_key == old_key
        wait_until(lambda: client._user_streams().streams[market].listen_key != old_key
                   and client._connections[f"{market.value}-user"].is_ready)
        assert client._connections[f"{market.value}-user"] is not old_connection
        assert subscription.active
        order = _rest_order(client, market)
        assert _next(subscription, fe.FuturesOrderUpdate).data.order_id == order.order_id


def test_a_gone_key_is_renewed_on_the_next_keep_alive():
    interval = timeout(0.2)
    with BinanceEmulator(seed=17) as emulator, _client(emulator, listen_key_ping_interval=interval) as client:
        with client.subscribe_user_data_stream(market=U) as subscription:
            old_key = client._user_streams().streams[U].listen_key
            client.stop_user_data_stream_for_key(old_key, market=U)  # the next ping gets -1125
            wait_until(lambda: client._user_streams().streams[U].listen_key != old_key
                       and client._connections["usdm-user"].is_ready)
            order = _rest_order(client, U)
            assert _next(subscription, fe.FuturesOrderUpdate).data.order_id == order.order_id


def test_listen_key_methods(client):
    key = client.start_user_data_stream_for_key(market=U)
    assert isinstance(key, str) and key
    assert client.start_user_data_stream_for_key(market=U) == key  # the account's active key
    client.ping_user_data_stream_for_key(key, market=U)
    client.stop_user_data_stream_for_key(key, market=U)
    with pytest.raises(InvalidRequest) as refused:
        client.ping_user_data_stream_for_key(key, market=U)
    assert refused.value.code == -1125
    assert client.start_user_data_stream_for_key(market=C) != key
    with pytest.raises(ExchangeError):  # removed from the spot WS API on 2026-02-20
        client.start_user_data_stream_for_key(market=None)
    with pytest.raises(ConfigurationError):
        client.ping_user_data_stream_for_key("", market=U)
    with pytest.raises(ConfigurationError):
        client.start_user_data_stream_for_key(market="spot")  # type: ignore[arg-type]


def test_raw_request(client):
    result = client.request("time")
    assert isinstance(result, dict) and isinstance(result["serverTime"], int)
    account = client.request("account.status", {"omitZeroBalances": True}, signed=True)
    assert isinstance(account, dict) and "balances" in account
    balances = client.request("account.balance", signed=True, market=U)
    assert isinstance(balances, list)
    with pytest.raises(InvalidRequest):
        client.request("no.such.method")
    with pytest.raises(ConfigurationError):
        client.request("")
    with pytest.raises(ConfigurationError):
        client.request("time", {"x": object()})


def test_bad_input_is_refused_before_anything_is_sent(emulator):
    with BinanceClient(**emulator.client_kwargs()) as public:
        with pytest.raises(ConfigurationError):
            public.subscribe_user_data_stream(market=U)
        with pytest.raises(ConfigurationError):
            public.request("account.status", signed=True)
        assert public._connections["usdm"].is_ready is False
    with _client(emulator) as client:
        with pytest.raises(ConfigurationError):
            client.subscribe_user_data_stream(market="options")  # type: ignore[call-overload]
        with pytest.raises(ConfigurationError):
            client.subscribe_user_data_stream("not callable", market=U)  # type: ignore[call-overload]
        assert "usdm-user" not in client._connections


def test_close_joins_the_listen_key_thread(emulator):
    client = _client(emulator)
    client.subscribe_user_data_stream(market=U)
    assert any(t.name == "exwire-binance-listen-key" for t in threading.enumerate())
    client.close()
    assert not any(t.name == "exwire-binance-listen-key" for t in threading.enumerate())


def test_spot_alias_still_subscribes(client):
    subscription = client.subscribe_to_user_data_updates()
    assert subscription.active and subscription.topic == "userData"
    client.unsubscribe_user_data_stream()
    assert not subscription.active


def test_a_dropped_private_stream_reconnects_to_the_same_key(client, emulator):
    with client.subscribe_user_data_stream(market=U) as subscription:
        key = client._user_streams().streams[U].listen_key
        connection = client._connections["usdm-user"]
        private = [c for c in emulator.connections if c.path.startswith("/usdm/private")]
        assert len(private) == 1
        private[0].abort()
        wait_until(lambda: connection.reconnects >= 1 and connection.is_ready)
        assert client._connections["usdm-user"] is connection
        assert client._user_streams().streams[U].listen_key == key
        order = _rest_order(client, U)
        assert _next(subscription, fe.FuturesOrderUpdate).data.order_id == order.order_id


def test_a_failed_renewal_is_retried(caplog):
    with BinanceEmulator(seed=18) as emulator, _client(emulator, listen_key_ping_interval=timeout(0.2)) as client:
        with client.subscribe_user_data_stream(market=U) as subscription:
            old_key = client._user_streams().streams[U].listen_key
            emulator.fail_next("userDataStream.start", -1001, "Internal error; unable to process your request.",
                               status=500, product="usdm")
            emulator.expire_listen_key(U)
            assert isinstance(_next(subscription, fe.ListenKeyExpired).data, fe.ListenKeyExpired)
            wait_until(lambda: client._user_streams().streams[U].listen_key != old_key
                       and client._connections["usdm-user"].is_ready)
            order = _rest_order(client, U)
            assert _next(subscription, fe.FuturesOrderUpdate).data.order_id == order.order_id
        assert any("keep-alive failed" in record.getMessage() for record in caplog.records)
