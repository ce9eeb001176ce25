"""exwire quickstart: Kraken ticker, trades and top of book, against an emulator by default.

    python samples/quickstart.py                      # local KrakenEmulator, 10 s
    python samples/quickstart.py --seconds 3
    python samples/quickstart.py --replay ../shared/fixtures/kraken/python-kraken-sdk/orderbook-v1.json
    python samples/quickstart.py --live               # Kraken production (needs the internet)

With ``--replay FILE`` the emulator replays a real capture; the quickstart subscribes to the
pairs and depth the capture holds and ends when every captured book update has arrived.
The last line is always ``book checksums: <ok> ok, <bad> mismatched``.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import threading
import time
from typing import TextIO

import exwire

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
    parser.add_argument("--seconds", type=float, default=10.0, help="how long to stream (default 10)")
    parser.add_argument("--symbol", default="XBT/USD", help="pair to watch (default XBT/USD)")
    parser.add_argument("--depth", type=int, default=10, help="book depth (default 10)")
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--live", action="store_true", help="use Kraken's production endpoints")
    source.add_argument("--replay", metavar="FILE", help="make the emulator replay a Kraken capture")
    parser.add_argument("--timeout", type=float, default=60.0, help="longest a replay may take (s)")
    args = parser.parse_args(argv)

    with contextlib.ExitStack() as stack:
        if args.live:
            client_kwargs: dict = {}
        else:
            from exwire.testing import KrakenEmulator

            emulator = stack.enter_context(KrakenEmulator(replay=args.replay))
            client_kwargs = emulator.client_kwargs()
        client = stack.enter_context(exwire.KrakenClient(**client_kwargs))
        say(f"ping: {client.ping() * 1000:.1f} ms")
        if args.replay:
            watchers = replay(client, emulator, args.timeout)
        else:
            watchers = stream(client, args.symbol, args.depth, args.seconds)
        ok = sum(w.checksums_verified for w in watchers)
        bad = sum(w.checksums_mismatched for w in watchers)
    say(f"book checksums: {ok} ok, {bad} mismatched")
    return 0 if bad == 0 else 1


def _print_top(symbol: str):
    last = [None]

    def on_book(snapshot: exwire.BookSnapshot) -> None:
        top = (snapshot.bids[0] if snapshot.bids else None, snapshot.asks[0] if snapshot.asks else None)
        if top != last[0]:
            last[0] = top
            bid, ask = top
            say(f"book   {symbol:9} bid {bid.price if bid else '-'} x {bid.quantity if bid else '-'}"
                  f"  ask {ask.price if ask else '-'} x {ask.quantity if ask else '-'}")

    return on_book


def stream(client: exwire.KrakenClient, symbol: str, depth: int, seconds: float) -> list:
    def on_ticker(event: exwire.DataEvent) -> None:
        t = event.data
        say(f"ticker {event.symbol:9} bid {t.bid_price} ask {t.ask_price} last {t.last_price}")

    def on_trades(event: exwire.DataEvent) -> None:
        for trade in event.data:
            say(f"trade  {event.symbol:9} {trade.side.value:4} {trade.quantity} @ {trade.price}")

    client.subscribe_to_ticker_updates(symbol, on_ticker)
    client.subscribe_to_trade_updates(symbol, on_trades)
    watcher = client.watch_order_book(symbol, depth, _print_top(symbol))
    threading.Event().wait(seconds)  # the streams run on the client's threads meanwhile
    return [watcher]


def replay(client: exwire.KrakenClient, emulator, timeout: float) -> list:
    channel = emulator.replay_channel or {}
    if channel.get("name") != "book":
        raise SystemExit(f"the capture holds {channel.get('name')!r}, not a book: nothing to check")
    depth = int(channel.get("depth", 10))
    expected = emulator.replay_book_updates
    done = threading.Event()
    watchers: list = []

    def progress(symbol):
        top = _print_top(symbol)

        def on_book(snapshot):
            top(snapshot)
            if sum(w.checksums_verified + w.checksums_mismatched for w in watchers) >= expected:
                done.set()

        return on_book

    say(f"replaying {expected} book updates of {', '.join(emulator.replay_pairs)} at depth {depth}")
    started = time.monotonic()
    for pair in emulator.replay_pairs:
        watchers.append(client.watch_order_book(pair, depth, progress(pair)))
    if not done.wait(timeout):
        say(f"replay did not finish within {timeout} s", file=sys.stderr)
    say(f"replayed in {time.monotonic() - started:.2f} s")
    return watchers


if __name__ == "__main__":
    sys.exit(main())
