"""Argument checks of :class:`exwire.coinex.client.CoinexClient`: user input → wire values.

Every function raises :class:`exwire.errors.ConfigurationError` before anything is
sent. Section numbers refer to the protocol notes of :doc:`the CoinEx page </exchanges/coinex>`. Market names are
checked by :mod:`exwire.coinex.symbols`.
"""

from __future__ import annotations

import re
from decimal import Decimal

from exwire._core import validate
from exwire.coinex.models import KlineInterval, MergeDepth
from exwire.errors import ConfigurationError
from exwire.models import to_decimal

__all__ = [
    "DEPTH_LIMITS",
    "MAX_TRADES",
    "asset_code",
    "positive_int",
    "depth_limit",
    "merge_depth",
    "kline_interval",
]

#: Book depths (levels per side) the CoinEx server accepts (§5.5).
DEPTH_LIMITS = (1, 5, 10, 20, 30, 50)
#: Most trades ``deals.query`` returns (§5.9, server ``deal_max``).
MAX_TRADES = 1000

_ASSET = re.compile(r"[A-Z0-9]{1,32}")


def asset_code(code: object) -> str:
    """``"btc"`` → ``"BTC"``.

    Raises:
        ConfigurationError: not a string of 1-32 letters and digits.
    """
    asset = code.strip().upper() if isinstance(code, str) else None
    if asset is None or not _ASSET.fullmatch(asset):
        raise ConfigurationError(f"an asset code looks like 'BTC', got {code!r}")
    return asset


def positive_int(value: object, name: str, maximum: int | None = None) -> int:
    """Check a positive integer (not a bool), at most ``maximum`` (default: signed 64-bit,
    what the CoinEx server parses integers into).

    Raises:
        ConfigurationError: anything else; the message names ``name``.
    """
    return validate.positive_int(value, name, maximum)


def depth_limit(limit: object) -> int:
    """Check a book limit (levels per side) against :data:`DEPTH_LIMITS`.

    Raises:
        ConfigurationError: any other value.
    """
    if isinstance(limit, bool) or limit not in DEPTH_LIMITS:
        raise ConfigurationError(f"limit must be one of {', '.join(map(str, DEPTH_LIMITS))}, got {limit!r}")
    return int(limit)


def merge_depth(value: object) -> MergeDepth:
    """A :class:`MergeDepth` from itself, its wire string (``"0.01"``), a ``Decimal`` step,
    or an ``int`` count of decimals as CoinEx.Net counts them.

    An ``int`` ``n`` (0-8) means what CoinEx.Net's ``MergeDepthIntToString`` makes of
    it: ``8`` is no merge (``"0"``), any other ``n`` the step ``10**(n - 8)``: ``0`` →
    ``"0.00000001"``, ``4`` → ``"0.0001"``, ``7`` → ``"0.1"``. A step of one or more is
    given as a ``Decimal``, a ``str`` or the enum (``MergeDepth.STEP_1``).

    Raises:
        ConfigurationError: an ``int`` outside 0-8, a bool, or no member has that step.
    """
    if isinstance(value, MergeDepth):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        if not 0 <= value <= 8:
            raise ConfigurationError(
                f"an int merge_depth counts decimals as CoinEx.Net does (0-8; 8: no merge), got {value!r}")
        return MergeDepth.NONE if value == 8 else MergeDepth("0." + "0" * (7 - value) + "1")
    if isinstance(value, str):
        try:
            return MergeDepth(value.strip())
        except ValueError:
            pass
    step: Decimal | None
    try:
        step = to_decimal(value, "merge_depth")
    except ConfigurationError:
        step = None
    for member in MergeDepth:
        if step is not None and member.step == step:
            return member
    allowed = ", ".join(member.value for member in MergeDepth)
    raise ConfigurationError(
        f"merge_depth must be a MergeDepth, one of {allowed}, a Decimal step or an int 0-8, got {value!r}")


def kline_interval(value: object) -> KlineInterval:
    """A :class:`KlineInterval` from itself or its length in seconds.

    Raises:
        ConfigurationError: a length CoinEx does not offer.
    """
    try:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value != int(value):
            raise ValueError
        return KlineInterval(int(value))
    except (ValueError, OverflowError):
        allowed = ", ".join(str(int(i)) for i in KlineInterval)
        raise ConfigurationError(
            f"interval must be a KlineInterval or one of {allowed} seconds, got {value!r}") from None
