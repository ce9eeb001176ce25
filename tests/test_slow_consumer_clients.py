"""The measured slow-consumer defects, replayed on real clients against their emulators.

Under the old default (``overflow="block"``) both stalled the connection: CoinEx's
``get_server_time()`` timed out behind a full trade queue, and Kraken's ticker starved
behind a slow trade callback on the same connection.
"""

from __future__ import annotations

import json

from exwire import CoinexClient, KrakenClient
from exwire._core.backoff import backoff
from exwire.errors import SlowConsumer
from exwire.models import ConnectionState
from exwire.testing import KrakenEmulator
from exwire.testing.coinex import CoinexEmulator
from tests.conftest import timeout
from tests.helpers import Collector, Gate, wait_until


def _deal(number: int) -> str:
    trade = {"id": 10_000 + number, "time": 1642755727.5, "type": "buy", "price": "39121.21", "amount": "0.001"}
    return json.dumps({"method": "deals.update", "params": ["BTCUSDT", [trade]], "id": None})


def test_coinex_answers_a_request_while_a_slow_trade_callback_overflows_its_queue():
    errors = Collector()
    events = Collector()
    with CoinexEmulator(push_interval=None) as emu, CoinexClient(
        **emu.client_kwargs(), queue_size=100, request_timeout=timeout(5), on_connection_event=events,
        on_callback_error=lambda exc, event: errors(exc), backoff_factory=lambda: backoff(initial=0.05),
    ) as coinex, Gate() as gate:
        subscription = coinex.subscribe_to_trade_updates("BTCUSDT", gate)
        emu.send_raw(_deal(-1))
        assert gate.entered.wait(timeout(5))
        for number in range(3000):
            emu.send_raw(_deal(number))
        wait_until(lambda: subscription.dropped > 0)
        # Was: RequestTimeout after 5 s, then "no pong within 10.0 s" and a reconnect.
        assert coinex.get_server_time(timeout=timeout(2)) is not None
        wait_until(lambda: subscription.dropped + subscription.queued >= 3000 - 1)
        gate.release.set()
        delivered = gate.collector.wait_for(1 + subscription.queued)
        wait_until(lambda: subscription.queued == 0)
        delivered = gate.collector.events
        lost = sum(event.dropped_before for event in delivered)
        assert lost == subscription.dropped > 0
        assert isinstance(errors.wait_for(1)[0], SlowConsumer)
        assert len([e for e in errors.events if isinstance(e, SlowConsumer)]) == 1
        assert not [e for e in events.events if e.state is ConnectionState.LOST]


def _kraken_trade(number: int) -> str:
    trade = [["5541.20000", "0.15850568", f"1534614057.{number:06d}", "s", "l", ""]]
    return json.dumps([0, trade, "trade", "XBT/USD"])


_TICKER = {
    "a": ["5525.40000", 1, "1.000"], "b": ["5525.10000", 1, "1.000"], "c": ["5525.10000", "0.00398963"],
    "v": ["2634.11501494", "3591.17907851"], "p": ["5631.44067", "5653.78939"], "t": [11493, 16267],
    "l": ["5505.00000", "5505.00000"], "h": ["5783.00000", "5783.00000"], "o": ["5760.70000", "5763.40000"],
}


def test_kraken_ticker_keeps_flowing_while_a_slow_trade_callback_falls_behind():
    with KrakenEmulator() as emu, KrakenClient(
        **emu.client_kwargs(), queue_size=50, dispatch_threads=1
    ) as kraken, Gate() as gate:
        tickers = Collector()
        trades = kraken.subscribe_to_trade_updates("XBT/USD", gate)
        kraken.subscribe_to_ticker_updates("ETH/USD", tickers)  # one lane: they even share it
        emu.send_raw(_kraken_trade(0))
        assert gate.entered.wait(timeout(5))
        for number in range(1, 2000):
            emu.send_raw(_kraken_trade(number))
        emu.send_raw(json.dumps([1, _TICKER, "ticker", "ETH/USD"]))
        wait_until(lambda: trades.dropped > 0)
        # The reader read past the full trade queue: the ticker is queued, not stuck behind it.
        assert kraken.ping(timeout=timeout(2)) >= 0
        gate.release.set()
        wait_until(lambda: any(e.data.bid_price is not None and str(e.data.bid_price) == "5525.10000"
                               for e in tickers.events))


def _okx_trade(number: int) -> str:
    trade = {"instId": "BTC-USDT", "tradeId": str(100_000 + number), "px": "60000.1", "sz": "0.001",
             "side": "buy", "ts": "1700000000000", "count": "1"}
    return json.dumps({"arg": {"channel": "trades", "instId": "BTC-USDT"}, "data": [trade]})


def test_okx_answers_a_ping_while_a_slow_trade_callback_overflows_its_queue():
    from exwire.okx import OkxClient
    from exwire.testing.okx import OkxEmulator

    errors = Collector()
    events = Collector()
    with OkxEmulator(push_interval=None) as emu, OkxClient(
        **emu.client_kwargs(), queue_size=100, request_timeout=timeout(5), on_connection_event=events,
        on_callback_error=lambda exc, event: errors(exc), backoff_factory=lambda: backoff(initial=0.05),
    ) as okx, Gate() as gate:
        subscription = okx.subscribe_to_trade_updates("BTC-USDT", gate)
        emu.send_raw(_okx_trade(-1))
        assert gate.entered.wait(timeout(5))
        for number in range(3000):
            emu.send_raw(_okx_trade(number))
        wait_until(lambda: subscription.dropped > 0)
        assert okx.ping(timeout=timeout(2)) >= 0  # the text pong was read past the full queue
        wait_until(lambda: subscription.dropped + subscription.queued >= 3000 - 1)
        gate.release.set()
        gate.collector.wait_for(1 + subscription.queued)
        wait_until(lambda: subscription.queued == 0)
        lost = sum(event.dropped_before for event in gate.collector.events)
        assert lost == subscription.dropped > 0
        assert isinstance(errors.wait_for(1)[0], SlowConsumer)
        assert not [e for e in events.events if e.state is ConnectionState.LOST]
