"""CoinEx WebSocket API v1, legacy spot (``wss://socket.coinex.com/``).

Wire specification: ``reference/protocols/coinex.md``. The client is
:class:`exwire.coinex.client.CoinexClient`; models are in
:mod:`exwire.coinex.models`, wire decoding in :mod:`exwire.coinex.converter`,
the codec in :mod:`exwire.coinex.protocol`, ``server.sign`` in
:mod:`exwire.coinex.signing` and book maintenance with its CRC-32 checksum in
:mod:`exwire.coinex.book`.
"""

from exwire.coinex.client import CoinexClient
from exwire.coinex.models import KlineInterval, MergeDepth

__all__ = ["CoinexClient", "KlineInterval", "MergeDepth"]
