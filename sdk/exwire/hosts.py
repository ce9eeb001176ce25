"""Adapters for the places users run exwire: GUI loops, single-threaded hosts, and the exchange table.

Callback executors (pass one as a client's ``callback_executor=``):

* :class:`PollingExecutor` — a host with its own loop (a Django management
  command, a game loop, a script) calls :meth:`PollingExecutor.run_pending`;
  callbacks run on that thread.
* :class:`TkExecutor` — callbacks run on the Tk thread, between Tk events.
* :class:`QtExecutor` — callbacks run on the Qt GUI thread (PySide6 or PyQt6).

How they stay bounded: the engine treats the executor as the subscription's lane.
It submits at most one *drain* per subscription at a time; the updates themselves
wait in the subscription's bounded queue, so a host that stops running callbacks
meets the client's ``overflow`` policy (``block`` / ``drop_oldest`` / ``latest``)
instead of growing a queue here. Each drain runs one update's callback and then
submits the next drain if more updates wait, so the updates of one subscription
run in arrival order. (An ``OrderBookWatcher``'s callback is the exception today:
the watcher submits one call per applied book message, outside that bound; in a
GUI, read the watcher or ``client.latest.top_of_book`` on a timer instead.)

The exchange table (:func:`exchanges`, :func:`get_exchange`) tells hosts — the
``exwire`` command and the samples — how to reach each exchange by name: its
client and emulator classes, which channels map to which ``subscribe_to_*``
method, which blocking requests may be called, and where the ticker and trade
fields are. An exchange appears only when its modules import and its client has
what the entry names, so entries can be declared before their client lands.
"""

from __future__ import annotations

import collections
import contextlib
import urllib.parse
import importlib
import inspect
import logging
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import attrs

from exwire.errors import ConfigurationError
from exwire.models import Credentials

__all__ = [
    "PollingExecutor",
    "TkExecutor",
    "QtExecutor",
    "Channel",
    "BookSpec",
    "ExchangeSpec",
    "Exchange",
    "SPECS",
    "exchanges",
    "get_exchange",
    "unavailable",
]

log = logging.getLogger("exwire.hosts")


# -- executors ------------------------------------------------------------------------


