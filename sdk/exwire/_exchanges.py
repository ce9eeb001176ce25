"""The exchange registry: how hosts reach each exchange by name.

Hosts (the ``exwire`` command and the samples) build on ``client.shared`` alone: the
symbols are ``BASE/QUOTE``, the events carry the neutral models of :mod:`exwire.models`,
and what an exchange offers is its adapter's ``features``. So what remains per exchange
is small: the import paths of its client and emulator, a symbol the emulator serves,
the other URL keywords ``--url`` implies, and how to log on to the emulator's demo
account. Channels are the :class:`~exwire.shared.Feature` members of the streams
(:data:`CHANNELS`).

The public import path is :mod:`exwire.hosts`, which re-exports every name here.
"""

from __future__ import annotations

import contextlib
import importlib
import inspect
import logging
import os
import re
import threading
import urllib.parse
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import timedelta
from typing import Any

import attrs

from exwire._core.client import BaseClient
from exwire.errors import ConfigurationError
from exwire.models import Credentials, DataEvent
from exwire.shared import Feature, SharedClient
from exwire.subscription import Subscription
from exwire.watcher import OrderBookWatcher

__all__ = [
    "ALIASES",
    "CHANNELS",
    "CREDENTIAL_VARIABLES",
    "SHARED_REQUESTS",
    "SPECS",
    "Exchange",
    "ExchangeSpec",
    "credentials_from_environment",
    "environment_of",
    "exchanges",
    "get_exchange",
    "parse_interval",
    "unavailable",
]

# The logger keeps the name of the public module, exwire.hosts.
log = logging.getLogger("exwire.hosts")

#: The channels hosts offer, each the :class:`Feature` of ``client.shared`` it needs.
CHANNELS: Mapping[str, Feature] = {
    "ticker": Feature.TICKER_STREAM,
    "trades": Feature.TRADE_STREAM,
    "klines": Feature.KLINE_STREAM,
    "top_of_book": Feature.TOP_OF_BOOK_STREAM,
    "book": Feature.ORDER_BOOK,
    "orders": Feature.ORDER_STREAM,
    "fills": Feature.FILL_STREAM,
    "balances": Feature.BALANCE_STREAM,
}
#: The requests of ``client.shared`` that ``exwire call`` runs as ``shared.<name>``.
SHARED_REQUESTS: Mapping[str, Feature] = {
    "get_balances": Feature.BALANCES,
    "get_open_orders": Feature.OPEN_ORDERS,
    "place_order": Feature.PLACE_ORDER,
    "cancel_order": Feature.CANCEL_ORDER,
}
#: Other names accepted for a channel.
ALIASES: Mapping[str, str] = {
    "trade": "trades",
    "kline": "klines",
    "candles": "klines",
    "spread": "top_of_book",
    "order_book": "book",
    "order": "orders",
    "fill": "fills",
    "balance": "balances",
}


#: The environment variables that hold an exchange's credentials for live use
#: (``EXWIRE_<EXCHANGE>_<SUFFIX>``), by :class:`~exwire.Credentials` field; the private
#: key is read from the file the variable names.
CREDENTIAL_VARIABLES: Mapping[str, str] = {
    "key": "KEY",
    "secret": "SECRET",
    "passphrase": "PASSPHRASE",
    "email": "EMAIL",
    "private_key": "PRIVATE_KEY_FILE",
}


def _variable(exchange: str, field: str) -> str:
    return f"EXWIRE_{exchange.upper()}_{CREDENTIAL_VARIABLES[field]}"


