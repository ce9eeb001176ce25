"""The exchanges the benchmarks know, one table entry each (see :mod:`benchmarks.exchanges.base`).

An entry runs only when its exwire client imports and has what the entry needs;
the others are skipped with the reason printed (clients are added one by one).
"""

from __future__ import annotations

from benchmarks.exchanges import binance, coinex, coinsuper, kraken, okex
from benchmarks.exchanges.base import Exchange, RequestCase, StreamCase

__all__ = ["ENTRIES", "Exchange", "RequestCase", "StreamCase"]

ENTRIES: tuple[Exchange, ...] = (kraken.ENTRY, binance.ENTRY, coinex.ENTRY, okex.ENTRY, coinsuper.ENTRY)
