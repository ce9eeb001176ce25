"""OKEx spot WebSocket v1 emulator (the retired v1 spot WebSocket API of OKEx).

Speaks the retired ``/ws/v1`` API as its document and the captured frames show it:
every server frame is a raw-deflate binary frame (§2) holding a JSON array of
``{"binary": 1, "channel": ..., "data": ...}`` objects (``pong`` is a bare object);
``ping``/``pong`` (§7); ``addChannel``/``removeChannel`` and batches (§3); log-on and
signed trade requests checked with the MD5 rule (§4): a wrong signature is refused
with the documented code (20102 for ``login``, 10007 for trade calls); the public
channels (§5) from a seeded generator; and a small matching engine with balances for
``ok_spot_order``, ``ok_spot_cancel_order``, ``ok_spot_userinfo`` and
``ok_spot_orderinfo`` (§6) that pushes ``ok_sub_spot_X_order`` and
``ok_sub_spot_X_balance`` frames shaped like the real ones. Error frames use the
documented shapes (§3.2, §8).

The signature check here is written independently of :mod:`exwire.okex.signing`, so
the two do not share a bug.

The implementation lives in :mod:`exwire.testing._okex` (one module per concern);
this module is the public import path.

Section numbers (§) refer to the protocol notes of :doc:`the OKEx page </exchanges/okex>`.
"""

from exwire.testing._okex.common import (  # noqa: F401 -- kept importable from this path
    ERRORS,
    KLINE_SECONDS,
    TRADE_CHANNELS,
    deflate,
)
from exwire.testing._okex.emulator import OkexClientKwargs, OkexEmulator

__all__ = ["OkexEmulator", "OkexClientKwargs", "deflate"]
