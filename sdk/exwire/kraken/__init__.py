"""Kraken Spot WebSocket API v1 (``wss://ws.kraken.com``, ``wss://ws-auth.kraken.com``).

Wire specification: ``reference/protocols/kraken.md``. The client is
:class:`exwire.kraken.client.KrakenClient` (public market data) with its private
half in :mod:`exwire.kraken.private` (WebSocket token, ``openOrders``/``ownTrades``,
trading). Models are in :mod:`exwire.kraken.models`; wire decoding in
:mod:`exwire.kraken.converter`; order checks in :mod:`exwire.kraken.orders`; REST
signing in :mod:`exwire.kraken.signing` and the token call in :mod:`exwire.kraken.rest`;
order book maintenance and checksum in :mod:`exwire.kraken.book`.
"""

from exwire.kraken.client import KrakenClient

__all__ = ["KrakenClient"]
