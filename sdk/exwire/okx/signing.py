"""OKX v5 WebSocket login signature (https://www.okx.com/docs-v5/en/#overview-websocket-login).

``sign`` = Base64(HMAC-SHA256(key = secret, message = timestamp + ``GET`` +
``/users/self/verify``)), the timestamp being whole Unix seconds as a string. Pure
functions, safe from any thread; the secret never leaves this module except inside the
digest.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

from exwire.errors import ConfigurationError

__all__ = ["prehash", "sign", "login_args"]

_METHOD = "GET"
_PATH = "/users/self/verify"


def prehash(timestamp: str) -> str:
    """The text that is signed: ``timestamp + "GET" + "/users/self/verify"``."""
    return f"{timestamp}{_METHOD}{_PATH}"


def sign(secret: str, timestamp: str) -> str:
    """The Base64 HMAC-SHA256 login signature for ``timestamp`` (whole Unix seconds, a str).

    Raises:
        ConfigurationError: an empty secret, or a timestamp that is not whole seconds.
    """
    if not secret:
        raise ConfigurationError("OKX login needs a secret")
    if not isinstance(timestamp, str) or not timestamp.isdigit():
        raise ConfigurationError(f"the login timestamp is whole Unix seconds as a string, got {timestamp!r}")
    digest = hmac.new(secret.encode("utf-8"), prehash(timestamp).encode("utf-8"), hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def login_args(key: str, secret: str, passphrase: str, timestamp: int | str) -> dict[str, str]:
    """The one ``args`` item of a ``login`` request.

    Args:
        key: the API key; secret: its secret; passphrase: the key's passphrase.
        timestamp: Unix time in whole seconds (an ``int`` or a digit string).

    Raises:
        ConfigurationError: an empty key, secret or passphrase.
    """
    if not key or not passphrase:
        raise ConfigurationError("OKX login needs credentials with key, secret and passphrase")
    text = str(timestamp)
    return {"apiKey": key, "passphrase": passphrase, "timestamp": text, "sign": sign(secret, text)}
