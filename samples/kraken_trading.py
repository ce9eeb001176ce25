"""exwire Kraken trading: a resting order, its cancel, a marketable order and its own trade.

    python samples/kraken_trading.py                  # against a local KrakenEmulator
    python samples/kraken_trading.py --pair ETH/USD --volume 0.05
    KRAKEN_API_KEY=... KRAKEN_API_SECRET=... python samples/kraken_trading.py --live
    ... --live --execute                              # really place the marketable order

Steps: read the best bid from the public ticker; stream the account's open orders and
own trades; place a buy limit order 10 % below the bid (it rests), wait until the
open-orders stream shows it open, cancel it and wait for the cancel; then place a
market buy and print the own trade it produces.

With ``--live`` the script trades on Kraken production with the API key from the
environment (it needs the "WebSocket interface" and order permissions). The resting
order is far from the market and cancelled at once; the marketable order is only
validated by Kraken (``validate_only``) unless ``--execute`` is given.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import threading
from decimal import ROUND_DOWN, Decimal
from typing import TextIO

import exwire
from exwire.kraken.models import OrderStatus, OrderType

_print_lock = threading.Lock()


def say(line: str, file: TextIO | None = None) -> None:
    """Print one whole line under a lock: the client's callbacks run on several threads,
    and the lines printed from them must never run together."""
    stream = sys.stdout if file is None else file
    with _print_lock:
        stream.write(line + "\n")  # one write: the line and its newline together
        stream.flush()


class Watch:
    """Prints the private streams and lets the script wait for an order state or a trade."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self.states: dict[str, OrderStatus] = {}
        self.trades: list = []

    def on_orders(self, event: exwire.DataEvent) -> None:
        if event.update_type is exwire.UpdateType.SNAPSHOT:
            say(f"open orders: snapshot of {len(event.data)} order(s)")
        for order in event.data:
            if order.description is not None:
                say(f"order  {order.order_id} {order.status.value if order.status else ''}: "
                      f"{order.description.order}")
            elif order.status is not None:
                reason = f" ({order.cancel_reason})" if order.cancel_reason else ""
                say(f"order  {order.order_id} {order.status.value}{reason}")
            with self._changed:
                if order.status is not None:
                    self.states[order.order_id] = order.status
                self._changed.notify_all()

    def on_trades(self, event: exwire.DataEvent) -> None:
        for trade in event.data:
            say(f"trade  {trade.trade_id}: {trade.side.value} {trade.quantity} {trade.symbol} @ {trade.price}"
                  f"  cost {trade.cost} fee {trade.fee} (order {trade.order_id})")
            with self._changed:
                self.trades.append(trade)
                self._changed.notify_all()

    def wait_for_state(self, order_id: str, status: OrderStatus, timeout: float) -> bool:
        with self._changed:
            return self._changed.wait_for(lambda: self.states.get(order_id) is status, timeout)

    def wait_for_trade(self, order_id: str, timeout: float):
        with self._changed:
            self._changed.wait_for(lambda: any(t.order_id == order_id for t in self.trades), timeout)
            return next((t for t in self.trades if t.order_id == order_id), None)


def far_below(bid: Decimal) -> Decimal:
    """10 % under the bid, rounded down to 3 significant digits (valid for every pair's precision)."""
    price = bid * Decimal("0.9")
    return price.quantize(Decimal(1).scaleb(price.adjusted() - 2), rounding=ROUND_DOWN)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pair", default="XBT/USD", help="pair to trade (default XBT/USD)")
    parser.add_argument("--volume", default="0.001", help="order volume in base asset (default 0.001)")
    parser.add_argument("--live", action="store_true", help="trade on Kraken production (KRAKEN_API_KEY/SECRET)")
    parser.add_argument("--execute", action="store_true", help="with --live: really place the marketable order")
    parser.add_argument("--timeout", type=float, default=15.0, help="seconds to wait for each step (default 15)")
    args = parser.parse_args(argv)
    volume = Decimal(args.volume)

    with contextlib.ExitStack() as stack:
        if args.live:
            key, secret = os.environ.get("KRAKEN_API_KEY"), os.environ.get("KRAKEN_API_SECRET")
            if not key or not secret:
                parser.error("--live needs KRAKEN_API_KEY and KRAKEN_API_SECRET in the environment")
            client_kwargs: dict = {"credentials": exwire.Credentials(key, secret)}
        else:
            from exwire.testing import KrakenEmulator

            emulator = stack.enter_context(KrakenEmulator(push_interval=0.5))
            client_kwargs = {**emulator.client_kwargs(), "credentials": emulator.credentials}
        client = stack.enter_context(exwire.KrakenClient(**client_kwargs))

        with client.subscribe_to_ticker_updates(args.pair) as ticker:
            bid = ticker.get(args.timeout).data.bid_price
        resting_price = far_below(bid)
        say(f"best bid {bid}; resting buy at {resting_price:f}")

        watch = Watch()
        client.subscribe_to_order_updates(watch.on_orders)
        client.subscribe_to_user_trade_updates(watch.on_trades, snapshot=False)

        resting = client.place_order(args.pair, OrderType.LIMIT, exwire.Side.BUY, volume, price=resting_price)
        say(f"placed {resting.order_id}: {resting.description}")
        if not watch.wait_for_state(resting.order_id, OrderStatus.OPEN, args.timeout):
            say("the open-orders stream did not show the order open", file=sys.stderr)
            return 1
        client.cancel_order(resting.order_id)
        if not watch.wait_for_state(resting.order_id, OrderStatus.CANCELED, args.timeout):
            say("the open-orders stream did not show the cancel", file=sys.stderr)
            return 1

        validate_only = args.live and not args.execute
        marketable = client.place_order(args.pair, OrderType.MARKET, exwire.Side.BUY, volume,
                                        validate_only=validate_only)
        if validate_only:
            say(f"validated only (add --execute to place it): {marketable.description}")
            return 0
        say(f"placed {marketable.order_id}: {marketable.description}")
        trade = watch.wait_for_trade(marketable.order_id, args.timeout)
        if trade is None:
            say("no own trade arrived", file=sys.stderr)
            return 1
        say(f"own trade: {trade.side.value} {trade.quantity} {trade.symbol} at {trade.price}, fee {trade.fee}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
