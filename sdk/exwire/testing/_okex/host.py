"""What the request handlers (:mod:`.api`) and the matching engine (:mod:`.trading`) use of
the emulator, declared once so that both mixins are type-checked.

:class:`_EmulatorHost` holds annotations only (no values, no methods at run time): the
state is created by :meth:`OkexEmulator.__init__ <exwire.testing.okex.OkexEmulator>`,
and the methods declared under ``TYPE_CHECKING`` are those of
:class:`~exwire.testing._server.EmulatorServer`, of :class:`OkexEmulator` and of the
other mixin.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterator
from decimal import Decimal
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from exwire.testing._okex.market import _Feed, _Session
    from exwire.testing._okex.trading import _Order
    from exwire.testing._server import EmulatorConnection


class _EmulatorHost:
    """The emulator state and methods the mixins share (declarations only)."""

    api_key: str
    secret: str
    push_interval: float | None
    requests: deque[tuple[int, str, str | None]]
    pings_received: int
    logins: int
    _engine_lock: threading.RLock
    _free: dict[str, Decimal]
    _frozen: dict[str, Decimal]
    _quotes: dict[str, tuple[Decimal, Decimal]]
    _orders: dict[int, _Order]
    _order_ids: Iterator[int]
    _withhold_pong: bool
    _login_refusals: int
    _withheld: dict[str, int]

    if TYPE_CHECKING:

        @property
        def connections(self) -> list[EmulatorConnection]: ...

        def notify_changed(self) -> None: ...

        def _send(self, connection: EmulatorConnection, messages: list[dict[str, Any]]) -> bool: ...

        def _send_text(self, connection: EmulatorConnection, text: str) -> bool: ...

        def _feed(self, session: _Session, channel: str) -> _Feed: ...

        def _push_loop(self, connection: EmulatorConnection) -> None: ...

        def _trade(self, connection: EmulatorConnection, channel: str, parameters: Any) -> None: ...

        def _take_withheld(self, channel: str) -> bool: ...
