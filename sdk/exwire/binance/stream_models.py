"""Models of Binance's market data stream events (§16): one class per payload.

Field names follow the exwire vocabulary; Binance's one-letter wire names live in the
stream converter only. Money is ``Decimal``; times are aware UTC datetimes.
"""

from __future__ import annotations

from datetime import datetime

import attrs

from exwire.models import Level

__all__ = ["DepthUpdate"]


@attrs.frozen(kw_only=True)
class DepthUpdate:
    """One diff depth event (``<symbol>@depth[@100ms]``, event type ``depthUpdate``).

    Attributes:
        symbol: the symbol as Binance writes it (``"BTCUSDT"``).
        first_update_id: ``U``, the first update id in the event.
        final_update_id: ``u``, the last update id in the event.
        previous_final_update_id: ``pu`` (futures only): ``u`` of the previous event of the
            stream; ``None`` on spot.
        bids, asks: changed levels (quantity 0 removes the level), as sent.
        time: the event time ``E`` (aware UTC).
        transaction_time: ``T`` (futures only), else ``None``.
    """

    symbol: str
    first_update_id: int
    final_update_id: int
    previous_final_update_id: int | None = None
    bids: tuple[Level, ...] = ()
    asks: tuple[Level, ...] = ()
    time: datetime | None = None
    transaction_time: datetime | None = None
