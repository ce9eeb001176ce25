"""CoinEx WebSocket API v1, legacy spot (``wss://socket.coinex.com/``).

The client is :class:`CoinexClient` (:mod:`exwire.coinex.client`); ``client.shared`` is
its exchange-neutral view (:mod:`exwire.coinex.shared`). Models are in
:mod:`exwire.coinex.models`, market names in :mod:`exwire.coinex.symbols`, wire
decoding in :mod:`exwire.coinex.converter`, the codec in :mod:`exwire.coinex.protocol`,
``server.sign`` in :mod:`exwire.coinex.signing` and book maintenance with its CRC-32
checksum in :mod:`exwire.coinex.book`. The wire is CoinEx's v1 WebSocket documentation
(the ``coinexcom/coinex_exchange_api`` wiki).
"""

from exwire.coinex.client import DEFAULT_URL, CoinexClient
from exwire.coinex.models import (
    Balance,
    Depth,
    Kline,
    KlineInterval,
    MergeDepth,
    Order,
    OrderEvent,
    OrderOption,
    OrdersPage,
    OrderStatus,
    OrderType,
    OrderUpdate,
    Role,
    Ticker,
    Trade,
    UserTrade,
)
from exwire.coinex.symbols import normalize_symbol, normalize_symbols

__all__ = [
    "CoinexClient",
    "DEFAULT_URL",
    "Balance",
    "Depth",
    "Kline",
    "KlineInterval",
    "MergeDepth",
    "Order",
    "OrderEvent",
    "OrderOption",
    "OrdersPage",
    "OrderStatus",
    "OrderType",
    "OrderUpdate",
    "Role",
    "Ticker",
    "Trade",
    "UserTrade",
    "normalize_symbol",
    "normalize_symbols",
]
