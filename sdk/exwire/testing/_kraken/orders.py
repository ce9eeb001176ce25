"""Parsing ``addOrder`` requests in the Kraken emulator (:doc:`the Kraken page </exchanges/kraken>` §8.1).

The checks and error strings Kraken applies to an order before it reaches the book:
pair, order type, side, volume and its minimum, prices (absolute with the pair's
decimals, or relative: ``+5``, ``-2%``, ``#1``), leverage, reduce-only, flags, user
reference or client order id, time in force, start and expire times, the conditional
close order and ``validate``. Pure functions, thread-safe.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from exwire.testing._kraken.account import DEFAULT_MINIMUM, ORDER_MINIMUMS
from exwire.testing._kraken.market import _PairSpec

__all__ = ["Refusal", "parse_order", "ORDER_TYPES"]

ORDER_TYPES = ("market", "limit", "stop-loss", "take-profit", "stop-loss-limit", "take-profit-limit",
               "trailing-stop", "trailing-stop-limit", "settle-position")
_NEEDS_PRICE = set(ORDER_TYPES) - {"market", "settle-position"}
_NEEDS_PRICE2 = {"stop-loss-limit", "take-profit-limit", "trailing-stop-limit"}
_FLAGS = ("post", "fcib", "fciq", "nompp", "viqc")
_TRUE = (True, "true", "True")
_ALIASES = {"BTC": "XBT", "DOGE": "XDG"}


class Refusal(Exception):
    """A Kraken error string to answer a request with (§9)."""


def parse_order(request: dict[str, Any], pair_specs: dict[str, _PairSpec],
                reference_price: Callable[[str], Decimal]) -> dict[str, Any]:
    """Check an ``addOrder`` request as Kraken does and return its fields, parsed.

    Args:
        request: the request object.
        pair_specs: the pairs the emulator trades.
        reference_price: ``reference_price(pair)``, the mid that relative prices use.

    Raises:
        Refusal: with the Kraken error string to answer (§9).
    """
    fields: dict[str, Any] = {}
    pair = request.get("pair")
    if isinstance(pair, str) and pair.count("/") == 1:
        base, quote = pair.upper().split("/")
        pair = f"{_ALIASES.get(base, base)}/{_ALIASES.get(quote, quote)}"
    if pair not in pair_specs:
        raise Refusal("EQuery:Unknown asset pair")
    spec = pair_specs[pair]
    fields["pair"] = pair
    kind = request.get("ordertype")
    if kind not in ORDER_TYPES:
        raise Refusal("EGeneral:Invalid arguments:ordertype")
    fields["ordertype"] = kind
    if request.get("type") not in ("buy", "sell"):
        raise Refusal("EGeneral:Invalid arguments:type")
    fields["type"] = request["type"]
    volume = _decimal(request.get("volume"), 8)
    if volume is None or volume <= 0:
        raise Refusal("EGeneral:Invalid arguments:volume")
    if volume < ORDER_MINIMUMS.get(pair.split("/")[0], DEFAULT_MINIMUM):
        raise Refusal("EOrder:Order minimum not met")
    fields["volume"] = volume
    for name, needed in (("price", kind in _NEEDS_PRICE), ("price2", kind in _NEEDS_PRICE2)):
        text = request.get(name)
        if text is None:
            if needed:
                raise Refusal(f"EGeneral:Invalid arguments:{name}")
            continue
        fields[name] = _price(reference_price, pair, spec, text, fields["type"], trailing=kind.startswith("trailing"))
        if name == "price":
            fields["price_text"] = str(text)
    _parse_options(request, fields)
    close_kind = request.get("close[ordertype]")
    if close_kind is not None:
        if close_kind not in ORDER_TYPES:
            raise Refusal("EGeneral:Invalid arguments:close[ordertype]")
        close: dict[str, Any] = {"ordertype": close_kind}
        for wire, name in (("close[price]", "price"), ("close[price2]", "price2")):
            if request.get(wire) is not None:
                side = "sell" if fields["type"] == "buy" else "buy"
                close[name] = _price(reference_price, pair, spec, request[wire], side, trailing=close_kind.startswith("trailing"))
                close[f"{name}_text"] = str(request[wire])
        if close_kind in _NEEDS_PRICE and "price" not in close:
            raise Refusal("EGeneral:Invalid arguments:close[price]")
        fields["close"] = close
    fields["validate"] = request.get("validate") in _TRUE
    return fields

def _parse_options(request: dict[str, Any], fields: dict[str, Any]) -> None:
    leverage = request.get("leverage")
    if leverage is not None:
        if str(leverage) not in ("2", "3", "4", "5"):
            raise Refusal("EGeneral:Invalid arguments:leverage")
        fields["leverage"] = str(leverage)
    if request.get("reduce_only") in _TRUE and leverage is None:
        raise Refusal("EOrder:Reduce only:Non-PC")
    flags = request.get("oflags")
    if flags is not None:
        names = [flag for flag in str(flags).split(",") if flag]
        if any(flag not in _FLAGS for flag in names):
            raise Refusal("EGeneral:Invalid arguments:oflags")
        fields["oflags"] = names
    userref, client_order_id = request.get("userref"), request.get("cl_ord_id")
    if userref is not None:
        try:
            value = int(userref)
        except (TypeError, ValueError):
            raise Refusal("EGeneral:Invalid arguments:userref") from None
        if isinstance(userref, bool) or not -2**31 <= value < 2**31:
            raise Refusal("EGeneral:Invalid arguments:userref")
        fields["userref"] = value
    if client_order_id is not None:
        if userref is not None or not isinstance(client_order_id, str) or not client_order_id:
            raise Refusal("EGeneral:Invalid arguments:cl_ord_id")
        fields["cl_ord_id"] = client_order_id
    tif = request.get("timeinforce")
    if tif is not None:
        if tif not in ("GTC", "GTD", "IOC"):
            raise Refusal("EGeneral:Invalid arguments:timeinforce")
        fields["timeinforce"] = tif
    for name in ("starttm", "expiretm"):
        when = _time(request.get(name))
        if when is False:
            raise Refusal(f"EGeneral:Invalid arguments:{name}")
        if when is not None:
            fields[name] = when

def _price(reference_price: Callable[[str], Decimal], pair: str, spec: _PairSpec, text: Any, side: str, *,
           trailing: bool) -> Decimal:
    """An absolute price; relative forms (``+5``, ``-2%``, ``#1``) resolve against the book's mid."""
    if not isinstance(text, (str, int)) or isinstance(text, bool):
        raise Refusal("EGeneral:Invalid arguments:price")
    raw = str(text).strip()
    sign = raw[0] if raw[:1] in ("+", "-", "#") else ""
    percent = raw.endswith("%")
    number = _decimal(raw[len(sign):len(raw) - percent], None)
    if number is None or number < 0 or (not sign and not percent and number == 0):
        raise Refusal("EGeneral:Invalid arguments:price")
    if -number.as_tuple().exponent > spec.decimals and not percent:  # type: ignore[operator]
        raise Refusal(f"EOrder:Invalid price:{pair} price can only be specified up to {spec.decimals} decimals.")
    if not sign and not percent:
        if trailing:
            raise Refusal("EOrder:Invalid price:trailing stops take a relative price")
        return number
    reference = reference_price(pair)
    offset = reference * number / 100 if percent else number
    if trailing:
        return reference  # an offset: the emulator does not trail, it reserves at the mid
    if sign == "#":
        sign = "-" if side == "buy" else "+"
    price = reference + offset if sign == "+" else reference - offset
    return price.quantize(Decimal(1).scaleb(-spec.decimals))


def _decimal(value: Any, decimals: int | None) -> Decimal | None:
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        number = Decimal(value.strip())
    except InvalidOperation:
        return None
    if not number.is_finite():
        return None
    if decimals is not None and -number.as_tuple().exponent > decimals:  # type: ignore[operator]
        return None
    return number


def _time(value: Any) -> float | None | bool:
    """``starttm``/``expiretm``: ``"0"`` none, ``"+n"`` n seconds from now, ``"n"`` unix time; False if bad."""
    if value is None:
        return None
    text = str(value).strip()
    relative = text.startswith("+")
    number = _decimal(text[1:] if relative else text, None)
    if number is None or number < 0:
        return False
    if number == 0 and not relative:
        return None
    return time.time() + float(number) if relative else float(number)
