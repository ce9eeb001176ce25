"""exwire quickstart for the OKEx spot WebSocket API v1, against an emulator by default.

    python samples/okex_quickstart.py                  # local OkexEmulator, 5 s of market data
    python samples/okex_quickstart.py --seconds 2 --symbol eth_btc
    python samples/okex_quickstart.py --live           # OKEx production, public data only
    OKEX_KEY=... OKEX_SECRET=... python samples/okex_quickstart.py --live   # and the order flow

OKEx is now OKX and retired this API (``wss://real.okex.com:10440/ws/v1``) on 2019-07-15,
so ``--live`` is expected to end with a connection error; it is kept for recorded or
compatible servers (``--url``).

The emulator run streams ticker, trades and the top of a maintained order book, then
places a limit buy below the market, waits for its order push, cancels it and prints
the balance pushes and the final balances.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import threading
from decimal import Decimal
from typing import TextIO

import exwire
from exwire.okex import DEFAULT_URL, OkexClient, Ticker, Trade

_print_lock = threading.Lock()


def say(line: str, file: TextIO | None = None) -> None:
    """Print one whole line under a lock: the client's callbacks run on several threads,
    and the lines printed from them must never run together."""
    stream = sys.stdout if file is None else file
    with _print_lock:
        stream.write(line + "\n")  # one write: the line and its newline together
        stream.flush()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=5.0, help="how long to stream (default 5)")
    parser.add_argument("--symbol", default="btc_usdt", help="symbol to watch (default btc_usdt)")
    parser.add_argument("--live", action="store_true", help="use OKEx's production endpoint")
    parser.add_argument("--url", default=None, help=f"endpoint with --live (default {DEFAULT_URL})")
    args = parser.parse_args(argv)

    with contextlib.ExitStack() as stack:
        if args.live:
            key, secret = os.environ.get("OKEX_KEY"), os.environ.get("OKEX_SECRET")
            credentials = exwire.Credentials(key, secret) if key and secret else None
            client_kwargs: dict = {"url": args.url or DEFAULT_URL, "credentials": credentials}
        else:
            from exwire.testing.okex import OkexEmulator

            emulator = stack.enter_context(OkexEmulator())
            client_kwargs = {**emulator.client_kwargs(), "credentials": emulator.credentials}
        client = stack.enter_context(OkexClient(**client_kwargs))
        try:
            stream(client, args.symbol, args.seconds)
            if client.credentials is not None:
                order_flow(client, args.symbol)
        except exwire.ConnectError as exc:
            say(f"could not connect: {exc}", file=sys.stderr)
            return 1
    return 0


def stream(client: OkexClient, symbol: str, seconds: float) -> None:
    def on_ticker(event: exwire.DataEvent[Ticker]) -> None:
        t = event.data
        say(f"ticker {event.symbol:9} bid {t.bid_price} ask {t.ask_price} last {t.last_price}")

    def on_trades(event: exwire.DataEvent[list[Trade]]) -> None:
        for trade in event.data:
            side = trade.side.value if trade.side else "?"
            say(f"trade  {event.symbol:9} {side:4} {trade.quantity} @ {trade.price} at {trade.time:%H:%M:%S} UTC")

    last_top = [None]

    def on_book(snapshot: exwire.BookSnapshot) -> None:
        top = (snapshot.bids[0] if snapshot.bids else None, snapshot.asks[0] if snapshot.asks else None)
        if top != last_top[0]:
            last_top[0] = top
            bid, ask = top
            say(f"book   {symbol:9} bid {bid.price if bid else '-'} x {bid.quantity if bid else '-'}"
                  f"  ask {ask.price if ask else '-'} x {ask.quantity if ask else '-'}")

    client.subscribe_to_ticker_updates(symbol, on_ticker)
    client.subscribe_to_trade_updates(symbol, on_trades)
    watcher = client.watch_order_book(symbol, on_book)
    threading.Event().wait(seconds)  # the streams run on the client's threads meanwhile
    watcher.close()


def order_flow(client: OkexClient, symbol: str) -> None:
    book = client.subscribe_to_order_book_updates(symbol, depth=5)
    best_bid = book.get(10).data.bids[0].price
    book.unsubscribe()
    orders = client.subscribe_to_order_updates(symbol)
    balances = client.subscribe_to_balance_updates(symbol, lambda e: say(f"balance push {dict(e.data.free)}"))
    price = (best_bid * Decimal("0.9")).quantize(Decimal("0.0001"))
    order_id = client.place_order(symbol, exwire.Side.BUY, "0.01", price)
    say(f"placed {order_id}: {orders.get(10).data.status.name}")
    client.cancel_order(symbol, order_id)
    say(f"cancelled {order_id}: {orders.get(10).data.status.name}")
    balances.unsubscribe()
    for asset, balance in sorted(client.get_balances().items()):
        say(f"{asset:5} free {balance.free} locked {balance.locked} total {balance.total}")


if __name__ == "__main__":
    sys.exit(main())
