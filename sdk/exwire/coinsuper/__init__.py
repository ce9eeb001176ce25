"""Coinsuper's "WebSocket API": MQTT 3.1.1 publish/subscribe over WebSocket + TLS or TCP.

The client is :class:`exwire.coinsuper.client.CoinsuperClient` (``client.shared`` is a
:class:`exwire.coinsuper.shared.CoinsuperShared`); models are in
:mod:`exwire.coinsuper.models`, payload decoding in :mod:`exwire.coinsuper.converter`,
symbols in :mod:`exwire.coinsuper.symbols`, the log-on values in
:mod:`exwire.coinsuper.signing`, the sans-I/O codec in :mod:`exwire.coinsuper.protocol`
and the paho-mqtt adapter in :mod:`exwire.coinsuper.transport`.
"""

from exwire.coinsuper.client import BOOK_DEPTH, DEFAULT_URL, FIAT_QUOTES, TCP_URL, CoinsuperClient, finest_step
from exwire.coinsuper.models import (
    Balance,
    BalanceUpdate,
    DepthLevel,
    Kline,
    KlineInterval,
    MarketDepth,
    MatchType,
    OrderBookSnapshot,
    OrderBookStep,
    OrderState,
    OrderType,
    OrderUpdate,
    Trade,
    UserTrade,
)
from exwire.coinsuper.symbols import normalize_symbol, normalize_symbols

__all__ = [
    "CoinsuperClient",
    "DEFAULT_URL",
    "TCP_URL",
    "BOOK_DEPTH",
    "FIAT_QUOTES",
    "finest_step",
    "normalize_symbol",
    "normalize_symbols",
    "Balance",
    "BalanceUpdate",
    "DepthLevel",
    "Kline",
    "KlineInterval",
    "MarketDepth",
    "MatchType",
    "OrderBookSnapshot",
    "OrderBookStep",
    "OrderState",
    "OrderType",
    "OrderUpdate",
    "Trade",
    "UserTrade",
]
