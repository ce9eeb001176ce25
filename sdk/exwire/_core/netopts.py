"""Network options every connection honours: TLS context, HTTP proxy, inbound size limits.

``NetworkOptions`` is built once per client from its ``ssl_context=``, ``proxy=`` and
``max_message_size=`` keywords and handed to every transport the client opens
(WebSocket, MQTT) and to its REST sessions (Kraken's token endpoint). Each library
gets the options in its own terms: :func:`websocket_options` for websocket-client,
:attr:`NetworkOptions.requests_proxies` for requests, :attr:`NetworkOptions.proxy_address`
for paho-mqtt's ``proxy_set``.

Only HTTP CONNECT proxies (``http://``) are supported: websocket-client tunnels
through them without extra packages, and so do requests and paho-mqtt (with PySocks).
SOCKS would need python-socks for websocket-client; it is refused rather than working
for some connections of a client and not others.
"""

from __future__ import annotations

import ssl
from typing import Any, NamedTuple
from urllib.parse import unquote, urlsplit

import attrs

from exwire.errors import ConfigurationError

__all__ = ["NetworkOptions", "ProxyAddress", "DEFAULT_MAX_MESSAGE_SIZE", "parse_proxy", "websocket_options"]

#: Largest inbound message (after reassembling fragments, and after inflating) accepted
#: by default: 16 MiB. A larger one fails the connection (close code 1009) and reconnects.
DEFAULT_MAX_MESSAGE_SIZE = 16 * 1024 * 1024

_PROXY_FORM = "'http://[user:password@]host[:port]'"

# websocket-client skips an explicit proxy for hosts listed in the NO_PROXY environment
# variable when its own ``http_no_proxy`` list is empty. exwire's ``proxy=`` is explicit
# and applies to every connection (as requests and paho-mqtt apply it), so the list
# holds one name under the reserved ``.invalid`` domain (RFC 6761 §6.4), which no
# exchange host can match.
_NO_PROXY_EXEMPTIONS = ["exwire-no-proxy.invalid"]


class ProxyAddress(NamedTuple):
    """An HTTP CONNECT proxy, read from a ``proxy=`` string by :func:`parse_proxy`.

    Attributes:
        host: the proxy's host name or IP address (IPv6 without brackets).
        port: its TCP port (80 when the string names none).
        username: the percent-decoded user name for ``Proxy-Authorization: Basic``;
            ``None``: no authentication.
        password: the percent-decoded password (``""`` when only a user name is given);
            ``None`` when there is no user name.
    """

    host: str
    port: int
    username: str | None
    password: str | None

    @property
    def auth(self) -> tuple[str, str] | None:
        """``(username, password)``, or ``None`` without credentials."""
        if self.username is None:
            return None
        return (self.username, self.password or "")


def parse_proxy(proxy: str) -> ProxyAddress:
    """Read ``"http://[user:password@]host[:port]"`` (user and password percent-encoded).

    Raises:
        ConfigurationError: not a string, a scheme other than ``http`` (``https://`` and
            ``socks5://`` proxies are not supported), no host, a bad port, an empty user
            name before a password, or a path, query or fragment.
    """
    if not isinstance(proxy, str):
        raise ConfigurationError(f"proxy must be a string like {_PROXY_FORM}, got {type(proxy).__name__}")
    parts = urlsplit(proxy.strip())
    scheme = parts.scheme.lower()
    # Never echo the string itself: it may hold the proxy's password.
    if "://" not in proxy:
        raise ConfigurationError(f"proxy must be a URL with the http:// scheme, {_PROXY_FORM}")
    if scheme != "http":
        shown = f"{scheme}://"
        raise ConfigurationError(f"proxy must be an HTTP CONNECT proxy {_PROXY_FORM}; scheme {shown} is not supported")
    if not parts.hostname:
        raise ConfigurationError(f"proxy names no host; expected {_PROXY_FORM}")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ConfigurationError(f"proxy must be {_PROXY_FORM} without a path, query or fragment")
    try:
        port = parts.port
    except ValueError:
        raise ConfigurationError(f"proxy has a bad port; expected {_PROXY_FORM}") from None
    if port == 0:
        raise ConfigurationError(f"proxy has a bad port; expected {_PROXY_FORM}")
    username = None if parts.username is None else unquote(parts.username)
    password = None if parts.password is None else unquote(parts.password)
    if username == "" and password is not None:
        raise ConfigurationError(f"proxy has a password without a user name; expected {_PROXY_FORM}")
    if username == "":
        username = None  # "http://@host:port"
    if username is not None and password is None:
        password = ""
    return ProxyAddress(parts.hostname, port or 80, username, password)


