"""Shared pieces of the Binance emulator: wire helpers, the error reply, accounts and their
signature checks (§4, §6 of :doc:`the Binance page </exchanges/binance>`), parameter readers."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import random
import re
from collections.abc import Callable, Mapping
from decimal import ROUND_DOWN, Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from exwire.models import Credentials

if TYPE_CHECKING:
    from exwire.testing._binance.spot_engine import _Order, _OrderList

_EIGHT = Decimal("0.00000001")
_ZERO = Decimal(0)


def _text(value: Decimal) -> str:
    return format(value.quantize(_EIGHT, rounding=ROUND_DOWN), "f")


def _dumps(message: Any) -> str:
    return json.dumps(message, separators=(",", ":"))


class _ApiError(Exception):
    """An error reply: ``{"status": status, "error": {"code", "msg", "data"?}}``."""

    def __init__(self, code: int, message: str, status: int = 400, data: Any = None) -> None:
        super().__init__(message)
        self.code, self.message, self.status, self.data = code, message, status, data


def _mandatory(name: str) -> _ApiError:
    return _ApiError(-1102, f"Mandatory parameter '{name}' was not sent, was empty/null, or malformed.")


# -- accounts and signatures (§6) ----------------------------------------------------------


class _Account:
    """One API key and its balances (totals; what is locked is derived from open orders)."""

    def __init__(self, api_key: str, key_type: str, verify: Callable[[bytes, str], bool],
                 balances: Mapping[str, Decimal]) -> None:
        self.api_key, self.key_type, self.verify = api_key, key_type, verify
        self.totals: dict[str, Decimal] = dict(balances)
        self.orders: list[_Order] = []
        self.lists: list[_OrderList] = []
        self.trades: list[dict[str, Any]] = []
        self.allocations: list[dict[str, Any]] = []
        self.uid = random.Random(api_key).randint(10**8, 10**9)

    def locked(self) -> dict[str, Decimal]:
        locked: dict[str, Decimal] = {}
        counted: set[int] = set()
        for order in self.orders:
            if order.status not in ("NEW", "PARTIALLY_FILLED") or id(order) in counted:
                continue
            group = order.oco_group or [order]
            counted.update(id(member) for member in group)
            asset, amount = max((member.requirement() for member in group), key=lambda item: item[1])
            locked[asset] = locked.get(asset, _ZERO) + amount
        return locked

    def balance(self, asset: str) -> tuple[Decimal, Decimal]:
        locked = self.locked().get(asset, _ZERO)
        return self.totals.get(asset, _ZERO) - locked, locked


def _payload(params: Mapping[str, Any]) -> str:
    """The signed text (§6.3), written independently of the client's signing module."""
    def render(value: Any) -> str:
        if value is True or value is False:
            return str(value).lower()
        if isinstance(value, (list, dict)):
            return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
        return str(value)

    return "&".join(f"{key}={render(params[key])}" for key in sorted(params) if key != "signature")


def _make_account(key_type: str, api_key: str, balances: Mapping[str, Decimal], *, secret: str | None = None,
                  public_key_pem: str | None = None) -> tuple[_Account, Credentials]:
    """An account and its credentials: a generated key of ``key_type``, or the user's own
    HMAC ``secret`` or PEM public key (then the credentials carry no private key).

    Raises:
        ValueError: ``public_key_pem`` is not an Ed25519 or RSA public key.
    """
    if secret is not None or (key_type == "hmac" and public_key_pem is None):
        secret = secret if secret is not None else hashlib.sha256(f"secret:{api_key}".encode()).hexdigest()

        def verify_hmac(payload: bytes, signature: str) -> bool:
            expected = hmac.new(secret.encode(), payload, hashlib.sha256).hexdigest()
            return hmac.compare_digest(expected, signature.lower())

        return _Account(api_key, "hmac", verify_hmac, balances), Credentials(key=api_key, secret=secret)
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519, padding, rsa

    pem: str | None = None
    public: Any
    if public_key_pem is not None:
        loaded = serialization.load_pem_public_key(public_key_pem.encode("ascii"))
        if isinstance(loaded, ed25519.Ed25519PublicKey):
            key_type = "ed25519"
        elif isinstance(loaded, rsa.RSAPublicKey):
            key_type = "rsa"
        else:
            raise ValueError("public_key_pem must be an Ed25519 or RSA public key")
        public = loaded
    else:
        private: Any = ed25519.Ed25519PrivateKey.generate() if key_type == "ed25519" else \
            rsa.generate_private_key(public_exponent=65537, key_size=2048)
        public = private.public_key()
        pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption()).decode("ascii")

    def verify_key(payload: bytes, signature: str) -> bool:
        try:
            raw = base64.b64decode(signature, validate=True)
            if key_type == "ed25519":
                public.verify(raw, payload)
            else:
                public.verify(raw, payload, padding.PKCS1v15(), hashes.SHA256())
            return True
        except (InvalidSignature, ValueError):
            return False

    return _Account(api_key, key_type, verify_key, balances), Credentials(key=api_key, private_key=pem)


