"""The Kraken Spot WebSocket v1 emulator, split by concern.

* :mod:`.market` — generated or replayed market data, the book checksum (public channels);
* :mod:`.emulator` — the server: subscriptions, public channels, faults;
* :mod:`.private` — the account and trading controls driven from Python;
* :mod:`.trading` — the private channels and the trading requests against a matching engine;
* :mod:`.orders` — ``addOrder`` argument checks as Kraken makes them;
* :mod:`.account` — balances, orders, fills and the liquidity ladder;
* :mod:`.rest` — the REST token endpoint (``GetWebSocketsToken``) and its signature check.

Public import path: ``from exwire.testing.kraken import KrakenEmulator``.
"""

from exwire.testing._kraken.emulator import KrakenClientKwargs, KrakenEmulator

__all__ = ["KrakenEmulator", "KrakenClientKwargs"]
