"""A thread-safe latest-value view for hosts that refresh at their own pace.

Excel recalculation or a GUI timer reads ``client.latest.ticker("XBT/USD")``
whenever it likes; the client's reader thread overwrites the entry on every
update of a subscription the user started. Reads and writes are single dict
operations on immutable values, so no lock is needed and a reader never sees
a half-written value.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone
from functools import partial
from typing import Any, Generic, TypeVar

import attrs

from exwire.models import Level, Ticker, TopOfBook

__all__ = ["LatestValue", "LatestValues", "TICKER", "TOP_OF_BOOK"]

TICKER = "ticker"
TOP_OF_BOOK = "top_of_book"

T = TypeVar("T")


@attrs.frozen
class LatestValue(Generic[T]):
    """The newest value of one stream.

    Attributes:
        value: the neutral model: an :class:`exwire.models.Ticker` (its ``native`` is the
            exchange's own ticker) or an :class:`exwire.models.TopOfBook`.
        received_at: when its frame was read (aware UTC).
    """

    value: T
    received_at: datetime

    @property
    def age(self) -> float:
        """Seconds since the value arrived (by the wall clock)."""
        return (datetime.now(timezone.utc) - self.received_at).total_seconds()


class LatestValues:
    """Latest ticker and top of book per symbol. Thread-safe; reads never block.

    Built on ``client.shared``: values are the neutral models, and a symbol may be given
    as ``BASE/QUOTE`` (``"BTC/USD"``) or as the exchange names it (``"XBT/USD"``).
    Values appear only for symbols with an active subscription that carries them
    (a ticker subscription feeds ``ticker``; a spread/book-ticker subscription or a
    watched order book feeds ``top_of_book``); before the first update a read
    returns ``None``. The reader thread stores a plain tuple per update (a watched order
    book: per burst of updates read, its best prices and quantities); the neutral model
    is built on read, so a flood pays for no object it never shows.
    """

    def __init__(
        self,
        *,
        ticker: Callable[[Any, str], Ticker] | None = None,
        resolve: Callable[[str], str] | None = None,
    ) -> None:
        self._values: dict[tuple[str, str], tuple[Any, datetime]] = {}
        self._to_ticker = ticker
        self._resolve = resolve

    def _set(self, kind: str, symbol: str, value: Any, received_at: datetime) -> None:
        self._values[(kind, symbol)] = (value, received_at)

    def _setter(self, kind: str, symbol: str) -> Callable[[tuple[Any, datetime]], None]:
        """``_set`` of one stream as one C call: ``setter((value, received_at))``."""
        return partial(self._values.__setitem__, (kind, symbol))

    def _entry(self, kind: str, symbol: str) -> tuple[str, tuple[Any, datetime]] | None:
        entry = self._values.get((kind, symbol))
        if entry is not None:
            return symbol, entry
        if self._resolve is not None and "/" in symbol:
            try:
                native = self._resolve(symbol)
            except ValueError:
                return None
            entry = self._values.get((kind, native))
            if entry is not None:
                return native, entry
        return None

    def ticker(self, symbol: str) -> LatestValue[Ticker] | None:
        """The newest ticker of ``symbol`` (``BASE/QUOTE`` or the exchange's form), or ``None``."""
        found = self._entry(TICKER, symbol)
        if found is None:
            return None
        native, (value, received_at) = found
        if self._to_ticker is not None and not isinstance(value, Ticker):
            value = self._to_ticker(value, native)
        return LatestValue(value, received_at)

    def top_of_book(self, symbol: str) -> LatestValue[TopOfBook] | None:
        """The newest best bid and ask (:class:`exwire.models.TopOfBook`) of ``symbol``, or ``None``."""
        found = self._entry(TOP_OF_BOOK, symbol)
        if found is None:
            return None
        value, received_at = found[1]
        if type(value) is tuple:  # a watched book's best prices and quantities (OrderBook.best_prices_and_quantities)
            bid, bid_quantity, ask, ask_quantity = value
            value = TopOfBook(None if bid is None else Level(bid, bid_quantity),
                              None if ask is None else Level(ask, ask_quantity))
        return LatestValue(value, received_at)

    def symbols(self, kind: str | None = None) -> list[str]:
        """Symbols (as the exchange names them) that have a value (of ``kind``, or any when ``None``)."""
        return sorted({s for k, s in list(self._values) if kind is None or k == kind})

    def as_dict(self) -> dict[str, dict[str, float]]:
        """Ages in seconds per kind and symbol (for ``health()``)."""
        now = datetime.now(timezone.utc)
        result: dict[str, dict[str, float]] = {}
        for (kind, symbol), (_, received_at) in list(self._values.items()):
            result.setdefault(kind, {})[symbol] = round((now - received_at).total_seconds(), 3)
        return result
