"""Shared decoding helpers: the engine's codec for every exchange's wire dialect.

Exchanges send money as strings (or, sometimes, JSON numbers) and times as epoch
seconds with a fraction or as epoch milliseconds. This module turns those into
Python types without losing a digit:

* ``Decimal`` from ``str``/``int`` directly and from ``float`` through its
  shortest repr (``Decimal(repr(x))``), never through the float's binary value.
* aware UTC ``datetime`` from epoch seconds, parsing the decimal string itself
  (``"1534614057.321597"`` keeps its microseconds exactly; a float would not).
* enums that keep values they do not know: :class:`OpenEnum`.

Unknown enum values: exwire's rule is that an enum value the library does not
know (a new order status, a new system state) is *kept* rather than making the
message undecodable. :class:`OpenEnum` does that with ``_missing_``: looking up
an unknown value returns a pseudo-member of the same enum class whose
``value`` is the raw wire value, whose ``name`` is ``"UNKNOWN"`` and whose
:attr:`OpenEnum.is_known` is ``False``. Pseudo-members are cached, so the same
unknown value always yields the same object (``is`` and ``==`` work) and a
repeated lookup is a plain dict hit; they never appear when iterating the enum.
Fields therefore keep a single type (``SystemState``, not ``SystemState | str``).

Every helper is a pure function, safe to call from any thread; they run once per
field of every message, so they avoid needless work.
"""

from __future__ import annotations

import enum
import json as _json
import types
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import ROUND_FLOOR, Decimal, InvalidOperation
from typing import Any, Literal, cast

import cattrs

from exwire.errors import ConfigurationError, DecodeError

__all__ = [
    "MALFORMED",
    "malformed",
    "loads",
    "loads_exact",
    "EPOCH",
    "OpenEnum",
    "decimal_from_wire",
    "epoch_to_datetime",
    "epoch_ms_to_datetime",
    "datetime_to_epoch_seconds",
    "datetime_to_epoch_ms",
    "make_converter",
]

#: The Unix epoch, an aware UTC ``datetime``.
#: What reading a payload of the wrong shape raises (decimal's InvalidOperation is an
#: ArithmeticError): converters catch these and raise :func:`malformed` instead.
MALFORMED = (KeyError, IndexError, TypeError, ValueError, AttributeError, ArithmeticError)


def malformed(exchange: str, kind: str, error: BaseException) -> DecodeError:
    """The ``DecodeError`` for a ``kind`` payload of ``exchange`` that does not have its documented shape."""
    return DecodeError(f"malformed {exchange} {kind} payload: {error!r}")


def _stdlib_loads(data: str | bytes) -> Any:
    return _json.loads(data)


_orjson: types.ModuleType | None
try:  # orjson parses 3-5x faster than json; worth it where no digit can be lost
    import orjson as _orjson
except ImportError:  # pragma: no cover - orjson is a declared dependency
    _orjson = None


def loads(data: str | bytes) -> Any:
    """Parse a JSON frame quickly (orjson when installed, else :func:`json.loads`).

    Only for dialects that send money as strings and whose integers fit in 64 bits
    (Kraken: its ``connectionID`` is an unsigned 64-bit integer; Binance): orjson
    turns JSON numbers with a fraction into ``float`` and integers past 64 bits into
    ``float`` as well. A frame orjson rejects (e.g. ``NaN`` literals) is parsed again
    by :mod:`json`. Dialects that send money as JSON numbers use
    ``json.loads(..., parse_float=Decimal)`` instead.

    Raises:
        ValueError: not JSON.
    """
    if _orjson is None:
        return _json.loads(data)
    try:
        return _orjson.loads(data)
    except _orjson.JSONDecodeError:
        return _json.loads(data)


# One decoder for every frame: ``json.loads(..., parse_float=Decimal)`` builds a new one
# per call, which costs about as much as the parse itself.
_EXACT_DECODER = _json.JSONDecoder(parse_float=Decimal)
_scan_exact = _EXACT_DECODER.scan_once  # type: ignore[attr-defined]  # set by JSONDecoder.__init__


