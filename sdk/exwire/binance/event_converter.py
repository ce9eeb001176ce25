"""Binance user-data ``event`` objects → :mod:`exwire.binance.events`, hand-written (§9.3 of
:doc:`the Binance page </exchanges/binance>`).

User-data events are the WS API's only pushed stream, so they run once per message on
the reader thread. Generic cattrs structuring cost about 14 µs per ``executionReport``
(a hook call, a ``try`` and an ``Optional`` dispatch per field, 41 fields); these
functions do the same conversions inline in one pass, in a little over half the time
(most of what remains is the 41-field model's own ``__init__`` and the ``Decimal`` and
``datetime`` objects). They decode exactly what the cattrs hooks of
:mod:`exwire.binance.converter` decode (still registered there, so ``structure`` works
for these models too; ``tests/binance/test_event_converter.py`` checks the two agree
field for field, digits included):

* a required field that is absent, or a value that does not convert, raises
  :class:`~exwire.errors.DecodeError`; an absent optional field takes the model's
  default and ``null`` becomes ``None`` where the field allows it;
* money through ``Decimal(text)`` (a JSON number through
  :func:`~exwire._core.codec.decimal_from_wire`), epoch milliseconds through
  :func:`~exwire._core.codec.epoch_ms_to_datetime`, enums keep unknown values,
  ``int``/``str``/``bool`` fields through ``int()``/``str()``/``bool()``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from operator import itemgetter
from typing import Any, TypeVar, cast

from exwire._core.codec import OpenEnum, decimal_from_wire, epoch_ms_to_datetime
from exwire._core.lazy import LAST_EPOCH_MS, lazy_model, plain_decimals, text_pattern
from exwire.binance import events
from exwire.binance.enums import (
    ContingencyType,
    ExecutionType,
    ListOrderStatus,
    ListStatusType,
    OrderSide,
    OrderStatus,
    OrderType,
    PegOffsetType,
    PegPriceType,
    SelfTradePreventionMode,
    TimeInForce,
)
from exwire.errors import DecodeError

__all__ = ["DECODERS", "enum_member", "user_data_event"]

E = TypeVar("E", bound=OpenEnum)


def _money_or_none(value: Any) -> Decimal | None:
    """Money that is not a string: ``None`` kept, a JSON number exact through its text."""
    return None if value is None else decimal_from_wire(value)


def enum_member(cls: type[E]) -> Callable[[Any], E]:
    """``cls(value)`` with the known values (and cached unknown ones) looked up directly."""
    members = cast("dict[object, E]", cls._value2member_map_)  # the map holds cls's members only

    def member(value: Any) -> E:
        try:
            return members[value]
        except (KeyError, TypeError):  # new or unhashable: OpenEnum keeps it
            return cls(value)

    return member


_side = enum_member(OrderSide)
_order_type = enum_member(OrderType)
_time_in_force = enum_member(TimeInForce)
_execution_type = enum_member(ExecutionType)
_order_status = enum_member(OrderStatus)
_stp_mode = enum_member(SelfTradePreventionMode)
_contingency_type = enum_member(ContingencyType)
_list_status_type = enum_member(ListStatusType)
_list_order_status = enum_member(ListOrderStatus)
_peg_price_type = enum_member(PegPriceType)
_peg_offset_type = enum_member(PegOffsetType)
_time = epoch_ms_to_datetime


def execution_report(o: Mapping[str, Any]) -> events.ExecutionReport:
    """``executionReport`` (§9.3)."""
    get = o.get
    # The order's creation and working times usually repeat the transaction time (a new
    # order) or each other: an equal epoch integer reuses the datetime already built.
    transaction_time = _time(t := o["T"])
    created = None if (c := get("O")) is None else transaction_time if c == t and type(c) is int else _time(c)
    return events.ExecutionReport(
        event_time=_time(o["E"]),
        symbol=str(o["s"]),
        client_order_id=str(o["c"]),
        side=_side(o["S"]),
        order_type=_order_type(o["o"]),
        time_in_force=_time_in_force(o["f"]),
        quantity=Decimal(v) if type(v := o["q"]) is str else decimal_from_wire(v),
        price=Decimal(v) if type(v := o["p"]) is str else decimal_from_wire(v),
        stop_price=Decimal(v) if type(v := get("P")) is str else _money_or_none(v),
        iceberg_quantity=Decimal(v) if type(v := get("F")) is str else _money_or_none(v),
        order_list_id=int(o["g"]) if "g" in o else -1,
        original_client_order_id=None if (v := get("C")) is None else str(v),
        execution_type=_execution_type(o["x"]),
        status=_order_status(o["X"]),
        reject_reason=None if (v := get("r")) is None else str(v),
        order_id=int(o["i"]),
        last_executed_quantity=Decimal(v) if type(v := o["l"]) is str else decimal_from_wire(v),
        filled_quantity=Decimal(v) if type(v := o["z"]) is str else decimal_from_wire(v),
        last_executed_price=Decimal(v) if type(v := o["L"]) is str else decimal_from_wire(v),
        fee=Decimal(v) if type(v := get("n")) is str else _money_or_none(v),
        fee_asset=None if (v := get("N")) is None else str(v),
        transaction_time=transaction_time,
        trade_id=int(o["t"]) if "t" in o else -1,
        execution_id=None if (v := get("I")) is None else int(v),
        is_working=None if (v := get("w")) is None else bool(v),
        is_maker=None if (v := get("m")) is None else bool(v),
        created_at=created,
        cumulative_quote_quantity=Decimal(v) if type(v := get("Z")) is str else _money_or_none(v),
        last_quote_quantity=Decimal(v) if type(v := get("Y")) is str else _money_or_none(v),
        quote_order_quantity=Decimal(v) if type(v := get("Q")) is str else _money_or_none(v),
        working_time=None if (v := get("W")) is None else created if v == c and type(v) is int else _time(v),
        self_trade_prevention_mode=None if (v := get("V")) is None else _stp_mode(v),
        prevented_match_id=None if (v := get("v")) is None else int(v),
        trailing_delta=None if (v := get("d")) is None else int(v),
        trailing_time=None if (v := get("D")) is None else int(v),
        strategy_id=None if (v := get("j")) is None else int(v),
        strategy_type=None if (v := get("J")) is None else int(v),
        used_sor=None if (v := get("uS")) is None else bool(v),
        working_floor=None if (v := get("k")) is None else str(v),
        expiry_reason=None if (v := get("eR")) is None else str(v),
        prevented_quantity=Decimal(v) if type(v := get("A")) is str else _money_or_none(v),
        last_prevented_quantity=Decimal(v) if type(v := get("B")) is str else _money_or_none(v),
        trade_group_id=None if (v := get("u")) is None else int(v),
        counter_order_id=None if (v := get("U")) is None else int(v),
        counter_symbol=None if (v := get("Cs")) is None else str(v),
        prevented_execution_quantity=Decimal(v) if type(v := get("pl")) is str else _money_or_none(v),
        prevented_execution_price=Decimal(v) if type(v := get("pL")) is str else _money_or_none(v),
        prevented_execution_quote_quantity=Decimal(v) if type(v := get("pY")) is str else _money_or_none(v),
        match_type=None if (v := get("b")) is None else str(v),
        allocation_id=None if (v := get("a")) is None else int(v),
        peg_price_type=None if (v := get("gP")) is None else _peg_price_type(v),
        peg_offset_type=None if (v := get("gOT")) is None else _peg_offset_type(v),
        peg_offset_value=None if (v := get("gOV")) is None else int(v),
        pegged_price=Decimal(v) if type(v := get("gp")) is str else _money_or_none(v),
    )


def _position_balance(o: Mapping[str, Any]) -> events.PositionBalance:
    return events.PositionBalance(
        asset=str(o["a"]),
        free=Decimal(v) if type(v := o["f"]) is str else decimal_from_wire(v),
        locked=Decimal(v) if type(v := o["l"]) is str else decimal_from_wire(v),
    )


def account_position(o: Mapping[str, Any]) -> events.AccountPosition:
    """``outboundAccountPosition`` (§9.3)."""
    return events.AccountPosition(
        event_time=_time(o["E"]),
        last_update_time=_time(o["u"]),
        balances=tuple([_position_balance(item) for item in o["B"]]),
    )


def balance_update(o: Mapping[str, Any]) -> events.BalanceUpdate:
    """``balanceUpdate`` (§9.3)."""
    return events.BalanceUpdate(
        event_time=_time(o["E"]),
        asset=str(o["a"]),
        delta=Decimal(v) if type(v := o["d"]) is str else decimal_from_wire(v),
        clear_time=None if (v := o.get("T")) is None else _time(v),
    )


def _list_status_order(o: Mapping[str, Any]) -> events.ListStatusOrder:
    return events.ListStatusOrder(
        symbol=str(o["s"]), order_id=int(o["i"]), client_order_id=None if (v := o.get("c")) is None else str(v),
    )


def list_status(o: Mapping[str, Any]) -> events.ListStatus:
    """``listStatus`` (§9.3)."""
    get = o.get
    return events.ListStatus(
        event_time=_time(o["E"]),
        symbol=str(o["s"]),
        order_list_id=int(o["g"]),
        contingency_type=_contingency_type(o["c"]),
        list_status_type=_list_status_type(o["l"]),
        list_order_status=_list_order_status(o["L"]),
        list_reject_reason=None if (v := get("r")) is None else str(v),
        list_client_order_id=None if (v := get("C")) is None else str(v),
        transaction_time=None if (v := get("T")) is None else _time(v),
        orders=tuple([_list_status_order(item) for item in o["O"]]) if "O" in o else (),
    )


def external_lock_update(o: Mapping[str, Any]) -> events.ExternalLockUpdate:
    """``externalLockUpdate`` (§9.3)."""
    return events.ExternalLockUpdate(
        event_time=_time(o["E"]),
        asset=str(o["a"]),
        delta=Decimal(v) if type(v := o["d"]) is str else decimal_from_wire(v),
        transaction_time=None if (v := o.get("T")) is None else _time(v),
    )


def event_stream_terminated(o: Mapping[str, Any]) -> events.EventStreamTerminated:
    """``eventStreamTerminated`` (§9.1)."""
    return events.EventStreamTerminated(event_time=_time(o["E"]))


#: Wire event type (``e``) → (model, decoder).
DECODERS: dict[str, tuple[type, Callable[[Mapping[str, Any]], events.UserDataEvent]]] = {
    "executionReport": (events.ExecutionReport, execution_report),
    "outboundAccountPosition": (events.AccountPosition, account_position),
    "balanceUpdate": (events.BalanceUpdate, balance_update),
    "listStatus": (events.ListStatus, list_status),
    "externalLockUpdate": (events.ExternalLockUpdate, external_lock_update),
    "eventStreamTerminated": (events.EventStreamTerminated, event_stream_terminated),
}


# -- executionReport decoded on first read (exwire._core.lazy) -----------------------
# The keys of a documented executionReport (§9.3) by the decoding each needs. A report
# with all of the usual keys, every money a plain decimal string, every count an int,
# every enum a string and every time epoch milliseconds in range (their bitwise or at
# most ``LAST_EPOCH_MS``, which any real times meet) cannot fail ``execution_report``: it is
# kept (a dict of strings, numbers and None, which the garbage collector does not
# track) and decoded when the callback first reads a field. Anything else is decoded
# on receipt as before, so a malformed report is still refused on the reader.
_REPORT_MONEY = ("q", "p", "P", "F", "l", "z", "L", "n", "Z", "Y", "Q")
_REPORT_TEXTS = ("S", "o", "f", "x", "X", "s", "c")  # the enums (any string is kept), symbol, client id
_REPORT_INTS = ("E", "T", "O", "W", "i", "g", "t")  # the four times, then order id, list id, trade id
# Optional keys: the execution id, prevented match id and STP mode in every documented
# report; then the conditional ones (trailing, strategy, STP, allocation and peg fields).
_REPORT_RARE_MONEY = ("A", "B", "pl", "pL", "pY", "gp")
_REPORT_OPTIONAL_INTS = ("I", "v", "d", "D", "j", "J", "u", "U", "a", "gOV")
_REPORT_OPTIONAL_ENUMS = ("V", "gP", "gOT")
_REPORT_CONDITIONAL = frozenset(("d", "D", "j", "J", "u", "U", "a", "gOV", "gP", "gOT", *_REPORT_RARE_MONEY))
_report_money = itemgetter(*_REPORT_MONEY)
_report_texts = itemgetter(*_REPORT_TEXTS)
_report_ints = itemgetter(*_REPORT_INTS)
_report_money_form = text_pattern(*["decimal"] * len(_REPORT_MONEY))
_STR_OR_NONE = frozenset((str, type(None)))
_INT_OR_NONE = frozenset((int, type(None)))
_ONLY_NONE = frozenset((None,))


def _plain_execution_report(o: Mapping[str, Any]) -> bool:
    """Whether ``execution_report(o)`` is certain to succeed (see above); ``False`` when unsure.

    Written for speed (it runs on the reader for every report: under 2 µs): C-level
    checks over tuples of values, no loop in Python. ``itemgetter`` raises ``KeyError``
    for a missing usual key and ``str.join`` ``TypeError`` for a text that is not a
    ``str``, both caught here; the eleven money texts are joined and matched at once.
    """
    try:
        if _report_money_form(" ".join(_report_money(o))) is None:
            return False
        "".join(_report_texts(o))
        event_time, transaction_time, created, working, order_id, list_id, trade_id = _report_ints(o)
    except (KeyError, TypeError):
        return False
    # Exact ints (a bool is not one). Non-negative times' bitwise or is at least the largest
    # of them (a negative one makes it negative): within the bound, so is each time.
    if type(event_time) is not int or type(transaction_time) is not int or type(created) is not int \
            or type(working) is not int or type(order_id) is not int or type(list_id) is not int \
            or type(trade_id) is not int or not 0 <= event_time | transaction_time | created | working <= LAST_EPOCH_MS:
        return False
    get = o.get
    if type(get("I")) not in _INT_OR_NONE or type(get("v")) not in _INT_OR_NONE or type(get("V")) not in _STR_OR_NONE:
        return False
    # The conditional keys are usually all absent: one C-level pass over their names
    # (``isdisjoint`` looks each up in the dict) instead of a ``get`` call per key.
    return o.keys().isdisjoint(_REPORT_CONDITIONAL) or _plain_conditional_fields(get)


def _plain_conditional_fields(get: Callable[[str], Any]) -> bool:
    """Whether each optional field of a report is what its decoder takes: an int, a string, a
    plain decimal string or ``None`` (``get`` is the report's ``get``)."""
    if not _INT_OR_NONE.issuperset(map(type, map(get, _REPORT_OPTIONAL_INTS))) \
            or not _STR_OR_NONE.issuperset(map(type, map(get, _REPORT_OPTIONAL_ENUMS))):
        return False
    # The STP and peg amounts are usually all absent; when one is sent, each sent one is checked.
    return _ONLY_NONE.issuperset(map(get, _REPORT_RARE_MONEY)) \
        or plain_decimals([value for value in map(get, _REPORT_RARE_MONEY) if value is not None])


_lazy_execution_report = lazy_model(events.ExecutionReport, execution_report)


def user_data_event(value: Mapping[str, Any]) -> events.UserDataEvent:
    """Decode the ``event`` object of a user-data frame (§9.3); unknown types → ``UnknownEvent``.

    Raises:
        DecodeError: a known event type without its documented fields.
    """
    kind = value.get("e")
    if kind == "executionReport" and _plain_execution_report(value):
        return _lazy_execution_report(value)
    entry = DECODERS.get(kind) if type(kind) is str else None
    if entry is None:
        event_time = value.get("E")
        try:
            time = epoch_ms_to_datetime(event_time) if type(event_time) is int else None
        except ValueError:  # out of datetime's range
            time = None
        return events.UnknownEvent(event_type=str(kind), event_time=time, data=dict(value))
    try:
        return entry[1](value)
    except Exception as exc:  # KeyError, TypeError, ValueError, ArithmeticError ...
        raise DecodeError(f"malformed binance {entry[0].__name__} event: {exc!r}") from exc
