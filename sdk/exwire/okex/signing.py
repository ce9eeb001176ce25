"""OKEx v1 request signatures (§4 of :doc:`the OKEx page </exchanges/okex>`).

The rule: every request parameter except ``sign`` (``api_key`` included), as
``key=value`` with the value exactly as sent, sorted by name in byte order,
joined with ``&``; then ``&secret_key=<secret>`` is appended (always last, never
sorted in); the MD5 of the UTF-8 bytes, in upper-case hex, is ``sign``.

Pure functions, safe from any thread. The secret never leaves this module
except inside the digest.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

from exwire.errors import ConfigurationError

__all__ = ["string_to_sign", "sign", "signed_parameters"]


def string_to_sign(parameters: Mapping[str, str], secret: str) -> str:
    """The exact text that is hashed (§4 steps 1-4).

    Args:
        parameters: the request parameters as strings, with or without ``sign``
            (it is left out).
        secret: the account's secret key.

    Raises:
        ConfigurationError: a value is not a ``str`` (its formatting would be a guess).
    """
    for name, value in parameters.items():
        if not isinstance(value, str):
            raise ConfigurationError(f"parameter {name!r} must be sent as a string, got {type(value).__name__}")
    pairs = "&".join(f"{name}={parameters[name]}" for name in sorted(parameters) if name != "sign")
    return f"{pairs}&secret_key={secret}"


def sign(parameters: Mapping[str, str], secret: str) -> str:
    """The 32-character upper-case hex MD5 signature of ``parameters`` (§4 step 5).

    Raises:
        ConfigurationError: a value is not a ``str``.
    """
    return hashlib.md5(string_to_sign(parameters, secret).encode("utf-8")).hexdigest().upper()


def signed_parameters(api_key: str, secret: str, parameters: Mapping[str, str] | None = None) -> dict[str, str]:
    """``parameters`` plus ``api_key`` and its ``sign``: the ``parameters`` object of a signed request.

    Raises:
        ConfigurationError: empty key or secret, or a value that is not a ``str``.
    """
    if not api_key or not secret:
        raise ConfigurationError("OKEx requests need credentials with a key and a secret")
    result = {"api_key": api_key, **(parameters or {})}
    result["sign"] = sign(result, secret)
    return result
