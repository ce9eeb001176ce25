"""unicorn-binance-websocket-api: ``BinanceWebSocketApiManager.create_stream`` with a callback (dicts).

Pointed at the local server by ``websocket_base_uri`` (and ``restful_base_uri``), with
the update check off. :data:`PEER` uses the ``websockets`` library, :data:`PEER_PICOWS`
the Cython ``picows`` transport.
"""

from __future__ import annotations

from typing import Any

from benchmarks.peers.base import OnMessage, Peer, Stop
from benchmarks.peers.server import SYMBOL


def _start(root: str, on_message: OnMessage, library: str) -> Stop:
    from unicorn_binance_websocket_api import BinanceWebSocketApiManager

    def callback(message: Any, *_: Any) -> None:
        if isinstance(message, dict) and "data" in message:
            on_message(message)

    manager = BinanceWebSocketApiManager(
        exchange="binance.com", websocket_base_uri=root + "/", restful_base_uri="http://127.0.0.1:9/",
        websocket_api_base_uri=root + "/ws-api/v3", warn_on_update=False, output_default="dict",
        process_stream_data=callback, disable_colorama=True, websocket_library=library,
    )
    manager.create_stream(channels="trade", markets=SYMBOL.lower())

    def stop() -> None:
        manager.stop_manager()

    return stop


PEER = Peer("unicorn-binance-websocket-api", False, ("unicorn_binance_websocket_api",),
            lambda root, on_message: _start(root, on_message, "websockets"))
PEER_PICOWS = Peer("unicorn-binance-websocket-api + picows", False, ("unicorn_binance_websocket_api", "picows"),
                   lambda root, on_message: _start(root, on_message, "picows"))
