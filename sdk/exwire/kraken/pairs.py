"""Kraken pair names (``reference/protocols/kraken.md`` §2): user input → wsnames."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from exwire._core import validate
from exwire.errors import ConfigurationError

__all__ = ["normalize_pair", "normalize_pairs"]

# Kraken's wsnames use XBT and XDG; the server accepts BTC/DOGE but echoes XBT/XDG (§2),
# so map on the way in and every routing key matches what comes back.
_ASSET_ALIASES = {"BTC": "XBT", "DOGE": "XDG"}


def normalize_pair(symbol: Any) -> str:
    """``"btc/usd"`` → ``"XBT/USD"``: upper case, BTC→XBT, DOGE→XDG.

    Raises:
        ConfigurationError: not a ``BASE/QUOTE`` string.
    """
    if not isinstance(symbol, str) or symbol.count("/") != 1:
        raise ConfigurationError(f"a Kraken pair looks like 'XBT/USD', got {symbol!r}")
    base, quote = (part.strip().upper() for part in symbol.split("/"))
    if not base or not quote:
        raise ConfigurationError(f"a Kraken pair looks like 'XBT/USD', got {symbol!r}")
    return f"{_ASSET_ALIASES.get(base, base)}/{_ASSET_ALIASES.get(quote, quote)}"


def normalize_pairs(symbols: str | Iterable[str]) -> list[str]:
    """One pair or several → a de-duplicated list of wsnames.

    Raises:
        ConfigurationError: empty, not a str or an iterable of str (an int, bytes, a
            mapping), or any element is not a pair.
    """
    return list(dict.fromkeys(normalize_pair(symbol) for symbol in validate.symbols(symbols)))
