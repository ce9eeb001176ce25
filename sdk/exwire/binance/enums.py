"""Enumerations of the Binance WebSocket API: spot (§8, §9 of
:doc:`the Binance page </exchanges/binance>`) and USDⓈ-M / COIN-M futures (§10).

Values are the wire strings. Every enum is an :class:`exwire._core.codec.OpenEnum`: a
value this version does not know (Binance adds some every year) decodes to a kept
pseudo-member (``is_known`` false) instead of failing the message. As *input*
parameters the client only accepts known values, so a typo is a ``ConfigurationError``
before anything is sent.

:class:`FuturesMarket` is the one plain :class:`enum.Enum`: it only selects which futures
product (and connection) a call goes to and is never decoded from the wire.
"""

from __future__ import annotations

import enum

from exwire._core.codec import OpenEnum

__all__ = [
    "OrderSide",
    "OrderType",
    "TimeInForce",
    "OrderResponseType",
    "SelfTradePreventionMode",
    "OrderStatus",
    "ExecutionType",
    "SymbolStatus",
    "KlineInterval",
    "TickerType",
    "CancelReplaceMode",
    "CancelRestrictions",
    "OrderRateLimitExceededMode",
    "PegPriceType",
    "PegOffsetType",
    "ContingencyType",
    "ListStatusType",
    "ListOrderStatus",
    "RateLimitType",
    "RateLimitInterval",
    "AccountType",
    "FuturesMarket",
    "FuturesOrderType",
    "FuturesTimeInForce",
    "FuturesOrderResponseType",
    "PositionSide",
    "WorkingType",
    "PriceMatch",
    "AlgoType",
    "AlgoStatus",
    "MarginType",
]


class OrderSide(OpenEnum):
    """Order side (§8.3). ``exwire.Side`` is accepted wherever this is."""

    BUY = "BUY"
    SELL = "SELL"


class OrderType(OpenEnum):
    """Spot order types (§8.3)."""

    LIMIT = "LIMIT"
    MARKET = "MARKET"
    STOP_LOSS = "STOP_LOSS"
    STOP_LOSS_LIMIT = "STOP_LOSS_LIMIT"
    TAKE_PROFIT = "TAKE_PROFIT"
    TAKE_PROFIT_LIMIT = "TAKE_PROFIT_LIMIT"
    LIMIT_MAKER = "LIMIT_MAKER"


class TimeInForce(OpenEnum):
    """How long an order stays working (§8.3)."""

    GTC = "GTC"  # good till cancelled
    IOC = "IOC"  # immediate or cancel
    FOK = "FOK"  # fill or kill


class OrderResponseType(OpenEnum):
    """How much an order placement reply carries (§8.3, §11): ``ACK`` < ``RESULT`` < ``FULL`` (fills)."""

    ACK = "ACK"
    RESULT = "RESULT"
    FULL = "FULL"


class SelfTradePreventionMode(OpenEnum):
    """What happens when an order would trade against the same account (§8.3)."""

    NONE = "NONE"
    EXPIRE_TAKER = "EXPIRE_TAKER"
    EXPIRE_MAKER = "EXPIRE_MAKER"
    EXPIRE_BOTH = "EXPIRE_BOTH"
    DECREMENT = "DECREMENT"
    TRANSFER = "TRANSFER"


class OrderStatus(OpenEnum):
    """Order status (§9.3 ``X``)."""

    NEW = "NEW"
    PENDING_NEW = "PENDING_NEW"
    PARTIALLY_FILLED = "PARTIALLY_FILLED"
    FILLED = "FILLED"
    CANCELED = "CANCELED"
    PENDING_CANCEL = "PENDING_CANCEL"
    REJECTED = "REJECTED"
    EXPIRED = "EXPIRED"
    EXPIRED_IN_MATCH = "EXPIRED_IN_MATCH"


class ExecutionType(OpenEnum):
    """What happened to an order in an ``executionReport`` (§9.3 ``x``)."""

    NEW = "NEW"
    CANCELED = "CANCELED"
    REPLACED = "REPLACED"
    REJECTED = "REJECTED"
    TRADE = "TRADE"
    EXPIRED = "EXPIRED"
    TRADE_PREVENTION = "TRADE_PREVENTION"


