"""CoinEx v1 ``server.sign`` signature (:doc:`the CoinEx page </exchanges/coinex>` §4).

::

    authorisation = upper(hex(MD5("access_id=" + access_id + "&tonce=" + tonce
                                  + "&secret_key=" + secret_key)))

``tonce`` is the current Unix time in milliseconds (an integer; CoinEx accepts
it within ±60 s of its clock). This is the REST v1 rule applied to the only two
parameters ``access_id`` and ``tonce`` (sorted alphabetically, joined with ``&``,
then ``&secret_key=`` appended). Pure functions, safe from any thread.
"""

from __future__ import annotations

import hashlib

from exwire.errors import ConfigurationError

__all__ = ["sign", "string_to_sign"]


def string_to_sign(access_id: str, tonce: int, secret_key: str) -> str:
    """The text that is hashed: ``access_id=…&tonce=…&secret_key=…``."""
    return f"access_id={access_id}&tonce={tonce}&secret_key={secret_key}"


def sign(access_id: str, tonce: int, secret_key: str) -> str:
    """Compute the ``authorisation`` parameter of ``server.sign``: 32 upper-case hex digits.

    Args:
        access_id: the API access id (``Credentials.key``).
        tonce: Unix time in milliseconds.
        secret_key: the API secret (``Credentials.secret``).

    Raises:
        ConfigurationError: an empty access id or secret, or a non-integer tonce.
    """
    if not access_id or not isinstance(access_id, str):
        raise ConfigurationError("the CoinEx access id (Credentials.key) must be a non-empty string")
    if not secret_key or not isinstance(secret_key, str):
        raise ConfigurationError("the CoinEx secret key (Credentials.secret) must be a non-empty string")
    if isinstance(tonce, bool) or not isinstance(tonce, int):
        raise ConfigurationError(f"tonce must be integer milliseconds, got {tonce!r}")
    digest = hashlib.md5(string_to_sign(access_id, tonce, secret_key).encode("utf-8"))
    return digest.hexdigest().upper()
