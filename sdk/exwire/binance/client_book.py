"""``watch_order_book``: a local order book kept by Binance's documented procedure (§17)."""

from __future__ import annotations

__all__ = ["BookMethods"]


class BookMethods:
    """Mixin of :class:`exwire.BinanceClient` (see the module docstring)."""
