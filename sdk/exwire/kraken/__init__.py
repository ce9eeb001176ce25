"""Kraken Spot WebSocket API v1 (``wss://ws.kraken.com``, ``wss://ws-auth.kraken.com``).

Wire specification: ``reference/protocols/kraken.md``. Models are in
:mod:`exwire.kraken.models`; wire decoding in :mod:`exwire.kraken.converter`;
order book maintenance and checksum in :mod:`exwire.kraken.book`.
"""
