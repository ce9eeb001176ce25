"""exwire: synchronous, threaded clients for cryptocurrency exchanges' WebSocket APIs.

Blocking requests return typed results or raise; subscriptions deliver typed
``DataEvent`` objects to callbacks on ordered dispatcher lanes, or to a blocking
iterator; connections reconnect and resubscribe on their own.

Logging: exwire logs through the standard :mod:`logging` module and adds only a
:class:`logging.NullHandler` to the ``exwire`` logger, so an application that never
configures logging sees nothing from it. The logger tree:

- ``exwire``: the dispatcher and subscriptions shared by every client (callback
  errors, dropped updates);
- ``exwire.<exchange>`` (``exwire.kraken``, ``exwire.binance``, ``exwire.coinex``,
  ``exwire.okex``, ``exwire.coinsuper``): a client, its protocol and its book watchers;
- ``exwire.<exchange>.<connection>`` (``exwire.kraken.public``,
  ``exwire.kraken.private``, ``exwire.binance.spot``, ``exwire.okex.spot`` ...): one
  connection's life: connects, losses ("public connection lost"), reconnects, skipped
  frames;
- ``exwire.hosts``: the exchange registry behind the ``exwire`` command and the samples;
- ``exwire.testing``: the emulators.

Secrets never appear in a message. ``logging.getLogger("exwire").setLevel(logging.DEBUG)``
plus a handler shows everything; ``exwire --log-level debug`` does that for the command.
"""

from __future__ import annotations

import importlib
import logging
from typing import TYPE_CHECKING, Any

from exwire.errors import (
    AuthenticationError,
    ConfigurationError,
    ConnectError,
    ConnectionClosed,
    DecodeError,
    ExchangeError,
    ExchangeUnavailable,
    ExwireError,
    InsufficientFunds,
    InvalidRequest,
    InvalidState,
    LogOnRefused,
    OrderNotFound,
    ProtocolError,
    RateLimited,
    RequestTimeout,
    SlowConsumer,
    UnsupportedFeature,
)
from exwire.latest import LatestValue, LatestValues
from exwire.models import (
    Balance,
    ConnectionEvent,
    ConnectionState,
    Credentials,
    DataEvent,
    Fill,
    Kline,
    Level,
    Order,
    OrderStatus,
    OrderType,
    Overflow,
    Side,
    Ticker,
    TimeInForce,
    TopOfBook,
    Trade,
    UpdateType,
)
from exwire.orderbook import BookSnapshot, OrderBook
from exwire.shared import Feature, SharedClient
from exwire.subscription import Subscription
from exwire.watcher import OrderBookWatcher

logging.getLogger("exwire").addHandler(logging.NullHandler())

if TYPE_CHECKING:
    from exwire.binance import BinanceClient
    from exwire.coinex import CoinexClient
    from exwire.coinsuper import CoinsuperClient
    from exwire.kraken import KrakenClient
    from exwire.okex import OkexClient
    from exwire.okx import OkxClient

#: Clients load on first use: ``import exwire`` imports no exchange package.
_CLIENTS = {
    "KrakenClient": "exwire.kraken",
    "BinanceClient": "exwire.binance",
    "CoinexClient": "exwire.coinex",
    "OkexClient": "exwire.okex",
    "OkxClient": "exwire.okx",
    "CoinsuperClient": "exwire.coinsuper",
}


def __getattr__(name: str) -> Any:
    module = _CLIENTS.get(name)
    if module is None:
        raise AttributeError(f"module 'exwire' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_CLIENTS))

__version__ = "0.1.0.dev0"

__all__ = [
    "KrakenClient",
    "BinanceClient",
    "CoinsuperClient",
    "CoinexClient",
    "OkexClient",
    "OkxClient",
    "SharedClient",
    "Feature",
    "Credentials",
    "DataEvent",
    "UpdateType",
    "Side",
    "Level",
    "TopOfBook",
    "Ticker",
    "Trade",
    "Kline",
    "Balance",
    "Order",
    "Fill",
    "OrderType",
    "OrderStatus",
    "TimeInForce",
    "LatestValue",
    "LatestValues",
    "ConnectionEvent",
    "ConnectionState",
    "Subscription",
    "Overflow",
    "OrderBook",
    "BookSnapshot",
    "OrderBookWatcher",
    "ExwireError",
    "ConfigurationError",
    "UnsupportedFeature",
    "InvalidState",
    "ConnectError",
    "LogOnRefused",
    "ConnectionClosed",
    "RequestTimeout",
    "SlowConsumer",
    "ProtocolError",
    "DecodeError",
    "ExchangeError",
    "AuthenticationError",
    "RateLimited",
    "InvalidRequest",
    "InsufficientFunds",
    "OrderNotFound",
    "ExchangeUnavailable",
]
