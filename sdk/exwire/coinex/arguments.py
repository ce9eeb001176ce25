"""Argument checks of :class:`exwire.coinex.client.CoinexClient`: user input → wire values.

Every function raises :class:`exwire.errors.ConfigurationError` before anything is
sent. Section numbers refer to ``reference/protocols/coinex.md``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from exwire._core import validate
from exwire.coinex.models import KlineInterval, MergeDepth
from exwire.errors import ConfigurationError
from exwire.models import to_decimal

__all__ = [
    "DEPTH_LIMITS",
    "MAX_TRADES",
    "normalize_market",
    "normalize_markets",
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

_MARKET = re.compile(r"[A-Z0-9]{2,32}")
_ASSET = re.compile(r"[A-Z0-9]{1,32}")


def normalize_market(symbol: Any) -> str:
    """``"btcusdt"`` → ``"BTCUSDT"``: CoinEx markets are upper case, base+quote, no separator (§1).

    Raises:
        ConfigurationError: not a string of 2-32 letters and digits.
    """
    market = symbol.strip().upper() if isinstance(symbol, str) else None
    if market is None or not _MARKET.fullmatch(market):
        raise ConfigurationError(f"a CoinEx market looks like 'BTCUSDT' (no separator), got {symbol!r}")
    return market


def normalize_markets(symbols: str | Iterable[str]) -> list[str]:
    """One market or several → a de-duplicated list.

    Raises:
        ConfigurationError: none given, not a str or an iterable of str (an int, bytes,
            a mapping), or any is not a market.
    """
    if callable(symbols):
        raise ConfigurationError("symbols must be a market or markets; pass the callback as callback=")
    return list(dict.fromkeys(normalize_market(symbol) for symbol in validate.symbols(symbols)))


def asset_code(code: Any) -> str:
    """``"btc"`` → ``"BTC"``.

    Raises:
        ConfigurationError: not a string of 1-32 letters and digits.
    """
    asset = code.strip().upper() if isinstance(code, str) else None
    if asset is None or not _ASSET.fullmatch(asset):
        raise ConfigurationError(f"an asset code looks like 'BTC', got {code!r}")
    return asset


def positive_int(value: Any, name: str, maximum: int | None = None) -> int:
    """Check a positive integer (not a bool), at most ``maximum`` (default: signed 64-bit,
    what the CoinEx server parses integers into).

    Raises:
        ConfigurationError: anything else; the message names ``name``.
    """
    return validate.positive_int(value, name, maximum)


def depth_limit(limit: Any) -> int:
    """Check a book limit (levels per side) against :data:`DEPTH_LIMITS`.

    Raises:
        ConfigurationError: any other value.
    """
    if isinstance(limit, bool) or limit not in DEPTH_LIMITS:
        raise ConfigurationError(f"limit must be one of {', '.join(map(str, DEPTH_LIMITS))}, got {limit!r}")
    return int(limit)


def merge_depth(value: Any) -> MergeDepth:
    """A :class:`MergeDepth` from itself, its wire string (``"0.01"``) or an equal number.

    Note that a number is the merge *step*: ``1`` is ``MergeDepth.STEP_1``, not the
    C# reference's "merge 1 decimal".

    Raises:
        ConfigurationError: no member has that step.
    """
    if isinstance(value, MergeDepth):
        return value
    if isinstance(value, str):
        try:
            return MergeDepth(value.strip())
        except ValueError:
            pass
    try:
        step = to_decimal(value, "merge_depth")
    except ConfigurationError:
        step = None
    for member in MergeDepth:
        if step is not None and member.step == step:
            return member
    allowed = ", ".join(member.value for member in MergeDepth)
    raise ConfigurationError(f"merge_depth must be a MergeDepth or one of {allowed}, got {value!r}")


def kline_interval(value: Any) -> KlineInterval:
    """A :class:`KlineInterval` from itself or its length in seconds.

    Raises:
        ConfigurationError: a length CoinEx does not offer.
    """
    try:
        if isinstance(value, bool):
            raise ValueError
        return KlineInterval(value)
    except ValueError:
        allowed = ", ".join(str(int(i)) for i in KlineInterval)
        raise ConfigurationError(
            f"interval must be a KlineInterval or one of {allowed} seconds, got {value!r}") from None
