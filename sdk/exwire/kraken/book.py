"""Kraken v1 order book maintenance and CRC32 checksum (§5.5 of :doc:`the Kraken page </exchanges/kraken>`).

The algorithm, verified against real captures (979 of 979 and 4,269 of 4,269
checksums match):

1. A snapshot replaces the book; an update changes the listed levels.
2. Levels are applied in wire order (the same price may repeat within one
   message: the last occurrence wins); a zero quantity deletes the level.
3. After the whole message, each side is truncated to the subscribed depth,
   because Kraken never sends deletes for levels that fall out of range.
4. The checksum is then computed over the top 10 levels per side and compared
   with the update's ``c``.

Like :class:`exwire.orderbook.OrderBook` itself, these functions are not
thread-safe: callers lock around them.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Sequence
from decimal import Decimal
from operator import attrgetter
from typing import Any

from exwire._core.codec import MALFORMED, malformed
from exwire.kraken.converter import book_price, watched_book_levels
from exwire.kraken.models import BookUpdate
from exwire.orderbook import OrderBook

__all__ = ["apply", "apply_pairs", "apply_update", "apply_wire", "checksum", "CHECKSUM_LEVELS"]

#: Levels per side that enter the checksum, whatever the subscribed depth (§5.5).
CHECKSUM_LEVELS = 10


class _Texts(dict[Decimal, bytes]):
    """One side's checksum texts by price, each made on first use from the side's levels.

    ``texts[price]`` is the level's text (price then quantity digits, ASCII bytes) as the
    book holds it; a missing one is made from :attr:`quantities` (the side's
    price-to-quantity mapping, set before every use) and kept, at most
    :data:`_MEMO_LIMIT` of them (then they start afresh). :func:`apply` and
    :func:`apply_wire` drop the text of every price they change, so a kept text is always
    the level's.
    """

    __slots__ = ("quantities", "prices")

    def __init__(self) -> None:
        super().__init__()
        self.quantities: dict[Decimal, Decimal] = {}
        #: Each price's digits with the very key they were made of: they outlive the level's
        #: text (a new quantity at the same price, most updates), and are made again when the
        #: book's key for that price is another Decimal (perhaps of another exponent).
        self.prices: dict[Decimal, tuple[Decimal, str]] = {}

    def __missing__(self, price: Decimal) -> bytes:
        if len(self) >= _MEMO_LIMIT:
            self.clear()
            self.prices.clear()
        kept = self.prices.get(price)
        if kept is None or kept[0] is not price:
            kept = self.prices[price] = (price, _digits(price))
        text = self[price] = (kept[1] + _digits(self.quantities[price])).encode("ascii")
        return text


#: ``book.memo[_TOP]``: ``[update_count, CRC-32 of the asks' text or None, the bids' text
#: or None, ask _Texts, bid _Texts]``, all of the book as it was at ``update_count``
#: (``None``: a half to compute again). Any change to the book that :func:`apply` or
#: :func:`apply_wire` did not make shows as another ``update_count``: everything is then
#: made afresh.
_TopState = list[Any]
#: A level model's ``(price, quantity)``.
_price_and_quantity = attrgetter("price", "quantity")
#: ``book.memo`` key of the :data:`_TopState`.
_TOP = "kraken.checksum.top"
#: Texts remembered per side before they start afresh (levels leave the top and seldom come back).
_MEMO_LIMIT = 2048
_crc32 = zlib.crc32


def apply(book: OrderBook, update: BookUpdate) -> None:
    """Apply one snapshot or update to ``book``, then truncate it to its depth.

    A snapshot (``update.is_snapshot``) replaces the book (:meth:`OrderBook.load`,
    one sort per side). Build the book with the subscribed depth
    (``OrderBook(depth=10)`` for ``book-10``) so the truncation matches Kraken's
    window; otherwise checksums fail.

    Args:
        book: the local book of one pair; modified in place.
        update: the decoded message, from :func:`exwire.kraken.converter.book_from_wire`
            (or :func:`~exwire.kraken.converter.watched_book_from_wire`: an update of it not
            read yet is applied from its decoded pairs, without building its models).
    """
    wire = watched_book_levels(update)
    if wire is not None:
        apply_pairs(book, wire[1], wire[2], snapshot=wire[4])
        return
    if update.is_snapshot:
        book.load(map(_price_and_quantity, update.bids), map(_price_and_quantity, update.asks))
        book.truncate()
        return
    asks, bids = update.asks, update.bids
    state: _TopState | None = book.memo.get(_TOP)
    if state is None or state[0] != book.update_count:  # no checksum state of the book as it is
        book.apply_levels(bids, asks)
        return
    ask_edge, bid_edge = book.nth_best_prices(CHECKSUM_LEVELS)
    # OrderBook.apply_levels written out, so that each level is read once (apply_pairs' loop
    # over the models' fields: turning them into pairs first cost the offline book 4%): every
    # changed price loses its text, and a side's half stays right when every level of that side
    # lies below its 10th best price as it was (fewer than 10 levels: any level changes it).
    if asks:
        set_ask = book.set_ask
        drop = state[3].pop
        touched = ask_edge is None
        for level in asks:
            price = level.price
            set_ask(price, level.quantity)
            drop(price, None)
            if not touched and ask_edge is not None and price <= ask_edge:
                touched = True
        if touched:
            state[1] = None
    if bids:
        set_bid = book.set_bid
        drop = state[4].pop
        touched = bid_edge is None
        for level in bids:
            price = level.price
            set_bid(price, level.quantity)
            drop(price, None)
            if not touched and bid_edge is not None and price >= bid_edge:
                touched = True
        if touched:
            state[2] = None
    book.truncate()
    state[0] = book.update_count


def apply_update(book: OrderBook, update: BookUpdate) -> int | None:
    """Apply one decoded snapshot or update as :func:`apply` does, and return its checksum.

    What a watched book does with each update: one from
    :func:`~exwire.kraken.converter.watched_book_from_wire` that was not read yet is applied
    from its kept pairs (:func:`apply_pairs`) and its checksum taken from them, so its level
    models are never built; any other update is applied by :func:`apply` and its checksum
    read from it.

    Args:
        book: the local book of one pair; modified in place.
        update: the decoded message (:func:`~exwire.kraken.converter.watched_book_from_wire`
            or :func:`~exwire.kraken.converter.book_from_wire`).

    Returns:
        The update's checksum (``c``) to compare with :func:`checksum`, or ``None`` (a
        snapshot, or an update without one).
    """
    wire = watched_book_levels(update)
    if wire is None:
        apply(book, update)
        return update.checksum
    apply_pairs(book, wire[1], wire[2], snapshot=wire[4])
    return wire[3]


def apply_wire(book: OrderBook, payloads: Iterable[dict[str, Any]]) -> int | None:
    """Apply one snapshot or update straight from its decoded JSON, without building models.

    The same book as :func:`exwire.kraken.converter.book_from_wire` then :func:`apply`
    (same keys, same order, snapshot detection, truncation to depth), for code that
    holds the decoded channel array (raw delivery, a capture): each level's price and
    volume strings become ``Decimal`` once; its time and ``"r"`` flag are not decoded.
    The message is decoded whole before the book changes, so a malformed one leaves
    the book as it was.

    Args:
        book: the local book of one pair; modified in place.
        payloads: ``msg[1:-2]`` of the channel array: one or two objects.

    Returns:
        The update's checksum (``c``) to compare with :func:`checksum`, or ``None``
        (a snapshot).

    Raises:
        DecodeError: a level is malformed, the checksum is not an integer, or no
            object holds a known key.
    """
    try:
        asks: list[tuple[Decimal, Decimal]] = []
        bids: list[tuple[Decimal, Decimal]] = []
        expected: int | None = None
        is_snapshot = recognised = False
        for obj in payloads:
            for key, value in obj.items():  # as book_from_wire: the object's keys in wire order
                if value is None:  # a null stands for an absent key
                    continue
                if key == "c":
                    expected = int(value)
                elif key == "a" or key == "as":
                    asks.extend([(book_price(level[0]), Decimal(level[1])) for level in value])
                    is_snapshot = is_snapshot or key == "as"
                elif key == "b" or key == "bs":
                    bids.extend([(book_price(level[0]), Decimal(level[1])) for level in value])
                    is_snapshot = is_snapshot or key == "bs"
                else:
                    continue
                recognised = True
        if not recognised:
            raise ValueError("no 'as', 'bs', 'a', 'b' or 'c' key")
    except MALFORMED as error:
        raise malformed("kraken", "book", error) from error
    apply_pairs(book, asks, bids, snapshot=is_snapshot)
    return expected


def apply_pairs(book: OrderBook, asks: Sequence[tuple[Decimal, Decimal]], bids: Sequence[tuple[Decimal, Decimal]],
                *, snapshot: bool) -> None:
    """Apply one message's levels given as ``(price, quantity)`` pairs, then truncate to depth.

    The same book as :func:`apply` of the message's decoded update: a ``snapshot``
    replaces the book; otherwise the asks then the bids are set in wire order (a zero
    quantity deletes), with the same bookkeeping for :func:`checksum`. What
    :func:`apply_wire` and a watched book's updates
    (:func:`exwire.kraken.converter.watched_book_from_wire`) come down to.

    Args:
        book: the local book of one pair; modified in place.
        asks: the message's ask levels in wire order (``Decimal`` prices and quantities).
        bids: its bid levels in wire order.
        snapshot: whether the message is a snapshot (``as``/``bs``).
    """
    if snapshot:
        book.load(bids, asks)
        book.truncate()
        return
    state: _TopState | None = book.memo.get(_TOP)
    if state is None or state[0] != book.update_count:  # no checksum state of the book as it is
        book.apply_pairs(bids, asks)
        return
    # Every changed price loses its text, and a side's half stays right when every level of
    # that side lies below its 10th best price as it was (OrderBook.apply_pairs tells).
    if asks:
        drop = state[3].pop
        for price, _ in asks:
            drop(price, None)
    if bids:
        drop = state[4].pop
        for price, _ in bids:
            drop(price, None)
    ask_touched, bid_touched = book.apply_pairs(bids, asks, CHECKSUM_LEVELS)
    if ask_touched:
        state[1] = None
    if bid_touched:
        state[2] = None
    state[0] = book.update_count


def checksum(book: OrderBook) -> int:
    """Compute Kraken's book checksum: CRC32 (unsigned) of the top 10 asks, then the top 10 bids.

    For each of the best 10 asks (ascending price), then the best 10 bids
    (descending price): the price, then the volume, each as its wire string with
    the ``.`` removed and leading ``0`` stripped, concatenated; the CRC-32
    (zlib, IEEE 802.3) of those ASCII bytes is the checksum (§5.5). Timestamps
    are not part of it.

    Each level's text is made once and kept in ``book.memo``, and so is each side's
    half (the asks' CRC, the bids' text), for the book as of its
    :attr:`~exwire.orderbook.OrderBook.update_count`: :func:`apply` and
    :func:`apply_wire` drop the text of every price they change and carry a half over
    an update whose levels of that side all lie below its 10th best price; any other
    change to the book (a snapshot, a direct ``set_*``) has everything made afresh.

    Returns:
        The checksum as an unsigned 32-bit integer, comparable to
        :attr:`~exwire.kraken.models.BookUpdate.checksum`.
    """
    memo = book.memo
    count = book.update_count
    state: _TopState | None = memo.get(_TOP)
    if state is None or state[0] != count:
        # A book shallower than the checksum truncates into it: its state is never carried
        # over an update (a count the book never has).
        depth = book.depth
        state = memo[_TOP] = [count if depth is None or depth >= CHECKSUM_LEVELS else -1, None, None,
                              _Texts(), _Texts()]
    ask_crc, bid_bytes = state[1], state[2]
    if ask_crc is None or bid_bytes is None:
        asks, ask_quantities, bids, bid_quantities = book.top(CHECKSUM_LEVELS)
        if ask_crc is None:
            texts = state[3]
            texts.quantities = ask_quantities
            ask_crc = state[1] = _crc32(b"".join(map(texts.__getitem__, asks)))
        if bid_bytes is None:
            texts = state[4]
            texts.quantities = bid_quantities
            bid_bytes = state[2] = b"".join(map(texts.__getitem__, bids))
    return _crc32(bid_bytes, ask_crc)


def _digits(number: Decimal) -> str:
    """The wire string of ``number`` (the Decimal keeps its exponent) without "." and leading zeros.

    "0.00000500" -> "500", "27120.00000" -> "2712000000". ``str()`` gives the plain
    string unless it switches to exponent notation (very small volumes, e.g.
    "5.0E-7"); ``format(number, "f")`` then.
    """
    plain = str(number)
    if "E" in plain:
        plain = format(number, "f")
    return plain.replace(".", "").lstrip("0")
