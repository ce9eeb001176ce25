"""The account and trading controls of :class:`~exwire.testing.kraken.KrakenEmulator`.

A mixin: the emulator builds its :class:`~exwire.testing._kraken.trading.TradingEngine`
in ``__init__`` and inherits these methods, which tests and samples use to get
credentials, inspect balances and orders, fill resting orders and inject faults.
It also routes plain HTTP ``POST`` requests arriving on the emulator's port to the
REST token endpoint (:mod:`exwire.testing._kraken.rest`). Every method is thread-safe.
"""

from __future__ import annotations

import logging
import re
import socket
from collections import Counter
from decimal import Decimal
from typing import Any

from exwire.models import Credentials, to_decimal
from exwire.testing._kraken.rest import is_http_post, serve_http
from exwire.testing._kraken.trading import TRADING_EVENTS, TradingEngine

__all__ = ["PrivateSide"]

# A token field in a logged frame, possibly cut short by websockets' frame summary.
_TOKEN_FIELD = re.compile(r'("token"\s*:\s*")[^"]*')
# The loggers that may show frames: the emulator's own and websockets' frame trace.
_FRAME_LOGGERS = ("exwire.testing", "exwire.testing.websockets")


class _TokenFilter(logging.Filter):
    """Blanks WebSocket tokens out of the emulator's log records (websockets traces every
    frame at DEBUG, and private frames carry the token): tests of a client's own logs
    must not find the secret in the fake exchange's."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken record is logging's problem, not ours
            return True
        if '"token"' in message:
            record.msg, record.args = _TOKEN_FIELD.sub(r"\1***", message), ()
        return True


_TOKEN_FILTER = _TokenFilter()


class PrivateSide:
    """Mixin of ``KrakenEmulator`` (needs ``_engine``, ``_received`` and the server)."""

    _engine: TradingEngine
    _received: Counter[str]

    @staticmethod
    def _hide_tokens_in_logs() -> None:
        # One stateless filter shared by every emulator, added once and kept (addFilter is idempotent).
        for name in _FRAME_LOGGERS:
            logging.getLogger(name).addFilter(_TOKEN_FILTER)

    # -- accounts -----------------------------------------------------------------------

    @property
    def credentials(self) -> Credentials:
        """Credentials of the default account, accepted by the token endpoint."""
        account = self._engine.default_account
        return Credentials(account.key, account.secret)

    def add_account(self, balances: dict[str, Any] | None = None) -> Credentials:
        """Open another account and return its credentials.

        Args:
            balances: asset → amount (``Decimal``, ``str``, ``int`` or ``float``);
                ``None``: the defaults (USD/EUR 1,000,000, XBT 10, ETH 100, XDG 1,000,000).
        """
        amounts = None if balances is None else {asset: to_decimal(value, asset) for asset, value in balances.items()}
        account = self._engine.add_account(amounts)
        return Credentials(account.key, account.secret)

    def balances(self, credentials: Credentials | None = None) -> dict[str, Decimal]:
        """The account's balances (asset → amount, open orders' holds not deducted).

        Args:
            credentials: which account; ``None``: the default one.

        Raises:
            KeyError: the credentials belong to no account of this emulator.
        """
        with self._engine.lock:
            return dict(self._engine.account(credentials).balances)

    def set_balance(self, asset: str, amount: Any, credentials: Credentials | None = None) -> None:
        """Set one balance of an account (``None`` credentials: the default account)."""
        value = to_decimal(amount, "amount")
        with self._engine.lock:
            self._engine.account(credentials).balances[asset] = value

    def open_orders(self, credentials: Credentials | None = None) -> list[dict[str, Any]]:
        """The account's open orders, each ``{"txid": ..., **openOrders fields}`` (§7.2)."""
        with self._engine.lock:
            return [{"txid": order.txid, **order.full()} for order in self._engine.account(credentials).open_orders()]

    def own_trades(self, credentials: Credentials | None = None) -> list[dict[str, Any]]:
        """The account's trades, oldest first, each ``{"trade_id": ..., **ownTrades fields}`` (§7.1)."""
        with self._engine.lock:
            return [{"trade_id": trade_id, **fields} for trade_id, fields in self._engine.account(credentials).trades]

    def best_prices(self, pair: str) -> tuple[Decimal, Decimal]:
        """The best bid and ask of the book that ``pair``'s orders trade against.

        It is the emulator's one trading book per pair, separate from the market data
        each connection streams; a buy limit at or above the ask (or any market order)
        fills at once, a buy below the bid rests.
        """
        return self._engine.best_prices(pair)

    def fill_order(self, order_id: str, volume: Any = None, price: Any = None) -> None:
        """Fill a resting order as maker, as if a counterparty arrived, and push the updates.

        Args:
            order_id: the order's txid.
            volume: how much to fill; ``None``: all that remains.
            price: the fill price; ``None``: the order's price.

        Raises:
            KeyError: no open order with that id.
        """
        self._engine.fill(order_id, None if volume is None else to_decimal(volume, "volume"),
                          None if price is None else to_decimal(price, "price"))

    def private_subscriptions(self) -> list[dict[str, Any]]:
        """The live private subscriptions: ``channel``, ``token``, ``connection`` (id), ``rate_counter``."""
        return self._engine.subscription_list()

    @property
    def tokens_issued(self) -> list[str]:
        """Every WebSocket token the REST endpoint issued, oldest first."""
        with self._engine.lock:
            return list(self._engine.tokens_issued)

    def requests_received(self, event: str) -> int:
        """How many WebSocket requests with this ``event`` arrived (e.g. ``"addOrder"``)."""
        with self._engine.lock:
            return self._received[event]

    # -- faults --------------------------------------------------------------------------

    def refuse_next_order(self, error: str = "EOrder:Insufficient funds") -> None:
        """Answer the next ``addOrder`` with ``error`` (a Kraken error string); nothing is
        placed. Calls queue up."""
        with self._engine.lock:
            self._engine.order_refusals.append(error)

    def refuse_next_token(self, error: str = "EAPI:Invalid key") -> None:
        """Answer the next valid ``GetWebSocketsToken`` call with ``error``. Calls queue up."""
        with self._engine.lock:
            self._engine.token_refusals.append(error)

    def withhold_next_reply(self, event: str = "addOrder") -> None:
        """Process the next trading request ``event`` as usual (the order is placed and its
        updates pushed) but send no reply, as when a reply is lost in a dropped connection."""
        if event not in TRADING_EVENTS:
            raise ValueError(f"event must be one of {TRADING_EVENTS}")
        with self._engine.lock:
            self._engine.withheld[event] += 1

    def skip_next_sequence(self, channel: str = "openOrders") -> None:
        """Number the next push of ``channel`` (``openOrders`` or ``ownTrades``, after its
        snapshot) one higher than due, as if a push had been lost. Calls queue up."""
        if channel not in ("openOrders", "ownTrades"):
            raise ValueError("channel must be 'openOrders' or 'ownTrades'")
        with self._engine.lock:
            self._engine.sequence_skips[channel] += 1

    def revoke_tokens(self) -> None:
        """Make every token issued so far invalid (``EAPI:Invalid token`` on next use)."""
        self._engine.revoke_tokens()

    # -- the REST endpoint on the same port ----------------------------------------------

    def _serve_socket(self, connection_id: int, raw_socket: socket.socket, address: Any) -> None:
        # websockets' handshake parser refuses request bodies: answer POSTs ourselves.
        if is_http_post(raw_socket):
            try:
                serve_http(raw_socket, self._engine.issue_token)
            finally:
                server: Any = self
                with server._changed:
                    server._raw_sockets.pop(connection_id, None)
            return
        super()._serve_socket(connection_id, raw_socket, address)  # type: ignore[misc]
