"""Binance WebSocket API client, spot and futures: ``reference/protocols/binance.md``.

``from exwire.binance import BinanceClient, FuturesMarket``; models in
:mod:`exwire.binance.models`, enums in :mod:`exwire.binance.enums`.
"""

from exwire.binance.client import BinanceClient
from exwire.binance.enums import FuturesMarket
from exwire.binance.order_models import OrderLeg
from exwire.binance.protocol import (
    COINM_FUTURES_TESTNET_URL,
    COINM_FUTURES_URL,
    SPOT_DEMO_URL,
    SPOT_TESTNET_URL,
    SPOT_URL,
    USDM_FUTURES_TESTNET_URL,
    USDM_FUTURES_URL,
)

__all__ = ["BinanceClient", "FuturesMarket", "OrderLeg", "SPOT_URL", "SPOT_TESTNET_URL", "SPOT_DEMO_URL",
           "USDM_FUTURES_URL", "USDM_FUTURES_TESTNET_URL", "COINM_FUTURES_URL", "COINM_FUTURES_TESTNET_URL"]