def _decimal(params: Mapping[str, Any], name: str) -> Decimal | None:
    value = params.get(name)
    if value is None:
        return None
    try:
        result = Decimal(str(value))
    except InvalidOperation:
        raise _ApiError(-1100, f"Illegal characters found in parameter '{name}'; legal range is "
                               "'^([0-9]{1,20})(\\.[0-9]{1,20})?$'.") from None
    if not result.is_finite() or result < 0:
        raise _ApiError(-1100, f"Illegal characters found in parameter '{name}'.")
    return result



def _symbols_param(params: Mapping[str, Any]) -> list[str] | None:
    symbols = params.get("symbols")
    if isinstance(symbols, str):  # the official Python SDK sends a JSON-encoded string (§3)
        try:
            symbols = json.loads(symbols)
        except ValueError:
            raise _ApiError(-1100, "Illegal characters found in parameter 'symbols'.") from None
    if symbols is not None and not (isinstance(symbols, list) and all(isinstance(s, str) for s in symbols)):
        raise _ApiError(-1100, "Illegal characters found in parameter 'symbols'.")
    return symbols


_INTEGER_PARAMS = frozenset({
    "limit", "orderId", "recvWindow", "timestamp", "startTime", "endTime", "fromId", "orderListId", "strategyId",
    "strategyType", "trailingDelta", "goodTillDate", "cancelOrderId", "cancelOrderListId", "subscriptionId",
    "preventedMatchId", "fromPreventedMatchId", "algoId", "allocationId", "fromAllocationId", "leverage",
    "modifyId"})
_INTEGER_SUFFIXES = ("StrategyId", "StrategyType", "TrailingDelta")
_BOOLEAN_PARAMS = frozenset({"omitZeroBalances", "computeCommissionRates", "returnRateLimits", "reduceOnly",
                             "closePosition", "priceProtect"})
_DIGITS = re.compile(r"-?(0|[1-9][0-9]{0,18})")


def _coerce(params: dict[str, Any]) -> dict[str, Any]:
    """Integers and booleans sent as JSON strings, as Binance's own SDKs and ccxt send them
    (``"limit": "5"``, ``"orderId": "123"``, ``"recvWindow": "5000"``, ``"omitZeroBalances": "true"``),
    read as Binance reads them. Only canonical spellings convert, so the signed text is unchanged."""
    result = dict(params)
    for name, value in params.items():
        if not isinstance(value, str):
            continue
        if (name in _INTEGER_PARAMS or name.endswith(_INTEGER_SUFFIXES)) and _DIGITS.fullmatch(value):
            result[name] = int(value)
        elif name in _BOOLEAN_PARAMS and value in ("true", "false"):
            result[name] = value == "true"
    return result


def _int(params: Mapping[str, Any], name: str, default: int | None = None, low: int = 0,
         high: int | None = None) -> int | None:
    value = params.get(name, default)
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or value < low or (high is not None and value > high):
        raise _ApiError(-1100 if not isinstance(value, int) else -1130, f"Invalid value for parameter '{name}'.")
    return value


