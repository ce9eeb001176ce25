"""python-binance: ``ThreadedWebsocketManager.start_trade_socket`` (dicts, its own asyncio thread).

Pointed at the local server by replacing the socket manager's ``STREAM_URL``; the
REST ping and server-time call ``AsyncClient.create`` makes first are skipped (the
client is built without them), so nothing leaves the loopback.
"""

from __future__ import annotations

import asyncio
from typing import Any

from benchmarks.peers.base import OnMessage, Peer, Stop
from benchmarks.peers.server import SYMBOL


def start(root: str, on_message: OnMessage) -> Stop:
    from binance import AsyncClient, ThreadedWebsocketManager

    class LocalManager(ThreadedWebsocketManager):  # type: ignore[misc]
        async def socket_listener(self) -> None:
            self._client = AsyncClient(tld="com")  # no REST ping (AsyncClient.create would ping)
            await self._before_socket_listener_start()
            self._bsm.STREAM_URL = root + "/"
            while self._running:
                await asyncio.sleep(0.2)
            while self._socket_running:
                await asyncio.sleep(0.2)
            await self._client.close_connection()

    def callback(message: Any) -> None:
        if message.get("e") == "trade":
            on_message(message)

    manager = LocalManager()
    manager.daemon = True
    manager.start()
    manager.start_trade_socket(callback=callback, symbol=SYMBOL)

    def stop() -> None:
        manager.stop()
        manager.join(10)

    return stop


PEER = Peer("python-binance ThreadedWebsocketManager", False, ("binance", "binance.ws.threaded_stream"), start,
            envelope="raw")