def credentials_from_environment(exchange: str, environ: Mapping[str, str] | None = None) -> Credentials | None:
    """The credentials of ``exchange`` held in the environment, or ``None`` when none is set.

    Reads ``EXWIRE_<EXCHANGE>_KEY``, ``_SECRET``, ``_PASSPHRASE``, ``_EMAIL`` and
    ``_PRIVATE_KEY_FILE`` (a path to a PEM private key, read here), e.g.
    ``EXWIRE_BINANCE_KEY``; an empty variable counts as unset. Credentials never come
    from the command line, where other users and the shell history would see them.

    Args:
        exchange: the exchange's name (``"kraken"``).
        environ: the variables (default :data:`os.environ`).

    Raises:
        ConfigurationError: a variable is set without ``_KEY``; the private key file
            cannot be read.
    """
    environ = os.environ if environ is None else environ
    values = {field: environ.get(_variable(exchange, field), "") for field in CREDENTIAL_VARIABLES}
    if not any(values.values()):
        return None
    if not values["key"]:
        given = ", ".join(_variable(exchange, field) for field, value in values.items() if value)
        raise ConfigurationError(f"{given} set without {_variable(exchange, 'key')}")
    private_key = None
    if values["private_key"]:
        path = os.path.expanduser(values["private_key"])
        try:
            with open(path, encoding="ascii") as file:
                private_key = file.read()
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigurationError(f"{_variable(exchange, 'private_key')}: cannot read {path!r} "
                                     f"({type(exc).__name__})") from None
    return Credentials(key=values["key"], secret=values["secret"] or None, private_key=private_key,
                       email=values["email"] or None, passphrase=values["passphrase"] or None)


def environment_of(exchange: str, credentials: Credentials) -> dict[str, str]:
    """The ``EXWIRE_<EXCHANGE>_*`` variables that give ``credentials`` to
    :func:`credentials_from_environment` (without a private key: it is read from a file).

    Raises:
        ConfigurationError: ``credentials`` hold a private key (write it to a file and
            set ``EXWIRE_<EXCHANGE>_PRIVATE_KEY_FILE``).
    """
    if credentials.private_key:
        raise ConfigurationError("a private key goes in a file named by "
                                 f"{_variable(exchange, 'private_key')}, not in a variable")
    fields = {"key": credentials.key, "secret": credentials.secret, "email": credentials.email,
              "passphrase": credentials.passphrase}
    return {_variable(exchange, field): value for field, value in fields.items() if value}


def _property(name: str) -> Callable[[Any], Credentials]:
    def read(emulator: Any) -> Credentials:
        value = getattr(emulator, name)
        credentials = value() if callable(value) else value
        if not isinstance(credentials, Credentials):
            raise ConfigurationError(f"the emulator's {name} is not an exwire.Credentials")
        return credentials

    return read


@attrs.frozen(kw_only=True)
class ExchangeSpec:
    """One exchange as hosts reach it.

    Attributes:
        name: the exchange's name (lower case), e.g. ``"kraken"``.
        client: ``"module:Class"`` of the client.
        emulator: ``"module:Class"`` of the emulator, or ``None``.
        example_symbol: a ``BASE/QUOTE`` symbol the emulator serves.
        demo_credentials: the emulator's demo account (``emulator -> Credentials``), with
            which hosts log on to it, or ``None`` to connect without credentials.
        url_paths: with ``--url``, the other URL keywords of the client and the path each
            takes on the same host (``{"usdm_futures_url": "/ws-fapi/v1"}``).
    """

    name: str
    client: str
    emulator: str | None
    example_symbol: str
    demo_credentials: Callable[[Any], Credentials] | None = None
    url_paths: Mapping[str, str] = attrs.field(factory=dict)


#: Every exchange exwire knows. An entry whose client does not import is left out of
#: :func:`exchanges`, with the reason in :func:`unavailable`.
SPECS: tuple[ExchangeSpec, ...] = (
    ExchangeSpec(
        name="kraken",
        client="exwire.kraken.client:KrakenClient",
        emulator="exwire.testing.kraken:KrakenEmulator",
        example_symbol="BTC/USD",  # XBT/USD on Kraken
        demo_credentials=_property("credentials"),
    ),
    ExchangeSpec(
        name="coinex",
        client="exwire.coinex.client:CoinexClient",
        emulator="exwire.testing.coinex:CoinexEmulator",
        example_symbol="BTC/USDT",  # BTCUSDT on CoinEx
        demo_credentials=_property("credentials"),
    ),
    ExchangeSpec(
        name="okex",
        client="exwire.okex.client:OkexClient",
        emulator="exwire.testing.okex:OkexEmulator",
        example_symbol="BTC/USDT",  # btc_usdt on OKEx
        demo_credentials=_property("credentials"),
    ),
    ExchangeSpec(
        name="binance",
        client="exwire.binance.client:BinanceClient",
        emulator="exwire.testing.binance:BinanceEmulator",
        example_symbol="BTC/USDT",  # BTCUSDT on Binance
        demo_credentials=_property("add_account"),
        url_paths={"usdm_futures_url": "/ws-fapi/v1", "coinm_futures_url": "/ws-dapi/v1"},
    ),
    ExchangeSpec(
        name="coinsuper",
        client="exwire.coinsuper.client:CoinsuperClient",
        emulator="exwire.testing.coinsuper:CoinsuperEmulator",
        example_symbol="BTC/USD",
        # Coinsuper needs a log-on even for market data.
        demo_credentials=_property("credentials"),
    ),
    ExchangeSpec(
        name="okx",
        client="exwire.okx.client:OkxClient",
        emulator="exwire.testing.okx:OkxEmulator",
        example_symbol="BTC/USDT",  # BTC-USDT on OKX
        demo_credentials=_property("credentials"),  # key, secret and passphrase
        url_paths={"private_url": "/ws/v5/private", "business_url": "/ws/v5/business"},
    ),
)