def _check_ssl_context(instance: Any, attribute: Any, value: Any) -> None:
    if value is not None and not isinstance(value, ssl.SSLContext):
        raise ConfigurationError(f"ssl_context must be an ssl.SSLContext, got {type(value).__name__}")


def _check_proxy(instance: Any, attribute: Any, value: Any) -> None:
    if value is not None:
        parse_proxy(value)


def _check_max_message_size(instance: Any, attribute: Any, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigurationError(f"max_message_size must be a positive integer of bytes, got {value!r}")


@attrs.frozen(kw_only=True)
class NetworkOptions:
    """How a client's connections reach the exchange. Immutable, so thread-safe.

    Attributes:
        ssl_context: the ``ssl.SSLContext`` for ``wss://``, ``https://`` and ``mqtts://``
            (e.g. one that trusts a corporate CA, or pins a client certificate); its
            own settings decide verification (``verify_mode``, ``check_hostname``).
            ``None``: the platform's defaults (websocket-client's, requests' certifi
            bundle, paho's default context). It is never used for ``ws://``/``http://``.
        proxy: ``"http://[user:password@]host[:port]"`` of an HTTP CONNECT proxy
            that every connection of the client tunnels through (user and password
            percent-encoded, sent as ``Proxy-Authorization: Basic``; port 80 when
            omitted), whatever the ``NO_PROXY`` environment variable says. ``None``:
            direct, though websocket-client and requests still honour ``https_proxy``/
            ``http_proxy`` from the environment, and paho-mqtt ``mqtt_proxy``.
        max_message_size: the largest inbound message in bytes.

    Raises:
        ConfigurationError: at construction, for an ``ssl_context`` that is not an
            ``ssl.SSLContext``, a ``proxy`` that :func:`parse_proxy` refuses, or a
            ``max_message_size`` that is not a positive integer.
    """

    ssl_context: ssl.SSLContext | None = attrs.field(default=None, validator=_check_ssl_context)
    proxy: str | None = attrs.field(default=None, validator=_check_proxy, repr=False)  # may hold a password
    max_message_size: int = attrs.field(default=DEFAULT_MAX_MESSAGE_SIZE, validator=_check_max_message_size)

    @property
    def proxy_address(self) -> ProxyAddress | None:
        """The parsed :attr:`proxy`, or ``None`` when connections go direct."""
        return None if self.proxy is None else parse_proxy(self.proxy)

    @property
    def requests_proxies(self) -> dict[str, str]:
        """The ``proxies=`` mapping for requests: the proxy for both schemes, or empty."""
        if self.proxy is None:
            return {}
        proxy = self.proxy.strip()
        return {"http": proxy, "https": proxy}


def _is_secure(url: str) -> bool:
    return urlsplit(url).scheme.lower() == "wss"


def websocket_options(options: NetworkOptions, url: str) -> dict[str, Any]:
    """Keyword arguments for ``websocket.create_connection`` that apply ``options`` to ``url``.

    * ``ssl_context`` becomes ``sslopt={"context": ctx}``, for ``wss://`` only;
      websocket-client then wraps the socket with that context as it is (server name
      sent for SNI and, when ``ctx.check_hostname``, verified).
    * ``proxy`` becomes ``http_proxy_host``/``http_proxy_port``/``http_proxy_auth`` with
      ``proxy_type="http"``: websocket-client sends ``CONNECT host:port`` (and Basic
      authentication) before TLS and the WebSocket handshake.

    Returns:
        An empty dict when neither applies (websocket-client's own defaults).
    """
    result: dict[str, Any] = {}
    if options.ssl_context is not None and _is_secure(url):
        result["sslopt"] = {"context": options.ssl_context}
    address = options.proxy_address
    if address is not None:
        result["http_proxy_host"] = address.host
        result["http_proxy_port"] = address.port
        result["proxy_type"] = "http"
        result["http_no_proxy"] = _NO_PROXY_EXEMPTIONS
        if address.auth is not None:
            result["http_proxy_auth"] = address.auth
    return result
