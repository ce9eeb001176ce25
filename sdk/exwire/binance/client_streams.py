"""Market data streams (§16): trades, klines, tickers, book tickers, depth, mark price ...

The methods of :class:`exwire.BinanceClient` that subscribe to Binance's stream endpoints
(spot ``stream.binance.com``, USDⓈ-M ``fstream`` with its ``/public`` and ``/market``
routes, COIN-M ``dstream``), one combined-stream connection per market route.
"""

from __future__ import annotations

__all__ = ["StreamMethods"]


class StreamMethods:
    """Mixin of :class:`exwire.BinanceClient` (see the module docstring)."""
