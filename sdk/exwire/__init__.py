"""exwire: synchronous, threaded clients for cryptocurrency exchanges' WebSocket APIs.

Blocking requests return typed results or raise; subscriptions deliver typed
``DataEvent`` objects to callbacks on ordered dispatcher lanes, or to a blocking
iterator; connections reconnect and resubscribe on their own.
"""

from exwire._core.dispatch import Overflow
from exwire._core.latest import LatestValue, LatestValues
from exwire._core.subscription import Subscription
from exwire._core.watcher import OrderBookWatcher
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
)
from exwire.binance.client import BinanceClient
from exwire.coinex.client import CoinexClient
from exwire.coinsuper.client import CoinsuperClient
from exwire.kraken.client import KrakenClient
from exwire.okex.client import OkexClient
from exwire.models import (
    ConnectionEvent,
    ConnectionState,
    Credentials,
    DataEvent,
    Level,
    Side,
    TopOfBook,
    UpdateType,
)
from exwire.orderbook import BookSnapshot, OrderBook

__version__ = "0.1.0.dev0"

__all__ = [
    "KrakenClient",
    "BinanceClient",
    "CoinsuperClient",
    "CoinexClient",
    "OkexClient",
    "Credentials",
    "DataEvent",
    "UpdateType",
    "Side",
    "Level",
    "TopOfBook",
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
