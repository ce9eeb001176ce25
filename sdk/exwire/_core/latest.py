"""A thread-safe latest-value view for hosts that refresh at their own pace.

Excel recalculation or a GUI timer reads ``client.latest.ticker("XBT/USD")``
whenever it likes; the client's reader thread overwrites the entry on every
update of a subscription the user started. Reads and writes are single dict
operations on immutable values, so no lock is needed and a reader never sees
a half-written value.
"""

from __future__ import annotations

from datetime import datetime, timezone
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
    """

    value: Any
    received_at: datetime

    @property
    def age(self) -> float:
        """Seconds since the value arrived (by the wall clock)."""
        return (datetime.now(timezone.utc) - self.received_at).total_seconds()


class LatestValues:
    """Latest ticker and top of book per symbol. Thread-safe; reads never block.

    Values appear only for symbols with an active subscription that carries them
    (a ticker subscription feeds ``ticker``; a spread/book-ticker subscription or a
    watched order book feeds ``top_of_book``); before the first update a read
    returns ``None``. The reader thread stores a plain tuple per update (the
    :class:`LatestValue` is built on read, so a flood pays for no object it never
    shows).
    """

    def __init__(self) -> None:
        self._values: dict[tuple[str, str], tuple[Any, datetime]] = {}

    def _set(self, kind: str, symbol: str, value: Any, received_at: datetime) -> None:
        self._values[(kind, symbol)] = (value, received_at)

    def get(self, kind: str, symbol: str) -> LatestValue | None:
        """The newest value of ``kind`` for ``symbol``, or ``None`` before the first update."""
        entry = self._values.get((kind, symbol))
        return None if entry is None else LatestValue(*entry)

    def ticker(self, symbol: str) -> LatestValue | None:
        """The newest ticker of ``symbol`` (as the exchange names it), or ``None``."""
        return self.get(TICKER, symbol)

    def top_of_book(self, symbol: str) -> LatestValue | None:
        """The newest best bid and ask (:class:`exwire.models.TopOfBook`) of ``symbol``, or ``None``."""
        return self.get(TOP_OF_BOOK, symbol)

    def symbols(self, kind: str | None = None) -> list[str]:
        """Symbols that have a value (of ``kind``, or of any kind when ``None``)."""
        return sorted({s for k, s in list(self._values) if kind is None or k == kind})

    def as_dict(self) -> dict[str, dict[str, float]]:
        """Ages in seconds per kind and symbol (for ``health()``)."""
        now = datetime.now(timezone.utc)
        result: dict[str, dict[str, float]] = {}
        for (kind, symbol), (_, received_at) in list(self._values.items()):
            result.setdefault(kind, {})[symbol] = round((now - received_at).total_seconds(), 3)
        return result
