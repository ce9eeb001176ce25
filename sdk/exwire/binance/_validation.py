"""Checks the Binance client makes before sending, so bad input fails with
``ConfigurationError`` and nothing goes on the wire (``reference/protocols/binance.md`` §8)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from decimal import Decimal
from enum import Enum
from typing import Any

from exwire.errors import ConfigurationError
from exwire.models import to_decimal

__all__ = ["symbol_or_symbols", "one_or_list", "require_one_of", "exclusive", "check_order", "check_window_size"]

_WINDOW_SIZE = re.compile(r"([1-9]|[1-5][0-9])m|([1-9]|1[0-9]|2[0-3])h|[1-7]d")


def symbol_or_symbols(symbols: str | Iterable[str] | None) -> dict[str, Any]:
    """``"BTCUSDT"`` → ``symbol``; an iterable → ``symbols``; ``None`` → neither."""
    if symbols is None:
        return {}
    if isinstance(symbols, str):
        return {"symbol": symbols}
    return {"symbols": symbols}


def one_or_list(kind: type, single: bool) -> Callable[[Any], Any]:
    """Decoder of results that are one object for ``symbol`` and an array otherwise."""
    from exwire.binance.converter import structure

    def decode(result: Any) -> Any:
        if single:
            if isinstance(result, list) and len(result) == 1:
                result = result[0]
            return structure(result, kind)
        if isinstance(result, dict):
            result = [result]
        return structure(result, list[kind])  # type: ignore[valid-type]

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
    if value is not None and to_decimal(value, name) <= Decimal(0):
        raise ConfigurationError(f"{name} must be positive, got {value!r}")


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