def _load(path: str) -> Any:
    module_name, _, attribute = path.partition(":")
    return getattr(importlib.import_module(module_name), attribute)


_INTERVAL = re.compile(r"^\s*(\d+)\s*([smhdw]?)\s*$", re.IGNORECASE)
_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_interval(text: str | timedelta) -> timedelta:
    """``"60"`` (seconds), ``"1m"``, ``"4h"``, ``"1d"``, ``"1w"`` → ``timedelta``.

    Raises:
        ConfigurationError: not a whole number with an optional unit ``s m h d w``.
    """
    if isinstance(text, timedelta):
        return text
    match = _INTERVAL.match(text) if isinstance(text, str) else None
    if match is None:
        raise ConfigurationError(f"an interval is seconds or a number with s, m, h, d or w, not {text!r}")
    return timedelta(seconds=int(match.group(1)) * _UNITS[match.group(2).lower()])


def _requests(client_class: type[BaseClient]) -> tuple[str, ...]:
    """The client's own public blocking requests: methods with a ``timeout`` parameter
    that are neither streams nor the lifecycle every client shares."""
    shared = set(dir(BaseClient))
    names = []
    for name in sorted(dir(client_class)):
        if name.startswith("_") or name in shared or name.startswith(("subscribe_", "unsubscribe", "watch_")):
            continue
        member = inspect.getattr_static(client_class, name, None)
        if not inspect.isfunction(member):
            continue
        try:
            parameters = inspect.signature(member).parameters
        except (TypeError, ValueError):
            continue
        if "timeout" in parameters:
            names.append(name)
    return tuple(names)


