"""The stream controls of :class:`~exwire.testing.binance.BinanceEmulator`: flood trades, inject
a depth gap, expire listen keys, read the emulator's own books; and the COIN-M REST depth
snapshot (``GET /dapi/v1/depth``) served over plain HTTP on the emulator's port."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs

from exwire.binance.enums import FuturesMarket
from exwire.errors import ConfigurationError
from exwire.models import Credentials
from exwire.testing._binance.book import Book
from exwire.testing._binance.common import _ApiError
from exwire.testing._binance.futures_engine import _Futures
from exwire.testing._binance.spot_engine import _Exchange
from exwire.testing._binance.streams import StreamHub, StreamSession
from exwire.testing._binance.user_stream import ListenKeys
from exwire.testing._server import EmulatorConnection

__all__ = ["StreamControls", "COINM_REST_PREFIX", "rest_body"]

COINM_REST_PREFIX = "/coinm-rest"
_DEPTH_LIMITS = (5, 10, 20, 50, 100, 500, 1000)


def _market_name(market: FuturesMarket | None) -> str:
    if market is None:
        return "spot"
    if not isinstance(market, FuturesMarket):
        raise ConfigurationError(f"market must be a FuturesMarket or None, got {market!r}")
    return "usdm" if market is FuturesMarket.USDM else "coinm"


class StreamControls:
    """Mixin of :class:`BinanceEmulator`; every method takes the exchange lock."""

    exchange: _Exchange
    futures: _Futures
    streams: StreamHub
    listen_keys: ListenKeys

    def _book(self, symbol: str, market: FuturesMarket | None) -> tuple[str, Any, Book]:
        name = _market_name(market)
        if name == "spot":
            found: Any = self.exchange.markets.get(symbol)
        elif not isinstance(symbol, str):
            found = None
        else:
            found = self.futures.contracts.get(symbol)
            found = found if found is not None and found.market == name else None
        if found is None:
            raise ConfigurationError(f"no {name} symbol {symbol!r} in this emulator")
        return name, found, found.book

    def publish_trades(self, symbol: str, count: int, *, market: FuturesMarket | None = None) -> None:
        """Push ``count`` ``trade`` events of ``symbol`` (at the best bid, trade ids consecutive, in
        order, as fast as the sockets take them) on every connection subscribed to
        ``<symbol>@trade``; returns once all are sent. They are recorded as public trades.

        Raises:
            ConfigurationError: an unknown symbol or a negative count.
        """
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise ConfigurationError(f"count must be a non-negative integer, got {count!r}")
        with self.exchange.lock:
            name, found, _ = self._book(symbol, market)
            listener, found.trade_listener = found.trade_listener, None
            try:
                now = self.exchange.now()
                rows = []
                for _ in range(count):
                    found.add_trade(found.bid, found.step, True, now)
                    rows.append(found.trades[-1])
            finally:
                found.trade_listener = listener
            self.streams.flood_trades(name, symbol, rows)

    def publish_liquidation(self, symbol: str, side: str, quantity: Any, price: Any, *,
                            market: FuturesMarket = FuturesMarket.USDM) -> None:
        """Push one liquidation order (``forceOrder``, status ``FILLED``) of a futures ``symbol`` on
        ``<symbol>@forceOrder`` and ``!forceOrder@arr``; ``side`` is ``"BUY"`` or ``"SELL"``.

        Raises:
            ConfigurationError: an unknown symbol or side, or a quantity or price that is not a
                positive number.
        """
        if not isinstance(market, FuturesMarket):
            raise ConfigurationError(f"liquidations are futures only: market must be a FuturesMarket, got {market!r}")
        if side not in ("BUY", "SELL"):
            raise ConfigurationError(f"side must be 'BUY' or 'SELL', got {side!r}")
        try:
            amounts = [Decimal(str(quantity)), Decimal(str(price))]
        except ArithmeticError:
            raise ConfigurationError("quantity and price must be numbers") from None
        if not all(a.is_finite() and a > 0 for a in amounts):
            raise ConfigurationError("quantity and price must be positive")
        with self.exchange.lock:
            _, contract, _ = self._book(symbol, market)
            self.streams.liquidation(contract, side, *(format(a, "f") for a in amounts))

    def skip_depth_update(self, symbol: str, *, market: FuturesMarket | None = None) -> None:
        """Change the book once without publishing it, then publish the next change now: the
        diff depth stream shows a gap (spot: ``U`` > previous ``u`` + 1; futures: ``pu`` ≠
        previous ``u``), and a book kept without resyncing differs from :meth:`order_book`."""
        with self.exchange.lock:
            self._book(symbol, market)[2].skip()

    def order_book(self, symbol: str, *, market: FuturesMarket | None = None
                   ) -> tuple[list[tuple[Decimal, Decimal]], list[tuple[Decimal, Decimal]]]:
        """The emulator's whole book of ``symbol``: ``(bids best first, asks best first)`` of
        ``(price, quantity)``."""
        with self.exchange.lock:
            return self._book(symbol, market)[2].sorted_levels()

    def last_update_id(self, symbol: str, *, market: FuturesMarket | None = None) -> int:
        """The ``u`` of the last published diff depth event of ``symbol`` (spot: also the
        ``lastUpdateId`` a snapshot taken now carries, when no gap is pending)."""
        with self.exchange.lock:
            return self._book(symbol, market)[2].last_published

    def expire_listen_key(self, market: FuturesMarket, credentials: Credentials | str | None = None) -> int:
        """Expire the active listen keys of ``market`` (of one account only, if given): each is
        invalidated and ``listenKeyExpired`` is pushed on its user-data connections.

        Returns:
            How many keys expired.
        """
        name = _market_name(market)
        if name == "spot":
            raise ConfigurationError("spot has no listen keys")
        api_key = credentials if isinstance(credentials, str) or credentials is None else credentials.key
        with self.exchange.lock:
            keys = [k for k in self.listen_keys.keys.values()
                    if k.active and k.market == name and (api_key is None or k.api_key == api_key)]
            for key in keys:
                key.active = False
            self.streams.expire(keys)
        return len(keys)

    def listen_key(self, credentials: Credentials | str, market: FuturesMarket) -> str | None:
        """The account's active listen key on ``market``, or ``None``."""
        api_key = credentials if isinstance(credentials, str) else credentials.key
        with self.exchange.lock:
            key = self.listen_keys.active(api_key, _market_name(market))
            return None if key is None else key.key

    def stream_connections(self, market: FuturesMarket | None | str = "all", *,
                           route: str | None = None) -> list[EmulatorConnection]:
        """The live stream connections (of one market, ``None`` being spot; of one USDⓈ-M route
        ``"public"``, ``"market"`` or ``"private"`` if given), oldest first."""
        name = None if market == "all" else _market_name(market)  # type: ignore[arg-type]
        found = []
        for connection in self.connections:  # type: ignore[attr-defined]
            session = connection.session
            if isinstance(session, StreamSession) and name in (None, session.market) \
                    and route in (None, session.route):
                found.append(connection)
        return found

    def drop_stream_connections(self, market: FuturesMarket | None | str = "all", *,
                                route: str | None = None) -> int:
        """Cut the stream connections :meth:`stream_connections` lists without a closing handshake
        (the client sees EOF); return how many."""
        connections = self.stream_connections(market, route=route)
        for connection in connections:
            connection.abort()
        return len(connections)

    def stream_subscriptions(self, market: FuturesMarket | None | str = "all") -> list[list[str]]:
        """The subscribed stream names of each live stream connection (of one market if given),
        in subscription order: e.g. to check a reconnect resubscribed the full set, none twice."""
        with self.exchange.lock:
            return [[*c.session.streams, *c.session.listen_keys] for c in self.stream_connections(market)]

    # -- COIN-M REST depth ---------------------------------------------------------------------------

    def coinm_rest(self, path: str, query: str) -> tuple[int, dict[str, Any]]:
        """Answer ``GET <coinm_rest_url>/dapi/v1/depth?symbol=…&limit=…`` as Binance's COIN-M REST
        "Order Book" endpoint does: ``lastUpdateId``, ``symbol``, ``pair``, ``E``, ``T``, ``bids``,
        ``asks``; errors as ``{"code", "msg"}`` with status 400."""
        if path != COINM_REST_PREFIX + "/dapi/v1/depth":
            return 404, {"code": -1000, "msg": f"No endpoint at {path}."}
        fields = {k: v[-1] for k, v in parse_qs(query).items()}
        try:
            with self.exchange.lock:
                contract = self.futures.contract(fields.get("symbol"), "coinm")
                limit_text = fields.get("limit", "500")
                if not limit_text.isdigit() or int(limit_text) not in _DEPTH_LIMITS:
                    raise _ApiError(-1130, "Invalid value for parameter 'limit'.")
                now = self.exchange.now()
                snapshot = contract.depth(int(limit_text), now)
        except _ApiError as error:
            return 400, {"code": error.code, "msg": error.message}
        return 200, {"lastUpdateId": snapshot["lastUpdateId"], "symbol": contract.symbol,
                     "pair": contract.spec.pair, "E": now, "T": snapshot["T"], "bids": snapshot["bids"],
                     "asks": snapshot["asks"]}


def rest_body(document: dict[str, Any]) -> bytes:
    return json.dumps(document, separators=(",", ":")).encode("utf-8")

