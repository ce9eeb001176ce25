"""Coinsuper MQTT log-on values (:doc:`the Coinsuper page </exchanges/coinsuper>` §2.1-§2.2).

Coinsuper has no log-on message: the MQTT CONNECT packet carries everything. A
public (market data) connection connects with a client id derived from the
access key, the e-mail and the topic, and a fixed user name and password; the
private connection connects with the raw access key as client id and a password
that signs a millisecond timestamp:

* public client id: ``md5hex(access_key) + md5hex(email) + md5hex(topic)`` (§2.1);
* private password: ``email + "," + timestamp + "," + md5hex(access_key + "," +
  secret + "," + email + "," + timestamp)`` (§2.2).

Every function is pure (time comes in as an argument) and safe from any thread.
"""

from __future__ import annotations

import hashlib
from typing import NamedTuple

from exwire.errors import ConfigurationError
from exwire.models import Credentials

__all__ = [
    "PUBLIC_USER_NAME",
    "PUBLIC_PASSWORD",
    "PRIVATE_USER_NAME",
    "Login",
    "md5_hex",
    "public_client_id",
    "private_sign",
    "private_password",
    "public_login",
    "private_login",
    "check_credentials",
]

#: The fixed MQTT user name of market-data connections (§2.1).
PUBLIC_USER_NAME = "api_subscriber"
#: The fixed MQTT password (the doc's ``userCode``) of market-data connections, published in the doc (§2.1).
PUBLIC_PASSWORD = "da65be18f44b33b69603c39fd03ddf49"
#: The fixed MQTT user name of the private connection (§2.2).
PRIVATE_USER_NAME = "api_private"


class Login(NamedTuple):
    """The three MQTT CONNECT fields of one connection. The password never appears in ``repr``."""

    client_id: str
    user_name: str
    password: str

    def __repr__(self) -> str:
        return f"Login(client_id={self.client_id!r}, user_name={self.user_name!r}, password='***')"


def md5_hex(text: str) -> str:
    """The MD5 digest of ``text`` (UTF-8) as 32 lower-case hex digits, as every Coinsuper demo computes it."""
    return hashlib.md5(text.encode("utf-8")).hexdigest()  # noqa: S324 - the exchange's scheme, not ours


def public_client_id(access_key: str, email: str, topic: str) -> str:
    """The 96-character client id of the public connection for one topic (§2.1).

    Args:
        access_key: the account's API access key.
        email: the account's e-mail.
        topic: the string hashed as the topic: the full topic (``$env`` + sub-topic, the
            doc's definition and what the Java and C# demos do) or the sub-topic alone
            (the Python demo); see the client's ``client_id_topic`` option.
    """
    return md5_hex(access_key) + md5_hex(email) + md5_hex(topic)


def private_sign(access_key: str, secret: str, email: str, timestamp_ms: int | str) -> str:
    """``md5hex(access_key,secret,email,timestamp)`` of the private password (§2.2)."""
    return md5_hex(f"{access_key},{secret},{email},{timestamp_ms}")


def private_password(access_key: str, secret: str, email: str, timestamp_ms: int | str) -> str:
    """The private connection's MQTT password: ``email,timestamp,sign`` (§2.2).

    Args:
        timestamp_ms: the current time in epoch milliseconds (the broker's tolerance
            for clock skew is not documented).
    """
    return f"{email},{timestamp_ms},{private_sign(access_key, secret, email, timestamp_ms)}"


def _require(credentials: Credentials | None, *, secret: bool) -> Credentials:
    needed = "key, secret and email" if secret else "key and email"
    if credentials is None or not credentials.key or not credentials.email or (secret and not credentials.secret):
        purpose = "private data" if secret else "market data (the client id derives from them)"
        raise ConfigurationError(
            f"Coinsuper {purpose} needs credentials=exwire.Credentials({needed}=...)"
        )
    return credentials


def public_login(credentials: Credentials | None, topic: str) -> Login:
    """CONNECT fields of the market-data connection for ``topic`` (§2.1).

    Raises:
        ConfigurationError: the credentials lack the access key or the e-mail.
    """
    credentials = _require(credentials, secret=False)
    email = credentials.email
    assert email is not None  # _require checked it
    return Login(public_client_id(credentials.key, email, topic), PUBLIC_USER_NAME, PUBLIC_PASSWORD)


def private_login(credentials: Credentials | None, timestamp_ms: int) -> Login:
    """CONNECT fields of the private connection at ``timestamp_ms`` (§2.2): client id = the access key.

    Raises:
        ConfigurationError: the credentials lack the access key, the secret or the e-mail.
    """
    credentials = _require(credentials, secret=True)
    password = private_password(
        credentials.key, credentials.secret, credentials.email, timestamp_ms  # type: ignore[arg-type]
    )
    return Login(credentials.key, PRIVATE_USER_NAME, password)


def check_credentials(credentials: Credentials | None, *, private: bool) -> None:
    """Raise ``ConfigurationError`` unless ``credentials`` can log on (private: with a secret)."""
    _require(credentials, secret=private)
