"""A thread-safe latest-value view for hosts that refresh at their own pace.

Excel recalculation or a GUI timer reads ``client.latest.ticker("XBT/USD")``
whenever it likes; the client's reader thread overwrites the entry on every
update of a subscription the user started. Reads and writes are single dict
operations on immutable values, so no lock is needed and a reader never sees
a half-written value.
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

import attrs

__all__ = ["LatestValue", "LatestValues", "TICKER", "TOP_OF_BOOK"]

TICKER = "ticker"
TOP_OF_BOOK = "top_of_book"


@attrs.frozen
class LatestValue:
    """The newest value of one stream.

    Attributes:
        value: the typed model (a ticker model, or :class:`exwire.models.TopOfBook`).
        received_at: when its frame was read (aware UTC).
        monotonic: ``time.monotonic()`` at that moment (for ``age``).
    """

    value: Any
    received_at: datetime
    monotonic: float = attrs.field(repr=False)

    @property
    def age(self) -> float:
        """Seconds since the value arrived."""
        return time.monotonic() - self.monotonic


class LatestValues:
    """Latest ticker and top of book per symbol. Thread-safe; reads never block.

    Values appear only for symbols with an active subscription that carries them
    (a ticker subscription feeds ``ticker``; a spread/book-ticker subscription or a
    watched order book feeds ``top_of_book``); before the first update a read
    returns ``None``.
    """

    def __init__(self) -> None:
        self._values: dict[tuple[str, str], LatestValue] = {}

    def _set(self, kind: str, symbol: str, value: Any, received_at: datetime) -> None:
        self._values[(kind, symbol)] = LatestValue(value, received_at, time.monotonic())

    def get(self, kind: str, symbol: str) -> LatestValue | None:
        """The newest value of ``kind`` for ``symbol``, or ``None`` before the first update."""
        return self._values.get((kind, symbol))

    def ticker(self, symbol: str) -> LatestValue | None:
        """The newest ticker of ``symbol`` (as the exchange names it), or ``None``."""
        return self._values.get((TICKER, symbol))

    def top_of_book(self, symbol: str) -> LatestValue | None:
        """The newest best bid and ask (:class:`exwire.models.TopOfBook`) of ``symbol``, or ``None``."""
        return self._values.get((TOP_OF_BOOK, symbol))

    def symbols(self, kind: str | None = None) -> list[str]:
        """Symbols that have a value (of ``kind``, or of any kind when ``None``)."""
        return sorted({s for k, s in list(self._values) if kind is None or k == kind})

    def as_dict(self) -> dict[str, dict[str, float]]:
        """Ages in seconds per kind and symbol (for ``health()``)."""
        result: dict[str, dict[str, float]] = {}
        for (kind, symbol), latest in list(self._values.items()):
            result.setdefault(kind, {})[symbol] = round(latest.age, 3)
        return result
