"""exwire CoinEx quickstart: ticker, trades and top of book, against an emulator by default.

    python samples/coinex_quickstart.py                 # local CoinexEmulator, 5 s
    python samples/coinex_quickstart.py --seconds 10 --symbol ETHUSDT
    python samples/coinex_quickstart.py --live          # CoinEx production (needs the internet)

Prints the server time and the 24 h ticker, then streams ticker updates, trades and the
best bid/ask of a checksum-validated order book for ``--seconds``, and closes. The last
line is always ``book checksums: <ok> ok, <bad> mismatched``; the exit status is 1 when
a checksum mismatched.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import threading
from typing import TextIO

import exwire
from exwire.coinex import CoinexClient, Ticker, Trade


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=5.0, help="how long to stream (default 5)")
    parser.add_argument("--symbol", default="BTCUSDT", help="market to watch (default BTCUSDT)")
    parser.add_argument("--limit", type=int, default=10, help="book levels per side (default 10)")
    parser.add_argument("--live", action="store_true", help="use CoinEx's production endpoint")
    args = parser.parse_args(argv)

    with contextlib.ExitStack() as stack:
        if args.live:
            client = stack.enter_context(CoinexClient())
        else:
            from exwire.testing.coinex import CoinexEmulator

            emulator = stack.enter_context(CoinexEmulator(push_interval=0.5))
            client = stack.enter_context(CoinexClient(**emulator.client_kwargs()))
        say(f"ping: {client.ping() * 1000:.1f} ms, server time {client.get_server_time():%Y-%m-%d %H:%M:%S} UTC")
        ticker = client.get_ticker(args.symbol)
        say(f"24h    {ticker.symbol:9} last {ticker.last_price} high {ticker.high_price} "
              f"low {ticker.low_price} volume {ticker.volume}")
        watcher = stream(client, args.symbol, args.limit, args.seconds)
        ok, bad = watcher.checksums_verified, watcher.checksums_mismatched
    say(f"book checksums: {ok} ok, {bad} mismatched")
    return 0 if bad == 0 else 1


_print_lock = threading.Lock()


def say(line: str, file: TextIO | None = None) -> None:
    """Print one whole line under a lock: the client's callbacks run on several threads,
    and the lines printed from them must never run together."""
    stream = sys.stdout if file is None else file
    with _print_lock:
        stream.write(line + "\n")  # one write: the line and its newline together
        stream.flush()


def stream(client: CoinexClient, symbol: str, limit: int, seconds: float) -> exwire.OrderBookWatcher:
    """Subscribe to the three streams, let them run ``seconds``, return the book watcher."""

    def on_ticker(event: exwire.DataEvent[Ticker]) -> None:
        t = event.data
        say(f"ticker {t.symbol:9} last {t.last_price} open {t.open_price} volume {t.volume}")

    def on_trades(event: exwire.DataEvent[list[Trade]]) -> None:
        if event.update_type is exwire.UpdateType.SNAPSHOT:
            say(f"trades {event.symbol:9} {len(event.data)} recent, newest {event.data[0].price}")
            return
        for trade in reversed(event.data):  # CoinEx lists the newest first
            say(f"trade  {event.symbol:9} {trade.side.value:4} {trade.quantity} @ {trade.price}")

    last_top: list[tuple[exwire.Level | None, exwire.Level | None] | None] = [None]

    def on_book(snapshot: exwire.BookSnapshot) -> None:
        top = (snapshot.bids[0] if snapshot.bids else None, snapshot.asks[0] if snapshot.asks else None)
        if top != last_top[0]:
            last_top[0] = top
            bid, ask = top
            say(f"book   {symbol:9} bid {bid.price if bid else '-'} x {bid.quantity if bid else '-'}"
                  f"  ask {ask.price if ask else '-'} x {ask.quantity if ask else '-'}")

    client.subscribe_to_ticker_updates(symbol, on_ticker)
    client.subscribe_to_trade_updates(symbol, on_trades)
    watcher = client.watch_order_book(symbol, limit, callback=on_book)
    threading.Event().wait(seconds)  # the streams run on the client's threads meanwhile
    return watcher


if __name__ == "__main__":
    sys.exit(main())
