"""OKEx spot WebSocket API v1 (``wss://real.okex.com:10440/ws/v1``), retired in 2019.

OKEx is now OKX; this package implements the v1 spot API as its document
described it, for replaying recorded sessions and for the emulator.

Wire specification: ``reference/protocols/okex.md``. The client is
:class:`exwire.okex.client.OkexClient`; models are in :mod:`exwire.okex.models`;
wire decoding in :mod:`exwire.okex.converter`; signatures in
:mod:`exwire.okex.signing`; order book maintenance in :mod:`exwire.okex.book`.
"""

from exwire.okex.client import OkexClient

__all__ = ["OkexClient"]
