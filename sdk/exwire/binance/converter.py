"""Binance wire names ↔ :mod:`exwire.binance.models`; request parameters → wire values.

(Futures models and parameters: :mod:`exwire.binance.futures_converter`, on the same converter.)

The only module that knows Binance's field names (§8–§11 of
:doc:`the Binance page </exchanges/binance>`). Results are structured with one cattrs converter (epoch milliseconds →
aware UTC ``datetime``, decimal strings → ``Decimal``, enums keeping unknown values).
Most wire names are the camelCase of the Python field; the exceptions are listed in
``_RENAMES``. Unknown wire fields are ignored, so a field Binance adds never breaks
decoding.

Request parameters go the other way through ``PARAMETERS``: a Python keyword name →
(wire name, kind). Money becomes a plain decimal string (never exponent notation),
times epoch milliseconds, enums their wire value; a bad value raises
``ConfigurationError`` before anything is sent.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from decimal import Decimal
from enum import Enum
from typing import Any, TypeVar

import attrs
from cattrs.gen import make_dict_structure_fn, override

from exwire._core.codec import OpenEnum, datetime_to_epoch_ms, epoch_ms_to_datetime, make_converter
from exwire.binance import enums, events, models, order_models
from exwire.binance import event_converter as _event_converter
from exwire.binance.symbols import normalize_symbol, normalize_symbols
from exwire.errors import ConfigurationError, DecodeError
from exwire.models import Level, decimal_to_wire

__all__ = ["structure", "order_or_list", "user_data_event", "encode_params", "PARAMETERS", "rate_limits_from_wire",
           "rate_limit_wires", "rate_limit_of_wire", "RateLimitWire", "server_time_from_wire"]

T = TypeVar("T")

converter = make_converter(epoch_unit="ms")

# Field → wire name where the wire name is not the field's camelCase (§8–§11).
_QTY = {"quantity": "qty", "quote_quantity": "quoteQty"}
_FEE = {"fee": "commission", "fee_asset": "commissionAsset"}
_RENAMES: dict[type, dict[str, str]] = {
    models.RateLimit: {"interval_number": "intervalNum"},
    models.SymbolInfo: {"quote_order_quantity_market_allowed": "quoteOrderQtyMarketAllowed",
                        "allow_amend": "amendAllowed"},
    models.Trade: {**_QTY, "trade_id": "id"},
    models.AggregateTrade: {
        "trade_id": "a", "price": "p", "quantity": "q", "first_trade_id": "f", "last_trade_id": "l",
        "time": "T", "is_buyer_maker": "m", "is_best_match": "M",
    },
    models.AveragePrice: {"minutes": "mins"},
    models.ReferencePrice: {"time": "timestamp"},
    models.ExecutionRule: {
        "bid_limit_multiplier_up": "bidLimitMultUp", "bid_limit_multiplier_down": "bidLimitMultDown",
        "ask_limit_multiplier_up": "askLimitMultUp", "ask_limit_multiplier_down": "askLimitMultDown",
    },
    models.Ticker: {
        "weighted_average_price": "weightedAvgPrice", "previous_close_price": "prevClosePrice",
        "last_quantity": "lastQty", "bid_quantity": "bidQty", "ask_quantity": "askQty",
        "first_trade_id": "firstId", "last_trade_id": "lastId", "trade_count": "count",
        "time": "closeTime",
    },
    models.PriceTicker: {"last_price": "price"},
    models.BookTicker: {"bid_quantity": "bidQty", "ask_quantity": "askQty"},
    models.SessionStatus: {},
    order_models.Fill: {"quantity": "qty", "allocation_id": "allocId", **_FEE},
    order_models.Order: {
        "original_client_order_id": "origClientOrderId", "quantity": "origQty",
        "filled_quantity": "executedQty", "created_at": "time", "updated_at": "updateTime", "original_quote_order_quantity": "origQuoteOrderQty",
        "cumulative_quote_quantity": "cummulativeQuoteQty", "order_type": "type", "iceberg_quantity": "icebergQty",
    },
    order_models.AccountTrade: {**_QTY, **_FEE, "trade_id": "id"},
    order_models.Allocation: {**_QTY, **_FEE},
    events.ExecutionReport: {
        "event_time": "E", "symbol": "s", "client_order_id": "c", "side": "S", "order_type": "o",
        "time_in_force": "f", "quantity": "q", "price": "p", "stop_price": "P", "iceberg_quantity": "F",
        "order_list_id": "g", "original_client_order_id": "C", "execution_type": "x", "status": "X",
        "reject_reason": "r", "order_id": "i", "last_executed_quantity": "l", "filled_quantity": "z",
        "last_executed_price": "L", "fee": "n", "fee_asset": "N", "transaction_time": "T",
        "trade_id": "t", "execution_id": "I", "is_working": "w", "is_maker": "m", "created_at": "O",
        "cumulative_quote_quantity": "Z", "last_quote_quantity": "Y", "quote_order_quantity": "Q",
        "working_time": "W", "self_trade_prevention_mode": "V", "prevented_match_id": "v",
        "trailing_delta": "d", "trailing_time": "D", "strategy_id": "j", "strategy_type": "J",
        "used_sor": "uS", "working_floor": "k", "expiry_reason": "eR", "prevented_quantity": "A",
        "last_prevented_quantity": "B", "trade_group_id": "u", "counter_order_id": "U", "counter_symbol": "Cs",
        "prevented_execution_quantity": "pl", "prevented_execution_price": "pL",
        "prevented_execution_quote_quantity": "pY", "match_type": "b", "allocation_id": "a",
        "peg_price_type": "gP", "peg_offset_type": "gOT", "peg_offset_value": "gOV", "pegged_price": "gp",
    },
    events.PositionBalance: {"asset": "a", "free": "f", "locked": "l"},
    events.AccountPosition: {"event_time": "E", "last_update_time": "u", "balances": "B"},
    events.BalanceUpdate: {"event_time": "E", "asset": "a", "delta": "d", "clear_time": "T"},
    events.ListStatusOrder: {"symbol": "s", "order_id": "i", "client_order_id": "c"},
    events.ListStatus: {
        "event_time": "E", "symbol": "s", "order_list_id": "g", "contingency_type": "c", "list_status_type": "l",
        "list_order_status": "L", "list_reject_reason": "r", "list_client_order_id": "C",
        "transaction_time": "T", "orders": "O",
    },
    events.ExternalLockUpdate: {"event_time": "E", "asset": "a", "delta": "d", "transaction_time": "T"},
    events.EventStreamTerminated: {"event_time": "E"},
}

_STRUCTURED = [
    models.RateLimit, models.SymbolInfo, models.SorInfo, models.ExchangeInfo, models.SessionStatus,
    models.Trade, models.AggregateTrade, models.AveragePrice, models.ExecutionRule, models.SymbolExecutionRules,
    models.ExecutionRules, models.ReferencePrice, models.ReferencePriceCalculation, models.Ticker,
    models.PriceTicker, models.BookTicker, models.Balance, models.CommissionRates, models.CommissionDiscount,
    models.Account, models.AccountCommission, models.OrderTestResult,
    order_models.Fill, order_models.OrderListEntry, order_models.OrderList, order_models.CancelReplaceResult,
    order_models.AmendResult, order_models.AccountTrade, order_models.PreventedMatch, order_models.Allocation,
    events.ExecutionReport, events.PositionBalance, events.AccountPosition, events.BalanceUpdate,
    events.ListStatusOrder, events.ListStatus, events.ExternalLockUpdate, events.EventStreamTerminated,
]


def camel_case(name: str) -> str:
    """``order_list_id`` → ``orderListId``."""
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


StructureFn = Callable[[Mapping[str, Any], Any], Any]


def structure_fn(cls: type, overrides: Mapping[str, Any]) -> StructureFn:
    """cattrs' dict structure function of ``cls`` with per-field ``overrides``."""
    # cattrs declares the per-field overrides as ``**kwargs: AttributeOverride`` beside its
    # boolean flags, which type checkers read as the flags' types.
    function: StructureFn = make_dict_structure_fn(cls, converter, **overrides)  # pyright: ignore[reportArgumentType]
    return function