class Exchange:
    """An exchange of :data:`SPECS` whose client imported.

    Attributes:
        name: e.g. ``"kraken"``.
        spec: the declaration.
        client_class: the client class.
        emulator_class: the emulator class, or ``None`` when it did not import.
        shared_class: the client's :class:`SharedClient` subclass (``client.shared``).
        shared_problem: why ``client.shared`` could not be loaded (then it offers no
            channel, but ``exwire call`` still works), or ``None``.
        requests: the client's public blocking requests (``exwire call``), then the
            requests of ``client.shared`` it offers, as ``shared.<name>``.
    """

    def __init__(self, spec: ExchangeSpec, client_class: type[BaseClient], emulator_class: type[Any] | None,
                 shared_class: type[SharedClient], shared_problem: str | None = None) -> None:
        self.name = spec.name
        self.spec = spec
        self.client_class = client_class
        self.emulator_class = emulator_class
        self.shared_class = shared_class
        self.shared_problem = shared_problem
        offered = tuple(f"shared.{name}" for name, feature in SHARED_REQUESTS.items() if feature in self.features)
        self.requests = _requests(client_class) + offered

    def __repr__(self) -> str:
        return f"<Exchange {self.name} channels={list(self.channels)}>"

    @property
    def example_symbol(self) -> str:
        """A ``BASE/QUOTE`` symbol the emulator serves."""
        return self.spec.example_symbol

    @property
    def features(self) -> frozenset[Feature]:
        """What ``client.shared`` offers (its ``features``)."""
        return self.shared_class.features

    @property
    def channels(self) -> tuple[str, ...]:
        """The channels of :data:`CHANNELS` whose feature the exchange offers."""
        return tuple(name for name, feature in CHANNELS.items() if feature in self.features)

    def channel(self, name: str) -> str:
        """The channel called ``name`` (or an alias of it).

        Raises:
            ConfigurationError: the exchange offers no such channel (the message lists those it offers).
        """
        key = name.strip().lower() if isinstance(name, str) else name
        key = ALIASES.get(key, key)
        if key not in self.channels:
            raise ConfigurationError(
                f"{self.name} has no channel {name!r}; channels: {', '.join(self.channels) or 'none'}")
        return key

    @property
    def url_keywords(self) -> tuple[str, ...]:
        """The client's endpoint keywords (``url``, then the others ending in ``_url``)."""
        parameters = inspect.signature(self.client_class.__init__).parameters
        return ("url", *sorted(name for name in parameters if name.endswith("_url") and name != "url"))

    @contextlib.contextmanager
    def open(self, *, live: bool = False, url: str | None = None, urls: Mapping[str, str] | None = None,
             log_on: bool = True, emulator_options: Mapping[str, Any] | None = None,
             **client_options: Any) -> Iterator[BaseClient]:
        """Yield a client of this exchange; close it (and the emulator it started) on exit.

        Without ``live`` or ``url`` an emulator is started in this process (its threads
        are ``exwire-emulator-*``) and the client points at it (the emulator's
        ``client_kwargs()``), logged on with the emulator's demo account when ``log_on``
        and no ``credentials`` are given. With ``live`` or ``url`` and no ``credentials``,
        they come from the environment (:func:`credentials_from_environment`).

        Args:
            live: use the client's production endpoints.
            url: connect to this endpoint instead (e.g. an ``exwire emulate`` server).
            urls: with ``url``, the client's other endpoint keywords
                (``{"usdm_futures_url": "ws://..."}``, see :attr:`url_keywords`); those not
                given take ``url``'s host with the exchange's usual path where it has one.
            log_on: log on to the emulator's demo account.
            emulator_options: keyword arguments for the emulator.
            **client_options: keyword arguments for the client (``callback_executor`` ...).

        Raises:
            ConfigurationError: both ``live`` and ``url``; ``urls`` without ``url`` or with
                a keyword the client does not take; no emulator for this exchange; bad
                credentials in the environment.
        """
        if live and url:
            raise ConfigurationError("give live or url, not both")
        unknown = sorted(set(urls or {}) - set(self.url_keywords))
        if unknown:
            raise ConfigurationError(f"{self.name} takes no endpoint {', '.join(unknown)}; "
                                     f"its endpoints: {', '.join(self.url_keywords)}")
        if urls and not url:
            raise ConfigurationError("give the main endpoint (url) with the others")
        with contextlib.ExitStack() as stack:
            options = dict(client_options)
            if (live or url) and options.get("credentials") is None:
                credentials = credentials_from_environment(self.name)
                if credentials is not None:
                    options["credentials"] = credentials
            if url:
                options["url"] = url
                options.update({keyword: value for keyword, value in (urls or {}).items() if keyword != "url"})
                parts = urllib.parse.urlsplit(url)
                for keyword, path in self.spec.url_paths.items():
                    options.setdefault(keyword, urllib.parse.urlunsplit(parts._replace(path=path, query="")))
            elif not live:
                if self.emulator_class is None:
                    raise ConfigurationError(
                        f"exwire has no {self.name} emulator here: use the live exchange or give a url")
                emulator = stack.enter_context(self.emulator_class(**dict(emulator_options or {})))
                options.update(emulator.client_kwargs())  # the endpoints (never an account)
                if log_on and self.spec.demo_credentials is not None and options.get("credentials") is None:
                    options["credentials"] = self.spec.demo_credentials(emulator)
            yield stack.enter_context(self.client_class(**options))

    def subscribe(self, client: BaseClient, channel: str, symbols: str | Iterable[str] = (),
                  callback: Callable[[DataEvent[Any]], None] | None = None, *,
                  interval: timedelta | str | None = None, timeout: float | None = None) -> Subscription[Any]:
        """Subscribe ``channel`` through ``client.shared``; return the subscription.

        Events carry the neutral models (``event.data``: a ``Ticker``, a ``list`` of
        ``Trade``, a ``Kline``, a ``TopOfBook``, a ``list`` of ``Order``, ``Fill`` or ``Balance``) and
        ``BASE/QUOTE`` symbols. ``callback`` runs as the callback threading model in
        :mod:`exwire.subscription` says; ``None`` makes a pull subscription.

        Args:
            channel: a name of :attr:`channels` other than ``book`` (see :meth:`watch_book`).
            symbols: ``BASE/QUOTE`` symbols (ignored by ``orders``, ``fills`` and ``balances``).
            interval: the kline interval (``timedelta`` or text for :func:`parse_interval`);
                ``None``: the shortest the exchange streams.

        Raises:
            ConfigurationError: an unknown channel, or what ``client.shared`` raises.
        """
        key = self.channel(channel)
        shared = client.shared
        if key == "ticker":
            return shared.subscribe_to_ticker_updates(symbols, callback, timeout=timeout)
        if key == "trades":
            return shared.subscribe_to_trade_updates(symbols, callback, timeout=timeout)
        if key == "klines":
            period = shared.kline_intervals[0] if interval is None else parse_interval(interval)
            return shared.subscribe_to_kline_updates(symbols, period, callback, timeout=timeout)
        if key == "top_of_book":
            return shared.subscribe_to_top_of_book_updates(symbols, callback, timeout=timeout)
        if key == "orders":
            return shared.subscribe_to_order_updates(callback, timeout=timeout)
        if key == "fills":
            return shared.subscribe_to_fill_updates(callback, timeout=timeout)
        if key == "balances":
            return shared.subscribe_to_balance_updates(callback, timeout=timeout)
        raise ConfigurationError(f"the {key} channel is watched (watch_book), not subscribed")

    def book_depth(self, depth: int | None = None) -> int:
        """The smallest book depth the exchange keeps that holds ``depth`` levels
        (``None``: the smallest it keeps).

        Raises:
            ConfigurationError: no maintained book, or none that deep.
        """
        depths = self.shared_class.book_depths
        if Feature.ORDER_BOOK not in self.features or not depths:
            raise ConfigurationError(f"{self.name} cannot watch an order book")
        if depth is None:
            return depths[0]
        fitting = [d for d in depths if d >= depth]
        if not fitting:
            raise ConfigurationError(f"{self.name} books go to {depths[-1]} levels, not {depth}")
        return fitting[0]

    def watch_book(self, client: BaseClient, symbol: str, depth: int | None = None, *,
                   timeout: float | None = None) -> OrderBookWatcher:
        """Watch a maintained order book of at least ``depth`` levels (``client.shared.watch_order_book``).

        Raises:
            ConfigurationError: no maintained book, or none that deep; a bad symbol.
        """
        return client.shared.watch_order_book(symbol, self.book_depth(depth), timeout=timeout)