class SymbolStatus(OpenEnum):
    """Trading status of a symbol (§8.1 ``symbolStatus``)."""

    TRADING = "TRADING"
    END_OF_DAY = "END_OF_DAY"
    HALT = "HALT"
    BREAK = "BREAK"


class KlineInterval(OpenEnum):
    """Kline (candlestick) intervals (§8.1 ``klines``)."""

    ONE_SECOND = "1s"
    ONE_MINUTE = "1m"
    THREE_MINUTES = "3m"
    FIVE_MINUTES = "5m"
    FIFTEEN_MINUTES = "15m"
    THIRTY_MINUTES = "30m"
    ONE_HOUR = "1h"
    TWO_HOURS = "2h"
    FOUR_HOURS = "4h"
    SIX_HOURS = "6h"
    EIGHT_HOURS = "8h"
    TWELVE_HOURS = "12h"
    ONE_DAY = "1d"
    THREE_DAYS = "3d"
    ONE_WEEK = "1w"
    ONE_MONTH = "1M"


class TickerType(OpenEnum):
    """Ticker detail (§8.1): ``FULL`` statistics or the ``MINI`` subset."""

    FULL = "FULL"
    MINI = "MINI"


class CancelReplaceMode(OpenEnum):
    """Whether ``order.cancelReplace`` places the new order when the cancel fails (§8.4)."""

    STOP_ON_FAILURE = "STOP_ON_FAILURE"
    ALLOW_FAILURE = "ALLOW_FAILURE"


class CancelRestrictions(OpenEnum):
    """Cancel only in this status (§8.3 ``cancelRestrictions``)."""

    ONLY_NEW = "ONLY_NEW"
    ONLY_PARTIALLY_FILLED = "ONLY_PARTIALLY_FILLED"


class OrderRateLimitExceededMode(OpenEnum):
    """What ``order.cancelReplace`` does when the unfilled order count is exceeded (§8.4)."""

    DO_NOTHING = "DO_NOTHING"
    CANCEL_ONLY = "CANCEL_ONLY"


class PegPriceType(OpenEnum):
    """Pegged order price source (§8.3)."""

    PRIMARY_PEG = "PRIMARY_PEG"
    MARKET_PEG = "MARKET_PEG"


class PegOffsetType(OpenEnum):
    """Unit of a pegged order's offset (§8.3)."""

    PRICE_LEVEL = "PRICE_LEVEL"


class ContingencyType(OpenEnum):
    """Kind of order list (§9.3 ``c``)."""

    OCO = "OCO"
    OTO = "OTO"


class ListStatusType(OpenEnum):
    """Order list status (§9.3 ``l``)."""

    RESPONSE = "RESPONSE"
    EXEC_STARTED = "EXEC_STARTED"
    UPDATED = "UPDATED"
    ALL_DONE = "ALL_DONE"


class ListOrderStatus(OpenEnum):
    """Order list order status (§9.3 ``L``)."""

    EXECUTING = "EXECUTING"
    ALL_DONE = "ALL_DONE"
    REJECT = "REJECT"


class RateLimitType(OpenEnum):
    """Kind of rate limit (§5.1)."""

    REQUEST_WEIGHT = "REQUEST_WEIGHT"
    ORDERS = "ORDERS"
    RAW_REQUESTS = "RAW_REQUESTS"
    CONNECTIONS = "CONNECTIONS"


class RateLimitInterval(OpenEnum):
    """Unit of a rate limit window (§5.1)."""

    SECOND = "SECOND"
    MINUTE = "MINUTE"
    HOUR = "HOUR"
    DAY = "DAY"


class AccountType(OpenEnum):
    """Account type in ``account.status`` (§8.5)."""

    SPOT = "SPOT"
    MARGIN = "MARGIN"


# -- futures (§10) ------------------------------------------------------------------------------


