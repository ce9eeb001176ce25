"""OKEx v1 symbols: lower-case ``base_quote`` (``"btc_usdt"``), as the channel names carry them.

``"BTC/USDT"``, ``"btc-usdt"`` and ``"btc_usdt"`` all name the same pair; see the v1 spot
WebSocket document, "Request" (symbols are lower-case ``base_quote``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from exwire._core import validate
from exwire.errors import ConfigurationError

__all__ = ["normalize_symbol", "normalize_symbols"]

_SYMBOL = re.compile(r"[a-z0-9]+_[a-z0-9]+")


def normalize_symbol(value: object) -> str:
    """``"BTC/USDT"``, ``"btc-usdt"`` or ``"btc_usdt"`` → ``"btc_usdt"`` (lower-case ``base_quote``).

    Raises:
        ConfigurationError: not a ``base_quote`` pair.
    """
    if not isinstance(value, str):
        raise ConfigurationError(f"an OKEx symbol looks like 'btc_usdt', got {value!r}")
    text = value.strip().lower().replace("/", "_").replace("-", "_")
    if not _SYMBOL.fullmatch(text):
        raise ConfigurationError(f"an OKEx symbol looks like 'btc_usdt', got {value!r}")
    return text


def normalize_symbols(value: str | Iterable[str]) -> list[str]:
    """One symbol or several → a de-duplicated list of ``base_quote`` names, order kept.

    Raises:
        ConfigurationError: empty, not a str or an iterable of str (an int, bytes, a
            mapping), or any element is not a pair.
    """
    return list(dict.fromkeys(normalize_symbol(symbol) for symbol in validate.symbols(value)))