def _resolve(spec: ExchangeSpec) -> tuple[Exchange | None, str | None]:
    try:
        client_class = _load(spec.client)
    except (ImportError, AttributeError) as exc:
        return None, f"client not available ({exc})"
    if not (isinstance(client_class, type) and issubclass(client_class, BaseClient)):
        return None, f"{spec.client} is not an exwire client"
    emulator_class = None
    if spec.emulator is not None:
        try:
            emulator_class = _load(spec.emulator)
        except (ImportError, AttributeError) as exc:
            log.debug("%s: no emulator (%s)", spec.name, exc)
    shared_class: Any = SharedClient
    problem = None
    try:
        shared_class = _load(client_class._shared_class)
    except (ImportError, AttributeError) as exc:
        problem = f"client.shared not available ({exc})"
    if not (isinstance(shared_class, type) and issubclass(shared_class, SharedClient)):
        problem, shared_class = f"{client_class._shared_class} is not a SharedClient", SharedClient
    if problem is not None:
        log.debug("%s: no channels: %s", spec.name, problem)
    return Exchange(spec, client_class, emulator_class, shared_class, problem), None


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
            f"unknown exchange {name!r}; known: {', '.join(spec.name for spec in SPECS)}")
    exchange, reason = _lookup(spec)
    if exchange is None:
        raise ConfigurationError(f"exchange {key!r} is not available: {reason}")
    return exchange
