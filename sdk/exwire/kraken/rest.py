"""The one Kraken REST call the WebSocket API needs: ``GetWebSocketsToken`` (§6.1 of :doc:`the Kraken page </exchanges/kraken>`).

A :class:`TokenFetcher` owns one ``requests.Session`` (closed by :meth:`close`),
signs each call as §6.2 documents, with a nonce from the API key's process-wide
:class:`~exwire.kraken.signing.NonceSource`, and maps Kraken's ``error`` strings
through the one table in :mod:`exwire.kraken.protocol`.

Secrets stay out of every message: the secret only feeds the HMAC, the token is
returned inside a :class:`~exwire.kraken.models.WebSocketToken` whose ``repr``
hides it, and no exception carries a response body that could hold it.

The session honours the client's :class:`~exwire._core.netopts.NetworkOptions`: its
``proxy`` (an HTTP CONNECT tunnel for ``https://``, given on every request so that
environment proxies cannot override it) and its ``ssl_context`` (mounted for
``https://`` through :class:`_ContextAdapter`).

Thread-safe: calls with one API key are serialised by its nonce source (so
nonces reach Kraken in order).
"""

from __future__ import annotations

import logging
import ssl
from datetime import UTC, datetime
from typing import Any

import requests
from requests.adapters import HTTPAdapter

from exwire._core.netopts import NetworkOptions
from exwire.errors import (
    ConfigurationError,
    ConnectError,
    DecodeError,
    ExchangeUnavailable,
    InvalidState,
    RequestTimeout,
)
from exwire.kraken.converter import websocket_token_from_wire
from exwire.kraken.models import WebSocketToken
from exwire.kraken.protocol import map_error
from exwire.kraken.signing import encode_body, nonce_source, sign
from exwire.models import Credentials

__all__ = ["TokenFetcher", "TOKEN_PATH"]

TOKEN_PATH = "/0/private/GetWebSocketsToken"

log = logging.getLogger("exwire.kraken")


class _ContextAdapter(HTTPAdapter):
    """An ``HTTPAdapter`` whose TLS connections, direct or tunnelled through a proxy,
    use one ``ssl.SSLContext`` as it is.

    requests has no ``SSLContext`` parameter; urllib3 has ``ssl_context=``, passed here
    to the pool manager and to every proxy manager. requests would also point the
    connections at its certifi bundle (urllib3 then loads it into the context, adding
    trust the caller did not give) and force ``CERT_REQUIRED`` on the context;
    :meth:`cert_verify` leaves both to the context instead.
    """

    def __init__(self, ssl_context: ssl.SSLContext) -> None:
        self._ssl_context = ssl_context
        super().__init__()  # calls init_poolmanager, which needs the context

    def init_poolmanager(self, connections: int, maxsize: int, block: bool = False, **pool_kwargs: Any) -> None:
        pool_kwargs["ssl_context"] = self._ssl_context
        super().init_poolmanager(connections, maxsize, block=block, **pool_kwargs)

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        proxy_kwargs["ssl_context"] = self._ssl_context
        return super().proxy_manager_for(proxy, **proxy_kwargs)

    def cert_verify(self, conn: Any, url: str, verify: Any, cert: Any) -> None:
        super().cert_verify(conn, url, verify, cert)
        if url.lower().startswith("https"):
            conn.cert_reqs = self._ssl_context.verify_mode  # urllib3 sets it on the context
            conn.ca_certs = None
            conn.ca_cert_dir = None


