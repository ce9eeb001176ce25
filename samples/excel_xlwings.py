"""Live exchange data in Excel through xlwings user-defined functions.

In a cell::

    =EXWIRE_TICKER("kraken", "BTC/USD", "last")     last price (also "bid", "ask", "volume",
                                                     "high", "low", "open", "age", "time", or
                                                     any field of exwire.Ticker: "bid_quantity" ...)
    =EXWIRE_BOOK("okex", "BTC/USDT", 5)              5 rows: bid quantity, bid, ask, ask quantity
    =EXWIRE_STATUS("kraken")                         "ok", "connecting" ... for a status cell

Every exchange through ``client.shared``: symbols are ``BASE/QUOTE`` and the ticker's
fields are those of the neutral :class:`exwire.Ticker`, the same on every exchange (an
empty cell where the exchange does not send one).

Setup (Windows or macOS with Excel): ``pip install xlwings exwire``, ``xlwings addin install``,
then in the xlwings ribbon set "UDF Modules" to ``excel_xlwings`` (this file on the
PYTHONPATH) and click "Import Functions". The functions are volatile: press F9, or let
a small VBA ``Application.OnTime`` loop recalculate, to refresh.

How it runs. Each exchange gets one shared background client, started by the first
function call that names it and closed when the module unloads (``atexit``, i.e. when
Excel quits and the xlwings server exits) or when :func:`shutdown` is called. The
functions never wait for the network: the first call for a symbol queues its
subscription on a small worker thread (``exwire-excel-<exchange>``) and returns
``"#N/A"`` at once; later calls read ``client.latest.ticker`` (the neutral ticker) or the order-book
watcher, which the client's reader and lanes keep current (or, should ``latest`` not
have the symbol, the newest ticker the subscription's callback saw). So a
recalculation is a few dictionary reads, and a slow or absent network never freezes Excel.

Data source: the exchange's emulator (in this process) by default, as with every
exwire sample; set the environment variable ``EXWIRE_EXCEL_LIVE=1`` before Excel starts,
or call ``configure("kraken", live=True)``, for production.

Without xlwings (e.g. on a Linux server) the decorators below are no-ops, so the
functions stay plain Python and can be called and tested directly.
"""

from __future__ import annotations

import atexit
import contextlib
import decimal
import os
import queue
import threading
import time
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any, NamedTuple, TypeVar

import attrs

import exwire
from exwire.hosts import Exchange, get_exchange
from exwire.shared import split_symbol

try:  # xlwings installs on Windows and macOS (and as a manylinux wheel), but needs Excel to be useful
    import xlwings as xw  # type: ignore[import-not-found, unused-ignore]
except ImportError:  # pragma: no cover - depends on the environment
    xw = None

__all__ = ["EXWIRE_TICKER", "EXWIRE_BOOK", "EXWIRE_STATUS", "configure", "shutdown"]

NOT_AVAILABLE = "#N/A"

#: Short names of the neutral ticker's fields (any field of exwire.Ticker works too).
SHORT_FIELDS = {"last": "last_price", "bid": "bid_price", "ask": "ask_price", "volume": "volume",
                "high": "high_price", "low": "low_price", "open": "open_price"}
TICKER_FIELDS = frozenset(field.name for field in attrs.fields(exwire.Ticker) if field.name != "native")


_F = TypeVar("_F", bound=Callable[..., Any])


class _NoXlwings:
    """Stand-ins for ``xw.func``, ``xw.arg`` and ``xw.ret`` that leave the function unchanged
    (and the type xlwings' decorators have, for type checkers)."""

    @staticmethod
    def func(*args: Any, **options: Any) -> Callable[[_F], _F]:
        return lambda inner: inner

    @staticmethod
    def arg(*args: Any, **options: Any) -> Callable[[_F], _F]:
        return lambda inner: inner

    @staticmethod
    def ret(*args: Any, **options: Any) -> Callable[[_F], _F]:
        return lambda inner: inner


_xl: _NoXlwings = xw if xw is not None else _NoXlwings()


