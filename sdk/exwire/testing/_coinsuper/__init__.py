"""The Coinsuper emulator (an MQTT 3.1.1 broker), split by concern (:doc:`the Coinsuper page </exchanges/coinsuper>`).

* :mod:`.common` — the environment, log-on users, topics and the demo account (§2, §3);
* :mod:`.mqtt` — the MQTT 3.1.1 packet codec;
* :mod:`.payloads` — the seeded generated payloads of the seven topics (§3);
* :mod:`.connections` — per-connection MQTT state and the plain-TCP connection;
* :mod:`.broker` — CONNECT, SUBSCRIBE and the rest of the MQTT session, and the pusher;
* :mod:`.emulator` — the server: public controls, lifecycle, hooks and the TCP listener.

Public import path: ``from exwire.testing.coinsuper import CoinsuperEmulator``.
"""

from exwire.testing._coinsuper.emulator import CoinsuperClientKwargs, CoinsuperEmulator

__all__ = ["CoinsuperEmulator", "CoinsuperClientKwargs"]