class FuturesMarket(enum.Enum):
    """Which futures product a call targets; each has its own connection (§1, §10).

    ``USDM``: USDⓈ-M futures, ``ws-fapi`` (linear contracts margined in USDT/USDC);
    ``COINM``: COIN-M futures, ``ws-dapi`` (inverse contracts margined in the coin).
    """

    USDM = "usdm"
    COINM = "coinm"


class FuturesOrderType(OpenEnum):
    """Futures order types (§10.2, §10.3).

    USDⓈ-M ``order.place`` takes only ``LIMIT`` and ``MARKET`` since the 2026 move of the
    conditional types to the algo service (``algoOrder.place``); COIN-M ``order.place``
    still takes them all.
    """

    LIMIT = "LIMIT"
    MARKET = "MARKET"
    STOP = "STOP"
    STOP_MARKET = "STOP_MARKET"
    TAKE_PROFIT = "TAKE_PROFIT"
    TAKE_PROFIT_MARKET = "TAKE_PROFIT_MARKET"
    TRAILING_STOP_MARKET = "TRAILING_STOP_MARKET"


class FuturesTimeInForce(OpenEnum):
    """How long a futures order stays working (§10.3 ``timeInForce``)."""

    GTC = "GTC"  # good till cancelled
    IOC = "IOC"  # immediate or cancel
    FOK = "FOK"  # fill or kill
    GTX = "GTX"  # good till crossing: post-only, rejected if it would take
    GTD = "GTD"  # good till date: needs ``good_till_date``
    RPI = "RPI"  # retail price improvement: post-only, hidden from the public book


class FuturesOrderResponseType(OpenEnum):
    """What a futures order placement reply reflects (§10.2): ``ACK`` (as accepted, the default)
    or ``RESULT`` (after matching)."""

    ACK = "ACK"
    RESULT = "RESULT"


class PositionSide(OpenEnum):
    """Which position an order belongs to: ``BOTH`` in one-way mode, ``LONG``/``SHORT`` in hedge mode."""

    BOTH = "BOTH"
    LONG = "LONG"
    SHORT = "SHORT"


class WorkingType(OpenEnum):
    """Which price triggers a conditional order: the mark price or the last contract price."""

    MARK_PRICE = "MARK_PRICE"
    CONTRACT_PRICE = "CONTRACT_PRICE"


class PriceMatch(OpenEnum):
    """Price a LIMIT order from the book instead of ``price`` (§10.3 ``priceMatch``):
    ``OPPONENT*`` the best opposite price (or the 5th/10th/20th level), ``QUEUE*`` the best
    price on the order's own side."""

    NONE = "NONE"
    OPPONENT = "OPPONENT"
    OPPONENT_5 = "OPPONENT_5"
    OPPONENT_10 = "OPPONENT_10"
    OPPONENT_20 = "OPPONENT_20"
    QUEUE = "QUEUE"
    QUEUE_5 = "QUEUE_5"
    QUEUE_10 = "QUEUE_10"
    QUEUE_20 = "QUEUE_20"


class AlgoType(OpenEnum):
    """Kind of USDⓈ-M algo order (§10.3 ``algoOrder.place``): ``CONDITIONAL`` carries the stop,
    take-profit and trailing-stop orders moved off ``order.place``."""

    CONDITIONAL = "CONDITIONAL"


class AlgoStatus(OpenEnum):
    """Life of an algo order: ``NEW`` until triggered, ``TRIGGERING`` → ``TRIGGERED`` (the real
    order is placed) → ``FINISHED``; or ``CANCELED``, ``REJECTED``, ``EXPIRED``."""

    NEW = "NEW"
    TRIGGERING = "TRIGGERING"
    TRIGGERED = "TRIGGERED"
    FINISHED = "FINISHED"
    CANCELED = "CANCELED"
    REJECTED = "REJECTED"
    EXPIRED = "EXPIRED"


class MarginType(OpenEnum):
    """Margin mode of a position (``account.position``; the wire spells it in lowercase)."""

    CROSS = "cross"
    ISOLATED = "isolated"
