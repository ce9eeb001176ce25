"""Coinsuper emulator: an MQTT 3.1.1 broker speaking Coinsuper's "WebSocket API".

Speaks what Coinsuper's "WebSocket API" is, MQTT 3.1.1, over WebSocket (path ``/mqtt``,
sub-protocol ``mqtt``, one packet per binary message) and optionally over plain TCP:
CONNECT/CONNACK with Coinsuper's log-on rules (§2.1 public client id, user name and
password; §2.2 private client id and signed, timestamped password; a bad one is refused
with the MQTT return code), SUBSCRIBE/SUBACK (0x80 for a topic the session may not
read), UNSUBSCRIBE/UNSUBACK, PINGREQ/PINGRESP, DISCONNECT, client-id takeover, the
keep-alive rule (a session silent for 1.5 × its keep-alive is closed), and QoS 0
PUBLISH of seeded generated payloads for the seven topics of §3, in the documented JSON
(the asset payload with 30-decimal JSON numbers).

The MQTT packet codec is written here (a few dozen lines): no maintained pure-Python
library offers a synchronous broker-side codec, and paho-mqtt's is private and
client-side only.

Faults: :meth:`~CoinsuperEmulator.drop_connections`, :meth:`~CoinsuperEmulator.stall`,
:meth:`~CoinsuperEmulator.refuse_next_connect`,
:meth:`~CoinsuperEmulator.refuse_next_subscription`, :meth:`~CoinsuperEmulator.publish_raw`.

The implementation lives in :mod:`exwire.testing._coinsuper` (one module per concern);
this module is the public import path::

    with CoinsuperEmulator() as emu, CoinsuperClient(**emu.client_kwargs(), credentials=emu.credentials) as client:
        ...

Section numbers (§) refer to the protocol notes of :doc:`the Coinsuper page </exchanges/coinsuper>`.
"""

from exwire.testing._coinsuper.common import (
    DEMO_CREDENTIALS,
    ENVIRONMENT,
    KLINE_RANGES,
    ORDER_BOOK_STEPS,
    PRIVATE_USER,
    PUBLIC_PASSWORD,
    PUBLIC_USER,
)
from exwire.testing._coinsuper.emulator import CoinsuperClientKwargs, CoinsuperEmulator
from exwire.testing._coinsuper.mqtt import (
    ACCEPTED,
    CONNACK,
    CONNECT,
    DISCONNECT,
    PINGREQ,
    PINGRESP,
    PUBLISH,
    REFUSED_CREDENTIALS,
    REFUSED_IDENTIFIER,
    REFUSED_PROTOCOL,
    SUBACK,
    SUBSCRIBE,
    SUBSCRIBE_FAILURE,
    UNSUBACK,
    UNSUBSCRIBE,
    MalformedPacket,
)

__all__ = [
    "CoinsuperEmulator",
    "CoinsuperClientKwargs",
    "DEMO_CREDENTIALS",
    "ENVIRONMENT",
    "KLINE_RANGES",
    "ORDER_BOOK_STEPS",
    "PRIVATE_USER",
    "PUBLIC_PASSWORD",
    "PUBLIC_USER",
    "ACCEPTED",
    "CONNACK",
    "CONNECT",
    "DISCONNECT",
    "PINGREQ",
    "PINGRESP",
    "PUBLISH",
    "REFUSED_CREDENTIALS",
    "REFUSED_IDENTIFIER",
    "REFUSED_PROTOCOL",
    "SUBACK",
    "SUBSCRIBE",
    "SUBSCRIBE_FAILURE",
    "UNSUBACK",
    "UNSUBSCRIBE",
    "MalformedPacket",
]