class TokenFetcher:
    """Fetches WebSocket tokens over REST for one set of credentials.

    Args:
        rest_url: the REST base, e.g. ``https://api.kraken.com``.
        credentials: the API key and its base64 secret; ``None`` makes every fetch
            raise ``ConfigurationError``.
        network: the client's TLS context and proxy (see the module docstring);
            ``None``: requests' defaults (certifi, environment proxies).
    """

    def __init__(self, rest_url: str, credentials: Credentials | None,
                 network: NetworkOptions | None = None) -> None:
        self.rest_url = rest_url.rstrip("/")
        self._credentials = credentials
        self._session = requests.Session()  # no I/O until the first request
        network = network or NetworkOptions()
        self._proxies = network.requests_proxies
        self._session.proxies.update(self._proxies)
        if network.ssl_context is not None:
            self._session.mount("https://", _ContextAdapter(network.ssl_context))
        self._closed = False
        self.fetches = 0

    @property
    def can_fetch(self) -> bool:
        """Whether credentials with a key and a secret were given."""
        credentials = self._credentials
        return credentials is not None and bool(credentials.key) and bool(credentials.secret)

    def fetch(self, timeout: float | None) -> WebSocketToken:
        """``POST /0/private/GetWebSocketsToken`` and return the token (§6.1).

        Args:
            timeout: seconds for the HTTP round trip; ``None`` waits without limit.

        Raises:
            ConfigurationError: no credentials, or a secret that is not base64.
            AuthenticationError: Kraken refused the key, signature, nonce or permission.
            RateLimited, ExchangeUnavailable, ExchangeError: the other refusals of §9.
            ConnectError: the REST endpoint could not be reached.
            RequestTimeout: no reply within ``timeout``.
            DecodeError: the reply is not the documented JSON.
            InvalidState: :meth:`close` was called.
        """
        if not self.can_fetch:
            raise ConfigurationError(
                "Kraken private calls need credentials=exwire.Credentials(key, secret) or websocket_token="
            )
        if self._closed:
            raise InvalidState("the kraken client is closed")
        if timeout is not None and timeout <= 0:  # a caller's deadline already ran out
            raise RequestTimeout(f"kraken: no time left to call {TOKEN_PATH}")
        credentials = self._credentials
        assert credentials is not None and credentials.secret is not None
        url = self.rest_url + TOKEN_PATH
        with nonce_source(credentials.key).signed_call() as nonce:
            body = encode_body({"nonce": nonce})
            headers = {
                "API-Key": credentials.key,
                "API-Sign": sign(TOKEN_PATH, nonce, body, credentials.secret),
                "Content-Type": "application/x-www-form-urlencoded; charset=utf-8",
                "User-Agent": "exwire",
            }
            try:
                # proxies= per request: requests lets environment proxies override session.proxies.
                response = self._session.post(url, data=body, headers=headers, timeout=timeout,
                                              proxies=self._proxies or None)
            except requests.Timeout as exc:
                raise RequestTimeout(f"kraken: no reply from {TOKEN_PATH} within {timeout} s") from exc
            except requests.RequestException as exc:
                raise ConnectError(f"kraken: could not reach {url}: {type(exc).__name__}") from exc
        self.fetches += 1
        return self._token(response)

    def _token(self, response: requests.Response) -> WebSocketToken:
        try:
            document = response.json()
        except ValueError:
            document = None
        if not isinstance(document, dict):
            if response.status_code >= 500:
                raise ExchangeUnavailable("kraken", response.status_code, f"HTTP {response.status_code} from {TOKEN_PATH}")
            raise DecodeError(f"kraken: {TOKEN_PATH} answered HTTP {response.status_code} without a JSON object")
        errors = document.get("error") or []
        if errors:
            # Error bodies hold error strings only, never a token (§6.1).
            raise map_error(str(errors[0]), response.text)
        result = document.get("result")
        if not isinstance(result, dict):
            raise DecodeError(f"kraken: {TOKEN_PATH} answered without a result")
        token = websocket_token_from_wire(result, datetime.now(UTC))
        log.debug("fetched a WebSocket token valid for %s s", token.lifetime)
        return token

    def close(self) -> None:
        """Close the HTTP session; idempotent. Later fetches raise ``InvalidState``."""
        self._closed = True
        self._session.close()
