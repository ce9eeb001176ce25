"""Binance WebSocket API (spot) client: ``reference/protocols/binance.md``.

``from exwire.binance import BinanceClient``; models in :mod:`exwire.binance.models`,
enums in :mod:`exwire.binance.enums`.
"""

from exwire.binance.client import BinanceClient
from exwire.binance.order_models import OrderLeg
from exwire.binance.protocol import SPOT_DEMO_URL, SPOT_TESTNET_URL, SPOT_URL

__all__ = ["BinanceClient", "OrderLeg", "SPOT_URL", "SPOT_TESTNET_URL", "SPOT_DEMO_URL"]
