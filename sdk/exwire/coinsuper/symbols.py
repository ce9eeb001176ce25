"""Coinsuper's symbol form: ``BASE/QUOTE`` in upper case, ``"BTC/USD"``, ``"ETC/BTC"``.

The MQTT topics spell a pair with an underscore (``BTC_USD``, see
:func:`topic_symbol`); payloads, events and this SDK use the slash form. Both
functions accept any case and surrounding spaces.
"""

from __future__ import annotations

from collections.abc import Iterable

from exwire.errors import ConfigurationError

__all__ = ["normalize_symbol", "normalize_symbols", "topic_symbol"]


def normalize_symbol(value: object, name: str = "symbol") -> str:
    """``" btc/usd "`` → ``"BTC/USD"``.

    Raises:
        ConfigurationError: not a ``str`` of two alphanumeric parts joined by one ``/``.
    """
    if not isinstance(value, str) or value.count("/") != 1:
        raise ConfigurationError(f"a Coinsuper {name} looks like 'BTC/USD', got {value!r}")
    base, quote = (part.strip().upper() for part in value.split("/"))
    if not base or not quote or not (base + quote).isalnum() or not (base + quote).isascii():
        raise ConfigurationError(f"a Coinsuper {name} looks like 'BTC/USD', got {value!r}")
    return f"{base}/{quote}"


def normalize_symbols(value: str | Iterable[str], name: str = "symbols") -> list[str]:
    """One symbol or several → a list in Coinsuper's form, duplicates removed, order kept.

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


def topic_symbol(symbol: object) -> str:
    """``"btc/usd"`` → ``"BTC_USD"``, the topic form of a pair.

    Raises:
        ConfigurationError: not a ``BASE/QUOTE`` string.
    """
    return normalize_symbol(symbol).replace("/", "_", 1)
