"""Names, topics and the demo account of the Coinsuper emulator (§2, §3)."""

from __future__ import annotations

import hashlib
import re

from exwire.models import Credentials

ENVIRONMENT = "exchange_ha_prod_hk"
PUBLIC_USER = "api_subscriber"
PUBLIC_PASSWORD = "da65be18f44b33b69603c39fd03ddf49"
PRIVATE_USER = "api_private"

#: The account the emulator knows by default: the worked example of §2 of :doc:`the Coinsuper page </exchanges/coinsuper>`.
DEMO_CREDENTIALS = Credentials(key="zhangsan", secret="lisi", email="demouser@demo.domain")


ORDER_BOOK_STEPS = ("1.0", "0.1", "0.01", "0.0001", "0.000001", "0.00000001")
KLINE_RANGES = (60000, 300000, 900000, 1800000, 3600000, 7200000, 14400000, 21600000,
                43200000, 86400000, 604800000)
_FIAT = {"USD", "USDT", "USDC", "EUR", "KRW", "CNY", "HKD", "JPY"}
_PUBLIC_TOPIC = re.compile(r"/api/ws/v1/market/(depth|tickers)/([A-Z0-9]+)_([A-Z0-9]+)"
                           r"|/api/ws/v1/market/(orderBook|kline)/([A-Z0-9]+)_([A-Z0-9]+)/([0-9.]+)")
_PRIVATE_TOPIC = re.compile(r"/api/ws/personal/v1/(asset)/change/(.+)|/ws/personal/v1/(order|trade)/change/(.+)")


def _md5(text: str) -> str:
    return hashlib.md5(text.encode("utf-8")).hexdigest()  # noqa: S324 - Coinsuper's scheme
