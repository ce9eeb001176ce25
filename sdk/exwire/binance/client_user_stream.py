"""User data streams of every market (§18) and the raw WS API escape hatch.

Spot user data comes through the WS API (``userDataStream.subscribe``); futures user data
through a listen key (``userDataStream.start/ping/stop`` on the futures WS APIs) and the
market's private stream route.
"""

from __future__ import annotations

__all__ = ["UserStreamMethods"]


class UserStreamMethods:
    """Mixin of :class:`exwire.BinanceClient` (see the module docstring)."""