# msgspec's decoder hands every JSON number with a fraction or an exponent to its
# float_hook as the number's text, so with Decimal it gives what json.loads(...,
# parse_float=Decimal) gives, 2-3x faster (tests/_core/test_codec.py compares the two).
_exact_fast: Callable[[str | bytes | bytearray], Any] | None
_EXACT_FAST_FAILS: tuple[type[BaseException], ...]
try:
    import msgspec as _msgspec
except ImportError:  # pragma: no cover - msgspec is a declared dependency
    _exact_fast, _EXACT_FAST_FAILS = None, ()
else:
    _exact_fast = _msgspec.json.Decoder(float_hook=Decimal).decode
    _EXACT_FAST_FAILS = (_msgspec.DecodeError, ValueError, RecursionError)  # e.g. UnicodeEncodeError


def loads_exact(data: str | bytes) -> Any:
    """``json.loads(data, parse_float=Decimal)``: every JSON number with a fraction becomes
    the ``Decimal`` of its text (CoinEx times, OKEx balances, Coinsuper's 30-digit assets).

    Text and bytes are parsed by msgspec (``float_hook=Decimal``: the same values and
    types as ``json.loads``); what it refuses (not JSON, but also ``NaN`` and
    ``Infinity``, lone surrogates, integers of 4,300 digits or more, UTF-16 bytes, a
    BOM) goes to the standard decoder, which decides as ``json.loads`` does: text
    without surrounding blanks to the prebuilt decoder's scanner, anything else to the
    full decoder.

    Raises:
        ValueError: not JSON (``json.JSONDecodeError``, or ``UnicodeDecodeError`` for bytes).
        TypeError: neither text nor bytes.
    """
    if _exact_fast is not None and (type(data) is str or isinstance(data, (bytes, bytearray))):
        try:
            return _exact_fast(data)
        except _EXACT_FAST_FAILS:
            pass
    if type(data) is not str or data.startswith("\ufeff"):
        return _json.loads(data, parse_float=Decimal)
    try:
        value, end = _scan_exact(data, 0)
    except StopIteration:  # nothing parsable at 0 (e.g. leading blanks): the full decoder decides
        return _EXACT_DECODER.decode(data)
    if end != len(data):  # trailing blanks, or extra data: the full decoder decides
        return _EXACT_DECODER.decode(data)
    return value


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MILLISECOND = timedelta(milliseconds=1)

#: Bound on the pseudo-members cached per :class:`OpenEnum` class, so a peer that
#: sends endless distinct values cannot grow memory without limit. Past it, unknown
#: values still decode, as fresh (uncached) pseudo-members.
MAX_UNKNOWN_MEMBERS = 256


class OpenEnum(enum.Enum):
    """An enum that keeps unknown values as cached pseudo-members.

    ``MyEnum("new-value")`` returns a member-like object of ``MyEnum`` with
    ``value == "new-value"``, ``name == "UNKNOWN"`` and ``is_known`` false,
    instead of raising ``ValueError``. Known members behave exactly as in
    :class:`enum.Enum`. Subclasses declare members as usual; they must not define
    a member named ``UNKNOWN``. Lookups are safe from any thread (the cache is
    filled with an atomic ``dict.setdefault``).
    """

    @classmethod
    def _missing_(cls, value: object) -> OpenEnum | None:
        if value is None:
            return None  # ``None`` is absence, not an unknown value: let Enum raise
        member_type: Any = getattr(cls, "_member_type_", object)
        if member_type is object:
            pseudo = object.__new__(cls)
        else:  # a mixin enum (``class E(str, OpenEnum)``): build the mixin's value too
            try:
                pseudo = member_type.__new__(cls, value)
            except (TypeError, ValueError):
                return None  # not even a valid mixin value: let Enum raise ValueError
        pseudo._name_ = "UNKNOWN"
        pseudo._value_ = value
        pseudo._sort_order_ = len(cls._member_names_)  # type: ignore[attr-defined]  # Enum internals
        try:
            cache = cls._value2member_map_
        except AttributeError:  # pragma: no cover - enum internals always have it
            return pseudo
        if len(cache) - len(cls._member_names_) >= MAX_UNKNOWN_MEMBERS:
            return pseudo
        try:
            # setdefault keeps the first pseudo-member when two threads race here.
            return cast(OpenEnum, cache.setdefault(value, pseudo))
        except TypeError:  # unhashable value: still decode it, just do not cache it
            return pseudo

    @property
    def is_known(self) -> bool:
        """``True`` for a declared member, ``False`` for a kept unknown value."""
        return type(self)._member_map_.get(self._name_) is self


