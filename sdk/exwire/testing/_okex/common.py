"""Channels, error codes, the frame codec and the signature rule of the OKEx emulator (§2-§4, §8).

The signature check here is written independently of :mod:`exwire.okex.signing`, so
the two do not share a bug.

Section numbers (§) refer to the protocol notes of :doc:`the OKEx page </exchanges/okex>`.
"""

from __future__ import annotations

import ast
import hashlib
import json
import re
import time
import zlib
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

TRADE_CHANNELS = ("ok_spot_order", "ok_spot_cancel_order", "ok_spot_userinfo", "ok_spot_orderinfo")
KLINE_SECONDS = {
    "1min": 60, "3min": 180, "5min": 300, "15min": 900, "30min": 1800, "1hour": 3600,
    "2hour": 7200, "4hour": 14400, "6hour": 21600, "12hour": 43200, "day": 86400,
    "3day": 259200, "week": 604800,
}
_PUSH_CHANNEL = re.compile(
    r"ok_sub_spot_([a-z0-9]+_[a-z0-9]+)_(ticker|depth|depth_5|depth_10|depth_20|deals|order|balance"
    r"|kline_(?:" + "|".join(KLINE_SECONDS) + r"))"
)
_LEGACY_CHANNEL = re.compile(r"ok_(sub_)?spot(usd|cny|eth|btc)_.*")
# symbol → (best bid, best ask, price decimals); the reference quote of the matching engine
_SYMBOLS = {
    "btc_usdt": ("6500.0000", "6500.1000", 4),
    "eth_usdt": ("200.0000", "200.0100", 4),
    "ltc_usdt": ("50.0000", "50.0100", 4),
    "eth_btc": ("0.03100000", "0.03100100", 8),
    "ltc_btc": ("0.00800000", "0.00800100", 8),
    "bch_btc": ("0.05000000", "0.05000100", 8),
    "enj_btc": ("0.00001200", "0.00001201", 8),
}
_DEFAULT_BALANCES = {"btc": "10", "usdt": "100000", "eth": "100", "ltc": "1000", "bch": "100", "enj": "100000"}
_QUANTITY = Decimal("0.00000001")
_BOOK_LEVELS = 30
_FIRST_ORDER_ID = 2009043431203840  # the magnitude of the captured ids (> 2^32)

ERRORS = {
    10000: "Required parameter is empty",
    10005: "api_key or sign is invalid",
    10007: "Signature does not match",
    10008: "Parameter error",
    10009: "Order does not exist",
    10010: "Insufficient funds",
    10011: "Order quantity too low",
    10014: "Order price must be between 0 and 1,000,000",
    10015: "Channel subscription temporarily not available",
    10017: "WebSocket authorization error",
    20102: "Invalid logon.",
    20103: "The subscription event type is  invalid.",
    20107: "JSON format error",
    20116: "param not match.",
    1024: "Currency does not exist",
    1050: "Order already cancelled",
    1051: "Order already completed",
}


def deflate(text: str) -> bytes:
    """Compress like OKEx v1: one complete raw deflate stream, no header (§2)."""
    compressor = zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, -zlib.MAX_WBITS)
    return compressor.compress(text.encode("utf-8")) + compressor.flush()


def _encode(value: Any) -> str:
    """JSON text where ``Decimal`` becomes a bare JSON number with all its digits."""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dict):
        return "{" + ",".join(f"{json.dumps(str(k))}:{_encode(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(_encode(v) for v in value) + "]"
    return json.dumps(value)


def _signature(parameters: Mapping[str, Any], secret: str) -> str:
    # §4, written out again on purpose (see the module docstring).
    text = ""
    for name in sorted(parameters):
        if name != "sign":
            text += f"{name}={parameters[name]}&"
    return hashlib.md5(f"{text}secret_key={secret}".encode()).hexdigest().upper()


def _decimal(value: Any) -> Decimal | None:
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def _plain(value: Decimal) -> Decimal:
    """``Decimal("100000.000000")`` → ``Decimal("100000")``: no trailing zeros, no exponent."""
    return value.quantize(Decimal(1)) if value == value.to_integral_value() else value.normalize()


def _now_ms() -> int:
    return int(time.time() * 1000)


class _RequestError(Exception):
    def __init__(self, code: int) -> None:
        super().__init__(ERRORS.get(code, "error"))
        self.code = code


def _failure(code: int) -> dict[str, Any]:
    return {"result": False, "error_code": code, "error_msg": ERRORS.get(code, "error")}


def _parse(message: str | bytes) -> Any:
    """Strict JSON, or the single-quoted pseudo-JSON of the document's examples (§2)."""
    text = message.decode("utf-8", "replace") if isinstance(message, bytes) else message
    try:
        return json.loads(text)
    except ValueError:
        pass
    if len(text) > 65_536:
        return None
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return None
    return value if isinstance(value, (dict, list)) else None
