"""The OKEx spot v1 emulator server: public controls, hooks, the pusher and framing.

:class:`OkexEmulator` combines the request handlers of :mod:`.api` and the matching
engine of :mod:`.trading` with :class:`~exwire.testing._server.EmulatorServer`.

Section numbers (§) refer to the protocol notes of :doc:`the OKEx page </exchanges/okex>`.
"""

from __future__ import annotations

import itertools
import random
import threading
from collections import deque
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, TypedDict

from exwire.errors import ConfigurationError
from exwire.models import Credentials
from exwire.testing._okex.api import _RequestHandlers
from exwire.testing._okex.common import (
    _DEFAULT_BALANCES,
    _FIRST_ORDER_ID,
    _PUSH_CHANNEL,
    _SYMBOLS,
    _decimal,
    _encode,
    _failure,
    _parse,
    deflate,
)
from exwire.testing._okex.market import _Feed, _generated, _Session
from exwire.testing._okex.trading import _Order, _Trading
from exwire.testing._server import EmulatorConnection, EmulatorServer

__all__ = ["OkexEmulator", "OkexClientKwargs"]


class OkexClientKwargs(TypedDict):
    """The keywords :meth:`OkexEmulator.client_kwargs` gives ``OkexClient``."""

    url: str


class OkexEmulator(_RequestHandlers, _Trading, EmulatorServer):
    """A local OKEx spot WebSocket v1 server for tests and samples.

    ``with OkexEmulator() as emu: client = OkexClient(**emu.client_kwargs(), credentials=emu.credentials)``.
    Connections to ``/ws/v1`` (and ``/``) are accepted. Each connection gets its own
    seeded market data (the same seed and subscriptions give the same prices). One
    account, identified by ``api_key``/``secret``, holds the balances; every order
    matches against a reference quote per symbol (:meth:`set_market`): a marketable
    order fills at once at the best bid or ask, others rest until cancelled or
    filled with :meth:`fill_order`. Order and balance pushes go to every logged-on
    connection subscribed to the symbol's ``order``/``balance`` channel.

    Faults: those of :class:`EmulatorServer` (:meth:`drop_connections`, :meth:`stall`,
    :meth:`send_raw`, :meth:`close_connections`) plus :meth:`withhold_pong`,
    :meth:`refuse_next_login`, :meth:`withhold_next_reply` and :meth:`send_frame` (any
    frame, e.g. a malformed or unexpected one, compressed like the others).

    Threads: besides those of :class:`EmulatorServer`, each connection with a public
    subscription has one pusher (``exwire-emulator-okex-push-<id>``). Thread-safety:
    every public method may be called from any thread.

    Args:
        seed: seed of the generated market data.
        push_interval: seconds between generated pushes of each public subscription;
            ``None`` sends only what follows a subscribe (whole book, ticker, candle).
        api_key: the account's API key.
        secret: the account's secret key.
        balances: free balances per lower-case asset (``None``: a default set).
        compress: send raw-deflate binary frames like OKEx after 2018-10 (§2); ``False``
            sends text frames.
        host, port, send_timeout, close_timeout: as :class:`EmulatorServer`.
        tls: serve ``wss://`` with a generated self-signed certificate; pass
            ``ssl_context=emu.ssl_context()`` to the client (see :class:`EmulatorServer`).

    Raises:
        ConfigurationError: a bad ``push_interval`` or balance.
    """

    def __init__(self, seed: int = 0, push_interval: float | None = 0.05, *,
                 api_key: str = "emulator-api-key", secret: str = "emulator-secret-key",
                 balances: Mapping[str, Any] | None = None, compress: bool = True,
                 host: str = "127.0.0.1", port: int = 0, send_timeout: float | None = 10.0,
                 close_timeout: float = 2.0, tls: bool = False) -> None:
        super().__init__("okex", host=host, port=port, send_timeout=send_timeout,
                         close_timeout=close_timeout, tls=tls)
        if push_interval is not None and not push_interval > 0:
            raise ConfigurationError(f"push_interval must be > 0 seconds or None, not {push_interval!r}")
        self.seed = seed
        self.push_interval = push_interval
        self.api_key = api_key
        self.secret = secret
        self.compress = compress
        self._engine_lock = threading.RLock()  # guards balances, orders, quotes and fault state
        self._free: dict[str, Decimal] = {}
        self._frozen: dict[str, Decimal] = {}
        for asset, amount in (balances if balances is not None else _DEFAULT_BALANCES).items():
            value = _decimal(amount)
            if value is None or value < 0:
                raise ConfigurationError(f"balance of {asset!r} must be a non-negative number")
            self._free[asset.lower()] = value
            self._frozen[asset.lower()] = Decimal(0)
        self._quotes = {symbol: (Decimal(bid), Decimal(ask)) for symbol, (bid, ask, _) in _SYMBOLS.items()}
        self._orders: dict[int, _Order] = {}
        self._order_ids = itertools.count(_FIRST_ORDER_ID, 65536 + 7)
        self._withhold_pong = False
        self._login_refusals = 0
        self._withheld: dict[str, int] = {}
        self.requests: deque[tuple[int, str, str | None]] = deque(maxlen=10_000)
        """``(connection id, event, channel)`` of every request received, oldest first."""
        self.pings_received = 0
        self.logins = 0

    # -- public API -------------------------------------------------------------------

    def client_kwargs(self) -> OkexClientKwargs:
        """Keyword arguments pointing an ``OkexClient`` at this emulator (``url``)."""
        return OkexClientKwargs(url=f"{self.url}ws/v1")

    @property
    def credentials(self) -> Credentials:
        """The emulated account's credentials."""
        return Credentials(self.api_key, self.secret)

    def subscribed_channels(self) -> list[str]:
        """Channels subscribed on every live connection (a channel twice if on two)."""
        channels: list[str] = []
        for connection in self.connections:
            session = connection.session
            if session is not None:
                with session.lock:
                    channels.extend(sorted(session.channels))
        return channels

    def balances(self) -> dict[str, tuple[Decimal, Decimal]]:
        """``asset → (free, frozen)`` of the account."""
        with self._engine_lock:
            return {asset: (self._free[asset], self._frozen.get(asset, Decimal(0))) for asset in self._free}

    def order(self, order_id: int) -> dict[str, Any]:
        """The order as ``ok_spot_orderinfo`` would report it; ``KeyError`` if unknown."""
        with self._engine_lock:
            return self._orders[order_id].info()

    @property
    def order_count(self) -> int:
        """Orders placed since start."""
        with self._engine_lock:
            return len(self._orders)

    def set_market(self, symbol: str, bid: Any, ask: Any) -> None:
        """Set the best bid and ask the matching engine fills marketable orders at."""
        best_bid, best_ask = _decimal(bid), _decimal(ask)
        if best_bid is None or best_ask is None or not 0 < best_bid < best_ask:
            raise ConfigurationError("need 0 < bid < ask")
        with self._engine_lock:
            self._quotes[symbol] = (best_bid, best_ask)

    def fill_order(self, order_id: int, quantity: Any = None) -> None:
        """Fill ``quantity`` (all that remains when ``None``) of a resting limit order at its
        price, and push the order and balance updates.

        Raises:
            KeyError: no such order.
            ConfigurationError: the order is not open, or ``quantity`` is too large.
        """
        with self._engine_lock:
            order = self._orders[order_id]
            if order.status not in (0, 1) or order.type.endswith("_market"):
                raise ConfigurationError(f"order {order_id} is not an open limit order")
            remaining = order.amount - order.filled
            amount = remaining if quantity is None else _decimal(quantity)
            if amount is None or not 0 < amount <= remaining:
                raise ConfigurationError(f"quantity must be in (0, {remaining}]")
            self._fill(order, amount, order.price)
            pushes = self._order_pushes(order)
        self._send_private(pushes)

    def withhold_pong(self, enabled: bool = True) -> None:
        """Stop (or, with ``False``, resume) answering ``ping`` on every connection."""
        with self._engine_lock:
            self._withhold_pong = enabled

    def refuse_next_login(self, count: int = 1) -> None:
        """Refuse the next ``count`` log-ons with 20102 whatever their signature."""
        with self._engine_lock:
            self._login_refusals += count

    def withhold_next_reply(self, channel: str, count: int = 1) -> None:
        """Carry out the next ``count`` requests on ``channel`` (``"login"``,
        ``"ok_spot_order"`` ...) but send no reply; pushes still go out."""
        with self._engine_lock:
            self._withheld[channel] = self._withheld.get(channel, 0) + count

    def send_frame(self, message: Any) -> int:
        """Send ``message`` (JSON-encoded unless ``str``) to every connection, compressed
        when the emulator compresses. Returns the number of connections reached."""
        text = message if isinstance(message, str) else _encode(message)
        return self.send_raw(deflate(text) if self.compress else text)

    # -- hooks ------------------------------------------------------------------------

    def accepts_path(self, path: str) -> bool:
        return path in ("/ws/v1", "/")

    def on_open(self, connection: EmulatorConnection) -> None:
        connection.session = _Session()

    def on_message(self, connection: EmulatorConnection, message: str | bytes) -> None:
        request = _parse(message)
        if request is None:
            self._send(connection, [{"binary": 1, "data": _failure(20107)}])
            return
        if isinstance(request, list):  # a batch (§3.3): one reply per element, in one frame
            self._handle_batch(connection, request)
            return
        self._request(connection, request)

    # -- pushing ------------------------------------------------------------------------

    def _feed(self, session: _Session, channel: str) -> _Feed:
        symbol = _PUSH_CHANNEL.fullmatch(channel).group(1)  # type: ignore[union-attr]
        feed = session.feeds.get(symbol)
        if feed is None:
            feed = session.feeds[symbol] = _Feed(symbol, random.Random(f"{self.seed}:{symbol}"))
        return feed

    def _push_loop(self, connection: EmulatorConnection) -> None:
        session: _Session = connection.session
        while connection.tick(self.push_interval):
            if connection.stalled:
                return
            with connection.send_lock:
                with session.lock:
                    channels = sorted(session.channels)
                stepped: set[str] = set()
                for channel in channels:
                    match = _PUSH_CHANNEL.fullmatch(channel)
                    if match is None or match.group(1) not in _SYMBOLS:
                        continue
                    symbol, kind = match.group(1), match.group(2)
                    if kind in ("order", "balance"):
                        continue
                    feed = self._feed(session, channel)
                    if symbol not in stepped:
                        stepped.add(symbol)
                        feed.step()
                    data = _generated(feed, kind)
                    if data is not None and not self._send(connection, [
                            {"binary": 1, "channel": channel, "data": data}]):
                        return

    # -- sending ------------------------------------------------------------------------

    def _send(self, connection: EmulatorConnection, messages: list[dict[str, Any]]) -> bool:
        return self._send_text(connection, _encode(messages))

    def _send_text(self, connection: EmulatorConnection, text: str) -> bool:
        return connection.send(deflate(text) if self.compress else text)
