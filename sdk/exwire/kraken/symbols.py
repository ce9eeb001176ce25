"""Kraken pair names: user input → wsnames (``XBT/USD``), and the ``BASE/QUOTE`` form.

Kraken's v1 wsnames spell bitcoin ``XBT`` and dogecoin ``XDG``; the server accepts
``BTC``/``DOGE`` but echoes ``XBT``/``XDG``, so input is mapped on the way in and every
routing key matches what comes back.
"""

from __future__ import annotations

from collections.abc import Iterable

from exwire._core import validate
from exwire.errors import ConfigurationError

__all__ = ["normalize_symbol", "normalize_symbols", "to_shared", "ASSET_ALIASES"]

#: Common asset codes → the codes Kraken's v1 wsnames use.
ASSET_ALIASES = {"BTC": "XBT", "DOGE": "XDG"}
_SHARED_ASSETS = {native: common for common, native in ASSET_ALIASES.items()}


def normalize_symbol(value: object) -> str:
    """``"btc/usd"`` → ``"XBT/USD"``: upper case, BTC→XBT, DOGE→XDG.

    Raises:
        ConfigurationError: not a ``BASE/QUOTE`` string.
    """
    if not isinstance(value, str) or value.count("/") != 1:
        raise ConfigurationError(f"a Kraken pair looks like 'XBT/USD', got {value!r}")
    base, quote = (part.strip().upper() for part in value.split("/"))
    if not base or not quote:
        raise ConfigurationError(f"a Kraken pair looks like 'XBT/USD', got {value!r}")
    return f"{ASSET_ALIASES.get(base, base)}/{ASSET_ALIASES.get(quote, quote)}"


def normalize_symbols(value: str | Iterable[str]) -> list[str]:
    """One pair or several → a de-duplicated list of wsnames.

    Raises:
        ConfigurationError: empty, not a str or an iterable of str (an int, bytes, a
            mapping), or any element is not a pair.
    """
    return list(dict.fromkeys(normalize_symbol(symbol) for symbol in validate.symbols(value)))


def to_shared(pair: str) -> str:
    """A wsname → ``BASE/QUOTE`` with common asset codes: ``"XBT/USD"`` → ``"BTC/USD"``."""
    base, _, quote = pair.upper().partition("/")
    return f"{_SHARED_ASSETS.get(base, base)}/{_SHARED_ASSETS.get(quote, quote)}"
