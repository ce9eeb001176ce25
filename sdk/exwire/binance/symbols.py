"""Binance's symbol form: one upper-case word, ``"BTCUSDT"`` (spot), ``"BTCUSD_PERP"`` (COIN-M).

Binance accepts symbols in any case and answers in upper case; the client sends them
upper case so that replies and events match what was asked for.
"""

from __future__ import annotations

from collections.abc import Iterable

from exwire.errors import ConfigurationError

__all__ = ["normalize_symbol", "normalize_symbols"]


def normalize_symbol(value: object, name: str = "symbol") -> str:
    """``" btcusdt "`` → ``"BTCUSDT"``.

    Raises:
        ConfigurationError: not a non-empty ``str`` without inner spaces.
    """
    if not isinstance(value, str) or not value.strip() or any(c.isspace() for c in value.strip()):
        raise ConfigurationError(f"{name} must be a symbol such as 'BTCUSDT', got {value!r}")
    return value.strip().upper()


def normalize_symbols(value: str | Iterable[str], name: str = "symbols") -> list[str]:
    """One symbol or several → a list in Binance's form, duplicates removed, order kept.

    Raises:
        ConfigurationError: none given, or one is not a symbol.
    """
    items: list[object] | None
    if isinstance(value, str):
        items = [value]
    elif isinstance(value, Iterable):
        items = list(value)
    else:
        items = None
    if not items:
        raise ConfigurationError(f"{name} must be one symbol or a non-empty iterable of symbols, got {value!r}")
    return list(dict.fromkeys(normalize_symbol(item, name) for item in items))