class _Feed:
    """One exchange's shared client, its subscriptions, and the worker that makes them.

    UDFs (Excel's calculation thread) call :meth:`want` and read; the worker thread
    does every blocking subscribe; :meth:`close` stops both.
    """

    def __init__(self, exchange: Exchange, live: bool, url: str | None) -> None:
        self.exchange = exchange
        self._stack = contextlib.ExitStack()
        self.client = self._stack.enter_context(exchange.open(live=live, url=url))
        self._state_lock = threading.Lock()  # guards _wanted and _books
        self._wanted: dict[tuple[Any, ...], str] = {}  # key -> "pending" | "ok" | error text
        self._books: dict[tuple[str, int], Any] = {}  # (symbol, depth) -> OrderBookWatcher
        # symbol -> LatestValue-like (value, received_at, age), for clients whose
        # ``latest`` view is not fed by their ticker stream (written on a lane).
        self._tickers: dict[str, Any] = {}
        self._tasks: queue.SimpleQueue[tuple[Any, ...] | None] = queue.SimpleQueue()
        self._worker = threading.Thread(target=self._work, name=f"exwire-excel-{exchange.name}", daemon=True)
        self._worker.start()

    def want(self, key: tuple[Any, ...]) -> str | None:
        """Make sure ``key`` (``("ticker", symbol)`` / ``("book", symbol, depth)``) is subscribed.

        Returns ``None`` once it is, else the text to show meanwhile.
        """
        with self._state_lock:
            state = self._wanted.get(key)
            if state is None:
                self._wanted[key] = state = "pending"
                self._tasks.put(key)
        if state == "ok":
            return None
        return NOT_AVAILABLE if state == "pending" else f"{NOT_AVAILABLE} {state}"

    def book(self, symbol: str, depth: int) -> Any:
        with self._state_lock:
            return self._books.get((symbol, depth))

    def ticker(self, symbol: str) -> Any:
        """The newest neutral ticker of ``symbol`` (``client.latest``, else what the callback saw), or ``None``."""
        return self.client.latest.ticker(symbol) or self._tickers.get(symbol)

    def _ticker_callback(self, symbol: str) -> Any:
        def record(event: exwire.DataEvent[exwire.Ticker]) -> None:  # a lane; one dict write, never blocks
            self._tickers[symbol] = _Seen(event.data, event.received_at, time.monotonic())

        return record

    def status(self) -> str:
        health = self.client.health()
        if health["closed"]:
            return "closed"
        states = {c["state"] for c in health["connections"].values() if c["state"] != "new"}
        return "ok" if states == {"open"} else ", ".join(sorted(states)) or "idle"

    def _work(self) -> None:  # worker thread: the only place that blocks on the network
        while (key := self._tasks.get()) is not None:
            try:
                if key[0] == "ticker":
                    self.client.shared.subscribe_to_ticker_updates(key[1], self._ticker_callback(key[1]))
                else:
                    watcher = self.exchange.watch_book(self.client, key[1], key[2])
                    with self._state_lock:
                        self._books[(key[1], key[2])] = watcher
                state = "ok"
            except Exception as exc:  # shown in the cell; the next recalculation does not retry
                state = f"{type(exc).__name__}: {exc}"
            with self._state_lock:
                self._wanted[key] = state

    def close(self) -> None:
        self._tasks.put(None)
        self._worker.join()
        self._stack.close()


class _Seen(NamedTuple):
    value: Any
    received_at: datetime
    monotonic: float

    @property
    def age(self) -> float:
        return time.monotonic() - self.monotonic


_feeds: dict[str, _Feed] = {}
_sources: dict[str, tuple[bool, str | None]] = {}
_feeds_lock = threading.Lock()  # guards _feeds and _sources


def configure(exchange: str, *, live: bool = False, url: str | None = None) -> None:
    """Choose where ``exchange``'s data comes from before its first use.

    Args:
        live: the production exchange instead of the emulator.
        url: this endpoint instead (e.g. an ``exwire emulate`` server).
    """
    with _feeds_lock:
        _sources[exchange.strip().lower()] = (live, url)


def _feed(name: str) -> _Feed:
    key = name.strip().lower()
    with _feeds_lock:
        feed = _feeds.get(key)
        if feed is None:
            live, url = _sources.get(key, (os.environ.get("EXWIRE_EXCEL_LIVE") == "1", None))
            feed = _feeds[key] = _Feed(get_exchange(key), live, url)
        return feed


