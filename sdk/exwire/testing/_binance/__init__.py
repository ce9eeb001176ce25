"""The Binance emulator, split by concern (section numbers: the protocol notes of
:doc:`the Binance page </exchanges/binance>`).

* :mod:`.common` — wire helpers, the error reply, accounts and signature checks (§4, §6);
* :mod:`.api` — the request layer every product shares: envelope, limits, auth (§3–§7);
* :mod:`.spot_market`, :mod:`.spot_engine`, :mod:`.spot_api` — spot ``/ws-api/v3`` (§8, §9);
* :mod:`.futures_engine`, :mod:`.futures_api` — USDⓈ-M ``/ws-fapi/v1`` and COIN-M
  ``/ws-dapi/v1`` (§10);
* :mod:`.controls` — the emulator's futures controls; :mod:`.emulator` — the server.

Public import path: ``from exwire.testing.binance import BinanceEmulator``.
"""

from exwire.testing._binance.emulator import COINM_PATH, SPOT_PATH, USDM_PATH, BinanceClientKwargs, BinanceEmulator

__all__ = ["BinanceEmulator", "BinanceClientKwargs", "SPOT_PATH", "USDM_PATH", "COINM_PATH"]