def _register(cls: type) -> None:
    renames = _RENAMES.get(cls, {})
    overrides = {f.name: override(rename=renames.get(f.name, camel_case(f.name))) for f in attrs.fields(cls)}
    converter.register_structure_hook(cls, structure_fn(cls, overrides))


# Order first: AmendResult and OrderList embed it. ``order.amend.keepPriority`` spells the
# cumulative quote quantity ``cumulativeQuoteQty`` where every other report has the
# historical ``cummulativeQuoteQty`` (§11).
_order_fields = {f.name: override(rename=_RENAMES[order_models.Order].get(f.name, camel_case(f.name)))
                 for f in attrs.fields(order_models.Order)}
_structure_order = structure_fn(order_models.Order, _order_fields)


def _order_hook(value: Mapping[str, Any], _: Any) -> order_models.Order:
    if "cumulativeQuoteQty" in value and "cummulativeQuoteQty" not in value:
        value = {**value, "cummulativeQuoteQty": value["cumulativeQuoteQty"]}
    order: order_models.Order = _structure_order(value, order_models.Order)
    return order


converter.register_structure_hook(order_models.Order, _order_hook)

# exchangeInfo spells it ``amendAllowed``; older emulators and captures say ``allowAmend``.
_structure_symbol_info = structure_fn(models.SymbolInfo, {
    f.name: override(rename=_RENAMES[models.SymbolInfo].get(f.name, camel_case(f.name)))
    for f in attrs.fields(models.SymbolInfo)})


