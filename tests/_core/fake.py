"""A minimal exchange for engine tests: JSON frames over the in-memory transport.

Wire dialect (client → server): ``{"op": "sub"|"unsub"|"req", "id": n, ...}``.
Server → client: ``{"id": n, "ok": x}`` / ``{"id": n, "error": "msg"}`` replies,
``{"t": key, "d": data}`` updates, ``{"end": key}`` exchange-side unsubscribes.
"""

from __future__ import annotations

import itertools
import json
import threading

from exwire._core.backoff import backoff
from exwire._core.client import BaseClient
from exwire._core.protocol import Ended, Pong, Protocol, Reply, Update
from exwire._core.transport import MemoryNetwork, MemoryPeer
from exwire.errors import DecodeError, InvalidRequest
from exwire.models import UpdateType


class FakeProtocol(Protocol):
    exchange = "fake"

    def __init__(self) -> None:
        self.ids = itertools.count(1)

    def receive(self, frame):
        try:
            message = json.loads(frame)
        except ValueError as exc:
            raise DecodeError("not JSON", frame) from exc
        if "garbled" in message:  # a reply of the wrong shape to request ``garbled``
            error = DecodeError("reply of an unexpected shape", frame)
            error.key = message["garbled"]
            raise error
        if "t" in message:
            if message.get("snapshot"):
                return (Update(message["t"], message["d"], None, UpdateType.SNAPSHOT),)
            return (Update(message["t"], message["d"], None),)
        if "pong" in message:
            return (Pong(),)
        if "end" in message:
            return (Ended(message["end"], None),)
        if "error" in message:
            return (Reply(message["id"], error=InvalidRequest("fake", "E1", message["error"])),)
        if "id" in message:
            return (Reply(message["id"], message.get("ok")),)
        return ()

    def ping_frame(self):
        return '{"op":"ping"}'


class FakeServer:
    """Scripted server behaviour, run synchronously inside the client's send."""

    def __init__(self) -> None:
        self.network = MemoryNetwork(on_send=self.on_send)
        self.withhold = False
        self.refuse: set[str] = {"bad"}
        self.answer_pings = False  # a stall test relies on silence; pong tests turn it on
        self.subscribed: list[list[str]] = []  # keys of each sub request, per connection order
        self.received: list[dict] = []
        self.lock = threading.Lock()
        self.request_seen = threading.Event()

    def on_send(self, peer: MemoryPeer, frame: str) -> None:
        message = json.loads(frame)
        with self.lock:
            self.received.append(message)
        op = message.get("op")
        if op == "ping":
            if self.answer_pings:
                peer.push('{"pong": 1}')
            return
        if op == "sub":
            with self.lock:
                self.subscribed.append(list(message["keys"]))
            if self.refuse & set(message["keys"]):
                peer.push(json.dumps({"id": message["id"], "error": "unknown topic"}))
                return
        self.request_seen.set()
        if not self.withhold:
            peer.push(json.dumps({"id": message["id"], "ok": message.get("value", True)}))

    def peer(self, n: int = 1, seconds: float = 5.0) -> MemoryPeer:
        from tests.conftest import timeout

        return self.network.wait_peer(n, timeout(seconds))


class FakeClient(BaseClient):
    exchange = "fake"

    def __init__(
        self, server: FakeServer, *, ping_interval=None, stale_timeout=None, pong_timeout=None, max_age=None, **options
    ):
        options.setdefault("backoff_factory", lambda: backoff(initial=0.01, maximum=0.05))
        super().__init__(transport_factory=server.network.transport, **options)
        self.main = self._add_connection(
            "main", "mem://fake", FakeProtocol(), ping_interval=ping_interval, stale_timeout=stale_timeout,
            pong_timeout=pong_timeout, max_age=max_age,
        )

    def echo(self, value, timeout=None):
        self._check_open()
        self.main.ensure_open(self._timeout(timeout))
        request_id = next(self.main.protocol.ids)
        frame = json.dumps({"op": "req", "id": request_id, "value": value})
        return self.main.request(request_id, frame, self._timeout(timeout))[0]

    def subscribe(self, keys, callback=None, timeout=None):
        return self._subscribe(self.main, topic=",".join(keys), keys=keys, callback=callback, timeout=timeout)

    def _wire_subscribe(self, connection, keys, timeout):
        request_id = next(connection.protocol.ids)
        frame = json.dumps({"op": "sub", "id": request_id, "keys": list(keys)})
        connection.request(request_id, frame, timeout, wait_ready=False)

    def _wire_unsubscribe(self, connection, keys, timeout):
        request_id = next(connection.protocol.ids)
        frame = json.dumps({"op": "unsub", "id": request_id, "keys": list(keys)})
        connection.request(request_id, frame, timeout, wait_ready=False)


def update(key: str, data, *, snapshot: bool = False) -> str:
    return json.dumps({"t": key, "d": data, "snapshot": True} if snapshot else {"t": key, "d": data})
