"""OKX instrument ids: normalisation, validation and the type an id's shape names."""

from __future__ import annotations

import pytest

from exwire.errors import ConfigurationError
from exwire.okx.enums import InstrumentType
from exwire.okx.symbols import instrument_type_of, normalize_symbol, normalize_symbols


@pytest.mark.parametrize(
    ("given", "expected"),
    [("btc/usdt", "BTC-USDT"), ("BTC-USDT", "BTC-USDT"), (" eth-usdt-swap ", "ETH-USDT-SWAP"),
     ("btc-usd-260626-60000-c", "BTC-USD-260626-60000-C")],
)
def test_symbols_are_upper_case_with_dashes(given: str, expected: str) -> None:
    assert normalize_symbol(given) == expected


@pytest.mark.parametrize("bad", ["", "BTC", "BTC_USDT", "BTC--USDT", 5, None, b"BTC-USDT", "BTC USDT"])
def test_malformed_symbols_are_refused(bad: object) -> None:
    with pytest.raises(ConfigurationError):
        normalize_symbol(bad)


def test_several_symbols_are_deduplicated_in_order() -> None:
    assert normalize_symbols(["eth/usdt", "BTC-USDT", "ETH-USDT"]) == ["ETH-USDT", "BTC-USDT"]
    with pytest.raises(ConfigurationError):
        normalize_symbols([])
    with pytest.raises(ConfigurationError):
        normalize_symbols({"BTC-USDT": 1})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("symbol", "kind"),
    [("BTC-USDT", InstrumentType.SPOT), ("BTC-USDT-SWAP", InstrumentType.SWAP),
     ("BTC-USD-260626", InstrumentType.FUTURES), ("BTC-USD-260626-60000-C", InstrumentType.OPTION),
     ("BTC-USD-260626-60000-P", InstrumentType.OPTION)],
)
def test_the_instrument_type_follows_from_the_id(symbol: str, kind: InstrumentType) -> None:
    assert instrument_type_of(symbol) is kind