def decimal_from_wire(value: Any) -> Decimal:
    """Convert a wire number to ``Decimal`` without binary rounding.

    Args:
        value: a ``str`` or ``int`` (converted exactly), a ``float`` (converted
            through its shortest repr, so ``0.1`` stays ``0.1``) or a ``Decimal``
            (returned as is).

    Raises:
        ValueError: for booleans, ``None`` or text that is not a number
            (``decimal.InvalidOperation`` is re-raised as ``ValueError``).
    """
    kind = type(value)
    if kind is str or kind is int:
        try:
            return Decimal(value)
        except InvalidOperation:
            raise ValueError(f"not a decimal number: {value!r}") from None
    if kind is float:
        return Decimal(repr(value))
    if kind is Decimal:
        return cast(Decimal, value)
    if isinstance(value, (bool, type(None))):
        raise ValueError(f"not a decimal number: {value!r}")
    if isinstance(value, int):
        return Decimal(int(value))
    if isinstance(value, float):
        return Decimal(repr(float(value)))
    return decimal_from_wire(str(value))


def epoch_to_datetime(value: Any) -> datetime:
    """Convert epoch seconds to an aware UTC ``datetime``, exact to the microsecond.

    Args:
        value: epoch seconds as a decimal string (``"1534614057.321597"``), an
            ``int``, a ``float`` (read through its shortest repr) or a ``Decimal``.
            Digits beyond the sixth decimal are truncated (``datetime`` holds
            microseconds).

    Raises:
        ValueError: when the value is not a number, or is out of ``datetime``'s range.
    """
    if type(value) is str:
        seconds, _, fraction = value.partition(".")
        # Fast path: "<digits>[.<digits>]", the shape every exchange sends. The
        # string is split rather than parsed as a float, which would lose the
        # last microsecond digit of a present-day timestamp.
        if seconds.isdigit() and (not fraction or fraction.isdigit()):
            if len(fraction) != 6:
                fraction = (fraction + "000000")[:6]
            try:
                return EPOCH + timedelta(0, int(seconds), int(fraction))
            except OverflowError:
                raise ValueError(f"epoch time out of range: {value!r}") from None
        return _decimal_seconds_to_datetime(decimal_from_wire(value.strip()))
    if type(value) is int:
        try:
            return EPOCH + timedelta(0, value)
        except OverflowError:
            raise ValueError(f"epoch time out of range: {value!r}") from None
    if isinstance(value, bool):
        raise ValueError(f"not an epoch time: {value!r}")
    return _decimal_seconds_to_datetime(decimal_from_wire(value))


def _decimal_seconds_to_datetime(seconds: Decimal) -> datetime:
    if not seconds.is_finite():
        raise ValueError(f"not an epoch time: {seconds!r}")
    # Truncate toward negative infinity to whole microseconds, then count them.
    try:
        microseconds = int(seconds.scaleb(6).to_integral_value(rounding=ROUND_FLOOR))
        return EPOCH + timedelta(microseconds=microseconds)
    except ArithmeticError:  # OverflowError from datetime, decimal.Overflow from scaleb
        raise ValueError(f"epoch time out of range: {seconds}") from None


