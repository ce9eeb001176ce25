"""Kraken REST request signing and nonces (:doc:`the Kraken page </exchanges/kraken>` §6.2).

The WebSocket API itself is not signed: private requests carry a token, and the
token comes from the signed REST call ``POST /0/private/GetWebSocketsToken`` (§6.1).
The signature is::

    API-Sign = base64(HMAC-SHA512(base64decode(secret), uri_path + SHA256(nonce + postdata)))

where ``postdata`` is the exact form-encoded body sent (it includes ``nonce``).

Thread-safety: the functions are pure. :class:`NonceSource` is shared per API key
by every client of the process (see :func:`nonce_source`) and serialises the
signed calls made with that key, so nonces reach Kraken in increasing order even
when several threads or clients fetch tokens at the same time.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from urllib.parse import urlencode

from exwire.errors import ConfigurationError

__all__ = ["sign", "encode_body", "NonceSource", "nonce_source"]


def encode_body(params: dict[str, str | int]) -> str:
    """Form-encode ``params`` in their order (``nonce`` first by convention, §6.2)."""
    return urlencode(list(params.items()))


def sign(uri_path: str, nonce: int | str, postdata: str, secret: str) -> str:
    """Compute the ``API-Sign`` header of one REST call (§6.2).

    Args:
        uri_path: the path only, e.g. ``"/0/private/GetWebSocketsToken"``.
        nonce: the nonce sent in the body (its decimal text is hashed).
        postdata: the exact form-encoded body sent, ``nonce`` included.
        secret: the base64 API secret as Kraken shows it.

    Returns:
        The base64 signature.

    Raises:
        ConfigurationError: the secret is not valid base64 (the message never
            contains the secret).
    """
    try:
        key = base64.b64decode(secret, validate=True)
    except (binascii.Error, ValueError, TypeError):
        raise ConfigurationError("credentials.secret is not a base64 Kraken API secret") from None
    digest = hashlib.sha256((str(nonce) + postdata).encode("utf-8")).digest()
    mac = hmac.new(key, uri_path.encode("utf-8") + digest, hashlib.sha512)
    return base64.b64encode(mac.digest()).decode("ascii")


class NonceSource:
    """Strictly increasing nonces for one API key: epoch microseconds, bumped on ties.

    Kraken refuses a nonce not greater than the last one it saw for the key
    (``EAPI:Invalid nonce``, §6.2), so taking a nonce and sending the request that
    carries it must not interleave with another signed call: hold :meth:`signed_call`
    around both.
    """

    def __init__(self, clock: Callable[[], int] = time.time_ns) -> None:
        self._clock = clock
        self._last = 0
        self._lock = threading.Lock()  # guards _last
        self._call_lock = threading.Lock()  # serialises signed calls of this key

    def next(self) -> int:
        """A nonce greater than every one returned before."""
        with self._lock:
            nonce = max(self._clock() // 1000, self._last + 1)
            self._last = nonce
            return nonce

    @contextmanager
    def signed_call(self) -> Iterator[int]:
        """Hold the key's call lock and yield a fresh nonce; send the request inside."""
        with self._call_lock:
            yield self.next()


_sources: dict[str, NonceSource] = {}
_sources_lock = threading.Lock()


def nonce_source(api_key: str) -> NonceSource:
    """The process-wide :class:`NonceSource` of ``api_key`` (created on first use)."""
    with _sources_lock:
        source = _sources.get(api_key)
        if source is None:
            source = _sources[api_key] = NonceSource()
        return source
