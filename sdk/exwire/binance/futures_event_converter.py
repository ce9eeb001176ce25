"""Futures user-data event objects → :mod:`exwire.binance.futures_events`.

Table-driven: each model has a table of ``(field, wire key, convert, required)``; the
tables are also what says which wire keys a model reads (``FIELDS``), so a test can
check that no documented field of a real frame is dropped. Rules as in
:mod:`exwire.binance.event_converter`: a required field absent, or a value that does
not convert, raises :class:`~exwire.errors.DecodeError`; an absent optional field (or
``null``) is ``None``; money through ``Decimal`` (JSON numbers through their text);
epoch milliseconds (an integer or, as ``listenKeyExpired`` sends it, a digit string) to
aware UTC datetimes; enums keep unknown values.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from exwire._core.codec import OpenEnum, decimal_from_wire, epoch_ms_to_datetime
from exwire.binance import futures_events as fe
from exwire.binance.enums import (
    AlgoStatus,
    AlgoType,
    ExecutionType,
    FuturesOrderType,
    FuturesTimeInForce,
    MarginType,
    OrderSide,
    OrderStatus,
    PositionSide,
    PriceMatch,
    SelfTradePreventionMode,
    WorkingType,
)
from exwire.binance.events import UnknownEvent
from exwire.errors import DecodeError

__all__ = ["FIELDS", "IGNORED", "futures_user_data_event"]

Convert = Callable[[Any], Any]
Table = tuple[tuple[str, str, Convert, bool], ...]


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(f"expected a string, got {value!r}")
    return value


def _integer(value: Any) -> int:
    if type(value) is int:
        return value
    if type(value) is str and value.lstrip("-").isdigit():
        return int(value)
    raise TypeError(f"expected an integer, got {value!r}")


def _flag(value: Any) -> bool:
    if type(value) is not bool:
        raise TypeError(f"expected a boolean, got {value!r}")
    return value


def _money(value: Any) -> Decimal:
    if type(value) is str:
        return Decimal(value)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"expected a decimal, got {value!r}")
    return decimal_from_wire(value)


def _time(value: Any) -> datetime:
    return epoch_ms_to_datetime(_integer(value))


def _time_or_none(value: Any) -> datetime | None:
    """``0`` means "none" (``gtd``, ``tt``)."""
    milliseconds = _integer(value)
    return None if milliseconds == 0 else epoch_ms_to_datetime(milliseconds)


def _text_or_none(value: Any) -> str | None:
    """``""`` means "none" (``ai`` before triggering)."""
    text = _text(value)
    return text or None


def _enum(cls: type[OpenEnum]) -> Convert:
    def convert(value: Any) -> OpenEnum:
        return cls(_text(value))

    return convert


_E = ("event_time", "E", _time, True)
_T = ("transaction_time", "T", _time, True)
_ALIAS = ("account_alias", "i", _text, False)

ORDER_UPDATE: Table = (
    ("symbol", "s", _text, True), ("client_order_id", "c", _text, True), ("side", "S", _enum(OrderSide), True),
    ("order_type", "o", _enum(FuturesOrderType), True), ("time_in_force", "f", _enum(FuturesTimeInForce), True),
    ("quantity", "q", _money, True), ("price", "p", _money, True), ("average_price", "ap", _money, False),
    ("stop_price", "sp", _money, False), ("execution_type", "x", _enum(ExecutionType), True),
    ("status", "X", _enum(OrderStatus), True), ("order_id", "i", _integer, True),
    ("last_executed_quantity", "l", _money, True), ("filled_quantity", "z", _money, True),
    ("last_executed_price", "L", _money, True), ("fee_asset", "N", _text, False), ("fee", "n", _money, False),
    ("trade_time", "T", _time, False), ("trade_id", "t", _integer, False), ("bid_notional", "b", _money, False),
    ("ask_notional", "a", _money, False), ("is_maker", "m", _flag, False), ("reduce_only", "R", _flag, False),
    ("working_type", "wt", _enum(WorkingType), False), ("original_order_type", "ot", _enum(FuturesOrderType), False),
    ("position_side", "ps", _enum(PositionSide), False), ("close_position", "cp", _flag, False),
    ("activation_price", "AP", _money, False), ("callback_rate", "cr", _money, False),
    ("price_protect", "pP", _flag, False), ("realized_profit", "rp", _money, False),
    ("self_trade_prevention_mode", "V", _enum(SelfTradePreventionMode), False),
    ("price_match", "pm", _enum(PriceMatch), False), ("good_till_date", "gtd", _time_or_none, False),
    ("expiry_reason", "er", _integer, False), ("modify_id", "M", _integer, False),
    ("margin_asset", "ma", _text, False),
)
BALANCE_CHANGE: Table = (
    ("asset", "a", _text, True), ("wallet_balance", "wb", _money, True),
    ("cross_wallet_balance", "cw", _money, False), ("balance_change", "bc", _money, False),
)
POSITION_CHANGE: Table = (
    ("symbol", "s", _text, True), ("position_amount", "pa", _money, True), ("entry_price", "ep", _money, True),
    ("break_even_price", "bep", _money, False), ("accumulated_realized", "cr", _money, False),
    ("unrealized_pnl", "up", _money, True), ("margin_type", "mt", _enum(MarginType), True),
    ("isolated_wallet", "iw", _money, False), ("position_side", "ps", _enum(PositionSide), True),
)
MARGIN_CALL_POSITION: Table = (
    ("symbol", "s", _text, True), ("position_side", "ps", _enum(PositionSide), True),
    ("position_amount", "pa", _money, True), ("margin_type", "mt", _enum(MarginType), True),
    ("isolated_wallet", "iw", _money, False), ("mark_price", "mp", _money, True),
    ("unrealized_pnl", "up", _money, True), ("maintenance_margin", "mm", _money, True),
)
TRADE_LITE: Table = (
    _E, _T, ("symbol", "s", _text, True), ("quantity", "q", _money, True), ("price", "p", _money, True),
    ("is_maker", "m", _flag, True), ("client_order_id", "c", _text, True), ("side", "S", _enum(OrderSide), True),
    ("last_executed_price", "L", _money, True), ("last_executed_quantity", "l", _money, True),
    ("trade_id", "t", _integer, True), ("order_id", "i", _integer, True),
)
ALGO_UPDATE: Table = (
    ("client_algo_id", "caid", _text, True), ("algo_id", "aid", _integer, True),
    ("algo_type", "at", _enum(AlgoType), True), ("order_type", "o", _enum(FuturesOrderType), True),
    ("symbol", "s", _text, True), ("side", "S", _enum(OrderSide), True),
    ("position_side", "ps", _enum(PositionSide), False), ("time_in_force", "f", _enum(FuturesTimeInForce), False),
    ("quantity", "q", _money, False), ("status", "X", _enum(AlgoStatus), True),
    ("order_id", "ai", _text_or_none, False), ("average_price", "ap", _money, False),
    ("filled_quantity", "aq", _money, False), ("actual_order_type", "act", _text, False),
    ("trigger_price", "tp", _money, False), ("price", "p", _money, False),
    ("self_trade_prevention_mode", "V", _enum(SelfTradePreventionMode), False),
    ("working_type", "wt", _enum(WorkingType), False), ("price_match", "pm", _enum(PriceMatch), False),
    ("close_position", "cp", _flag, False), ("price_protect", "pP", _flag, False),
    ("reduce_only", "R", _flag, False), ("trigger_time", "tt", _time_or_none, False),
    ("good_till_date", "gtd", _time_or_none, False), ("failure_reason", "rm", _text, False),
    ("trailing_activated", "ia", _flag, False),
)
TRIGGER_REJECT: Table = (("symbol", "s", _text, True), ("order_id", "i", _integer, True),
                         ("reason", "r", _text, True))
_STRATEGY_HEAD: Table = (
    ("strategy_id", "si", _integer, True), ("strategy_type", "st", _text, True),
    ("strategy_status", "ss", _text, True), ("symbol", "s", _text, True), ("update_time", "ut", _time, True),
)
STRATEGY_UPDATE: Table = (*_STRATEGY_HEAD, ("op_code", "c", _integer, False))
GRID_UPDATE: Table = (
    *_STRATEGY_HEAD, ("realized_pnl", "r", _money, True), ("unmatched_average_price", "up", _money, True),
    ("unmatched_quantity", "uq", _money, True), ("unmatched_fee", "uf", _money, True),
    ("matched_pnl", "mp", _money, True),
)
LEVERAGE: Table = (("symbol", "s", _text, True), ("leverage", "l", _integer, True))
MULTI_ASSETS: Table = (("multi_assets_mode", "j", _flag, True),)

#: Documented keys no model keeps: ``si``/``ss`` of an order update are "ignore".
IGNORED: dict[str, frozenset[str]] = {"ORDER_TRADE_UPDATE.o": frozenset({"si", "ss"})}


def _read(table: Table, value: Mapping[str, Any]) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for name, key, convert, required in table:
        raw = value.get(key)
        if raw is None:
            if required:
                raise KeyError(key)
            continue
        fields[name] = convert(raw)
    return fields


def _object(value: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    inner = value[key]
    if not isinstance(inner, dict):
        raise TypeError(f"{key} is not an object: {inner!r}")
    return inner


def _items(value: Mapping[str, Any], key: str, table: Table, cls: type[Any]) -> tuple[Any, ...]:
    items = value.get(key)
    if items is None:
        return ()
    if not isinstance(items, list):
        raise TypeError(f"{key} is not an array: {items!r}")
    return tuple(cls(**_read(table, item)) for item in items)


def _head(value: Mapping[str, Any], *, transaction: bool = True) -> dict[str, Any]:
    return _read((_E, _T, _ALIAS) if transaction else (_E, _ALIAS), value)


def order_update(value: Mapping[str, Any]) -> fe.FuturesOrderUpdate:
    """``ORDER_TRADE_UPDATE``."""
    return fe.FuturesOrderUpdate(**_head(value), **_read(ORDER_UPDATE, _object(value, "o")))


def account_update(value: Mapping[str, Any]) -> fe.FuturesAccountUpdate:
    """``ACCOUNT_UPDATE``."""
    inner = _object(value, "a")
    return fe.FuturesAccountUpdate(
        **_head(value), reason=fe.AccountUpdateReason(_text(inner["m"])),
        funding_symbol=None if inner.get("S") is None else _text(inner["S"]),
        balances=_items(inner, "B", BALANCE_CHANGE, fe.FuturesBalanceChange),
        positions=_items(inner, "P", POSITION_CHANGE, fe.FuturesPositionChange),
    )


def margin_call(value: Mapping[str, Any]) -> fe.MarginCall:
    """``MARGIN_CALL``."""
    return fe.MarginCall(
        **_head(value, transaction=False), **_read((("cross_wallet_balance", "cw", _money, False),), value),
        positions=_items(value, "p", MARGIN_CALL_POSITION, fe.MarginCallPosition),
    )


def account_config_update(value: Mapping[str, Any]) -> fe.AccountConfigUpdate:
    """``ACCOUNT_CONFIG_UPDATE``: ``ac`` (leverage) or ``ai`` (multi-assets mode)."""
    fields = _read((_E, _T), value)
    if value.get("ac") is not None:
        fields.update(_read(LEVERAGE, _object(value, "ac")))
    if value.get("ai") is not None:
        fields.update(_read(MULTI_ASSETS, _object(value, "ai")))
    return fe.AccountConfigUpdate(**fields)


def trade_lite(value: Mapping[str, Any]) -> fe.TradeLite:
    """``TRADE_LITE``."""
    return fe.TradeLite(**_read(TRADE_LITE, value))


def algo_update(value: Mapping[str, Any]) -> fe.AlgoOrderUpdate:
    """``ALGO_UPDATE``."""
    return fe.AlgoOrderUpdate(**_read((_E, _T), value), **_read(ALGO_UPDATE, _object(value, "o")))


def trigger_reject(value: Mapping[str, Any]) -> fe.ConditionalOrderTriggerReject:
    """``CONDITIONAL_ORDER_TRIGGER_REJECT``."""
    return fe.ConditionalOrderTriggerReject(**_read((_E, _T), value), **_read(TRIGGER_REJECT, _object(value, "or")))


def strategy_update(value: Mapping[str, Any]) -> fe.StrategyUpdate:
    """``STRATEGY_UPDATE``."""
    return fe.StrategyUpdate(**_read((_E, _T), value), **_read(STRATEGY_UPDATE, _object(value, "su")))


def grid_update(value: Mapping[str, Any]) -> fe.GridUpdate:
    """``GRID_UPDATE``."""
    return fe.GridUpdate(**_read((_E, _T), value), **_read(GRID_UPDATE, _object(value, "gu")))


def listen_key_expired(value: Mapping[str, Any]) -> fe.ListenKeyExpired:
    """``listenKeyExpired`` (``E`` a string or an integer; ``listenKey`` may be absent)."""
    return fe.ListenKeyExpired(**_read((_E, ("listen_key", "listenKey", _text, False)), value))


#: Wire event type (``e``) → (model, decoder).
DECODERS: dict[str, tuple[type, Callable[[Mapping[str, Any]], fe.FuturesUserDataEvent]]] = {
    "ORDER_TRADE_UPDATE": (fe.FuturesOrderUpdate, order_update),
    "ACCOUNT_UPDATE": (fe.FuturesAccountUpdate, account_update),
    "MARGIN_CALL": (fe.MarginCall, margin_call),
    "ACCOUNT_CONFIG_UPDATE": (fe.AccountConfigUpdate, account_config_update),
    "TRADE_LITE": (fe.TradeLite, trade_lite),
    "ALGO_UPDATE": (fe.AlgoOrderUpdate, algo_update),
    "CONDITIONAL_ORDER_TRIGGER_REJECT": (fe.ConditionalOrderTriggerReject, trigger_reject),
    "STRATEGY_UPDATE": (fe.StrategyUpdate, strategy_update),
    "GRID_UPDATE": (fe.GridUpdate, grid_update),
    "listenKeyExpired": (fe.ListenKeyExpired, listen_key_expired),
}

#: Per event (and nested object: ``"<e>.<key>"``), the wire keys the models read.
FIELDS: dict[str, frozenset[str]] = {
    "ORDER_TRADE_UPDATE": frozenset({"e", "E", "T", "i", "o"}),
    "ORDER_TRADE_UPDATE.o": frozenset(key for _, key, _, _ in ORDER_UPDATE),
    "ACCOUNT_UPDATE": frozenset({"e", "E", "T", "i", "a"}),
    "ACCOUNT_UPDATE.a": frozenset({"m", "S", "B", "P"}),
    "ACCOUNT_UPDATE.a.B": frozenset(key for _, key, _, _ in BALANCE_CHANGE),
    "ACCOUNT_UPDATE.a.P": frozenset(key for _, key, _, _ in POSITION_CHANGE),
    "MARGIN_CALL": frozenset({"e", "E", "i", "cw", "p"}),
    "MARGIN_CALL.p": frozenset(key for _, key, _, _ in MARGIN_CALL_POSITION),
    "ACCOUNT_CONFIG_UPDATE": frozenset({"e", "E", "T", "ac", "ai"}),
    "ACCOUNT_CONFIG_UPDATE.ac": frozenset(key for _, key, _, _ in LEVERAGE),
    "ACCOUNT_CONFIG_UPDATE.ai": frozenset(key for _, key, _, _ in MULTI_ASSETS),
    "TRADE_LITE": frozenset({"e"} | {key for _, key, _, _ in TRADE_LITE}),
    "ALGO_UPDATE": frozenset({"e", "E", "T", "o"}),
    "ALGO_UPDATE.o": frozenset(key for _, key, _, _ in ALGO_UPDATE),
    "CONDITIONAL_ORDER_TRIGGER_REJECT": frozenset({"e", "E", "T", "or"}),
    "CONDITIONAL_ORDER_TRIGGER_REJECT.or": frozenset(key for _, key, _, _ in TRIGGER_REJECT),
    "STRATEGY_UPDATE": frozenset({"e", "E", "T", "su"}),
    "STRATEGY_UPDATE.su": frozenset(key for _, key, _, _ in STRATEGY_UPDATE),
    "GRID_UPDATE": frozenset({"e", "E", "T", "gu"}),
    "GRID_UPDATE.gu": frozenset(key for _, key, _, _ in GRID_UPDATE),
    "listenKeyExpired": frozenset({"e", "E", "listenKey"}),
}


def futures_user_data_event(value: Mapping[str, Any]) -> fe.FuturesUserDataEvent:
    """Decode one futures user-data event object; unknown types → ``UnknownEvent``.

    Raises:
        DecodeError: a known event type without its documented fields, or a value that
            does not convert.
    """
    kind = value.get("e")
    entry = DECODERS.get(kind) if type(kind) is str else None
    if entry is None:
        try:
            time = _time(value["E"]) if "E" in value else None
        except (TypeError, ValueError, OverflowError):
            time = None
        return UnknownEvent(event_type=str(kind), event_time=time, data=dict(value))
    try:
        return entry[1](value)
    except Exception as exc:  # KeyError, TypeError, ValueError, ArithmeticError ...
        raise DecodeError(f"malformed binance {entry[0].__name__} event: {exc!r}") from exc
