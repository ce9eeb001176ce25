"""OKX instrument ids: upper-case, ``-`` between parts (``BTC-USDT``, ``BTC-USDT-SWAP``,
``BTC-USD-260626``, ``BTC-USD-260626-60000-C``), as OKX's v5 documentation
(https://www.okx.com/docs-v5/en/) writes them.

Input is case-insensitive and ``/`` stands for ``-`` (``"btc/usdt"`` → ``"BTC-USDT"``).
An unknown but well-formed id is the exchange's to refuse. Pure functions, safe from
any thread.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from exwire._core import validate
from exwire.errors import ConfigurationError
from exwire.okx.enums import InstrumentType

__all__ = ["normalize_symbol", "normalize_symbols", "instrument_type_of"]

_SYMBOL = re.compile(r"[A-Z0-9]+(?:-[A-Z0-9.]+)+")
_EXPIRY = re.compile(r"\d{6}")


def normalize_symbol(value: object, name: str = "symbol") -> str:
    """``"btc/usdt"`` or ``"BTC-USDT"`` → ``"BTC-USDT"``.

    Raises:
        ConfigurationError: not a string, empty, or not ``A-B[-...]``.
    """
    if not isinstance(value, str):
        raise ConfigurationError(f"{name}: an OKX instrument id looks like 'BTC-USDT', got {value!r}")
    text = value.strip().upper().replace("/", "-")
    if not _SYMBOL.fullmatch(text):
        raise ConfigurationError(f"{name}: an OKX instrument id looks like 'BTC-USDT', got {value!r}")
    return text


def normalize_symbols(value: str | Iterable[str], name: str = "symbols") -> list[str]:
    """One id or several → a de-duplicated list of OKX ids, order kept.

    Raises:
        ConfigurationError: empty, not a str or an iterable of str, or any element malformed.
    """
    return list(dict.fromkeys(normalize_symbol(symbol, name) for symbol in validate.symbols(value, name)))


def instrument_type_of(symbol: str) -> InstrumentType:
    """The instrument type an id's shape names: ``-SWAP`` a swap, ``-YYMMDD`` a future,
    ``-YYMMDD-strike-C``/``-P`` an option, else SPOT (MARGIN shares SPOT's ids)."""
    parts = symbol.split("-")
    if parts[-1] == "SWAP":
        return InstrumentType.SWAP
    if len(parts) >= 5 and parts[-1] in ("C", "P"):
        return InstrumentType.OPTION
    if len(parts) >= 3 and _EXPIRY.fullmatch(parts[2]):
        return InstrumentType.FUTURES
    return InstrumentType.SPOT