def _symbol_info_hook(value: Mapping[str, Any], _: Any) -> models.SymbolInfo:
    if "allowAmend" in value and "amendAllowed" not in value:
        value = {**value, "amendAllowed": value["allowAmend"]}
    info: models.SymbolInfo = _structure_symbol_info(value, models.SymbolInfo)
    return info


# Depth levels and klines are positional arrays (§11, §8.1).
converter.register_structure_hook(Level, lambda value, _: Level(Decimal(value[0]), Decimal(value[1])))
for _cls in _STRUCTURED:  # in order: a container's hook resolves its items' hooks when made
    if _cls is models.SymbolInfo:
        converter.register_structure_hook(models.SymbolInfo, _symbol_info_hook)
    else:
        _register(_cls)


def _order_book(value: Mapping[str, Any]) -> models.OrderBook:
    level = converter.get_structure_hook(Level)
    return models.OrderBook(
        last_update_id=int(value["lastUpdateId"]),
        bids=tuple(level(item, Level) for item in value["bids"]),
        asks=tuple(level(item, Level) for item in value["asks"]),
    )


def _kline(item: list[Any]) -> models.Kline:
    return models.Kline(
        open_time=epoch_ms_to_datetime(item[0]), open=Decimal(item[1]), high=Decimal(item[2]),
        low=Decimal(item[3]), close=Decimal(item[4]), volume=Decimal(item[5]),
        close_time=epoch_ms_to_datetime(item[6]), quote_volume=Decimal(item[7]), trade_count=int(item[8]),
        taker_buy_base_volume=Decimal(item[9]), taker_buy_quote_volume=Decimal(item[10]),
    )


converter.register_structure_hook(models.OrderBook, lambda value, _: _order_book(value))
converter.register_structure_hook(models.Kline, lambda value, _: _kline(value))


def structure(value: object, kind: type[T]) -> T:
    """Decode a raw result into ``kind`` (a model class or e.g. ``list[Trade]``).

    Raises:
        DecodeError: the result does not have the documented shape.
    """
    try:
        result: T = converter.structure(value, kind)
    except Exception as exc:  # cattrs raises ExceptionGroups, KeyError, ValueError ...
        raise DecodeError(f"malformed binance {getattr(kind, '__name__', kind)} result: {exc!r}") from exc
    return result


def order_or_list(value: Mapping[str, Any]) -> order_models.Order | order_models.OrderList:
    """Decode one item of an ``openOrders.cancelAll`` result: an order or an order list (§8.3).

    Raises:
        DecodeError: neither shape.
    """
    if "contingencyType" in value:
        return structure(value, order_models.OrderList)
    return structure(value, order_models.Order)


