"""The OKEx emulator's requests: ``ping``, ``login``, ``addChannel``/``removeChannel``, batches (§3, §4, §7).

:class:`_RequestHandlers` is a mixin of :class:`~exwire.testing.okex.OkexEmulator`;
``on_message`` hands it each parsed request or batch.

Section numbers (§) refer to the protocol notes of :doc:`the OKEx page </exchanges/okex>`.
"""

from __future__ import annotations

from typing import Any

from exwire.testing._okex.common import (
    _LEGACY_CHANNEL,
    _PUSH_CHANNEL,
    _SYMBOLS,
    ERRORS,
    TRADE_CHANNELS,
    _failure,
    _signature,
)
from exwire.testing._okex.host import _EmulatorHost
from exwire.testing._okex.market import _Session
from exwire.testing._server import EmulatorConnection


class _RequestHandlers(_EmulatorHost):
    """Request handling of :class:`OkexEmulator` (a mixin)."""

    # -- requests ---------------------------------------------------------------------

    def _handle_batch(self, connection: EmulatorConnection, requests: list[Any]) -> None:
        replies: list[dict[str, Any]] = []
        followups: list[tuple[str, str]] = []
        with connection.send_lock:  # acks before the first pushes
            for request in requests:
                if isinstance(request, dict) and request.get("event") == "addChannel":
                    self.requests.append((connection.id, "addChannel", str(request.get("channel"))))
                if isinstance(request, dict) and request.get("event") == "addChannel" \
                        and str(request.get("channel", "")).startswith("ok_sub_"):
                    replies.append(self._add_channel(connection, request, followups))
                else:
                    self._request(connection, request)
            if replies:
                self._send(connection, replies)
            self._initial_pushes(connection, followups)
        self.notify_changed()

    def _request(self, connection: EmulatorConnection, request: Any) -> None:
        if not isinstance(request, dict):
            self._send(connection, [{"binary": 1, "data": _failure(20107)}])
            return
        event, channel = request.get("event"), request.get("channel")
        self.requests.append((connection.id, str(event), channel if isinstance(channel, str) else None))
        if event == "ping":
            with self._engine_lock:
                self.pings_received += 1
                withhold = self._withhold_pong
            if not withhold:
                self._send_text(connection, '{"event":"pong"}')
        elif event == "login":
            self._login(connection, request)
        elif event == "removeChannel" and isinstance(channel, str):
            with connection.session.lock:
                connection.session.channels.discard(channel)
        elif event == "addChannel" and channel in TRADE_CHANNELS:
            self._trade(connection, channel, request.get("parameters"))
        elif event == "addChannel" and isinstance(channel, str):
            followups: list[tuple[str, str]] = []
            with connection.send_lock:
                self._send(connection, [self._add_channel(connection, request, followups)])
                self._initial_pushes(connection, followups)
        else:
            # [{"binary":0,"data":{"result":false,"error_msg":"The subscription event type is  invalid.",...}}]
            self._send(connection, [{"binary": 1, "data": _failure(20103)}])
        self.notify_changed()

    def _login(self, connection: EmulatorConnection, request: dict[str, Any]) -> None:
        parameters = request.get("parameters")
        with self._engine_lock:
            refused = self._login_refusals > 0
            if refused:
                self._login_refusals -= 1
            withheld = self._take_withheld("login")
        valid = isinstance(parameters, dict) and parameters.get("api_key") == self.api_key \
            and parameters.get("sign") == _signature(parameters, self.secret)
        if valid and not refused:
            connection.session.logged_in = True
            with self._engine_lock:
                self.logins += 1
            reply: dict[str, Any] = {"binary": 1, "channel": "login", "data": {"result": True}}
        else:
            # §6.1: [{"data":{"error_code":20102,"error_msg":"Invalid logon.","result":false}}]
            reply = {"data": {"error_code": 20102, "error_msg": ERRORS[20102], "result": False}}
        if not withheld:
            self._send(connection, [reply])

    def _add_channel(self, connection: EmulatorConnection, request: dict[str, Any],
                     followups: list[tuple[str, str]]) -> dict[str, Any]:
        channel = str(request.get("channel"))
        session: _Session = connection.session
        if _LEGACY_CHANNEL.fullmatch(channel):
            return {"binary": 1, "channel": channel, "data": _failure(20116)}
        match = _PUSH_CHANNEL.fullmatch(channel)
        if match is None:
            return {"binary": 1, "channel": channel, "data": _failure(10015)}
        symbol, kind = match.group(1), match.group(2)
        if kind in ("order", "balance"):
            parameters = request.get("parameters")
            signed = isinstance(parameters, dict) and parameters.get("api_key") == self.api_key \
                and parameters.get("sign") == _signature(parameters, self.secret)
            if not (session.logged_in or signed):
                return {"binary": 1, "channel": channel, "data": _failure(10017)}
        with session.lock:
            session.channels.add(channel)
        # The ack does not validate the symbol (§3.2): an unknown one is acked, never pushed.
        if symbol in _SYMBOLS and kind not in ("order", "balance"):
            followups.append((channel, kind))
        return {"binary": 1, "channel": "addChannel", "data": {"result": True, "channel": channel}}

    def _initial_pushes(self, connection: EmulatorConnection, followups: list[tuple[str, str]]) -> None:
        session: _Session = connection.session
        for channel, kind in followups:
            feed = self._feed(session, channel)
            if kind == "depth":
                data: Any = feed.book()  # §5.2: the first push is the whole book
            elif kind.startswith("depth_"):
                data = feed.book(int(kind[6:]))
            elif kind == "ticker":
                data = feed.ticker()
            elif kind.startswith("kline_"):
                data = feed.kline(kind[6:])
            else:
                continue
            self._send(connection, [{"binary": 1, "channel": channel, "data": data}])
        if followups and not session.pusher_started and self.push_interval is not None:
            session.pusher_started = True
            connection.start_worker(self._push_loop)
