"""Enumerations of OKX API v5 (https://www.okx.com/docs-v5/en/).

Every enum is an :class:`exwire._core.codec.OpenEnum`: a value this version does not
know (a new order state, a new instrument type) becomes a pseudo-member whose
``value`` is the wire value and whose ``is_known`` is ``False``, so the message is
still delivered. The values are OKX's wire strings.
"""

from __future__ import annotations

from exwire._core.codec import OpenEnum

__all__ = [
    "InstrumentType",
    "OrderBookType",
    "KlineInterval",
    "OrderType",
    "TradeMode",
    "OrderStatus",
    "PositionSide",
    "MarginMode",
    "SelfTradePreventionMode",
    "QuickMarginType",
    "QuantityAsset",
]


class InstrumentType(OpenEnum):
    """An instrument's type (``instType``); ``ANY`` only where a channel allows it."""

    SPOT = "SPOT"
    MARGIN = "MARGIN"
    SWAP = "SWAP"
    FUTURES = "FUTURES"
    OPTION = "OPTION"
    ANY = "ANY"


class OrderBookType(OpenEnum):
    """An order book channel: its name on the wire.

    ``BOOKS`` 400 levels, a snapshot then updates every 100 ms; ``BOOKS5`` 5 levels, a
    snapshot every push; ``BBO_TBT`` the best bid and offer, a snapshot every push
    (tick by tick); ``BOOKS_L2_TBT`` 400 levels tick by tick and ``BOOKS50_L2_TBT`` 50
    levels tick by tick (both need a login and a VIP tier).
    """

    BOOKS = "books"
    BOOKS5 = "books5"
    BBO_TBT = "bbo-tbt"
    BOOKS_L2_TBT = "books-l2-tbt"
    BOOKS50_L2_TBT = "books50-l2-tbt"

    @property
    def depth(self) -> int:
        """Levels per side the channel keeps (400 for an unknown channel)."""
        return _BOOK_DEPTHS.get(self.value, 400)

    @property
    def is_incremental(self) -> bool:
        """Whether the channel sends a snapshot then updates (else every push is a snapshot)."""
        return self.value in ("books", "books-l2-tbt", "books50-l2-tbt") or not self.is_known

    @property
    def needs_login(self) -> bool:
        """Whether the channel needs a logged-in connection (the tick-by-tick books)."""
        return self.value in ("books-l2-tbt", "books50-l2-tbt")


_BOOK_DEPTHS = {"books": 400, "books5": 5, "bbo-tbt": 1, "books-l2-tbt": 400, "books50-l2-tbt": 50}


class KlineInterval(OpenEnum):
    """A candle's bar. Case matters: ``1m`` is a minute, ``1M`` a month.

    ``6H`` and longer bars without ``utc`` start on Hong Kong time (UTC+8); the ``utc``
    variants start at 00:00 UTC.
    """

    ONE_SECOND = "1s"
    ONE_MINUTE = "1m"
    THREE_MINUTES = "3m"
    FIVE_MINUTES = "5m"
    FIFTEEN_MINUTES = "15m"
    THIRTY_MINUTES = "30m"
    ONE_HOUR = "1H"
    TWO_HOURS = "2H"
    FOUR_HOURS = "4H"
    SIX_HOURS = "6H"
    TWELVE_HOURS = "12H"
    ONE_DAY = "1D"
    TWO_DAYS = "2D"
    THREE_DAYS = "3D"
    ONE_WEEK = "1W"
    ONE_MONTH = "1M"
    THREE_MONTHS = "3M"
    SIX_HOURS_UTC = "6Hutc"
    TWELVE_HOURS_UTC = "12Hutc"
    ONE_DAY_UTC = "1Dutc"
    TWO_DAYS_UTC = "2Dutc"
    THREE_DAYS_UTC = "3Dutc"
    ONE_WEEK_UTC = "1Wutc"
    ONE_MONTH_UTC = "1Mutc"
    THREE_MONTHS_UTC = "3Mutc"


class OrderType(OpenEnum):
    """An order's type (``ordType``)."""

    MARKET = "market"
    LIMIT = "limit"
    POST_ONLY = "post_only"
    FOK = "fok"
    IOC = "ioc"
    OPTIMAL_LIMIT_IOC = "optimal_limit_ioc"
    MMP = "mmp"
    MMP_AND_POST_ONLY = "mmp_and_post_only"

    @property
    def needs_price(self) -> bool:
        """Whether an order of this type needs a price (every type but market and optimal_limit_ioc)."""
        return self.value not in ("market", "optimal_limit_ioc")


class TradeMode(OpenEnum):
    """An order's trade mode (``tdMode``): cash (no margin), cross or isolated margin."""

    CASH = "cash"
    CROSS = "cross"
    ISOLATED = "isolated"
    SPOT_ISOLATED = "spot_isolated"


class OrderStatus(OpenEnum):
    """An order's state (``state``)."""

    LIVE = "live"
    PARTIALLY_FILLED = "partially_filled"
    FILLED = "filled"
    CANCELED = "canceled"
    MMP_CANCELED = "mmp_canceled"

    @property
    def is_open(self) -> bool:
        """Whether the order may still fill."""
        return self in (OrderStatus.LIVE, OrderStatus.PARTIALLY_FILLED)


class PositionSide(OpenEnum):
    """A position's side (``posSide``): long/short in long/short mode, net otherwise."""

    LONG = "long"
    SHORT = "short"
    NET = "net"


class MarginMode(OpenEnum):
    """A position's margin mode (``mgnMode``)."""

    CROSS = "cross"
    ISOLATED = "isolated"
    CASH = "cash"


class SelfTradePreventionMode(OpenEnum):
    """What happens when an order would trade with one of the account's own (``stpMode``)."""

    CANCEL_MAKER = "cancel_maker"
    CANCEL_TAKER = "cancel_taker"
    CANCEL_BOTH = "cancel_both"


class QuickMarginType(OpenEnum):
    """Quick margin type of a margin order (``quickMgnType``)."""

    MANUAL = "manual"
    AUTO_BORROW = "auto_borrow"
    AUTO_REPAY = "auto_repay"


class QuantityAsset(OpenEnum):
    """The unit of a SPOT market order's quantity (``tgtCcy``): the base or the quote asset."""

    BASE = "base_ccy"
    QUOTE = "quote_ccy"
