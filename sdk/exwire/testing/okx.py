"""OKX API v5 WebSocket emulator (https://www.okx.com/docs-v5/en/).

One loopback port serves the three endpoints ``/ws/v5/public``, ``/ws/v5/private`` and
``/ws/v5/business``: text ``ping``/``pong`` and the 30-second idle rule (scalable with
``idle_timeout=``); ``login`` checked with OKX's rule (Base64 HMAC-SHA256 of
``timestamp + "GET" + "/users/self/verify"``, whole-second timestamps, passphrase, a
30-second window) and refused with OKX's codes (60004, 60006, 60007, 60009, 60024, 60032
...); subscribe/unsubscribe with one ack per arg, the request ``id`` echoed and error
events with OKX's codes (60011, 60012, 60013, 60018, 64001, 64002, 64004); every channel
of the public, private and business endpoints from a seeded generated market (order books
with ``seqId``/``prevSeqId`` and CRC32 checksums, or checksum 0 on ``books`` like OKX
today); and a matching engine with balances for ``order``, ``batch-orders``,
``cancel-order``, ``batch-cancel-orders``, ``amend-order``, ``batch-amend-orders`` and
``mass-cancel`` with per-order ``sCode``/``sMsg``, ``instIdCode`` required and ``expTime``
honoured, pushing ``orders``, ``fills``, ``account``, ``positions`` and
``balance_and_position`` like OKX.

The login signature and the checksum are written independently of :mod:`exwire.okx`, so
the two do not share a bug.

The implementation lives in :mod:`exwire.testing._okx`; this module is the public path.
"""

from exwire.testing._okx.common import INSTRUMENTS, book_checksum, login_sign
from exwire.testing._okx.emulator import OkxClientKwargs, OkxEmulator

__all__ = ["OkxEmulator", "OkxClientKwargs", "book_checksum", "login_sign", "INSTRUMENTS"]
