"""ccxt.pro: ``binance().watch_trades("BTC/USDT")`` (unified trade dicts), asyncio.

Pointed at the local server by the exchange's ``urls["api"]["ws"]`` override; its
markets are given (``set_markets``) instead of loaded over REST.
"""

from __future__ import annotations

from typing import Any

from benchmarks.peers.base import LoopThread, OnMessage, Peer, Stop

MARKET = {
    "id": "BTCUSDT", "lowercaseId": "btcusdt", "symbol": "BTC/USDT", "base": "BTC", "quote": "USDT",
    "baseId": "BTC", "quoteId": "USDT", "type": "spot", "spot": True, "margin": False, "swap": False,
    "future": False, "option": False, "contract": False, "active": True, "linear": None, "inverse": None,
    "settle": None, "settleId": None, "contractSize": None, "expiry": None, "expiryDatetime": None,
    "strike": None, "optionType": None, "taker": 0.001, "maker": 0.001,
    "precision": {"amount": 1e-8, "price": 0.01}, "limits": {"amount": {"min": 1e-8, "max": None},
                                                             "price": {"min": 0.01, "max": None},
                                                             "cost": {"min": None, "max": None}},
    "info": {},
}


def start(root: str, on_message: OnMessage) -> Stop:
    import ccxt.pro

    async def main() -> None:
        exchange: Any = ccxt.pro.binance({"newUpdates": True})
        for key in list(exchange.urls["api"]["ws"]):
            exchange.urls["api"]["ws"][key] = root + "/ws"
        for key in list(exchange.urls["api"]):
            if key != "ws" and isinstance(exchange.urls["api"][key], str):
                exchange.urls["api"][key] = "http://127.0.0.1:9/" + key
        exchange.set_markets([MARKET])
        try:
            while True:
                for trade in await exchange.watch_trades("BTC/USDT"):
                    on_message(trade)
        finally:
            await exchange.close()

    runner = LoopThread("ccxt.pro", main)
    return runner.stop


PEER = Peer("ccxt.pro", False, ("ccxt.pro",), start, envelope="raw")
