"""CoinEx fidelity defects of issue 14, each checked against the emulator end to end.

* an ``int`` ``merge_depth`` counts decimals as CoinEx.Net's ``MergeDepthIntToString`` does;
* ``get_trade_history(from_id=0)`` is CoinEx's (and CoinEx.Net's default) "latest";
* own fills (``deals.update`` ending in ``true``) reach ``subscribe_to_user_trade_updates``;
* the constructor validates its URL.

The module imports only what the code before the fix had, so that it can run against it.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest

from exwire import ConfigurationError, InvalidRequest, Side
from exwire._core.backoff import backoff
from exwire.coinex import CoinexClient
from exwire.testing.coinex import CoinexEmulator
from tests.conftest import timeout
from tests.helpers import Collector


@pytest.fixture
def emu() -> Iterator[CoinexEmulator]:
    with CoinexEmulator(seed=7, push_interval=0.05) as emulator:
        yield emulator


def make_client(emu: CoinexEmulator, **options: object) -> CoinexClient:
    options.setdefault("request_timeout", timeout(5))
    options.setdefault("backoff_factory", lambda: backoff(initial=0.05, maximum=0.2))
    return CoinexClient(**emu.client_kwargs(), **options)  # type: ignore[arg-type]


@pytest.fixture
def client(emu: CoinexEmulator) -> Iterator[CoinexClient]:
    with make_client(emu) as coinex:
        yield coinex


@pytest.fixture
def private(emu: CoinexEmulator) -> Iterator[CoinexClient]:
    with make_client(emu, credentials=emu.credentials()) as coinex:
        yield coinex


@pytest.mark.parametrize(("decimals", "wire"), [(8, "0"), (6, "0.01"), (7, "0.1"), (0, "0.00000001")])
def test_an_int_merge_depth_counts_decimals_as_coinex_net_does(client, emu, decimals, wire):
    # CoinEx.Net's MergeDepthIntToString: 8 is no merge, n < 8 the step 10**(n - 8).
    try:
        client.get_order_book("ETHBTC", 5, decimals)
    except InvalidRequest:
        pass  # a step finer than the market's tick: CoinEx refuses it, but the wire value is what counts
    assert emu.requests("depth.query")[-1][2] == ["ETHBTC", 5, wire]
    with client.subscribe_to_order_book_updates("BTCUSDT", 5, 6):
        assert emu.requests("depth.subscribe")[-1][2] == ["BTCUSDT", 5, "0.01"]


@pytest.mark.parametrize("value", [9, -1, True])
def test_an_int_merge_depth_outside_0_to_8_is_refused(client, emu, value):
    with pytest.raises(ConfigurationError):
        client.get_order_book("BTCUSDT", 5, value)
    assert emu.connections_accepted == 0


def test_trade_history_from_id_zero_is_the_latest(client, emu):
    # 0 is CoinEx's "latest" (and CoinEx.Net's default): allowed, sent as it is.
    latest = client.get_trade_history("BTCUSDT", 10, from_id=0)
    assert emu.requests("deals.query")[-1][2] == ["BTCUSDT", 10, 0]
    assert [t.trade_id for t in latest] == [t.trade_id for t in client.get_trade_history("BTCUSDT", 10)]


def test_own_fills_reach_the_user_trade_stream(private, emu):
    # deals.update ending in ``true`` (own fills): a typed stream of UserTrade, signed in first.
    fills, everywhere = Collector(), Collector()
    private.subscribe_to_user_trade_updates("BTCUSDT", fills)
    assert emu.sign_count == 1 and emu.requests("deals.subscribe")[-1][2] == ["BTCUSDT"]
    private.subscribe_to_user_trade_updates(callback=everywhere)
    assert emu.requests("deals.subscribe")[-1][2] == []  # every market
    order_id = emu.place_order("BTCUSDT", "sell", "0.1", "40000", client_id="mine")
    sent = emu.fill(order_id, "0.04")
    (event,) = fills.wait_for(1)
    (fill,) = event.data
    from exwire.coinex.models import UserTrade

    assert isinstance(fill, UserTrade) and event.symbol == "BTCUSDT" and event.topic == "user_trades:BTCUSDT"
    assert (fill.trade_id, fill.order_id, fill.client_order_id) == (sent["id"], order_id, "mine")
    assert (fill.symbol, fill.side, fill.price, fill.quantity) == ("BTCUSDT", Side.SELL, Decimal(40000),
                                                                  Decimal("0.04"))
    assert fill.time.tzinfo is not None and fill.fee is None
    other = emu.place_order("ETHUSDT", "buy", "1", "100")
    emu.fill(other)
    events = everywhere.wait_for(2)
    assert [e.symbol for e in events] == ["BTCUSDT", "ETHUSDT"] and events[1].data[0].order_id == other
    assert len(fills.events) == 1


def test_user_trade_updates_need_credentials(client, emu):
    with pytest.raises(ConfigurationError):
        client.subscribe_to_user_trade_updates("BTCUSDT")
    assert emu.connections_accepted == 0


@pytest.mark.parametrize("url", ["not a url", "https://socket.coinex.com/", "wss://", "wss://host:99999/", 42, None])
def test_construction_validates_the_url(url):
    with pytest.raises(ConfigurationError):
        CoinexClient(url=url)


def test_a_ws_url_is_accepted(emu):
    with CoinexClient(url=emu.url.replace("ws://", "WS://")) as coinex:
        assert coinex.url.lower() == emu.url
