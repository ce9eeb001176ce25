"""binance-sdk-spot (Binance's official SDK): WebSocket Streams ``trade``, pydantic models, asyncio.

Pointed at the local server by ``ConfigurationWebSocketStreams(stream_url=…)``; runs
on its own event loop thread (:class:`~benchmarks.peers.base.LoopThread`).
"""

from __future__ import annotations

import asyncio
from typing import Any

from benchmarks.peers.base import LoopThread, OnMessage, Peer, Stop
from benchmarks.peers.server import SYMBOL


def start(root: str, on_message: OnMessage) -> Stop:
    from binance_common.configuration import ConfigurationWebSocketStreams
    from binance_sdk_spot.spot import Spot

    async def main() -> None:
        client = Spot(config_ws_streams=ConfigurationWebSocketStreams(stream_url=root))
        connection: Any = await client.websocket_streams.create_connection()
        try:
            stream = await connection.trade(symbol=SYMBOL.lower())
            stream.on("message", on_message)
            await asyncio.Event().wait()
        finally:
            await connection.close_connection(close_session=True)

    runner = LoopThread("binance-sdk-spot", main)
    return runner.stop


PEER = Peer("binance-sdk-spot", True, ("binance_sdk_spot", "binance_common"), start)
