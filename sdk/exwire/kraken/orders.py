"""Checks and wire fields of Kraken's trading requests (:doc:`the Kraken page </exchanges/kraken>` §8).

Everything here runs before anything is sent: bad input raises
:class:`~exwire.errors.ConfigurationError` and no frame leaves the client. The
functions are pure and thread-safe.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from exwire._core import validate
from exwire._core.codec import datetime_to_epoch_seconds
from exwire.errors import ConfigurationError
from exwire.kraken.models import OrderFlag, OrderType, TimeInForce
from exwire.models import Side

__all__ = ["order_fields", "order_ids", "cancel_after_seconds", "check_token", "MAX_CANCEL_ORDERS",
           "MAX_COUNTDOWN"]

#: Most ids one ``cancel_orders`` call takes: Kraken's own batch bound (``CancelOrderBatch``
#: takes at most 50), which also keeps one call within a few seconds of sequential requests.
MAX_CANCEL_ORDERS = 50
#: Longest dead man's switch countdown Kraken accepts, seconds (§8.5: at most 86400).
MAX_COUNTDOWN = 86_400

# Order types whose ``price`` is required (§8.1: limit price or trigger price).
_NEEDS_PRICE = {
    OrderType.LIMIT, OrderType.STOP_LOSS, OrderType.TAKE_PROFIT, OrderType.STOP_LOSS_LIMIT,
    OrderType.TAKE_PROFIT_LIMIT, OrderType.TRAILING_STOP, OrderType.TRAILING_STOP_LIMIT,
}
# Order types whose ``price2`` (the triggered limit price) is required.
_NEEDS_SECONDARY_PRICE = {OrderType.STOP_LOSS_LIMIT, OrderType.TAKE_PROFIT_LIMIT, OrderType.TRAILING_STOP_LIMIT}
# Trailing stops take offsets, which Kraken wants relative (§8.1): the trailing offset
# (``price``) as "+n", the limit offset of a trailing-stop-limit (``price2``) as "+n"/"-n".
_TRAILING = {OrderType.TRAILING_STOP, OrderType.TRAILING_STOP_LIMIT}
# A relative price (§8.1): "+", "-" or "#" prefix, then a number, then an optional "%".
_RELATIVE_PRICE = re.compile(r"\s*([+#-])?\s*([0-9.]+)\s*(%)?\s*")
_INT32 = 2**31
#: Money input: ``Decimal``, ``str``, ``int`` or ``float`` (through its shortest repr).
Money = Decimal | str | int | float


def _enum(enum_type: Any, value: Any, name: str) -> Any:
    if isinstance(value, (Side, OrderType, OrderFlag, TimeInForce)):
        value = value.value
    if isinstance(value, str):  # wire values are lower case, except time in force
        value = value.strip().upper() if enum_type is TimeInForce else value.strip().lower()
    return validate.choice(enum_type, value, name)


def _amount(value: Any, name: str) -> str:
    # Kraken keeps amounts as decimals of at most 18 places below 10**18 (validate's bounds).
    return format(validate.money(value, name), "f")


def _price(value: Any, name: str, *, trailing: bool) -> str:
    """A plain decimal string, or Kraken's relative form (``+5``, ``-1.5%``, ``#2``) from a str.

    ``trailing``: the trailing offset of a trailing stop, which Kraken takes relative
    only and positive: ``+offset`` (or ``+offset%``).
    """
    if isinstance(value, str):
        match = _RELATIVE_PRICE.fullmatch(value)
        if match is not None and (match.group(1) or match.group(3)):
            sign, number, percent = match.group(1) or "", match.group(2), match.group(3) or ""
            if trailing and sign not in ("", "+"):
                raise ConfigurationError(f"{name} of a trailing stop is a positive offset, got {value!r}")
            return ("+" if trailing and not sign else sign) + _amount(number, name) + percent
    text = _amount(value, name)
    return "+" + text if trailing else text


def _signed_offset(value: Any, name: str) -> str:
    """The limit offset of a trailing-stop-limit (``price2``): Kraken takes it relative
    only, ``+n``/``-n`` (or with ``%``) from the trigger price. An unsigned input (a
    ``Decimal``, ``int``, ``float`` or plain ``str``) goes out ``+n``; a negative number
    goes out ``-n``."""
    if isinstance(value, str):
        match = _RELATIVE_PRICE.fullmatch(value)
        if match is None or match.group(1) == "#":
            raise ConfigurationError(
                f"{name} of a trailing-stop-limit is an offset like '+5', '-5' or '+1%', got {value!r}"
            )
        sign, number, percent = match.group(1) or "+", match.group(2), match.group(3) or ""
        return sign + _amount(number, name) + percent
    amount = validate.money(value, name, positive=False)
    if amount == 0:
        raise ConfigurationError(f"{name} must not be zero")
    return ("-" if amount < 0 else "+") + format(abs(amount), "f")


def _time(value: Any, name: str) -> str:
    """``starttm``/``expiretm`` (§8.1): an aware datetime → unix seconds; a timedelta → ``+n``."""
    if isinstance(value, timedelta):
        seconds = value.total_seconds()
        if seconds < 0 or not math.isfinite(seconds):
            raise ConfigurationError(f"{name} must not be negative, got {value!r}")
        return f"+{int(seconds)}"
    if isinstance(value, datetime):
        return str(int(datetime_to_epoch_seconds(value)))  # ConfigurationError when naive
    raise ConfigurationError(f"{name} must be an aware datetime or a timedelta, got {type(value).__name__}")


def _bool(value: Any, name: str) -> bool:
    if not isinstance(value, bool):
        raise ConfigurationError(f"{name} must be True or False, got {value!r}")
    return value


def order_fields(
    *,
    symbol: str,
    order_type: OrderType | str,
    side: Side | str,
    quantity: Money,
    price: Money | None = None,
    secondary_price: Money | None = None,
    user_reference: int | None = None,
    client_order_id: str | None = None,
    leverage: Money | None = None,
    start_time: datetime | timedelta | None = None,
    expire_time: datetime | timedelta | None = None,
    validate_only: bool = False,
    close_order_type: OrderType | str | None = None,
    close_price: Money | None = None,
    close_secondary_price: Money | None = None,
    flags: Iterable[OrderFlag | str] | OrderFlag | str | None = None,
    reduce_only: bool | None = None,
    time_in_force: TimeInForce | str | None = None,
) -> dict[str, Any]:
    """Check an order and return its ``addOrder`` fields in wire form (§8.1).

    ``symbol`` must already be a normalised wsname.

    Raises:
        ConfigurationError: an unknown order type, side, flag or time in force; a
            quantity, price or leverage that is not a positive finite number; a
            price the order type requires is missing (or one a market order cannot
            take is given); ``user_reference`` and ``client_order_id`` together.
    """
    kind = _enum(OrderType, order_type, "order_type")
    fields: dict[str, Any] = {
        "ordertype": kind.value,
        "type": _enum(Side, side, "side").value,
        "pair": symbol,
        "volume": _amount(quantity, "quantity"),
    }
    trailing = kind in _TRAILING
    if kind in _NEEDS_PRICE and price is None:
        raise ConfigurationError(f"a {kind.value} order needs a price")
    if kind in _NEEDS_SECONDARY_PRICE and secondary_price is None:
        raise ConfigurationError(f"a {kind.value} order needs a secondary_price (its limit price)")
    if kind is OrderType.MARKET and (price is not None or secondary_price is not None):
        raise ConfigurationError("a market order takes no price")
    if price is not None:
        fields["price"] = _price(price, "price", trailing=trailing)
    if secondary_price is not None:
        fields["price2"] = (
            _signed_offset(secondary_price, "secondary_price")
            if trailing
            else _price(secondary_price, "secondary_price", trailing=False)
        )
    if user_reference is not None and client_order_id is not None:
        raise ConfigurationError("user_reference and client_order_id cannot be combined (§8.1)")
    if user_reference is not None:
        if isinstance(user_reference, bool) or not isinstance(user_reference, int) \
                or not -_INT32 <= user_reference < _INT32:
            raise ConfigurationError(f"user_reference must be a 32-bit integer, got {user_reference!r}")
        fields["userref"] = str(user_reference)
    if client_order_id is not None:
        if not isinstance(client_order_id, str) or not client_order_id.strip():
            raise ConfigurationError(f"client_order_id must be a non-empty string, got {client_order_id!r}")
        fields["cl_ord_id"] = client_order_id
    if leverage is not None:
        fields["leverage"] = _amount(leverage, "leverage")
    if start_time is not None:
        fields["starttm"] = _time(start_time, "start_time")
    if expire_time is not None:
        fields["expiretm"] = _time(expire_time, "expire_time")
    if _bool(validate_only, "validate_only"):
        fields["validate"] = "true"  # §8.1: a string; only sent when wanted
    if flags is not None:
        if isinstance(flags, (str, OrderFlag)):
            flags = [flags]
        names = [_enum(OrderFlag, flag, "flag").value for flag in flags]
        if names:
            fields["oflags"] = ",".join(dict.fromkeys(names))
    if reduce_only is not None:
        fields["reduce_only"] = _bool(reduce_only, "reduce_only")
    if time_in_force is not None:
        fields["timeinforce"] = _enum(TimeInForce, time_in_force, "time_in_force").value
    _close_fields(fields, close_order_type, close_price, close_secondary_price)
    return fields


def _close_fields(fields: dict[str, Any], order_type: Any, price: Any, secondary_price: Any) -> None:
    """The conditional close order (``close[...]``, §8.1), placed when the order fills."""
    if order_type is None:
        if price is not None or secondary_price is not None:
            raise ConfigurationError("close_price and close_secondary_price need a close_order_type")
        return
    kind = _enum(OrderType, order_type, "close_order_type")
    if kind in _NEEDS_PRICE and price is None:
        raise ConfigurationError(f"a {kind.value} close order needs a close_price")
    if kind in _NEEDS_SECONDARY_PRICE and secondary_price is None:
        raise ConfigurationError(f"a {kind.value} close order needs a close_secondary_price")
    fields["close[ordertype]"] = kind.value
    if price is not None:
        fields["close[price]"] = _price(price, "close_price", trailing=kind in _TRAILING)
    if secondary_price is not None:
        fields["close[price2]"] = (
            _signed_offset(secondary_price, "close_secondary_price")
            if kind in _TRAILING
            else _price(secondary_price, "close_secondary_price", trailing=False)
        )


def order_ids(order_ids: str | int | Iterable[str | int], limit: int = MAX_CANCEL_ORDERS) -> list[str]:
    """One id or several → a de-duplicated list of Kraken order ids (txid) or userrefs (§8.3).

    Args:
        order_ids: a txid string, a userref integer (32-bit), or an iterable of them.
        limit: most ids accepted (the iterable is read no further).

    Raises:
        ConfigurationError: none given, more than ``limit``, or an id that is neither a
            non-empty string nor a 32-bit integer (a userref).
    """
    if isinstance(order_ids, (str, int)):
        items = [order_ids]
    elif order_ids is None:
        items = []
    else:
        items = validate.bounded(order_ids, "order_ids", limit)
    if not items:
        raise ConfigurationError("at least one order id is required")
    result = []
    for item in items:
        if isinstance(item, bool) or not isinstance(item, (str, int)) or (isinstance(item, str) and not item.strip()) \
                or (isinstance(item, int) and not -_INT32 <= item < _INT32):
            raise ConfigurationError(f"an order id is a txid string or a 32-bit userref integer, got {item!r}")
        result.append(str(item).strip())
    return list(dict.fromkeys(result))


def cancel_after_seconds(value: float | Decimal | timedelta) -> int:
    """The dead man's switch countdown as Kraken's whole seconds (§8.5); 0 disables it.

    Raises:
        ConfigurationError: negative, not whole seconds, more than :data:`MAX_COUNTDOWN`,
            or not a number/timedelta.
    """
    seconds = value.total_seconds() if isinstance(value, timedelta) else value
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float, Decimal)):
        raise ConfigurationError(f"the countdown must be seconds or a timedelta, got {value!r}")
    if isinstance(seconds, float) and not math.isfinite(seconds):
        raise ConfigurationError(f"the countdown must be finite, got {value!r}")
    if isinstance(seconds, Decimal) and not seconds.is_finite():
        raise ConfigurationError(f"the countdown must be finite, got {value!r}")
    if seconds < 0 or seconds != int(seconds):
        raise ConfigurationError(f"the countdown must be whole non-negative seconds, got {value!r}")
    if seconds > MAX_COUNTDOWN:
        raise ConfigurationError(f"the countdown must be at most {MAX_COUNTDOWN} seconds, got {value!r}")
    return int(seconds)


def check_token(token: object) -> str:
    """Check an explicit ``websocket_token=`` argument (never echoed in the error)."""
    if not isinstance(token, str) or not token.strip():
        raise ConfigurationError("websocket_token must be a non-empty string")
    return token
