"""Opt-in checks against the real Binance spot testnet: ``pytest -m live`` with EXWIRE_LIVE=1."""

from __future__ import annotations

import os

import pytest

from exwire.binance import BinanceClient

pytestmark = [
    pytest.mark.live,
    pytest.mark.skipif(os.environ.get("EXWIRE_LIVE") != "1", reason="live checks need EXWIRE_LIVE=1"),
]


def test_public_requests_on_the_spot_testnet():
    with BinanceClient(testnet=True) as client:
        assert client.test_spot_connectivity() > 0
        book = client.get_spot_order_book("BTCUSDT", 5)
        assert book.bids and book.asks and book.bids[0].price < book.asks[0].price
        assert client.get_spot_exchange_info("BTCUSDT").symbols[0].symbol == "BTCUSDT"
        assert client.rate_limits
