"""CoinEx market names: ``"btcusdt"`` → ``"BTCUSDT"``.

CoinEx writes a market as base and quote concatenated, upper case, no separator
(``BTCUSDT``, ``ETHBTC``, ``CETUSDT``). Both functions raise
:class:`exwire.errors.ConfigurationError` before anything is sent.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from exwire._core import validate
from exwire.errors import ConfigurationError

__all__ = ["normalize_symbol", "normalize_symbols"]

_MARKET = re.compile(r"[A-Z0-9]{2,32}")


def normalize_symbol(value: object) -> str:
    """``"btcusdt"`` → ``"BTCUSDT"``: CoinEx markets are upper case, base+quote, no separator.

    Raises:
        ConfigurationError: not a string of 2-32 letters and digits.
    """
    market = value.strip().upper() if isinstance(value, str) else None
    if market is None or not _MARKET.fullmatch(market):
        raise ConfigurationError(f"a CoinEx market looks like 'BTCUSDT' (no separator), got {value!r}")
    return market


def normalize_symbols(value: str | Iterable[str]) -> list[str]:
    """One market or several → a de-duplicated list, order kept.

    Raises:
        ConfigurationError: none given, not a str or an iterable of str (an int, bytes,
            a mapping), or any is not a market.
    """
    if callable(value):
        raise ConfigurationError("symbols must be a market or markets; pass the callback as callback=")
    return list(dict.fromkeys(normalize_symbol(symbol) for symbol in validate.symbols(value)))