def rate_limits_from_wire(items: Iterable[Any]) -> list[models.RateLimit]:
    """Decode a ``rateLimits`` array (§5.1).

    Items of the documented shape that were seen lately give the very ``RateLimit``
    objects built for them then (equal values, immutable objects), so a reply whose
    limits did not change builds nothing.

    Raises:
        DecodeError: not an array of objects, an item lacks a documented field, or its
            ``rateLimitType``/``interval`` is not a string.
    """
    fast = _rate_limits_exact(items)  # every response carries these: the common shape built directly
    if fast is not None:
        return fast
    limits: list[models.RateLimit] = structure(items, list[models.RateLimit])
    for limit in limits:
        if type(limit.rate_limit_type.value) is not str or type(limit.interval.value) is not str:
            raise DecodeError(f"malformed binance rateLimits: {limit!r}"[:300])
    return limits


_DICT = frozenset((dict,))
_RATE_LIMIT_KEYS = (frozenset(("rateLimitType", "interval", "intervalNum", "limit", "count")),
                    frozenset(("rateLimitType", "interval", "intervalNum", "limit")))
_rate_limit_type = _event_converter.enum_member(enums.RateLimitType)
_rate_limit_interval = _event_converter.enum_member(enums.RateLimitInterval)
# (type, interval, intervalNum, limit, count) as sent → the RateLimit built for them. Every
# reply carries its limits (the count moves with usage, the rest never): a reply that
# repeats recent values reuses their objects. Keyed only after the exact types are checked
# (so 1, 1.0 and True cannot share an entry); bounded by clearing, as a peer could send
# endless distinct values. Any thread may use it: single dict reads and stores, and a
# lost store only costs a rebuild of an equal object.
_BUILT_LIMITS: dict[tuple[str, str, int, int, int | None], models.RateLimit] = {}
_BUILT_LIMITS_BOUND = 4096


#: One ``rateLimits`` item of the documented shape: (type, interval, intervalNum, limit, count).
RateLimitWire = tuple[str, str, int, int, "int | None"]


def rate_limit_wires(items: Any) -> list[RateLimitWire] | None:
    """The ``rateLimits`` items as :data:`RateLimitWire` tuples when each has exactly the
    documented keys with exactly the documented types (strings, integers), else ``None`` for
    the general converter, which gives the same result for these and handles everything else.

    Raises:
        DecodeError: not an array of objects.
    """
    if type(items) is not list or not _DICT.issuperset(map(type, items)):
        raise DecodeError(f"malformed binance rateLimits: not an array of objects: {items!r}"[:300])
    wires: list[RateLimitWire] = []
    for item in items:
        if item.keys() not in _RATE_LIMIT_KEYS:
            return None
        wire = (item["rateLimitType"], item["interval"], item["intervalNum"], item["limit"], item.get("count"))
        kind, interval, number, limit, count = wire
        if type(kind) is not str or type(interval) is not str or type(number) is not int \
                or type(limit) is not int or (count is not None and type(count) is not int):
            return None
        wires.append(wire)
    return wires


def rate_limit_of_wire(wire: RateLimitWire) -> models.RateLimit:
    """The ``RateLimit`` of one checked item (:func:`rate_limit_wires`); equal values give the
    object built for them lately."""
    rate_limit = _BUILT_LIMITS.get(wire)
    if rate_limit is None:
        kind, interval, number, limit, count = wire
        rate_limit = models.RateLimit(rate_limit_type=_rate_limit_type(kind), interval=_rate_limit_interval(interval),
                                      interval_number=number, limit=limit, count=count)
        if len(_BUILT_LIMITS) >= _BUILT_LIMITS_BOUND:
            _BUILT_LIMITS.clear()
        _BUILT_LIMITS[wire] = rate_limit
    return rate_limit


def _rate_limits_exact(items: Any) -> list[models.RateLimit] | None:
    """:func:`rate_limit_wires` built: the documented shape's limits, else ``None``.

    Raises:
        DecodeError: not an array of objects.
    """
    wires = rate_limit_wires(items)
    return None if wires is None else list(map(rate_limit_of_wire, wires))


