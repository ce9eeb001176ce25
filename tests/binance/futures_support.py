"""A socket-free BinanceClient for the futures tests: every request is captured as the frame
the client would send, on the connection it would use, and answered with a canned reply
through that connection's own protocol instance."""

from __future__ import annotations

import json

from exwire._core.protocol import Reply
from exwire.binance import BinanceClient
from exwire.models import Credentials
from tests.binance.test_signing import API_KEY, SECRET


class Replay:
    """``client`` sends nothing; ``sent`` holds ``(connection name, frame dict)`` per request.

    ``response`` is the text answered (its ``"id": 1`` replaced by the request id); ``None``
    answers ``{"result": {}}``.
    """

    def __init__(self, **options) -> None:
        self.client = BinanceClient(credentials=Credentials(key=API_KEY, secret=SECRET), url="ws://unused",
                                    usdm_futures_url="ws://unused-usdm", coinm_futures_url="ws://unused-coinm",
                                    **options)
        for session in self.client._sessions.values():
            session.connection.ensure_open = lambda timeout: None
        self.client._send = self._send
        self.sent: list[tuple[str, dict]] = []
        self.response: str | None = None

    def _send(self, connection, build, signed, deadline, *, wait_ready):
        request_id, frame = build()
        self.sent.append((connection.name, json.loads(frame)))
        text = self.response or '{"id": 1, "status": 200, "result": {}}'
        protocol = self.client._sessions[connection.name].protocol
        (reply,) = protocol.receive(text.replace('"id": 1', f'"id": {request_id}', 1))
        assert isinstance(reply, Reply) and reply.key == request_id
        if reply.error is not None:
            raise reply.error
        return reply.result

    def close(self) -> None:
        self.client.close()
