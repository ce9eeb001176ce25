"""Kraken Spot WebSocket API v1 emulator (https://docs.kraken.com/api/docs/websocket-v1/).

:class:`KrakenEmulator` speaks the public side of v1 (``systemStatus`` on connect,
``ping``/``pong``, heartbeats, subscribe/unsubscribe with one ``subscriptionStatus`` per
pair, the ticker, ohlc, trade, spread and book channels with the CRC32 book checksum)
from a seeded random walk or a real capture (``replay=``), and the private side on
``/auth``: the REST token endpoint ``POST /0/private/GetWebSocketsToken`` on the same port
(signature and nonce checked), ``openOrders``/``ownTrades`` and trading against a
matching engine with balances.

The implementation lives in :mod:`exwire.testing._kraken` (one module per concern);
this module is the public import path::

    with KrakenEmulator() as emu, KrakenClient(**emu.client_kwargs()) as client:
        ...
"""

from exwire.testing._kraken.emulator import KrakenClientKwargs, KrakenEmulator
from exwire.testing._kraken.market import book_checksum

__all__ = ["KrakenEmulator", "KrakenClientKwargs", "book_checksum"]
