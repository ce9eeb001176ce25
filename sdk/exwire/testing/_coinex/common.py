"""Constants, markets and wire helpers the CoinEx emulator's modules share (§2, §2.4, §5.7).

Section numbers (§) refer to the protocol notes of :doc:`the CoinEx page </exchanges/coinex>`.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterable
from decimal import ROUND_DOWN, Decimal
from pathlib import Path
from typing import Any, NamedTuple

from exwire.errors import ConfigurationError

DEFAULT_ACCESS_ID = "E6D1A7B0C0E54E3E9B1F0EMULATOR01"
DEFAULT_SECRET = "0D2F5A9C4B7E4F8A9E3C1B6D8F0A2C4E6B8D0F1A3C5E7B9D"

DEPTH_LIMITS = (1, 5, 10, 20, 30, 50)
MERGE_STEPS = ("0", "0.0000000001", "0.000000001", "0.00000001", "0.0000001", "0.000001", "0.00001",
               "0.0001", "0.001", "0.01", "0.1", "1", "10", "100")
KLINE_INTERVALS = (60, 180, 300, 900, 1800, 3600, 7200, 14400, 21600, 43200, 86400, 259200, 604800)
TONCE_WINDOW_MS = 60_000
FEE_RATE = Decimal("0.002")
_BOOK_LEVELS = 60  # levels kept per side, more than the largest limit
_HISTORY = 1000  # trades kept per market (deals.query's deal_max)
_ERRORS = {1: "invalid argument", 2: "internal error", 3: "service unavailable", 4: "method not found",
           5: "service timeout", 6: "require authentication", 7: "too quick"}
_PRIVATE = ("asset.", "order.")


class _Spec(NamedTuple):
    start: str  # first price
    price_decimals: int
    amount_decimals: int
    spacing: int  # most ticks between two book levels
    base: str
    quote: str


_MARKETS = {
    "BTCUSDT": _Spec("39121.21", 2, 8, 80, "BTC", "USDT"),
    "ETHUSDT": _Spec("3000.00", 2, 8, 10, "ETH", "USDT"),
    "CETUSDT": _Spec("0.050000", 6, 8, 20, "CET", "USDT"),
    "ETHBTC": _Spec("0.070000", 6, 8, 5, "ETH", "BTC"),
    "BCHBTC": _Spec("0.01900000", 8, 8, 20, "BCH", "BTC"),
}
_DEFAULT_BALANCES = {"USDT": "10000", "BTC": "1", "ETH": "10", "CET": "1000", "BCH": "5"}


def depth_checksum(bids: Iterable[list[str]], asks: Iterable[list[str]]) -> int:
    """CoinEx's book checksum (§5.7): CRC-32 of ``bid1_price:bid1_amount:…:ask1_price:…``."""
    return zlib.crc32(":".join(text for levels in (bids, asks) for level in levels for text in level[:2])
                      .encode("ascii"))


def _format(units: int, decimals: int) -> str:
    sign, units = ("-", -units) if units < 0 else ("", units)
    if decimals == 0:
        return f"{sign}{units}"
    whole, fraction = divmod(units, 10**decimals)
    return f"{sign}{whole}.{fraction:0{decimals}d}"


def _units(text: str, decimals: int) -> int:
    return int(Decimal(text).scaleb(decimals))


def _plain(value: Decimal, decimals: int = 8) -> str:
    return format(value.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_DOWN), "f")


def _dumps(message: Any) -> str:
    return json.dumps(message, separators=(",", ":"))


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


class _Refusal(Exception):
    """A request answered with a CoinEx error code."""

    def __init__(self, code: int, message: str | None = None) -> None:
        super().__init__(message or _ERRORS.get(code, "error"))
        self.code = code
        self.message = message or _ERRORS.get(code, "error")


def _load_trades(path: str | Path) -> list[dict[str, Any]]:
    trades = json.loads(Path(path).read_text(encoding="utf-8-sig"))
    if not isinstance(trades, list) or not trades or not all(
            isinstance(t, dict) and {"id", "time", "type", "price", "amount"} <= t.keys() for t in trades):
        raise ConfigurationError(f"{path}: expected a JSON array of CoinEx trades")
    return sorted(trades, key=lambda t: t["id"], reverse=True)
