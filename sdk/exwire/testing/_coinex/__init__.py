"""The CoinEx v1 emulator, split by concern (:doc:`the CoinEx page </exchanges/coinex>`).

* :mod:`.common` — constants, markets, wire helpers and the error reply (§2, §2.4, §5.7);
* :mod:`.market` — generated market data and per-connection state (§5.3-§5.12);
* :mod:`.api` — the request handlers: ``server.*``, market data, account (§3-§5.16);
* :mod:`.accounts` — the account side driven from Python: balances, orders, fills;
* :mod:`.emulator` — the server: hooks, faults and the pusher.

Public import path: ``from exwire.testing.coinex import CoinexEmulator``.
"""

from exwire.testing._coinex.emulator import CoinexEmulator

__all__ = ["CoinexEmulator"]
