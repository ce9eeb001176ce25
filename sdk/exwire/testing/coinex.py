"""CoinEx WebSocket API v1 (legacy spot) emulator (:doc:`the CoinEx page </exchanges/coinex>`).

Speaks v1 as the spec documents it: the JSON-RPC-like envelope (§2; a frame that is
not JSON, or has a non-integer ``id``, a non-string ``method`` or non-array ``params``,
closes the connection without a reply), the error codes of §2.4, ``server.ping``/
``server.time``, ``server.sign`` with the MD5 signature and the ±60 s tonce window of
§4, every query of §5 and every subscription with CoinEx's semantics (§2.5: each
``<kind>.subscribe`` first drops that kind's subscriptions, then installs the new
list; ``<kind>.unsubscribe`` drops them all). Private methods before a successful sign
answer code 6.

Market data is generated per connection from a seeded random order book: trades take
liquidity from it, so ``state.update``, ``deals.update``, ``depth.update`` (full then
incremental pushes with the CRC-32 checksum of §5.7, a full one again every
``clean_interval``) and ``kline.update`` agree with each other. ``trade_history=`` makes
a market start from a captured trade list (e.g. ``fixtures/coinex/coinex-net/
TradeUpdate.txt``).

CoinEx v1 WebSocket has no order placement, so the account side is driven from Python:
:meth:`CoinexEmulator.place_order`, :meth:`~CoinexEmulator.fill` and
:meth:`~CoinexEmulator.cancel_order` change the balances and push ``order.update``,
``asset.update`` and the own-trade ``deals.update`` as the exchange would; resting
orders do not enter the generated public book.

The implementation lives in :mod:`exwire.testing._coinex` (one module per concern);
this module is the public import path.
"""

from exwire.testing._coinex.common import (  # noqa: F401 -- kept importable from this path
    DEFAULT_ACCESS_ID,
    DEFAULT_SECRET,
    DEPTH_LIMITS,
    FEE_RATE,
    KLINE_INTERVALS,
    MERGE_STEPS,
    TONCE_WINDOW_MS,
    depth_checksum,
)
from exwire.testing._coinex.emulator import CoinexClientKwargs, CoinexEmulator

__all__ = ["CoinexClientKwargs", "CoinexEmulator", "DEFAULT_ACCESS_ID", "DEFAULT_SECRET", "depth_checksum"]
