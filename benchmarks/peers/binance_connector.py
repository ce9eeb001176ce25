"""binance-connector: ``SpotWebsocketStreamClient(stream_url=…, is_combined=True).trade`` (text frames).

Its ``on_message`` gets the frame text; the adapter ``json.loads`` it, as a user would.
"""

from __future__ import annotations

import json
from typing import Any

from benchmarks.peers.base import OnMessage, Peer, Stop
from benchmarks.peers.server import SYMBOL


def start(root: str, on_message: OnMessage) -> Stop:
    from binance.websocket.spot.websocket_stream import SpotWebsocketStreamClient

    loads = json.loads

    def handle(_client: Any, text: str) -> None:
        message = loads(text)
        if "data" in message:
            on_message(message)

    client = SpotWebsocketStreamClient(stream_url=root, on_message=handle, is_combined=True)
    client.trade(symbol=SYMBOL.lower())
    return client.stop


PEER = Peer("binance-connector", False, ("binance.websocket.spot.websocket_stream",), start)
