"""The exchange table: how hosts reach each exchange by name.

The exchange table (:func:`exchanges`, :func:`get_exchange`) tells hosts — the
``exwire`` command and the samples — how to reach each exchange by name: its
client and emulator classes, which channels map to which ``subscribe_to_*``
method, which blocking requests may be called, and where the ticker and trade
fields are. An exchange appears only when its modules import and its client has
what the entry names, so entries can be declared before their client lands.

The public import path is :mod:`exwire.hosts`, which re-exports every name here.
"""

from __future__ import annotations

import contextlib
import importlib
import inspect
import logging
import threading
import urllib.parse
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import attrs

from exwire.errors import ConfigurationError
from exwire.models import Credentials

__all__ = [
    "Channel",
    "BookSpec",
    "ExchangeSpec",
    "Exchange",
    "SPECS",
    "exchanges",
    "get_exchange",
    "unavailable",
]

# The logger keeps the name of the public module, exwire.hosts.
log = logging.getLogger("exwire.hosts")


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
