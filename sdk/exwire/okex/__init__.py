"""OKEx spot WebSocket API v1 (``wss://real.okex.com:10440/ws/v1``), retired in 2019.

OKEx is now OKX; this package implements the v1 spot API as its document
described it (``API-For-Spot-EN``, "WebSocket API for SPOT"), for replaying recorded
sessions and for the emulator.

The client is :class:`exwire.okex.client.OkexClient`; models are in
:mod:`exwire.okex.models`; wire decoding in :mod:`exwire.okex.converter`; signatures
in :mod:`exwire.okex.signing`; order book maintenance in :mod:`exwire.okex.book`;
symbols in :mod:`exwire.okex.symbols`; ``client.shared`` in :mod:`exwire.okex.shared`.
"""

from exwire.okex.client import DEFAULT_URL, OkexClient
from exwire.okex.models import (
    Balance,
    BalanceUpdate,
    BookUpdate,
    Kline,
    KlineInterval,
    Order,
    OrderStatus,
    OrderType,
    OrderUpdate,
    Ticker,
    Trade,
    TradeSide,
    UserInfo,
)
from exwire.okex.symbols import normalize_symbol, normalize_symbols

__all__ = [
    "OkexClient",
    "DEFAULT_URL",
    "Balance",
    "BalanceUpdate",
    "BookUpdate",
    "Kline",
    "KlineInterval",
    "Order",
    "OrderStatus",
    "OrderType",
    "OrderUpdate",
    "Ticker",
    "Trade",
    "TradeSide",
    "UserInfo",
    "normalize_symbol",
    "normalize_symbols",
]
