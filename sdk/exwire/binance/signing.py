"""Request signing of the Binance WebSocket API (§6 of :doc:`the Binance page </exchanges/binance>`).

The payload is every ``params`` entry except ``signature``, sorted by name, rendered
``name=value`` and joined with ``&`` — with **no percent-encoding** (§6.3: peers that
URL-encode diverge from the documented rule on non-ASCII symbols and ``:``/``/`` in
client order ids). Values render as their literal text: strings as-is, integers in
decimal, booleans lowercase, decimals as plain strings. The same values go into the
JSON frame, so what is sent is exactly what was signed.

Three key types (§6.3): HMAC-SHA256 (lowercase hex), RSA PKCS#1 v1.5 with SHA-256
(standard base64) and Ed25519 (standard base64). Only an Ed25519 key may log a session
on with ``session.logon`` (§7); the others sign every request.

Every object here is immutable after construction and safe to use from any thread.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Mapping
from decimal import Decimal
from enum import Enum
from typing import Any

from exwire.errors import ConfigurationError
from exwire.models import Credentials

__all__ = ["Signer", "HmacSigner", "RsaSigner", "Ed25519Signer", "signer_for", "signature_payload", "render_value"]


def render_value(value: Any) -> str:
    """Render one parameter value as the signature payload shows it (§6.3 step 3).

    Raises:
        ConfigurationError: a float (its repr may use exponent notation; pass a
            ``Decimal`` or a string) or a type that has no wire form.
    """
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, Enum):
        return render_value(value.value)
    if isinstance(value, (list, tuple)):
        # ARRAY parameters travel as JSON arrays (§3); their text form is the compact JSON.
        return json.dumps(list(value), separators=(",", ":"), ensure_ascii=False)
    raise ConfigurationError(f"cannot sign a parameter of type {type(value).__name__}: {value!r}")


def signature_payload(params: Mapping[str, Any]) -> str:
    """Build the text that is signed: sorted ``name=value`` pairs joined by ``&`` (§6.3)."""
    return "&".join(f"{name}={render_value(params[name])}" for name in sorted(params) if name != "signature")


class Signer:
    """Signs a payload with one API key. Immutable; thread-safe.

    Attributes:
        api_key: the Binance API key (sent as ``apiKey``).
        key_type: ``"hmac"``, ``"rsa"`` or ``"ed25519"``.
        can_log_on: whether ``session.logon`` accepts this key type (Ed25519 only, §7).
    """

    key_type = "none"
    can_log_on = False

    def __init__(self, api_key: str) -> None:
        if not isinstance(api_key, str) or not api_key:
            raise ConfigurationError("credentials.key (the Binance API key) is required")
        self.api_key = api_key

    def sign(self, payload: str) -> str:
        """Sign ``payload`` (UTF-8) and return the signature text."""
        raise NotImplementedError

    def sign_params(self, params: Mapping[str, Any]) -> str:
        """Sign a ``params`` object (its ``signature`` entry, if any, is left out)."""
        return self.sign(signature_payload(params))

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.api_key[:4]}...>"


class HmacSigner(Signer):
    """HMAC-SHA256 with the secret key; lowercase hex (§6.3, vectors in §6.4)."""

    key_type = "hmac"

    def __init__(self, api_key: str, secret: str) -> None:
        super().__init__(api_key)
        self._secret = secret.encode("utf-8")

    def sign(self, payload: str) -> str:
        return hmac.new(self._secret, payload.encode("utf-8"), hashlib.sha256).hexdigest()


class RsaSigner(Signer):
    """RSASSA-PKCS1-v1_5 with SHA-256; standard base64 (§6.3)."""

    key_type = "rsa"

    def __init__(self, api_key: str, private_key: Any) -> None:
        super().__init__(api_key)
        self._key = private_key

    def sign(self, payload: str) -> str:
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import padding

        signature = self._key.sign(payload.encode("utf-8"), padding.PKCS1v15(), hashes.SHA256())
        return base64.b64encode(signature).decode("ascii")


class Ed25519Signer(Signer):
    """Ed25519 (pure, RFC 8032); standard base64 (§6.3, vectors in §6.6)."""

    key_type = "ed25519"
    can_log_on = True

    def __init__(self, api_key: str, private_key: Any) -> None:
        super().__init__(api_key)
        self._key = private_key

    def sign(self, payload: str) -> str:
        return base64.b64encode(self._key.sign(payload.encode("utf-8"))).decode("ascii")


def load_private_key(pem: str | bytes, password: str | bytes | None = None) -> Any:
    """Load a PEM private key (PKCS#8 or traditional), optionally encrypted.

    Raises:
        ConfigurationError: not a PEM private key, wrong or missing password.
    """
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    data = pem.encode("ascii") if isinstance(pem, str) else pem
    secret = password.encode("utf-8") if isinstance(password, str) else password
    try:
        return load_pem_private_key(data, password=secret)
    except TypeError:
        if secret is not None:  # the key is not encrypted: the secret was not a password
            try:
                return load_pem_private_key(data, password=None)
            except (TypeError, ValueError) as exc:
                raise ConfigurationError(f"credentials.private_key is not a usable PEM key: {exc}") from None
        raise ConfigurationError("credentials.private_key is encrypted: pass its password as credentials.secret") from None
    except ValueError as exc:
        # The message of cryptography never contains the key material.
        raise ConfigurationError(f"credentials.private_key is not a usable PEM private key: {exc}") from None


def signer_for(credentials: Credentials) -> Signer:
    """Choose the signer from ``credentials`` (§6.3).

    ``private_key`` (PEM) selects RSA or Ed25519 by the key's type; ``secret`` is then
    only the PEM's password, if it is encrypted. Without ``private_key``, ``secret``
    is the HMAC secret key.

    Raises:
        ConfigurationError: no key, neither secret nor private key, or a key type
            Binance does not use.
    """
    if credentials.private_key:
        from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

        key = load_private_key(credentials.private_key, credentials.secret)
        if isinstance(key, ed25519.Ed25519PrivateKey):
            return Ed25519Signer(credentials.key, key)
        if isinstance(key, rsa.RSAPrivateKey):
            return RsaSigner(credentials.key, key)
        raise ConfigurationError(f"Binance keys are Ed25519 or RSA, not {type(key).__name__}")
    if credentials.secret:
        return HmacSigner(credentials.key, credentials.secret)
    raise ConfigurationError("Binance credentials need a secret (HMAC) or a private_key (Ed25519/RSA PEM)")