def epoch_ms_to_datetime(value: Any) -> datetime:
    """Convert epoch milliseconds to an aware UTC ``datetime``.

    Args:
        value: epoch milliseconds as an ``int`` or a decimal string (as Binance
            sends them); a fraction is kept to the microsecond.

    Raises:
        ValueError: when the value is not a number, or is out of range.
    """
    try:
        if type(value) is int:
            return EPOCH + _MILLISECOND * value  # no argument parsing, unlike timedelta(...)
        if type(value) is str and value.isdigit():
            return EPOCH + _MILLISECOND * int(value)
    except OverflowError:
        raise ValueError(f"epoch time out of range: {value!r}") from None
    if isinstance(value, bool):
        raise ValueError(f"not an epoch time: {value!r}")
    return _decimal_seconds_to_datetime(decimal_from_wire(value).scaleb(-3))


def datetime_to_epoch_seconds(value: datetime) -> Decimal:
    """Convert an aware ``datetime`` to epoch seconds, exact to the microsecond.

    The result has six decimals (``Decimal("1534614057.321597")``), so
    ``epoch_to_datetime(datetime_to_epoch_seconds(t)) == t`` and
    ``format(result, "f")`` is the wire string.

    Raises:
        ConfigurationError: for a naive ``datetime`` (its time zone is unknown).
    """
    return Decimal(_epoch_microseconds(value)).scaleb(-6)


def datetime_to_epoch_ms(value: datetime) -> int:
    """Convert an aware ``datetime`` to whole epoch milliseconds (truncated toward the past).

    Raises:
        ConfigurationError: for a naive ``datetime`` (its time zone is unknown).
    """
    return _epoch_microseconds(value) // 1000


def _epoch_microseconds(value: datetime) -> int:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ConfigurationError(f"datetime must be timezone-aware, got naive {value!r}")
    delta = value - EPOCH
    return (delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds


def make_converter(*, epoch_unit: Literal["s", "ms"] = "s") -> cattrs.Converter:
    """Build a ``cattrs.Converter`` with exwire's hooks for one wire dialect.

    Structuring (wire → Python):

    * ``Decimal`` from ``str``/``int``/``float`` via :func:`decimal_from_wire`.
    * ``datetime`` from epoch seconds (:func:`epoch_to_datetime`) or epoch
      milliseconds (:func:`epoch_ms_to_datetime`), per ``epoch_unit``.
    * :class:`OpenEnum` subclasses keep unknown values (plain ``Enum`` does
      the cattrs default, ``cls(value)``, which raises on unknown values).

    Unstructuring (Python → wire): ``Decimal`` as a plain decimal string (never
    exponent notation), ``datetime`` as epoch seconds ``Decimal`` or epoch
    milliseconds ``int``, enums as their value.

    Each exchange builds one converter for its dialect and registers its renames
    on it (``cattrs.gen.make_dict_structure_fn`` with ``override(rename=...)``),
    so wire names stay in the exchange's ``converter.py``.

    Args:
        epoch_unit: ``"s"`` for epoch seconds (Kraken, CoinEx), ``"ms"`` for
            epoch milliseconds (Binance, OKEx).
    """
    converter = cattrs.Converter()
    converter.register_structure_hook(Decimal, lambda value, _: decimal_from_wire(value))
    converter.register_unstructure_hook(Decimal, lambda value: format(value, "f"))
    if epoch_unit == "s":
        converter.register_structure_hook(datetime, lambda value, _: epoch_to_datetime(value))
        converter.register_unstructure_hook(datetime, datetime_to_epoch_seconds)
    elif epoch_unit == "ms":
        converter.register_structure_hook(datetime, lambda value, _: epoch_ms_to_datetime(value))
        converter.register_unstructure_hook(datetime, datetime_to_epoch_ms)
    else:
        raise ConfigurationError(f"epoch_unit must be 's' or 'ms', got {epoch_unit!r}")
    converter.register_structure_hook_func(
        lambda cls: isinstance(cls, type) and issubclass(cls, OpenEnum),
        lambda value, cls: cls(value),
    )
    return converter