def server_time_from_wire(result: Any) -> datetime:
    """Decode the result of ``time`` (§8.1): ``{"serverTime": <epoch ms>}``.

    Raises:
        DecodeError: not an object, or ``serverTime`` is not an integer time in range.
    """
    server_time = result.get("serverTime") if type(result) is dict else None
    if type(server_time) is not int:
        raise DecodeError(f"malformed binance time result: {result!r}"[:300])
    try:
        return epoch_ms_to_datetime(server_time)
    except ValueError as exc:
        raise DecodeError(f"malformed binance time result: {result!r}"[:300]) from exc


# User-data events run once per pushed message: decoded by hand, not through cattrs
# (the cattrs hooks of the event models stay registered above, for tests and results).
user_data_event = _event_converter.user_data_event


# -- request parameters ------------------------------------------------------------------

Encoder = Callable[[Any, str], Any]


def _text(value: Any, name: str) -> str:
    if not isinstance(value, str) or not value:
        raise ConfigurationError(f"{name} must be a non-empty string, got {value!r}")
    return value


def _text_list(value: Any, name: str) -> list[str]:
    items = [value] if isinstance(value, str) else list(value)
    return [_text(item, name) for item in items]


def _integer(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigurationError(f"{name} must be an integer, got {value!r}")
    return value


def _boolean(value: Any, name: str) -> bool:
    if not isinstance(value, bool):
        raise ConfigurationError(f"{name} must be True or False, got {value!r}")
    return value


def _time(value: Any, name: str) -> int:
    """An aware ``datetime`` or integer epoch milliseconds → epoch milliseconds."""
    if isinstance(value, datetime):
        return datetime_to_epoch_ms(value)
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    raise ConfigurationError(f"{name} must be an aware datetime or epoch milliseconds, got {value!r}")


def _enum(cls: type[OpenEnum]) -> Encoder:
    known = {member.value: member.value for member in cls}
    folded = {value.upper(): value for value in known}

    def encode(value: Any, name: str) -> str:
        raw = value.value if isinstance(value, Enum) else value
        if isinstance(raw, str):
            if raw in known:
                return raw
            if raw.upper() in folded:
                return str(folded[raw.upper()])
        raise ConfigurationError(f"{name} must be one of {sorted(known)}, got {value!r}")

    return encode


_MONEY: Encoder = decimal_to_wire

# Python keyword → (wire name, encoder). Shared by every method: the same keyword
# always means the same wire parameter (§8).
PARAMETERS: dict[str, tuple[str, Encoder]] = {
    "symbol": ("symbol", normalize_symbol),
    "symbols": ("symbols", normalize_symbols),
    "symbol_status": ("symbolStatus", _enum(enums.SymbolStatus)),
    "permissions": ("permissions", _text_list),
    "show_permission_sets": ("showPermissionSets", _boolean),
    "limit": ("limit", _integer),
    "from_id": ("fromId", _integer),
    "start_time": ("startTime", _time),
    "end_time": ("endTime", _time),
    "interval": ("interval", _enum(enums.KlineInterval)),
    "time_zone": ("timeZone", _text),
    "ticker_type": ("type", _enum(enums.TickerType)),
    "window_size": ("windowSize", _text),
    "side": ("side", _enum(enums.OrderSide)),
    "order_type": ("type", _enum(enums.OrderType)),
    "time_in_force": ("timeInForce", _enum(enums.TimeInForce)),
    "price": ("price", _MONEY),
    "quantity": ("quantity", _MONEY),
    "quote_order_quantity": ("quoteOrderQty", _MONEY),
    "stop_price": ("stopPrice", _MONEY),
    "iceberg_quantity": ("icebergQty", _MONEY),
    "new_client_order_id": ("newClientOrderId", _text),
    "response_type": ("newOrderRespType", _enum(enums.OrderResponseType)),
    "trailing_delta": ("trailingDelta", _integer),
    "strategy_id": ("strategyId", _integer),
    "strategy_type": ("strategyType", _integer),
    "self_trade_prevention_mode": ("selfTradePreventionMode", _enum(enums.SelfTradePreventionMode)),
    "peg_price_type": ("pegPriceType", _enum(enums.PegPriceType)),
    "peg_offset_type": ("pegOffsetType", _enum(enums.PegOffsetType)),
    "peg_offset_value": ("pegOffsetValue", _integer),
    "compute_commission_rates": ("computeCommissionRates", _boolean),
    "order_id": ("orderId", _integer),
    "original_client_order_id": ("origClientOrderId", _text),
    "cancel_restrictions": ("cancelRestrictions", _enum(enums.CancelRestrictions)),
    "cancel_replace_mode": ("cancelReplaceMode", _enum(enums.CancelReplaceMode)),
    "cancel_order_id": ("cancelOrderId", _integer),
    "cancel_original_client_order_id": ("cancelOrigClientOrderId", _text),
    "cancel_new_client_order_id": ("cancelNewClientOrderId", _text),
    "order_rate_limit_exceeded_mode": ("orderRateLimitExceededMode", _enum(enums.OrderRateLimitExceededMode)),
    "new_quantity": ("newQty", _MONEY),
    "order_list_id": ("orderListId", _integer),
    "list_client_order_id": ("listClientOrderId", _text),
    # orderList.status names the list's client id origClientOrderId (§8.5).
    "original_list_client_order_id": ("origClientOrderId", _text),
    "omit_zero_balances": ("omitZeroBalances", _boolean),
    "prevented_match_id": ("preventedMatchId", _integer),
    "from_prevented_match_id": ("fromPreventedMatchId", _integer),
    "from_allocation_id": ("fromAllocationId", _integer),
    "subscription_id": ("subscriptionId", _integer),
    "return_rate_limits": ("returnRateLimits", _boolean),
    # deprecated orderList.place (§8.3)
    "stop_limit_price": ("stopLimitPrice", _MONEY),
    "stop_limit_time_in_force": ("stopLimitTimeInForce", _enum(enums.TimeInForce)),
    "limit_strategy_id": ("limitStrategyId", _integer),
    "limit_strategy_type": ("limitStrategyType", _integer),
    "stop_strategy_id": ("stopStrategyId", _integer),
    "stop_strategy_type": ("stopStrategyType", _integer),
}

# Per-leg parameters of order lists (§8.3): <leg>Type, <leg>Price, <leg>IcebergQty ...
_LEG_FIELDS: dict[str, tuple[str, Encoder]] = {
    "type": ("Type", _enum(enums.OrderType)),
    "side": ("Side", _enum(enums.OrderSide)),
    "client_order_id": ("ClientOrderId", _text),
    "price": ("Price", _MONEY),
    "stop_price": ("StopPrice", _MONEY),
    "quantity": ("Quantity", _MONEY),
    "iceberg_quantity": ("IcebergQty", _MONEY),
    "trailing_delta": ("TrailingDelta", _integer),
    "time_in_force": ("TimeInForce", _enum(enums.TimeInForce)),
    "strategy_id": ("StrategyId", _integer),
    "strategy_type": ("StrategyType", _integer),
    "peg_price_type": ("PegPriceType", _enum(enums.PegPriceType)),
    "peg_offset_type": ("PegOffsetType", _enum(enums.PegOffsetType)),
    "peg_offset_value": ("PegOffsetValue", _integer),
}
for _leg in ("limit", "stop", "above", "below", "working", "pending", "pending_above", "pending_below"):
    for _field, (_suffix, _encoder) in _LEG_FIELDS.items():
        PARAMETERS.setdefault(f"{_leg}_{_field}", (camel_case(_leg) + _suffix, _encoder))


def encode_params(values: Mapping[str, Any],
                  table: Mapping[str, tuple[str, Encoder]] | None = None) -> dict[str, Any]:
    """Turn Python keyword values into a wire ``params`` object; ``None`` values are left out.

    Args:
        values: keyword → value.
        table: keyword → (wire name, encoder); ``None``: the spot ``PARAMETERS``
            (the futures methods pass ``futures_converter.FUTURES_PARAMETERS``).

    Raises:
        ConfigurationError: a value of the wrong type or out of its enum.
        KeyError: a keyword not in the table (a programming error in the client).
    """
    table = PARAMETERS if table is None else table
    params: dict[str, Any] = {}
    for name, value in values.items():
        if value is None:
            continue
        wire, encode = table[name]
        params[wire] = encode(value, name)
    return params


# The futures models share this converter (one Binance dialect): register their hooks now,
# so ``structure`` knows them whichever module is imported first.
from exwire.binance import futures_converter as _futures_converter  # noqa: E402,F401
