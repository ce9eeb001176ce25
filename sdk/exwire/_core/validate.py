"""Argument checks shared by every exchange client: user input → checked Python values.

Each function raises :class:`~exwire.errors.ConfigurationError` (a ``ValueError``)
for a value of the wrong type or out of range, so a client method that calls them
first fails before anything is sent. The message names the argument. The functions
are pure and thread-safe.

Bounds:

* ``timeout``: positive finite seconds up to :data:`MAX_TIMEOUT` (one day), or
  ``None``. ``threading`` waits accept at most ``threading.TIMEOUT_MAX``, and a
  deadline past a day is a mistake rather than a wish (use ``None`` for no limit).
* money: finite, at most :data:`MAX_INTEGER_DIGITS` digits before the point and
  :data:`MAX_FRACTION_DIGITS` after it (trailing zeros do not count). Every
  supported exchange keeps prices and quantities in 64-bit fixed point or decimals
  of at most 18 places, so ``10**30`` or ``1e-30`` cannot be meant; each exchange
  module may pass tighter bounds.
* integers sent as JSON numbers: signed 64-bit (:data:`INT64_MAX`), what the
  exchanges' servers parse them into.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterable
from decimal import Decimal
from enum import Enum
from typing import Any, TypeVar

from exwire.errors import ConfigurationError
from exwire.models import to_decimal

__all__ = [
    "MAX_TIMEOUT",
    "MAX_INTEGER_DIGITS",
    "MAX_FRACTION_DIGITS",
    "INT64_MAX",
    "positive_timeout",
    "symbol",
    "symbols",
    "money",
    "integer",
    "positive_int",
    "choice",
    "bounded",
]

#: The longest ``timeout`` accepted, in seconds (one day, within ``threading.TIMEOUT_MAX``).
MAX_TIMEOUT: float = min(86_400.0, threading.TIMEOUT_MAX)
#: Most digits before the decimal point of a money value (``10**18`` is refused).
MAX_INTEGER_DIGITS = 18
#: Most significant digits after the decimal point of a money value.
MAX_FRACTION_DIGITS = 18
#: The largest integer sent as a JSON number (signed 64-bit).
INT64_MAX = 2**63 - 1

E = TypeVar("E", bound=Enum)


def positive_timeout(value: Any, name: str = "timeout") -> float | None:
    """Check a timeout in seconds: ``None`` (no limit, or the client's default) or a
    positive finite number up to :data:`MAX_TIMEOUT`.

    Raises:
        ConfigurationError: a bool, a non-number (``"5"`` included), NaN, an infinity,
            zero, a negative number or more than :data:`MAX_TIMEOUT` seconds.
    """
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
        raise ConfigurationError(f"{name} must be positive seconds or None, got {value!r}")
    try:
        seconds = float(value)
    except (OverflowError, ValueError):  # a huge int, a Decimal NaN
        raise ConfigurationError(f"{name} must be positive finite seconds, got {value!r}") from None
    if not math.isfinite(seconds) or seconds <= 0:
        raise ConfigurationError(f"{name} must be positive finite seconds or None, got {value!r}")
    if seconds > MAX_TIMEOUT:
        raise ConfigurationError(f"{name} must be at most {MAX_TIMEOUT:g} seconds (None: no limit), got {value!r}")
    return seconds


def symbol(value: Any, name: str = "symbol") -> str:
    """Check one symbol: a non-empty string without blanks inside; returns it stripped.

    Exchange normalisers apply their own format (case, separator) on top.

    Raises:
        ConfigurationError: not a string (an int, bytes ...), empty, or with inner blanks.
    """
    if not isinstance(value, str):
        raise ConfigurationError(f"{name} must be a string such as 'BTCUSDT', got {type(value).__name__} {value!r}")
    text = value.strip()
    if not text or any(c.isspace() for c in text):
        raise ConfigurationError(f"{name} must be a symbol such as 'BTCUSDT', got {value!r}")
    return text


def symbols(value: Any, name: str = "symbols", *, limit: int | None = None) -> tuple[str, ...]:
    """Check one symbol or several: a ``str``, or a non-empty iterable of ``str``.

    Duplicates are removed, keeping the first occurrence's place. Each symbol is
    checked by :func:`symbol`.

    Args:
        value: the user's argument.
        name: the argument's name, for messages.
        limit: most distinct symbols allowed; ``None``: no bound.

    Raises:
        ConfigurationError: bytes, a number, a mapping or another non-iterable; an
            empty iterable; an element that is not a symbol; more than ``limit``.
    """
    if isinstance(value, str):
        items: list[Any] = [value]
    elif isinstance(value, (bytes, bytearray, memoryview, dict)) or not isinstance(value, Iterable):
        raise ConfigurationError(
            f"{name} must be a symbol or an iterable of symbols, got {type(value).__name__} {value!r}")
    else:
        items = list(value)
    if not items:
        raise ConfigurationError(f"{name}: at least one symbol is required")
    result = tuple(dict.fromkeys(symbol(item, name) for item in items))
    if limit is not None and len(result) > limit:
        raise ConfigurationError(f"{name}: at most {limit} symbols per call, got {len(result)}")
    return result


def money(
    value: Any,
    name: str,
    *,
    positive: bool = True,
    max_integer_digits: int = MAX_INTEGER_DIGITS,
    max_fraction_digits: int = MAX_FRACTION_DIGITS,
) -> Decimal:
    """Check a price or quantity and return it as an exact ``Decimal``.

    Accepts ``Decimal``, ``str``, ``int`` or ``float`` (a float goes through its
    shortest repr, ``Decimal(repr(x))``, so ``0.1`` stays ``0.1``).

    Args:
        value: the user's argument.
        name: the argument's name, for messages.
        positive: refuse zero and negative values (prices, quantities); ``False``
            lets any sign through (offsets, rates).
        max_integer_digits: most digits before the point.
        max_fraction_digits: most significant digits after the point.

    Raises:
        ConfigurationError: a bool, ``None``, another type, text that is not a
            number, NaN, an infinity (``1e400`` as a float is one), a value with
            too many digits, or a non-positive value when ``positive``.
    """
    if isinstance(value, bool) or value is None:
        raise ConfigurationError(f"{name} must be a number, got {value!r}")
    # Refuse absurd sizes before converting (a 10**100000 int or a megabyte of digits).
    if isinstance(value, int) and value.bit_length() > 4 * max_integer_digits:
        raise ConfigurationError(f"{name} is too large: at most {max_integer_digits} integer digits")
    if isinstance(value, str) and len(value) > 100:
        raise ConfigurationError(f"{name} is not a number of a sane length: {value[:20]!r}...")
    amount = to_decimal(value, name)  # the one money-in conversion (floats through their repr)
    if positive and amount <= 0:
        raise ConfigurationError(f"{name} must be positive, got {value!r}")
    if amount:  # finite here, so the exponents are ints
        digits = amount.adjusted() + 1  # digits before the point (<= 0 for 0.0x)
        if digits > max_integer_digits:
            raise ConfigurationError(f"{name} is too large: at most {max_integer_digits} integer digits, "
                                     f"got {value!r}")
        # Significant places after the point, trailing zeros aside ("1.500" has 1).
        fraction = int(amount.normalize().as_tuple().exponent)
        if -fraction > max_fraction_digits:
            raise ConfigurationError(f"{name} has too many decimals: at most {max_fraction_digits}, got {value!r}")
    return amount


def integer(value: Any, name: str, *, minimum: int = -INT64_MAX - 1, maximum: int = INT64_MAX) -> int:
    """Check an integer (not a bool) within ``minimum``..``maximum`` (default: signed 64-bit).

    Raises:
        ConfigurationError: not an ``int``, a bool, or out of range.
    """
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigurationError(f"{name} must be an integer, got {value!r}")
    if not minimum <= value <= maximum:
        raise ConfigurationError(f"{name} must be in {minimum}..{maximum}, got {value!r}")
    return value


def positive_int(value: Any, name: str, maximum: int | None = None) -> int:
    """Check a positive integer (not a bool), at most ``maximum`` (default: signed 64-bit).

    Raises:
        ConfigurationError: anything else; the message names ``name``.
    """
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0 \
            or value > (INT64_MAX if maximum is None else maximum):
        bound = f" up to {maximum}" if maximum is not None else ""
        raise ConfigurationError(f"{name} must be a positive integer{bound}, got {value!r}")
    return value


def choice(enum_type: type[E], value: Any, name: str) -> E:
    """A member of ``enum_type`` from itself or its value (an unknown ``OpenEnum`` value is refused).

    Raises:
        ConfigurationError: no declared member has that value.
    """
    if isinstance(value, enum_type) and getattr(value, "is_known", True):
        return value
    try:
        member = enum_type(value)
    except (ValueError, TypeError):
        member = None
    if member is None or not getattr(member, "is_known", True):
        allowed = ", ".join(repr(m.value) for m in enum_type)
        raise ConfigurationError(f"{name} must be one of {allowed}, got {value!r}")
    return member


def bounded(items: Any, name: str, limit: int) -> list[Any]:
    """Materialise a non-string iterable argument, refusing more than ``limit`` items.

    Reads at most ``limit + 1`` items, so an endless generator is refused too.

    Raises:
        ConfigurationError: not an iterable (or a str/bytes/mapping), or too many items.
    """
    if isinstance(items, (str, bytes, bytearray, memoryview, dict)) or not isinstance(items, Iterable):
        raise ConfigurationError(f"{name} must be an iterable, got {type(items).__name__}")
    result: list[Any] = []
    for item in items:
        result.append(item)
        if len(result) > limit:
            raise ConfigurationError(f"{name}: at most {limit} per call")
    return result


def url(value: Any, name: str = "url", *, schemes: tuple[str, ...] = ("ws", "wss")) -> str:
    """Check an endpoint URL at construction: a ``str`` with one of ``schemes`` and a host.

    Raises:
        ConfigurationError: not a ``str``, another scheme, no host, or a bad port.
    """
    if not isinstance(value, str):
        raise ConfigurationError(f"{name} must be a str URL, got {type(value).__name__}")
    import urllib.parse

    allowed = " or ".join(f"{scheme}://" for scheme in schemes)
    try:
        parts = urllib.parse.urlsplit(value.strip())
        parts.port  # noqa: B018 - raises ValueError for a malformed port
    except ValueError as exc:
        raise ConfigurationError(f"{name} is not a valid URL ({exc}): {value!r}") from None
    if parts.scheme.lower() not in schemes or not parts.hostname:
        raise ConfigurationError(f"{name} must be a {allowed} URL with a host, got {value!r}")
    return value.strip()
