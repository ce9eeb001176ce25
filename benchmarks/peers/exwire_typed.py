"""exwire typed: ``BinanceClient.subscribe_to_trade_updates``, a counting callback (default options)."""

from __future__ import annotations

from typing import Any

from benchmarks.peers.base import OnMessage, Peer, Stop
from benchmarks.peers.server import SYMBOL


def client_kwargs(root: str) -> dict[str, Any]:
    """Every endpoint of the client on the local server (only the stream root is used)."""
    return {"url": root + "/ws-api/v3", "stream_url": root, "usdm_stream_url": root + "/usdm",
            "coinm_stream_url": root + "/coinm", "coinm_rest_url": "http://127.0.0.1:9"}


def start(root: str, on_message: OnMessage, **options: Any) -> Stop:
    from exwire.binance import BinanceClient

    client = BinanceClient(**client_kwargs(root), **options)
    try:
        client.subscribe_to_trade_updates(SYMBOL, on_message)
    except BaseException:
        client.close()
        raise
    return client.close


PEER = Peer("exwire", True, ("exwire.binance",), start)
