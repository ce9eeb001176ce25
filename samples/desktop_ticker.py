"""A Tk window with a live ticker and the top of the order book of one symbol.

    python samples/desktop_ticker.py                          # Kraken BTC/USD from a local emulator
    python samples/desktop_ticker.py --exchange coinex --symbol BTC/USDT
    python samples/desktop_ticker.py --live                   # Kraken production
    python samples/desktop_ticker.py --seconds 5              # closes itself after 5 s

Every exchange through ``client.shared``: the symbol is ``BASE/QUOTE``, the ticker is the
neutral :class:`exwire.Ticker` and the top of the book an :class:`exwire.TopOfBook`
(from the exchange's top-of-book stream, or from a watched order book where it has none).

Threads: the client reads the socket on its own threads, but every callback runs on
the Tk thread, because the client is built with ``callback_executor=TkExecutor(root)``:
the executor queues each call and a Tk timer runs the queue between Tk events. So the
callbacks may touch widgets, and nothing else may. Closing the window closes the
client (and the emulator); ``--seconds N`` does the same after N seconds.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import threading
import tkinter as tk
from collections.abc import Callable
from typing import Any

import exwire
from exwire import Feature
from exwire.hosts import Exchange, TkExecutor, get_exchange
from exwire.shared import split_symbol

WAITING = "waiting for the first update…"


def _number(value: Any) -> str:
    return "-" if value is None else str(value)


class TickerWindow:
    """The widgets and the callbacks that update them (all on the Tk thread).

    Attributes:
        ticker_updates / book_updates: callbacks run so far.
        callback_threads: identities of the threads that ran them (the Tk thread only).
    """

    def __init__(self, root: tk.Tk, exchange: Exchange, symbol: str) -> None:
        self.root = root
        self.exchange = exchange
        self.symbol = symbol
        self.client: Any = None
        self.ticker_updates = 0
        self.book_updates = 0
        self.ticker_changes = 0  # times the ticker label's text actually changed
        self.callback_threads: set[int] = set()
        root.title(f"exwire · {exchange.name} {symbol}")
        frame = tk.Frame(root, padx=16, pady=12)
        frame.pack(fill="both", expand=True)
        tk.Label(frame, text=f"{exchange.name}  {symbol}", font=("TkDefaultFont", 14, "bold")).pack(anchor="w")
        self.ticker_text = tk.StringVar(value=WAITING)
        self.book_text = tk.StringVar(value=WAITING)
        self.status_text = tk.StringVar(value="connecting…")
        self.ticker_label = tk.Label(frame, textvariable=self.ticker_text, font=("TkFixedFont", 12))
        self.ticker_label.pack(anchor="w", pady=(8, 0))
        self.book_label = tk.Label(frame, textvariable=self.book_text, font=("TkFixedFont", 12))
        self.book_label.pack(anchor="w")
        tk.Label(frame, textvariable=self.status_text, fg="grey").pack(anchor="w", pady=(8, 0))

    # -- callbacks: Tk thread (through the TkExecutor) -----------------------------------

    def on_ticker(self, event: exwire.DataEvent[exwire.Ticker]) -> None:
        self.callback_threads.add(threading.get_ident())
        self.ticker_updates += 1
        ticker = event.data
        text = (f"last {_number(ticker.last_price)}   bid {_number(ticker.bid_price)}   "
                f"ask {_number(ticker.ask_price)}")
        if text != self.ticker_text.get():
            self.ticker_changes += 1
            self.ticker_text.set(text)

    def on_top_of_book(self, event: exwire.DataEvent[exwire.TopOfBook]) -> None:
        """A top-of-book update (``client.shared.subscribe_to_top_of_book_updates``)."""
        self.callback_threads.add(threading.get_ident())
        self.book_updates += 1
        self._show_book(event.data)

    def on_book(self) -> None:
        """A repaint from ``client.latest.top_of_book``, which a watched order book keeps current."""
        self.callback_threads.add(threading.get_ident())
        latest = self.client.latest.top_of_book(self.symbol) if self.client is not None else None
        if latest is None:
            return
        self.book_updates += 1
        self._show_book(latest.value)

    def _show_book(self, top: exwire.TopOfBook) -> None:
        bid, ask = top.bid, top.ask
        self.book_text.set(
            f"bid {_number(bid and bid.quantity)} @ {_number(bid and bid.price)}   "
            f"ask {_number(ask and ask.price)} x {_number(ask and ask.quantity)}")

    def on_connection_event(self, event: exwire.ConnectionEvent) -> None:
        self.callback_threads.add(threading.get_ident())
        self.status_text.set(f"{event.connection}: {event.state.value}")


def run(exchange_name: str = "kraken", symbol: str | None = None, *, seconds: float | None = None,
        live: bool = False, url: str | None = None,
        until: Callable[[TickerWindow], bool] | None = None) -> TickerWindow:
    """Show the window until it is closed (or ``seconds`` pass); return it for inspection.

    Args:
        until: also close once ``until(window)`` is true (checked on the Tk thread
            every 50 ms); ``None`` never.

    Raises:
        exwire.ExwireError: the exchange could not be reached or refused the subscription.
    """
    exchange = get_exchange(exchange_name)
    if Feature.TICKER_STREAM not in exchange.features:
        raise exwire.ConfigurationError(f"{exchange.name} has no ticker stream")
    base, quote = split_symbol(symbol or exchange.example_symbol)
    symbol = f"{base}/{quote}"
    root = tk.Tk()
    executor = TkExecutor(root)
    window = TickerWindow(root, exchange, symbol)
    with contextlib.ExitStack() as stack:
        stack.callback(root.destroy)
        stack.callback(executor.close)
        # Hooks run on a client lane, so they are marshalled to Tk like the callbacks.
        client = stack.enter_context(exchange.open(
            live=live, url=url, callback_executor=executor,
            on_connection_event=lambda event: executor.submit(window.on_connection_event, event)))
        window.client = client
        shared = client.shared
        shared.subscribe_to_ticker_updates(symbol, window.on_ticker)
        if Feature.TOP_OF_BOOK_STREAM in shared.features:
            shared.subscribe_to_top_of_book_updates(symbol, window.on_top_of_book)
        elif Feature.ORDER_BOOK in shared.features:
            # No top-of-book stream: a watched book feeds client.latest.top_of_book, which
            # a Tk timer reads (the latest-value view suits a GUI refreshing at its pace).
            shared.watch_order_book(symbol)
            _repaint_book_every(window, 0.25)
        window.status_text.set("subscribed")
        root.protocol("WM_DELETE_WINDOW", root.quit)  # leave mainloop; the stack closes the rest
        if seconds is not None:
            root.after(max(1, round(seconds * 1000)), root.quit)
        if until is not None:
            _quit_when(root, lambda: until(window))
        root.mainloop()
    return window


def _quit_when(root: tk.Tk, condition: Callable[[], bool]) -> None:
    def check() -> None:
        if condition():
            root.quit()
        else:
            root.after(50, check)

    root.after(50, check)


def _repaint_book_every(window: TickerWindow, interval: float) -> None:
    """Tk thread: call ``window.on_book`` every ``interval`` seconds until the root goes."""

    def tick() -> None:
        window.on_book()
        window.root.after(round(interval * 1000), tick)

    window.root.after(round(interval * 1000), tick)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--exchange", default="kraken", help="exchange name (default kraken)")
    parser.add_argument("--symbol", help="BASE/QUOTE symbol (default: the exchange's example, BTC/USD for Kraken)")
    parser.add_argument("--seconds", type=float, help="close the window after this many seconds")
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--live", action="store_true", help="connect to the production exchange")
    source.add_argument("--url", help="connect to this endpoint (e.g. an `exwire emulate` server)")
    args = parser.parse_args(argv)
    try:
        window = run(args.exchange, args.symbol, seconds=args.seconds, live=args.live, url=args.url)
    except exwire.ExwireError as exc:
        print(f"desktop_ticker: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    except tk.TclError as exc:
        print(f"desktop_ticker: no display ({exc})", file=sys.stderr)
        return 1
    print(f"{window.ticker_updates} ticker and {window.book_updates} book updates shown")
    return 0


if __name__ == "__main__":
    sys.exit(main())
