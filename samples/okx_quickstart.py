"""exwire quickstart for the OKX API v5 WebSocket, against an emulator by default.

    python samples/okx_quickstart.py                    # local OkxEmulator, 5 s of market data, an order
    python samples/okx_quickstart.py --seconds 2 --symbol ETH-USDT
    python samples/okx_quickstart.py --demo             # OKX demo trading (demo API key), with an order
    python samples/okx_quickstart.py --live             # OKX production: market data, and the
                                                        # balances when a key is set; no order
    python samples/okx_quickstart.py --live --trade     # production, with the order (real funds)

``--live`` and ``--demo`` read the API key from the environment: ``EXWIRE_OKX_KEY``,
``EXWIRE_OKX_SECRET`` and ``EXWIRE_OKX_PASSPHRASE`` (the passphrase chosen when the key
was created), the variables the ``exwire`` command reads too. Without them only the public
data is shown. Demo keys are created under OKX's demo trading; they do not work in
production, nor production keys in demo trading.

The run streams the ticker, the trades and the top of a maintained order book (checked
with OKX's sequence ids and checksums) for ``--seconds``; then, with credentials, logs in,
prints the account's balances, places a limit buy well below the market (a SPOT order in
the ``cash`` trade mode), waits for its push on the orders channel, cancels it and waits
for that push. The last line is always ``book: <n> checksums ok, <m> mismatched, <g>
sequence gaps``.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import threading
from decimal import Decimal
from typing import Any, TextIO

import exwire
from exwire.hosts import credentials_from_environment
from exwire.okx import OkxClient, Ticker, Trade

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
    parser.add_argument("--symbol", default="BTC-USDT", help="SPOT instrument to watch (default BTC-USDT)")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--live", action="store_true", help="use OKX's production endpoints")
    where.add_argument("--demo", action="store_true", help="use OKX's demo trading endpoints (demo API key)")
    parser.add_argument("--trade", action="store_true", help="with --live: place and cancel the order too")
    args = parser.parse_args(argv)

    with contextlib.ExitStack() as stack:
        if args.live or args.demo:
            try:
                credentials = credentials_from_environment("okx")  # EXWIRE_OKX_KEY, _SECRET, _PASSPHRASE
            except exwire.ConfigurationError as exc:
                say(f"credentials: {exc}", file=sys.stderr)
                return 2
            if credentials is None:
                say("no credentials (EXWIRE_OKX_KEY, EXWIRE_OKX_SECRET, EXWIRE_OKX_PASSPHRASE): public data only")
            options: dict[str, Any] = {"demo": args.demo, "credentials": credentials}
        else:
            from exwire.testing.okx import OkxEmulator

            emulator = stack.enter_context(OkxEmulator())
            options = {**emulator.client_kwargs(), "credentials": emulator.credentials}  # the demo account
        try:
            client = stack.enter_context(OkxClient(**options))
        except exwire.ConfigurationError as exc:  # e.g. a key without its passphrase
            say(f"configuration: {exc}", file=sys.stderr)
            return 2
        try:
            watcher = stream(client, args.symbol, args.seconds)
            if client.credentials is not None:
                account(client, args.symbol, trade=not args.live or args.trade)
        except exwire.LogOnRefused as exc:  # a ConnectError: caught first
            say(f"login refused: {exc}", file=sys.stderr)
            return 1
        except exwire.ConnectError as exc:
            say(f"could not connect: {exc}", file=sys.stderr)
            return 1
    say(f"book: {watcher.checksums_verified} checksums ok, {watcher.checksums_mismatched} mismatched, "
        f"{watcher.sequence_gaps} sequence gaps")
    return 0 if watcher.checksums_mismatched == 0 else 1


def stream(client: OkxClient, symbol: str, seconds: float) -> exwire.OrderBookWatcher:
    """Stream the ticker, trades and book top for ``seconds``; return the closed book watcher."""

    def on_ticker(event: exwire.DataEvent[Ticker]) -> None:
        t = event.data
        say(f"ticker {t.symbol:9} bid {t.bid_price} ask {t.ask_price} last {t.last_price} 24h volume {t.volume}")

    def on_trade(event: exwire.DataEvent[Trade]) -> None:  # one trade per event
        trade = event.data
        side = trade.side.value if trade.side else "?"
        say(f"trade  {trade.symbol:9} {side:4} {trade.quantity} @ {trade.price} at {trade.time:%H:%M:%S} UTC")

    last_top: list[tuple[exwire.Level | None, exwire.Level | None] | None] = [None]

    def on_book(snapshot: exwire.BookSnapshot) -> None:
        top = (snapshot.bids[0] if snapshot.bids else None, snapshot.asks[0] if snapshot.asks else None)
        if top != last_top[0]:  # print the top only when it moved
            last_top[0] = top
            bid, ask = top
            say(f"book   {symbol:9} bid {bid.price if bid else '-'} x {bid.quantity if bid else '-'}"
                f"  ask {ask.price if ask else '-'} x {ask.quantity if ask else '-'}")

    client.subscribe_to_ticker_updates(symbol, on_ticker)
    client.subscribe_to_trade_updates(symbol, on_trade)
    watcher = client.watch_order_book(symbol, 400, on_book)  # the 400-level "books" channel
    watcher.wait_synced(10)
    threading.Event().wait(seconds)  # the streams run on the client's threads meanwhile
    watcher.close()
    return watcher


def account(client: OkxClient, symbol: str, *, trade: bool) -> None:
    """Log in, print the balances; with ``trade``, place a limit buy far below the market,
    cancel it, and print both pushes of the orders channel."""
    client.login(timeout=10)  # fails early on a wrong key, secret or passphrase
    say("login  ok")
    with client.subscribe_to_account_updates() as balances:  # the first push is the whole account
        for detail in balances.get(10).data.details:
            say(f"balance {detail.asset:5} free {detail.free} locked {detail.locked} total {detail.total}")
    if not trade:
        return
    with client.subscribe_to_order_updates("SPOT", symbol) as orders:  # pulled below, on this thread
        top = client.subscribe_to_ticker_updates(symbol)
        try:
            bid = top.get(10).data.bid_price
        finally:
            top.unsubscribe()
        assert bid is not None
        price = (bid * Decimal("0.9")).quantize(bid)  # on the bid's tick, far from any fill
        result = client.place_order(symbol, exwire.Side.BUY, "limit", "cash", "0.001", price, timeout=10)
        say(f"placed {result.order_id}: buy 0.001 @ {price}, {_state(orders.get(10).data.status)}")
        assert result.order_id is not None
        client.cancel_order(symbol, order_id=result.order_id, timeout=10)
        say(f"cancelled {result.order_id}: {_state(orders.get(10).data.status)}")


def _state(status: Any) -> str:
    return "?" if status is None else str(status.value)


if __name__ == "__main__":
    sys.exit(main())
