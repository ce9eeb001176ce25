"""Exchange emulators: real loopback WebSocket servers for testing code that uses exwire.

::

    from exwire.testing import KrakenEmulator

    with KrakenEmulator(seed=1) as emu:
        client = exwire.KrakenClient(**emu.client_kwargs())

Every emulator's generated market is coherent: one order book per pair and connection,
trades at its touch (best bid <= last trade <= best ask at every moment), and tickers
whose bid/ask are the book's best. Every emulator can serve ``wss://`` for clients that
insist on TLS: ``tls=True`` generates a self-signed certificate on start, and
``emu.ssl_context()`` is the client side that trusts it::

    with KrakenEmulator(tls=True) as emu:
        client = exwire.KrakenClient(**emu.client_kwargs(), ssl_context=emu.ssl_context())

The emulators need the optional ``websockets`` package (``pip install 'exwire[testing]'``).
Importing this package does not; the emulator classes are imported on first use, and
that import fails with an ``ImportError`` naming the extra when ``websockets`` is missing.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from exwire.testing.binance import BinanceEmulator
    from exwire.testing.coinex import CoinexEmulator
    from exwire.testing.coinsuper import CoinsuperEmulator
    from exwire.testing.kraken import KrakenEmulator
    from exwire.testing.okex import OkexEmulator
    from exwire.testing.okx import OkxEmulator

__all__ = ["KrakenEmulator", "OkexEmulator", "BinanceEmulator", "CoinsuperEmulator", "CoinexEmulator",
           "OkxEmulator"]

# Public name -> module that defines it (imported lazily, see __getattr__).
_EMULATORS = {
    "KrakenEmulator": "exwire.testing.kraken",
    "BinanceEmulator": "exwire.testing.binance",
    "CoinsuperEmulator": "exwire.testing.coinsuper",
    "CoinexEmulator": "exwire.testing.coinex",
    "OkexEmulator": "exwire.testing.okex",
    "OkxEmulator": "exwire.testing.okx",
}


def __getattr__(name: str) -> Any:
    module_name = _EMULATORS.get(name)
    if module_name is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module_name), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
