"""Coinsuper quickstart: stream an order book, trades, candles and account updates.

Runs against a local emulator by default (nothing leaves the machine)::

    python samples/coinsuper_quickstart.py

Against production (an API-enabled account; the broker may no longer exist)::

    COINSUPER_KEY=... COINSUPER_SECRET=... COINSUPER_EMAIL=... \\
        python samples/coinsuper_quickstart.py --live [--tcp]

Coinsuper's API is MQTT: every market-data topic gets its own connection (its client
id derives from the key, the e-mail and the topic), the account topics share one.
Callbacks run on the client's dispatcher threads, in order per subscription.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import threading
from typing import TextIO

import exwire
from exwire.coinsuper import (
    DEFAULT_URL,
    TCP_URL,
    CoinsuperClient,
    Kline,
    KlineInterval,
    OrderBookSnapshot,
    OrderUpdate,
    Trade,
    finest_step,
)

_print_lock = threading.Lock()


def say(line: str, file: TextIO | None = None) -> None:
    """Print one whole line under a lock: the client's callbacks run on several threads,
    and the lines printed from them must never run together."""
    stream = sys.stdout if file is None else file
    with _print_lock:
        stream.write(line + "\n")  # one write: the line and its newline together
        stream.flush()


def on_book(event: exwire.DataEvent[OrderBookSnapshot]) -> None:
    book = event.data
    best_bid, best_ask = book.bids[0], book.asks[0]
    say(f"{event.symbol} book: bid {best_bid.price} x {best_bid.quantity}  ask {best_ask.price} x {best_ask.quantity}")


def on_trades(event: exwire.DataEvent[list[Trade]]) -> None:
    for trade in event.data:  # new trades only, oldest first
        say(f"{trade.symbol} trade: {trade.side.value} {trade.quantity} @ {trade.price}  {trade.time:%H:%M:%S.%f}")


def on_kline(event: exwire.DataEvent[Kline]) -> None:
    k = event.data
    say(f"{k.symbol} 1m candle {k.open_time:%H:%M}: o {k.open} h {k.high} l {k.low} c {k.close} v {k.volume}")


def on_order(event: exwire.DataEvent[OrderUpdate]) -> None:
    order = event.data
    say(f"order {order.order_id}: {order.status.value if order.status else ''} {order.side.value if order.side else ''} "
          f"{order.quantity} {order.symbol} @ {order.price}")


def on_top(event: exwire.DataEvent[exwire.TopOfBook]) -> None:
    """Through ``client.shared``: the neutral model every exchange's ``.shared`` delivers."""
    top = event.data
    bid = top.bid.price if top.bid else None
    ask = top.ask.price if top.ask else None
    say(f"{event.symbol} (shared) top of book: {bid} / {ask}")


def on_connection_event(event: exwire.ConnectionEvent) -> None:
    say(f"[{event.connection}] {event.state.value}" + (f": {event.error}" if event.error else ""))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--live", action="store_true", help="connect to production instead of the emulator")
    parser.add_argument("--tcp", action="store_true", help="with --live: MQTT over TCP (port 1883) instead of wss")
    parser.add_argument("--symbol", default="BTC/USD", help="pair to watch (default BTC/USD)")
    parser.add_argument("--seconds", type=float, default=5.0, help="how long to stream (default 5)")
    args = parser.parse_args(argv)

    with contextlib.ExitStack() as stack:
        if args.live:
            try:
                credentials = exwire.Credentials(
                    key=os.environ["COINSUPER_KEY"],
                    secret=os.environ["COINSUPER_SECRET"],
                    email=os.environ["COINSUPER_EMAIL"],
                )
            except KeyError as missing:
                say(f"--live needs the environment variable {missing}", file=sys.stderr)
                return 2
            url = TCP_URL if args.tcp else DEFAULT_URL
        else:
            from exwire.testing.coinsuper import CoinsuperEmulator

            emulator = stack.enter_context(CoinsuperEmulator(push_interval=0.5))
            credentials, url = emulator.credentials, emulator.client_kwargs()["url"]

        client = stack.enter_context(
            CoinsuperClient(url=url, credentials=credentials, on_connection_event=on_connection_event)
        )
        try:
            client.subscribe_to_order_book_updates(args.symbol, finest_step(args.symbol), on_book)
            # The same data through the exchange-neutral interface (BASE/QUOTE symbols).
            client.shared.subscribe_to_top_of_book_updates(args.symbol, on_top)
            client.subscribe_to_trade_updates(args.symbol, on_trades)
            client.subscribe_to_kline_updates(args.symbol, KlineInterval.ONE_MINUTE, on_kline)
            client.subscribe_to_order_updates(on_order)
            # Pull style: no callback, read the first balance change on this thread.
            with client.subscribe_to_balance_updates() as balances:
                for balance in balances.get(timeout=10).data.balances:
                    say(f"balance {balance.asset}: total {balance.total} free {balance.free}")
        except exwire.ConnectError as exc:
            say(f"could not connect: {exc} (cause: {exc.__cause__!r})", file=sys.stderr)
            return 1
        except exwire.InvalidRequest as exc:  # e.g. the asset topic is not enabled for the account
            say(f"refused: {exc}", file=sys.stderr)
        except TimeoutError:
            say("no balance change within 10 s", file=sys.stderr)
        threading.Event().wait(args.seconds)  # let the callbacks print for a while
    return 0


if __name__ == "__main__":
    sys.exit(main())
