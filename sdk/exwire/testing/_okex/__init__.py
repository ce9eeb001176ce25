"""The OKEx spot v1 emulator, split by concern (:doc:`the OKEx page </exchanges/okex>`).

* :mod:`.common` — channels, error codes, the frame codec and the signature rule (§2-§4, §8);
* :mod:`.market` — the generated public feeds and per-connection state (§5);
* :mod:`.api` — ``ping``, ``login``, ``addChannel``/``removeChannel`` and batches (§3, §7);
* :mod:`.trading` — the matching engine and the trade requests (§6);
* :mod:`.emulator` — the server: public controls, hooks and the pusher.

Public import path: ``from exwire.testing.okex import OkexEmulator``.
"""

from exwire.testing._okex.emulator import OkexEmulator

__all__ = ["OkexEmulator"]