class PollingExecutor:
    """Runs submitted callbacks when the host calls :meth:`run_pending` on its own thread.

    ``submit`` may be called from any thread (the client's reader and lanes call it);
    the calls run on whichever thread calls ``run_pending``, in submission order.
    A call that raises is logged (logger ``exwire.hosts``) and the next one runs.

    Thread-safety: every method may be called from any thread; ``run_pending`` is
    meant to be called from one host thread.

    Example::

        host = PollingExecutor()
        with exwire.KrakenClient(callback_executor=host) as client:
            client.subscribe_to_trade_updates("XBT/USD", on_trades)
            while running:
                host.wait(1.0)          # until something is pending, at most 1 s
                host.run_pending(100)   # callbacks run here, on this thread
    """

    def __init__(self) -> None:
        self._calls: collections.deque[tuple[Callable[..., Any], tuple[Any, ...]]] = collections.deque()
        self._cond = threading.Condition(threading.Lock())  # guards _calls and _closed
        self._closed = False

    def submit(self, fn: Callable[..., Any], *args: Any) -> None:
        """Queue ``fn(*args)`` for the next :meth:`run_pending`; any thread.

        After :meth:`close` the call is dropped.
        """
        with self._cond:
            if self._closed:
                log.debug("executor closed: dropping %r", fn)
                return
            self._calls.append((fn, args))
            self._cond.notify_all()

    def run_pending(self, max_items: int | None = None, *, max_seconds: float | None = None) -> int:
        """Run queued calls on the calling thread, oldest first; return how many ran.

        Calls queued while it runs (a drain requeues itself while its subscription
        has more updates) run too, until the queue is empty, ``max_items`` calls ran,
        or ``max_seconds`` passed. A host that must stay responsive under a flood
        passes a bound.

        Args:
            max_items: most calls to run; ``None`` for no limit.
            max_seconds: most seconds to spend (checked after each call); ``None``
                for no limit.

        Raises:
            ConfigurationError: ``max_items`` is negative.
        """
        if max_items is not None and max_items < 0:
            raise ConfigurationError("max_items must be >= 0 or None")
        deadline = None if max_seconds is None else time.monotonic() + max_seconds
        ran = 0
        while max_items is None or ran < max_items:
            with self._cond:
                if not self._calls:
                    break
                fn, args = self._calls.popleft()
            try:
                fn(*args)
            except Exception:
                log.exception("callback %r raised", fn)
            ran += 1
            if deadline is not None and time.monotonic() >= deadline:
                break
        return ran

    def wait(self, timeout: float | None = None) -> bool:
        """Block until a call is pending, the executor is closed, or ``timeout`` seconds pass.

        Args:
            timeout: seconds; ``None`` waits without limit.

        Returns:
            Whether calls are pending.
        """
        with self._cond:
            self._cond.wait_for(lambda: self._calls or self._closed, timeout)
            return bool(self._calls)

    @property
    def pending(self) -> int:
        """Calls waiting for :meth:`run_pending`."""
        return len(self._calls)

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` was called."""
        return self._closed

    def close(self) -> None:
        """Drop pending calls and refuse new ones (they are discarded); wake :meth:`wait`. Idempotent."""
        with self._cond:
            self._closed = True
            self._calls.clear()
            self._cond.notify_all()

    def __enter__(self) -> "PollingExecutor":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class TkExecutor:
    """Runs submitted callbacks on the Tk thread (the thread running ``mainloop``).

    Tk must only be called from the thread that created the interpreter: ``after``
    and ``event_generate`` from another thread either raise ("main thread is not in
    main loop"), crash a non-threaded Tcl, or block until the main loop runs. So
    ``submit`` (any thread) only appends to a thread-safe queue, and a timer that
    the Tk thread re-arms with ``after`` every ``poll_interval`` seconds runs what
    is queued, for at most ``max_seconds`` per tick so the window stays responsive.
    No Tk call is ever made off the Tk thread.

    Create it on the Tk thread, after the root window; close it (or destroy the
    root) on the Tk thread. While the main loop is not running nothing runs and the
    subscriptions' bounded queues apply the client's overflow policy.

    Args:
        root: the ``tkinter.Tk`` (or any widget) whose thread runs the callbacks.
        poll_interval: seconds between polls (latency of a callback, at most).
        max_seconds: most seconds of callbacks per poll.
    """

    def __init__(self, root: Any, *, poll_interval: float = 0.02, max_seconds: float = 0.05) -> None:
        if not poll_interval > 0 or not max_seconds > 0:
            raise ConfigurationError("poll_interval and max_seconds must be positive seconds")
        self._root = root
        self._interval_ms = max(1, round(poll_interval * 1000))
        self._max_seconds = max_seconds
        self._calls = PollingExecutor()
        self._after_id: str | None = root.after(self._interval_ms, self._poll)

    def submit(self, fn: Callable[..., Any], *args: Any) -> None:
        """Queue ``fn(*args)`` to run on the Tk thread; any thread. Dropped after :meth:`close`."""
        self._calls.submit(fn, *args)

    def _poll(self) -> None:  # Tk thread
        self._after_id = None
        if self._calls.closed:
            return
        self._calls.run_pending(max_seconds=self._max_seconds)
        if self._calls.closed:
            return
        try:
            self._after_id = self._root.after(self._interval_ms, self._poll)
        except Exception:  # the root was destroyed (tkinter.TclError)
            self._calls.close()

    @property
    def pending(self) -> int:
        """Calls waiting for the next poll."""
        return self._calls.pending

    def close(self) -> None:
        """Stop polling and drop pending calls; Tk thread only. Idempotent."""
        self._calls.close()
        if self._after_id is not None:
            try:
                self._root.after_cancel(self._after_id)
            except Exception:  # already destroyed
                pass
            self._after_id = None


def _qt_core() -> tuple[Any, Any, Any]:
    """(QObject, QEvent, QCoreApplication) from PySide6 or PyQt6, imported when a QtExecutor is made."""
    try:
        from PySide6.QtCore import QCoreApplication, QEvent, QObject  # type: ignore[import-not-found]

        return QObject, QEvent, QCoreApplication
    except ImportError:
        pass
    try:
        from PyQt6.QtCore import QCoreApplication, QEvent, QObject  # type: ignore[import-not-found]

        return QObject, QEvent, QCoreApplication
    except ImportError:
        raise ImportError(
            "QtExecutor needs PySide6 or PyQt6; install one of them (pip install PySide6)"
        ) from None


_qt_receiver: Any = None


def _qt_receiver_class() -> Any:
    global _qt_receiver
    if _qt_receiver is None:
        QObject, QEvent, _ = _qt_core()

        class _Receiver(QObject):  # type: ignore[misc, valid-type]
            """Lives in the GUI thread; each posted ``User`` event runs one queued call."""

            def __init__(self, run_one: Callable[[], None]) -> None:
                super().__init__()
                self._run_one = run_one

            def event(self, event: Any) -> bool:
                if event.type() == QEvent.Type.User:
                    self._run_one()
                    return True
                return super().event(event)

        _qt_receiver = _Receiver
    return _qt_receiver


class QtExecutor:
    """Runs submitted callbacks on the Qt thread that created the executor (the GUI thread).

    ``submit`` (any thread) queues the call in a thread-safe queue and posts one event
    with ``QCoreApplication.postEvent`` — which Qt documents as thread-safe — to a
    ``QObject`` living in the creating thread; the GUI thread's event loop delivers it
    and runs one queued call, oldest first. (A queued signal would do the same, but
    PySide6 6.12 on Python 3.11 miscounts references on every ``emit`` and aborts the
    interpreter at exit; ``postEvent`` has no such problem.)

    Create it on the GUI thread after the ``QApplication``; calls run only while that
    thread's event loop runs. A call that raises is logged (logger ``exwire.hosts``).

    Raises:
        ImportError: neither PySide6 nor PyQt6 is installed.
    """

    def __init__(self) -> None:
        _, QEvent, QCoreApplication = _qt_core()
        self._event_type = QEvent.Type.User
        self._event_class = QEvent
        self._post = QCoreApplication.postEvent
        self._calls = PollingExecutor()
        self._receiver = _qt_receiver_class()(self._run_one)

    def submit(self, fn: Callable[..., Any], *args: Any) -> None:
        """Queue ``fn(*args)`` for the GUI thread; any thread. Dropped after :meth:`close`."""
        if self._calls.closed:
            return
        self._calls.submit(fn, *args)
        self._post(self._receiver, self._event_class(self._event_type))

    def _run_one(self) -> None:  # GUI thread
        self._calls.run_pending(max_items=1)

    @property
    def pending(self) -> int:
        """Calls posted but not run yet."""
        return self._calls.pending

    def close(self) -> None:
        """Drop pending calls and ignore later ones. Idempotent; any thread."""
        self._calls.close()


# -- the exchange table -----------------------------------------------------------------

#: Where hosts look for a field in a ticker model, when an entry names none: the
#: first attribute that exists wins.
TICKER_FIELDS: dict[str, tuple[str, ...]] = {
    "last": ("last", "last_price", "last_trade_price", "close"),
    "bid": ("bid", "bid_price", "best_bid", "buy"),
    "ask": ("ask", "ask_price", "best_ask", "sell"),
    "volume": ("volume_24h", "volume"),
    "high": ("high_24h", "high"),
    "low": ("low_24h", "low"),
    "open": ("open_24h", "open"),
}
#: The same for a trade model: the neutral fields hosts store.
TRADE_FIELDS: dict[str, tuple[str, ...]] = {
    "price": ("price",),
    "quantity": ("quantity", "volume", "amount", "size"),
    "side": ("side",),
    "time": ("time", "timestamp"),
}


@attrs.frozen
class Channel:
    """How a channel name maps to a ``subscribe_to_*`` method.

    Attributes:
        method: the client method, called as ``method(symbol, callback=..., **options)``.
        options: keyword arguments offered to the method (each passed only when the
            method has a parameter of that name), e.g. ``{"depth": 10}``.
    """

    method: str
    options: Mapping[str, Any] = attrs.field(factory=dict)


@attrs.frozen
class BookSpec:
    """How to watch a maintained order book: ``method(symbol, **{depth_parameter: depth})``.

    Attributes:
        method: usually ``"watch_order_book"``.
        depth_parameter: the name of its depth argument (``depth``, ``limit`` ...), or
            ``None`` when the exchange keeps one fixed depth.
        depths: the depths the exchange accepts, ascending.
    """

    method: str = "watch_order_book"
    depth_parameter: str | None = "depth"
    depths: tuple[int, ...] = (10,)


@attrs.frozen
class ExchangeSpec:
    """One exchange, declared by import paths (``"module:attribute"``) so nothing imports early.

    Attributes:
        name: the exchange's name on the command line, e.g. ``"kraken"``.
        client: the client class.
        emulator: the ``exwire.testing`` emulator class, or ``None``.
        example_symbol: a symbol the emulator serves, for help texts and defaults.
        channels: channel name → :class:`Channel`.
        requests: blocking methods ``exwire call`` may run.
        normalize: a function giving a symbol as the exchange names it (the keys of
            ``client.latest``), or ``None`` for the symbol as given.
        top_of_book_channel: the channel that feeds ``client.latest.top_of_book``, or ``None``.
        book: how to watch an order book, or ``None``.
        ticker_fields / trade_fields: field name → model attributes to try first.
        url_paths: for exchanges with several endpoints on one host (Binance spot, USD-M,
            COIN-M): client keyword → path. With ``--url`` each keyword gets the given
            host with its path, so no endpoint silently stays on production.
    """

    name: str
    client: str
    emulator: str | None
    example_symbol: str
    channels: Mapping[str, Channel] = attrs.field(factory=dict)
    requests: tuple[str, ...] = ()
    normalize: str | None = None
    top_of_book_channel: str | None = None
    book: BookSpec | None = None
    ticker_fields: Mapping[str, tuple[str, ...]] = attrs.field(factory=dict)
    trade_fields: Mapping[str, tuple[str, ...]] = attrs.field(factory=dict)
    url_paths: Mapping[str, str] = attrs.field(factory=dict)


#: Every exchange exwire knows. One entry each; an entry whose client has not landed
#: (or lacks a method) is left out of :func:`exchanges` with the reason in :func:`unavailable`.
SPECS: tuple[ExchangeSpec, ...] = (
    ExchangeSpec(
        name="kraken",
        client="exwire.kraken.client:KrakenClient",
        emulator="exwire.testing.kraken:KrakenEmulator",
        example_symbol="XBT/USD",
        channels={
            "ticker": Channel("subscribe_to_ticker_updates"),
            "trades": Channel("subscribe_to_trade_updates"),
            "spread": Channel("subscribe_to_spread_updates"),
            "book": Channel("subscribe_to_order_book_updates", {"depth": 10}),
            "klines": Channel("subscribe_to_kline_updates", {"interval": 1}),
        },
        requests=("ping",),
        normalize="exwire.kraken.client:normalize_pair",
        top_of_book_channel="spread",
        book=BookSpec("watch_order_book", "depth", (10, 25, 100, 500, 1000)),
    ),
    ExchangeSpec(
        name="coinex",
        client="exwire.coinex.client:CoinexClient",
        emulator="exwire.testing.coinex:CoinexEmulator",
        example_symbol="BTCUSDT",
        channels={
            "ticker": Channel("subscribe_to_ticker_updates"),
            "trades": Channel("subscribe_to_trade_updates"),
            "book": Channel("subscribe_to_order_book_updates", {"limit": 20}),
            "klines": Channel("subscribe_to_kline_updates", {"interval": 60}),
        },
        requests=("ping", "get_server_time", "get_ticker", "get_order_book", "get_trade_history", "get_klines"),
        normalize="exwire.coinex.client:normalize_market",
        book=BookSpec("watch_order_book", "limit", (1, 5, 10, 20, 30, 50)),
    ),
    ExchangeSpec(
        name="okex",
        client="exwire.okex.client:OkexClient",
        emulator="exwire.testing.okex:OkexEmulator",
        example_symbol="btc_usdt",
        channels={
            "ticker": Channel("subscribe_to_ticker_updates"),
            "trades": Channel("subscribe_to_trade_updates"),
            "book": Channel("subscribe_to_order_book_updates", {"depth": 20}),
            "klines": Channel("subscribe_to_kline_updates", {"interval": "1min"}),
        },
        normalize="exwire.okex.client:normalize_symbol",
        book=BookSpec("watch_order_book", None, (200,)),  # the incremental book: 200 levels (okex §5.2)
        trade_fields={"side": ("taker_side",)},
    ),
    ExchangeSpec(
        name="binance",
        client="exwire.binance.client:BinanceClient",
        emulator="exwire.testing.binance:BinanceEmulator",
        example_symbol="BTCUSDT",
        # The WebSocket API is request/response: no market-data streams (binance.md).
        requests=(
            "test_spot_connectivity", "get_spot_server_time", "get_spot_exchange_info",
            "get_spot_order_book", "get_spot_recent_trades", "get_spot_aggregate_trades",
            "get_spot_klines", "get_spot_average_price", "get_spot_ticker",
            "get_spot_symbol_price_ticker", "get_spot_symbol_order_book_ticker",
            "get_futures_order_book", "get_futures_symbol_price_ticker",
            "get_futures_symbol_order_book_ticker",
        ),
        url_paths={"usdm_futures_url": "/ws-fapi/v1", "coinm_futures_url": "/ws-dapi/v1"},
    ),
    ExchangeSpec(
        name="coinsuper",
        client="exwire.coinsuper.client:CoinsuperClient",
        emulator="exwire.testing.coinsuper:CoinsuperEmulator",
        example_symbol="BTC/USD",
        channels={
            "depth": Channel("subscribe_to_market_depth_updates"),
            "trades": Channel("subscribe_to_trade_updates"),
            "book": Channel("subscribe_to_order_book_updates"),
            "klines": Channel("subscribe_to_kline_updates", {"interval": 60000}),
        },
    ),
)


def _load(path: str) -> Any:
    module_name, _, attribute = path.partition(":")
    return getattr(importlib.import_module(module_name), attribute)


def _first_attribute(model: Any, names: tuple[str, ...]) -> Any:
    for name in names:
        if hasattr(model, name):
            return getattr(model, name)
    raise AttributeError(names[0] if names else "")


class Exchange:
    """An exchange from :data:`SPECS` whose client imported, with what it really offers.

    Attributes:
        name: e.g. ``"kraken"``.
        spec: the declaration.
        client_class: the client class.
        emulator_class: the emulator class, or ``None`` when it has not landed.
        channels: the declared channels whose methods accept the call.
        requests: the declared requests the client has.
        book: the :class:`BookSpec` when the client can watch a book, else ``None``.
    """

    def __init__(self, spec: ExchangeSpec, client_class: type, emulator_class: type | None,
                 channels: dict[str, Channel], requests: tuple[str, ...], book: BookSpec | None,
                 normalize: Callable[[str], str] | None) -> None:
        self.name = spec.name
        self.spec = spec
        self.client_class = client_class
        self.emulator_class = emulator_class
        self.channels = channels
        self.requests = requests
        self.book = book
        self._normalize = normalize

    def __repr__(self) -> str:
        return f"<Exchange {self.name} channels={sorted(self.channels)} requests={list(self.requests)}>"

    @property
    def example_symbol(self) -> str:
        return self.spec.example_symbol

    def normalize(self, symbol: str) -> str:
        """The symbol as the exchange names it (the key of ``client.latest``).

        Raises:
            ConfigurationError: not a symbol of this exchange.
        """
        return self._normalize(symbol) if self._normalize is not None else symbol

    @contextlib.contextmanager
    def open(self, *, live: bool = False, url: str | None = None,
             emulator_options: Mapping[str, Any] | None = None, **client_options: Any) -> Iterator[Any]:
        """Yield a client of this exchange; close it (and the emulator it started) on exit.

        Without ``live`` or ``url`` an emulator is started in this process (its threads
        are ``exwire-emulator-*``) and the client points at it, logged on with the
        emulator's demo ``credentials`` where it has some and none are given.

        Args:
            live: use the client's production endpoints.
            url: connect to this endpoint instead (e.g. an ``exwire emulate`` server).
            emulator_options: keyword arguments for the emulator.
            **client_options: keyword arguments for the client (``callback_executor`` ...).

        Raises:
            ConfigurationError: both ``live`` and ``url``; or no emulator for this exchange yet.
        """
        if live and url:
            raise ConfigurationError("give live or url, not both")
        with contextlib.ExitStack() as stack:
            options = dict(client_options)
            if url:
                options["url"] = url
                if self.spec.url_paths:
                    parts = urllib.parse.urlsplit(url)
                    for keyword, path in self.spec.url_paths.items():
                        options.setdefault(keyword, urllib.parse.urlunsplit(parts._replace(path=path, query="")))
            elif not live:
                if self.emulator_class is None:
                    raise ConfigurationError(
                        f"exwire has no {self.name} emulator yet: use the live exchange or give a url")
                emulator = stack.enter_context(self.emulator_class(**dict(emulator_options or {})))
                options.update(emulator.client_kwargs())
                # Emulators that need a log-on even for market data offer a demo account.
                if isinstance(getattr(emulator, "credentials", None), Credentials):
                    options.setdefault("credentials", emulator.credentials)
            yield stack.enter_context(self.client_class(**options))

    def subscribe(self, client: Any, channel: str, symbol: str,
                  callback: Callable[[Any], None] | None = None, *, timeout: float | None = None) -> Any:
        """Subscribe ``symbol`` on ``channel``; return the ``exwire.Subscription``.

        ``callback`` runs as the client's method documents (a lane, or the client's
        ``callback_executor``); ``None`` makes a pull subscription.

        Raises:
            ConfigurationError: an unknown channel, or what the client method raises.
        """
        spec = self.channels.get(channel)
        if spec is None:
            raise ConfigurationError(
                f"{self.name} has no channel {channel!r}; channels: {', '.join(sorted(self.channels)) or 'none'}")
        method = getattr(client, spec.method)
        options = _offered(method, spec.options)
        if timeout is not None:
            options["timeout"] = timeout
        return method(symbol, callback=callback, **options)

    def watch_book(self, client: Any, symbol: str, depth: int, *, timeout: float | None = None) -> Any:
        """Watch a maintained order book of at least ``depth`` levels; return the watcher.

        Raises:
            ConfigurationError: the client cannot watch books, or ``depth`` exceeds
                the deepest book it offers.
        """
        if self.book is None:
            raise ConfigurationError(f"{self.name} cannot watch an order book")
        fitting = [d for d in self.book.depths if d >= depth]
        if not fitting:
            raise ConfigurationError(f"{self.name} books go to {self.book.depths[-1]} levels, not {depth}")
        options: dict[str, Any] = {}
        if self.book.depth_parameter is not None:
            options[self.book.depth_parameter] = fitting[0]
        if timeout is not None:
            options["timeout"] = timeout
        return getattr(client, self.book.method)(symbol, **options)

    def ticker_field(self, ticker: Any, field: str) -> Any:
        """The value of ``field`` (``last``, ``bid``, ``ask``, ``volume``, ``high``, ``low``,
        ``open``, or any attribute name of the ticker model) in ``ticker``.

        Raises:
            AttributeError: the model has no such field.
        """
        names = (*self.spec.ticker_fields.get(field, ()), *TICKER_FIELDS.get(field, ()), field)
        return _first_attribute(ticker, names)

    def trades(self, data: Any) -> list[dict[str, Any]]:
        """The trades of one trade event's ``data`` as dicts of ``price``, ``quantity``, ``side``, ``time``.

        ``data`` may be one trade model or a list of them. A neutral field the model
        lacks is ``None``.
        """
        items = data if isinstance(data, (list, tuple)) else [data]
        rows = []
        for trade in items:
            row = {}
            for field, names in TRADE_FIELDS.items():
                try:
                    row[field] = _first_attribute(trade, (*self.spec.trade_fields.get(field, ()), *names))
                except AttributeError:
                    row[field] = None
            rows.append(row)
        return rows


def _offered(method: Callable[..., Any], options: Mapping[str, Any]) -> dict[str, Any]:
    try:
        parameters = inspect.signature(method).parameters
    except (TypeError, ValueError):
        return dict(options)
    return {name: value for name, value in options.items() if name in parameters}


def _resolve(spec: ExchangeSpec) -> tuple[Exchange | None, str | None]:
    try:
        client_class = _load(spec.client)
    except (ImportError, AttributeError) as exc:
        return None, f"client not available ({exc})"
    emulator_class = None
    if spec.emulator is not None:
        try:
            emulator_class = _load(spec.emulator)
        except (ImportError, AttributeError) as exc:
            log.debug("%s: no emulator (%s)", spec.name, exc)
    channels: dict[str, Channel] = {}
    for name, channel in spec.channels.items():
        method = getattr(client_class, channel.method, None)
        if not callable(method):
            log.debug("%s: channel %s left out: no %s", spec.name, name, channel.method)
            continue
        try:
            inspect.signature(method).bind(None, "SYMBOL", callback=None, **_offered(method, channel.options))
        except TypeError as exc:
            log.debug("%s: channel %s left out: %s", spec.name, name, exc)
            continue
        channels[name] = channel
    requests = tuple(name for name in spec.requests if callable(getattr(client_class, name, None)))
    book = spec.book if spec.book is not None and callable(getattr(client_class, spec.book.method, None)) else None
    if not channels and not requests:
        return None, "client has none of the declared channels or requests"
    normalize = None
    if spec.normalize is not None:
        try:
            normalize = _load(spec.normalize)
        except (ImportError, AttributeError) as exc:
            log.debug("%s: symbols not normalised (%s)", spec.name, exc)
    return Exchange(spec, client_class, emulator_class, channels, requests, book, normalize), None


# name -> (Exchange, None) or (None, reason); each spec is resolved (imported) on first need.
_resolved: dict[str, tuple[Exchange | None, str | None]] = {}
_resolve_lock = threading.Lock()


def _lookup(spec: ExchangeSpec) -> tuple[Exchange | None, str | None]:
    with _resolve_lock:
        if spec.name not in _resolved:
            _resolved[spec.name] = _resolve(spec)
        return _resolved[spec.name]


def exchanges() -> dict[str, Exchange]:
    """The exchanges available in this installation, by name (resolved once per process)."""
    return {spec.name: exchange for spec in SPECS if (exchange := _lookup(spec)[0]) is not None}


def unavailable() -> dict[str, str]:
    """Declared exchanges left out of :func:`exchanges`, with the reason."""
    return {spec.name: reason or "unavailable" for spec in SPECS if (reason := _lookup(spec)[1]) is not None}


def get_exchange(name: str) -> Exchange:
    """The available exchange called ``name`` (case-insensitive); imports only that one.

    Raises:
        ConfigurationError: unknown or not available (the message says why).
    """
    key = name.strip().lower() if isinstance(name, str) else name
    spec = next((spec for spec in SPECS if spec.name == key), None)
    if spec is None:
        raise ConfigurationError(
            f"unknown exchange {name!r}; available: {', '.join(sorted(exchanges())) or 'none'}")
    exchange, reason = _lookup(spec)
    if exchange is None:
        raise ConfigurationError(f"exchange {key!r} is not available: {reason}")
    return exchange
