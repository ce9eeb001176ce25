"""Instruments, error codes, the login signature and the book checksum of the OKX emulator.

Written from the OKX API v5 documentation (https://www.okx.com/docs-v5/en/), independently
of :mod:`exwire.okx`, so that the emulator and the client do not share a bug.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

__all__ = [
    "INSTRUMENTS",
    "Instrument",
    "book_checksum",
    "dumps",
    "fmt",
    "login_sign",
    "to_decimal",
]

#: Messages of the error codes the emulator sends (the WebSocket error-code table and the
#: trade sCodes of https://www.okx.com/docs-v5/en/#error-code-websocket).
ERRORS = {
    "50014": "Parameter {0} can not be empty.",
    "50102": "Timestamp request expired",
    "51000": "Parameter {0} error",
    "51001": "Instrument ID, Instrument ID code or Spread ID doesn't exist.",
    "51008": "Order failed. Insufficient {0} balance in account.",
    "51016": "Duplicated clOrdId",
    "51020": "Your order should meet or exceed the minimum order amount.",
    "51121": "Order quantity must be a multiple of the lot size.",
    "51400": "Order cancellation failed as the order has been filled, canceled or does not exist.",
    "51503": "Order modification failed as the order has been filled, canceled or does not exist.",
    "60004": "Invalid timestamp",
    "60005": "Invalid apiKey",
    "60006": "Timestamp request expired",
    "60007": "Invalid sign",
    "60009": "Login failed.",
    "60011": "Please log in",
    "60012": "Invalid request: {0}",
    "60013": "Invalid args",
    "60018": ("Wrong URL or channel:{0},instId:{1} doesn't exist. Please use the correct URL, "
              "channel and parameters referring to API document."),
    "60019": "Invalid op: {0}",
    "60024": "Wrong passphrase",
    "60031": "The WebSocket endpoint does not allow multiple or repeated logins.",
    "60032": "API key doesn't exist",
    "64001": ("This channel has been migrated to the '/business' URL. Please subscribe using the "
              "new URL. More details can refer to: https://www.okx.com/help-center/changes-to-v5-"
              "api-websocket-subscription-parameter-and-url"),
    "64002": 'This channel is not supported by "business" URL. Please use "public" URL.',
    "64004": ("You can not subscribe to books-l2-tbt together with books or books50-l2-tbt "
              "for one instId."),
    "64008": "The connection will soon be closed for a service upgrade. Please reconnect.",
}


def message(code: str, *args: Any) -> str:
    """The message of error ``code`` with its placeholders filled."""
    return ERRORS[code].format(*args)


@dataclass(frozen=True)
class Instrument:
    """One tradable instrument of the emulator and its reference price."""

    inst_id: str
    inst_type: str
    code: int
    tick: Decimal
    lot: Decimal
    min_size: Decimal
    price: Decimal
    base: str = ""
    quote: str = ""
    settle: str = ""
    contract_value: Decimal = Decimal(1)
    family: str = ""
    expiry: str = ""
    leverage: int = 10

    @property
    def is_spot(self) -> bool:
        return self.inst_type == "SPOT"

    @property
    def index(self) -> str:
        """The index the instrument follows (``BTC-USDT``, ``BTC-USD``)."""
        return self.family or self.inst_id


def _inst(inst_id: str, inst_type: str, code: int, tick: str, lot: str, min_size: str,
          price: str, **extra: Any) -> Instrument:
    return Instrument(inst_id, inst_type, code, Decimal(tick), Decimal(lot), Decimal(min_size),
                      Decimal(price), **extra)


_FUTURE = "261225"
INSTRUMENTS: dict[str, Instrument] = {i.inst_id: i for i in (
    _inst("BTC-USDT", "SPOT", 10001, "0.1", "0.00000001", "0.00001", "60000",
          base="BTC", quote="USDT"),
    _inst("ETH-USDT", "SPOT", 10002, "0.01", "0.000001", "0.0001", "3000",
          base="ETH", quote="USDT"),
    _inst("ETH-BTC", "SPOT", 10003, "0.00001", "0.000001", "0.001", "0.05",
          base="ETH", quote="BTC"),
    _inst("BTC-USDT-SWAP", "SWAP", 20001, "0.1", "0.01", "0.01", "60010", settle="USDT",
          contract_value=Decimal("0.01"), family="BTC-USDT"),
    _inst("ETH-USDT-SWAP", "SWAP", 20002, "0.01", "0.01", "0.01", "3001", settle="USDT",
          contract_value=Decimal("0.1"), family="ETH-USDT"),
    _inst(f"BTC-USDT-{_FUTURE}", "FUTURES", 30001, "0.1", "1", "1", "61000", settle="USDT",
          contract_value=Decimal("0.01"), family="BTC-USDT", expiry=_FUTURE),
    _inst(f"BTC-USD-{_FUTURE}-60000-C", "OPTION", 40001, "0.0005", "1", "1", "0.08",
          settle="BTC", contract_value=Decimal("0.01"), family="BTC-USD", expiry=_FUTURE, leverage=1),
    _inst(f"BTC-USD-{_FUTURE}-60000-P", "OPTION", 40002, "0.0005", "1", "1", "0.06",
          settle="BTC", contract_value=Decimal("0.01"), family="BTC-USD", expiry=_FUTURE, leverage=1),
)}
INSTRUMENT_TYPES = ("SPOT", "MARGIN", "SWAP", "FUTURES", "OPTION")
#: Index ids of ``index-tickers`` / ``index-candle*`` and the instrument whose price they follow.
INDEXES = {"BTC-USDT": "BTC-USDT", "ETH-USDT": "ETH-USDT", "BTC-USD": "BTC-USDT",
           "ETH-USD": "ETH-USDT", "ETH-BTC": "ETH-BTC"}
#: Bars of the candle channels and their length in seconds (months and quarters: 30 and 90
#: days, which is close enough for generated data); the bars without ``utc`` from 6H up
#: start at Hong Kong midnight (UTC+8).
BARS = {
    "1s": 1, "1m": 60, "3m": 180, "5m": 300, "15m": 900, "30m": 1800, "1H": 3600, "2H": 7200,
    "4H": 14400, "6H": 21600, "12H": 43200, "1D": 86400, "2D": 172800, "3D": 259200,
    "1W": 604800, "1M": 2592000, "3M": 7776000,
    "6Hutc": 21600, "12Hutc": 43200, "1Dutc": 86400, "2Dutc": 172800, "3Dutc": 259200,
    "1Wutc": 604800, "1Mutc": 2592000, "3Mutc": 7776000,
}
_HONG_KONG_BARS = {"6H", "12H", "1D", "2D", "3D", "1W", "1M", "3M"}
REQUEST_ID = re.compile(r"[A-Za-z0-9]{1,32}")
CLIENT_ORDER_ID = re.compile(r"[A-Za-z0-9]{1,32}")


def bar_start(bar: str, now_ms: int) -> int:
    """Opening time (Unix ms) of the ``bar`` period containing ``now_ms``."""
    length = BARS[bar] * 1000
    offset = 8 * 3600 * 1000 if bar in _HONG_KONG_BARS else 0
    return (now_ms + offset) // length * length - offset


def to_decimal(value: Any) -> Decimal | None:
    """A finite ``Decimal`` from a wire string (or number); ``None`` when it is not one."""
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        return None
    try:
        number = Decimal(value)
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def fmt(value: Decimal) -> str:
    """A plain decimal string without trailing zeros (``"0.00000001"``, ``"60000"``)."""
    if value == 0:
        return "0"
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def dumps(value: Any) -> str:
    """Compact JSON, as OKX sends it."""
    return json.dumps(value, separators=(",", ":"))


def login_sign(secret: str, timestamp: str) -> str:
    """Base64 HMAC-SHA256 of ``timestamp + "GET" + "/users/self/verify"`` with ``secret``
    (https://www.okx.com/docs-v5/en/#overview-websocket-login)."""
    prehash = f"{timestamp}GET/users/self/verify".encode()
    return base64.b64encode(hmac.new(secret.encode(), prehash, hashlib.sha256).digest()).decode()


def book_checksum(bids: Sequence[Sequence[str]], asks: Sequence[Sequence[str]]) -> int:
    """The signed CRC32 of the best 25 bids and asks, interleaved bid first, each level
    ``price:size`` in its wire strings, joined by ``:`` (the order book "Checksum" of
    https://www.okx.com/docs-v5/en/#order-book-trading-market-data-ws-order-book-channel).

    ``bids`` best (highest) first, ``asks`` best (lowest) first; each level starts with
    its price and size strings.
    """
    parts: list[str] = []
    for index in range(25):
        for side in (bids, asks):
            if index < len(side):
                parts.append(f"{side[index][0]}:{side[index][1]}")
    value = zlib.crc32(":".join(parts).encode("ascii"))
    return value - (1 << 32) if value >= 1 << 31 else value


def without(mapping: dict[str, Any], keys: Iterable[str]) -> dict[str, Any]:
    """A copy of ``mapping`` without ``keys``."""
    drop = set(keys)
    return {k: v for k, v in mapping.items() if k not in drop}
