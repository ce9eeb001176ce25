"""Checks the Binance client makes before sending, so bad input fails with
``ConfigurationError`` and nothing goes on the wire (§8 of :doc:`the Binance page </exchanges/binance>`)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from enum import Enum
from typing import Any, TypeVar

from exwire._core import validate
from exwire.binance.enums import FuturesMarket
from exwire.errors import ConfigurationError

__all__ = ["symbol_or_symbols", "one_or_list", "require_one_of", "exclusive", "check_order", "check_window_size",
           "futures_market", "usdm_only", "check_futures_order", "check_algo_order"]

T = TypeVar("T")

_WINDOW_SIZE = re.compile(r"([1-9]|[1-5][0-9])m|([1-9]|1[0-9]|2[0-3])h|[1-7]d")


def symbol_or_symbols(symbols: str | Iterable[str] | None) -> dict[str, Any]:
    """``"BTCUSDT"`` → ``symbol``; an iterable → ``symbols``; ``None`` → neither.

    Raises:
        ConfigurationError: neither a str nor a non-empty iterable of str (an int, bytes, a mapping).
    """
    if symbols is None:
        return {}
    if isinstance(symbols, str):
        return {"symbol": symbols}
    return {"symbols": list(validate.symbols(symbols))}


def one_or_list(kind: type[T], single: bool) -> Callable[[Any], T | list[T]]:
    """Decoder of results that are one object for ``symbol`` and an array otherwise."""
    from exwire.binance.converter import structure

    def decode(result: Any) -> T | list[T]:
        if single:
            if isinstance(result, list) and len(result) == 1:
                result = result[0]
            return structure(result, kind)
        if isinstance(result, dict):
            result = [result]
        return structure(result, list[kind])  # type: ignore[valid-type]  # kind is a class at run time

    return decode


def require_one_of(**values: Any) -> None:
    """At least one of the named values must be given (e.g. ``order_id`` or ``original_client_order_id``)."""
    if all(value is None for value in values.values()):
        raise ConfigurationError(f"pass {' or '.join(values)}")


def exclusive(**values: Any) -> None:
    """At most one of the named values may be given."""
    given = [name for name, value in values.items() if value is not None]
    if len(given) > 1:
        raise ConfigurationError(f"{' and '.join(given)} cannot be combined")


def check_window_size(window_size: Any) -> None:
    """``1m``–``59m``, ``1h``–``23h`` or ``1d``–``7d`` (§8.1 ``ticker``)."""
    if window_size is not None and not (isinstance(window_size, str) and _WINDOW_SIZE.fullmatch(window_size)):
        raise ConfigurationError(f"window_size must be 1m-59m, 1h-23h or 1d-7d, got {window_size!r}")


def _name(value: Any) -> str | None:
    raw = value.value if isinstance(value, Enum) else value
    return raw.upper() if isinstance(raw, str) else None


def _positive(value: Any, name: str) -> None:
    if value is not None:
        validate.money(value, name)  # finite, positive, within Binance's decimal fields


def check_order(
    order_type: Any,
    *,
    price: Any = None,
    quantity: Any = None,
    quote_order_quantity: Any = None,
    stop_price: Any = None,
    trailing_delta: Any = None,
    time_in_force: Any = None,
    iceberg_quantity: Any = None,
    peg_price_type: Any = None,
    prefix: str = "",
) -> None:
    """The mandatory parameters per order type (§8.3 table), checked before sending.

    Raises:
        ConfigurationError: a parameter the type requires is missing, or an amount is not positive.
    """
    for name, value in (("price", price), ("quantity", quantity), ("quote_order_quantity", quote_order_quantity),
                        ("stop_price", stop_price), ("iceberg_quantity", iceberg_quantity)):
        _positive(value, prefix + name)
    kind = _name(order_type)
    missing: list[str] = []
    needs_price = kind in ("LIMIT", "LIMIT_MAKER", "STOP_LOSS_LIMIT", "TAKE_PROFIT_LIMIT") and peg_price_type is None
    if needs_price and price is None:
        missing.append("price")
    if kind in ("LIMIT", "STOP_LOSS_LIMIT", "TAKE_PROFIT_LIMIT") and time_in_force is None:
        missing.append("time_in_force")
    if kind == "MARKET":
        if quantity is None and quote_order_quantity is None:
            missing.append("quantity or quote_order_quantity")
    elif quantity is None and not prefix:
        missing.append("quantity")
    if kind in ("STOP_LOSS", "STOP_LOSS_LIMIT", "TAKE_PROFIT", "TAKE_PROFIT_LIMIT") \
            and stop_price is None and trailing_delta is None:
        missing.append("stop_price or trailing_delta")
    if missing:
        raise ConfigurationError(f"a {kind} order needs {', '.join(prefix + m for m in missing)}")
    if iceberg_quantity is not None and time_in_force is not None and _name(time_in_force) != "GTC":
        raise ConfigurationError("an iceberg order needs time_in_force GTC")
    if quantity is not None and quote_order_quantity is not None:
        raise ConfigurationError("quantity and quote_order_quantity cannot be combined")


# -- futures (§10) ----------------------------------------------------------------------------------


def futures_market(market: Any) -> FuturesMarket:
    """A :class:`FuturesMarket` (or its value ``"usdm"``/``"coinm"``) → the enum member."""
    if isinstance(market, FuturesMarket):
        return market
    if isinstance(market, str):
        try:
            return FuturesMarket(market.lower())
        except ValueError:
            pass
    raise ConfigurationError(f"market must be FuturesMarket.USDM or FuturesMarket.COINM, got {market!r}")


def usdm_only(market: Any, method: str) -> FuturesMarket:
    """Refuse COIN-M for a method only the USDⓈ-M WS API has (§10.3: COIN-M has no market
    data, no algo orders and no v2 account methods)."""
    member = futures_market(market)
    if member is not FuturesMarket.USDM:
        raise ConfigurationError(f"{method} exists on USD-M futures only (the COIN-M WS API has no such method)")
    return member


_CONDITIONAL = ("STOP", "STOP_MARKET", "TAKE_PROFIT", "TAKE_PROFIT_MARKET", "TRAILING_STOP_MARKET")
# Parameters USDⓈ-M order.place lost when conditional orders moved to algoOrder.place (§10.2).
_ALGO_ONLY = ("stop_price", "close_position", "activation_price", "callback_rate", "working_type",
              "price_protect")


def _check_time_in_force(time_in_force: Any, good_till_date: Any) -> None:
    gtd = _name(time_in_force) == "GTD"
    if gtd and good_till_date is None:
        raise ConfigurationError("time_in_force GTD needs good_till_date")
    if good_till_date is not None and not gtd:
        raise ConfigurationError("good_till_date needs time_in_force GTD")


def _check_conditional(kind: str | None, *, quantity: Any, price: Any, trigger: Any, trigger_name: str,
                       close_position: Any, callback_rate: Any, activation_price: Any, price_match: Any,
                       reduce_only: Any) -> list[str]:
    missing: list[str] = []
    if kind in ("STOP", "TAKE_PROFIT"):
        if price is None and price_match is None:
            missing.append("price")
        if quantity is None:
            missing.append("quantity")
    if kind in ("STOP", "TAKE_PROFIT", "STOP_MARKET", "TAKE_PROFIT_MARKET") and trigger is None:
        missing.append(trigger_name)
    if kind in ("STOP_MARKET", "TAKE_PROFIT_MARKET") and quantity is None and not close_position:
        missing.append("quantity or close_position=True")
    if kind == "TRAILING_STOP_MARKET":
        if callback_rate is None:
            missing.append("callback_rate")
        if quantity is None:
            missing.append("quantity")
    if close_position:
        if kind not in ("STOP_MARKET", "TAKE_PROFIT_MARKET"):
            raise ConfigurationError("close_position is for STOP_MARKET and TAKE_PROFIT_MARKET orders only")
        if quantity is not None or reduce_only is not None:
            raise ConfigurationError("close_position=True takes no quantity and no reduce_only")
    if activation_price is not None and kind != "TRAILING_STOP_MARKET":
        raise ConfigurationError("activation_price is for TRAILING_STOP_MARKET orders only")
    if callback_rate is not None and kind != "TRAILING_STOP_MARKET":
        raise ConfigurationError("callback_rate is for TRAILING_STOP_MARKET orders only")
    return missing


def check_futures_order(
    market: FuturesMarket, order_type: Any, *, price: Any = None, quantity: Any = None,
    time_in_force: Any = None, price_match: Any = None, good_till_date: Any = None, position_side: Any = None,
    reduce_only: Any = None, **conditional: Any,
) -> None:
    """The rules of futures ``order.place`` (§10.2, §10.3), checked before sending.

    ``conditional`` holds ``stop_price``, ``close_position``, ``activation_price``,
    ``callback_rate``, ``working_type`` and ``price_protect``: COIN-M only, since USDⓈ-M
    moved its conditional orders to ``algoOrder.place``.

    Raises:
        ConfigurationError: a type or parameter the market does not take, a parameter the
            type requires is missing, or an amount is not positive.
    """
    kind = _name(order_type)
    if market is FuturesMarket.USDM:
        if kind in _CONDITIONAL:
            raise ConfigurationError(f"USD-M {kind} orders go through submit_new_futures_algo_order "
                                     "(algoOrder.place) since 2026; order.place takes LIMIT and MARKET")
        given = [name for name in _ALGO_ONLY if conditional.get(name) is not None]
        if given:
            raise ConfigurationError(f"USD-M order.place no longer takes {', '.join(given)}: use "
                                     "submit_new_futures_algo_order")
    for name, value in (("price", price), ("quantity", quantity), ("stop_price", conditional.get("stop_price")),
                        ("activation_price", conditional.get("activation_price"))):
        _positive(value, name)
    _check_time_in_force(time_in_force, good_till_date)
    if price is not None and price_match is not None and _name(price_match) != "NONE":
        raise ConfigurationError("price and price_match cannot be combined")
    if reduce_only is not None and _name(position_side) in ("LONG", "SHORT"):
        raise ConfigurationError("reduce_only is not used in hedge mode (position_side LONG/SHORT)")
    missing: list[str] = []
    if kind == "LIMIT":
        if price is None and (price_match is None or _name(price_match) == "NONE"):
            missing.append("price (or price_match)")
        if quantity is None:
            missing.append("quantity")
        if time_in_force is None:
            missing.append("time_in_force")
    elif kind == "MARKET":
        if quantity is None:
            missing.append("quantity")
        if price is not None:
            raise ConfigurationError("a MARKET order takes no price")
    missing += _check_conditional(
        kind, quantity=quantity, price=price, trigger=conditional.get("stop_price"), trigger_name="stop_price",
        close_position=conditional.get("close_position"), callback_rate=conditional.get("callback_rate"),
        activation_price=conditional.get("activation_price"), price_match=price_match, reduce_only=reduce_only)
    if missing:
        raise ConfigurationError(f"a {kind} order needs {', '.join(missing)}")


def check_algo_order(
    order_type: Any, *, price: Any = None, quantity: Any = None, trigger_price: Any = None,
    time_in_force: Any = None, price_match: Any = None, good_till_date: Any = None, close_position: Any = None,
    reduce_only: Any = None, position_side: Any = None, activation_price: Any = None, callback_rate: Any = None,
) -> None:
    """The rules of USDⓈ-M ``algoOrder.place`` (§10.3), checked before sending.

    Raises:
        ConfigurationError: not a conditional type, a parameter the type requires is
            missing, or an amount is not positive.
    """
    kind = _name(order_type)
    if kind not in _CONDITIONAL:
        raise ConfigurationError(f"algo orders are {', '.join(_CONDITIONAL)}; got {order_type!r} "
                                 "(LIMIT and MARKET go through submit_new_futures_order)")
    for name, value in (("price", price), ("quantity", quantity), ("trigger_price", trigger_price),
                        ("activation_price", activation_price)):
        _positive(value, name)
    _check_time_in_force(time_in_force, good_till_date)
    if price is not None and price_match is not None and _name(price_match) != "NONE":
        raise ConfigurationError("price and price_match cannot be combined")
    if price is not None and kind not in ("STOP", "TAKE_PROFIT"):
        raise ConfigurationError(f"a {kind} algo order takes no price (it places a market order)")
    if reduce_only is not None and _name(position_side) in ("LONG", "SHORT"):
        raise ConfigurationError("reduce_only is not used in hedge mode (position_side LONG/SHORT)")
    missing = _check_conditional(
        kind, quantity=quantity, price=price, trigger=trigger_price, trigger_name="trigger_price",
        close_position=close_position, callback_rate=callback_rate, activation_price=activation_price,
        price_match=price_match, reduce_only=reduce_only)
    if missing:
        raise ConfigurationError(f"a {kind} algo order needs {', '.join(missing)}")
