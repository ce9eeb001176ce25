"""Kraken Spot WebSocket API v1 (``wss://ws.kraken.com``, ``wss://ws-auth.kraken.com``).

Kraken's documentation: https://docs.kraken.com/api/docs/websocket-v1/. The client is
:class:`exwire.kraken.client.KrakenClient` (public market data) with its private half in
:mod:`exwire.kraken.private` (WebSocket token, ``openOrders``/``ownTrades``, trading).
Models are in :mod:`exwire.kraken.models`; wire decoding in :mod:`exwire.kraken.converter`;
order checks in :mod:`exwire.kraken.orders`; REST signing in :mod:`exwire.kraken.signing`
and the token call in :mod:`exwire.kraken.rest`; order book maintenance and checksum in
:mod:`exwire.kraken.book`; pair names in :mod:`exwire.kraken.symbols`; ``client.shared``
in :mod:`exwire.kraken.shared`.
"""

from exwire.kraken.client import (
    BOOK_DEPTHS,
    PRODUCTION_PRIVATE_URL,
    PRODUCTION_REST_URL,
    PRODUCTION_URL,
    KrakenClient,
)
from exwire.kraken.models import (
    BookLevel,
    BookUpdate,
    CancelAfterResult,
    ContingentOrder,
    Kline,
    KlineInterval,
    OrderDescription,
    OrderFlag,
    OrderStatus,
    OrderType,
    OrderUpdate,
    OwnTrade,
    PlacedOrder,
    Spread,
    SubscriptionState,
    SubscriptionStatus,
    SystemState,
    SystemStatus,
    Ticker,
    TimeInForce,
    Trade,
    WebSocketToken,
)
from exwire.kraken.protocol import SequenceGap
from exwire.kraken.symbols import normalize_symbol, normalize_symbols

__all__ = [
    "KrakenClient",
    "BOOK_DEPTHS",
    "PRODUCTION_URL",
    "PRODUCTION_PRIVATE_URL",
    "PRODUCTION_REST_URL",
    "BookLevel",
    "BookUpdate",
    "CancelAfterResult",
    "ContingentOrder",
    "Kline",
    "KlineInterval",
    "OrderDescription",
    "OrderFlag",
    "OrderStatus",
    "OrderType",
    "OrderUpdate",
    "OwnTrade",
    "PlacedOrder",
    "SequenceGap",
    "Spread",
    "SubscriptionState",
    "SubscriptionStatus",
    "SystemState",
    "SystemStatus",
    "Ticker",
    "TimeInForce",
    "Trade",
    "WebSocketToken",
    "normalize_symbol",
    "normalize_symbols",
]
