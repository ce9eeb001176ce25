"""Coinsuper's "WebSocket API": MQTT 3.1.1 publish/subscribe over WebSocket + TLS or TCP.

Wire specification: ``reference/protocols/coinsuper.md``. The client is
:class:`exwire.coinsuper.client.CoinsuperClient`; models are in
:mod:`exwire.coinsuper.models`, payload decoding in :mod:`exwire.coinsuper.converter`,
the log-on values in :mod:`exwire.coinsuper.signing`, the sans-I/O codec in
:mod:`exwire.coinsuper.protocol` and the paho-mqtt adapter in
:mod:`exwire.coinsuper.transport`.
"""

from exwire.coinsuper.client import CoinsuperClient

__all__ = ["CoinsuperClient"]