def shutdown() -> None:
    """Close every shared client (and emulator); the next function call starts afresh."""
    with _feeds_lock:
        feeds = list(_feeds.values())
        _feeds.clear()
    for feed in feeds:
        feed.close()


atexit.register(shutdown)


def _cell(value: Any) -> Any:
    """A model value as Excel takes it: numbers as float/int, times as naive UTC datetimes."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return value
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc).replace(tzinfo=None) if value.tzinfo else value
    if hasattr(value, "value") and not isinstance(value, (int, float, str)):  # enums
        return value.value
    return value


@_xl.func(volatile=True)
@_xl.arg("field", doc='"last", "bid", "ask", "volume", "high", "low", "open", "age", "time" or a field of exwire.Ticker')
def EXWIRE_TICKER(exchange: str, symbol: str, field: str = "last") -> Any:
    """The latest ticker value of ``symbol`` (``BASE/QUOTE``) on ``exchange``; ``"#N/A"``
    until the first update.

    ``field`` is a field of :class:`exwire.Ticker` (``"last_price"``, ``"bid_quantity"``
    ...) or its short name (``"last"``, ``"bid"``, ``"ask"``, ``"volume"``, ``"high"``,
    ``"low"``, ``"open"``); an empty cell where the exchange does not send it. ``"age"`` is
    seconds since the update arrived; ``"time"`` is when (UTC).
    """
    name = SHORT_FIELDS.get(field, field)
    if field not in ("age", "time") and name not in TICKER_FIELDS:
        return f"{NOT_AVAILABLE} no field {field!r}"
    try:
        feed = _feed(exchange)
        symbol = _symbol(symbol)
    except Exception as exc:
        return f"{NOT_AVAILABLE} {exc}"
    waiting = feed.want(("ticker", symbol))
    if waiting is not None:
        return waiting
    latest = feed.ticker(symbol)
    if latest is None:
        return NOT_AVAILABLE
    if field == "age":
        return round(latest.age, 3)
    if field == "time":
        return _cell(latest.received_at)
    return _cell(getattr(latest.value, name))


def _symbol(symbol: str) -> str:
    """``"btc/usdt"`` → ``"BTC/USDT"``; raises ``ConfigurationError`` unless ``BASE/QUOTE``."""
    base, quote = split_symbol(symbol)
    return f"{base}/{quote}"


@_xl.func(volatile=True)
@_xl.arg("depth", numbers=int, doc="levels per side (rows)")
@_xl.ret(expand="table")
def EXWIRE_BOOK(exchange: str, symbol: str, depth: int = 5) -> list[list[Any]]:
    """The best ``depth`` levels of ``symbol``'s (``BASE/QUOTE``) order book as rows of
    ``[bid quantity, bid price, ask price, ask quantity]``.

    Always ``depth`` rows of 4 cells, so a spilled range keeps its shape: before the
    first snapshot the first cell says ``"#N/A"`` and the rest are empty; a side with
    fewer levels leaves empty cells.
    """
    depth = int(depth)
    if depth < 1:
        return [[f"{NOT_AVAILABLE} depth must be at least 1", "", "", ""]]
    empty = [["", "", "", ""] for _ in range(depth)]
    try:
        feed = _feed(exchange)
        symbol = _symbol(symbol)
    except Exception as exc:
        empty[0][0] = f"{NOT_AVAILABLE} {exc}"
        return empty
    waiting = feed.want(("book", symbol, depth))
    watcher = feed.book(symbol, depth) if waiting is None else None
    if watcher is None or not watcher.synced:
        empty[0][0] = waiting or NOT_AVAILABLE
        return empty
    snapshot = watcher.snapshot(depth)
    rows = empty
    for index, level in enumerate(snapshot.bids[:depth]):
        rows[index][0], rows[index][1] = _cell(level.quantity), _cell(level.price)
    for index, level in enumerate(snapshot.asks[:depth]):
        rows[index][2], rows[index][3] = _cell(level.price), _cell(level.quantity)
    return rows


@_xl.func(volatile=True)
def EXWIRE_STATUS(exchange: str) -> str:
    """The shared client's connection state: ``"ok"``, ``"idle"`` (nothing subscribed yet),
    the connection states otherwise, or ``"#N/A <reason>"``."""
    try:
        return _feed(exchange).status()
    except Exception as exc:
        return f"{NOT_AVAILABLE} {exc}"
