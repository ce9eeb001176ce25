"""OKEx spot WebSocket v1 emulator (``reference/protocols/okex.md``).

Speaks the retired ``/ws/v1`` API as its document and the captured frames show it:
every server frame is a raw-deflate binary frame (§2) holding a JSON array of
``{"binary": 1, "channel": ..., "data": ...}`` objects (``pong`` is a bare object);
``ping``/``pong`` (§7); ``addChannel``/``removeChannel`` and batches (§3); log-on and
signed trade requests checked with the MD5 rule (§4): a wrong signature is refused
with the documented code (20102 for ``login``, 10007 for trade calls); the public
channels (§5) from a seeded generator; and a small matching engine with balances for
``ok_spot_order``, ``ok_spot_cancel_order``, ``ok_spot_userinfo`` and
``ok_spot_orderinfo`` (§6) that pushes ``ok_sub_spot_X_order`` and
``ok_sub_spot_X_balance`` frames shaped like the real ones. Error frames use the
documented shapes (§3.2, §8).

The signature check here is written independently of :mod:`exwire.okex.signing`, so
the two do not share a bug.
"""

from __future__ import annotations

import ast
import hashlib
import itertools
import json
import random
import re
import threading
import time
import zlib
from collections import deque
from collections.abc import Mapping
from decimal import ROUND_DOWN, Decimal, InvalidOperation
from typing import Any

from exwire.errors import ConfigurationError
from exwire.models import Credentials
from exwire.testing._server import EmulatorConnection, EmulatorServer

__all__ = ["OkexEmulator", "deflate"]

TRADE_CHANNELS = ("ok_spot_order", "ok_spot_cancel_order", "ok_spot_userinfo", "ok_spot_orderinfo")
KLINE_SECONDS = {
    "1min": 60, "3min": 180, "5min": 300, "15min": 900, "30min": 1800, "1hour": 3600,
    "2hour": 7200, "4hour": 14400, "6hour": 21600, "12hour": 43200, "day": 86400,
    "3day": 259200, "week": 604800,
}
_PUSH_CHANNEL = re.compile(
    r"ok_sub_spot_([a-z0-9]+_[a-z0-9]+)_(ticker|depth|depth_5|depth_10|depth_20|deals|order|balance"
    r"|kline_(?:" + "|".join(KLINE_SECONDS) + r"))"
)
_LEGACY_CHANNEL = re.compile(r"ok_(sub_)?spot(usd|cny|eth|btc)_.*")
# symbol → (best bid, best ask, price decimals); the reference quote of the matching engine
_SYMBOLS = {
    "btc_usdt": ("6500.0000", "6500.1000", 4),
    "eth_usdt": ("200.0000", "200.0100", 4),
    "ltc_usdt": ("50.0000", "50.0100", 4),
    "eth_btc": ("0.03100000", "0.03100100", 8),
    "ltc_btc": ("0.00800000", "0.00800100", 8),
    "bch_btc": ("0.05000000", "0.05000100", 8),
    "enj_btc": ("0.00001200", "0.00001201", 8),
}
_DEFAULT_BALANCES = {"btc": "10", "usdt": "100000", "eth": "100", "ltc": "1000", "bch": "100", "enj": "100000"}
_QUANTITY = Decimal("0.00000001")
_BOOK_LEVELS = 30
_FIRST_ORDER_ID = 2009043431203840  # the magnitude of the captured ids (> 2^32)

ERRORS = {
    10000: "Required parameter is empty",
    10005: "api_key or sign is invalid",
    10007: "Signature does not match",
    10008: "Parameter error",
    10009: "Order does not exist",
    10010: "Insufficient funds",
    10011: "Order quantity too low",
    10014: "Order price must be between 0 and 1,000,000",
    10015: "Channel subscription temporarily not available",
    10017: "WebSocket authorization error",
    20102: "Invalid logon.",
    20103: "The subscription event type is  invalid.",
    20107: "JSON format error",
    20116: "param not match.",
    1024: "Currency does not exist",
    1050: "Order already cancelled",
    1051: "Order already completed",
}


def deflate(text: str) -> bytes:
    """Compress like OKEx v1: one complete raw deflate stream, no header (§2)."""
    compressor = zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, -zlib.MAX_WBITS)
    return compressor.compress(text.encode("utf-8")) + compressor.flush()


def _encode(value: Any) -> str:
    """JSON text where ``Decimal`` becomes a bare JSON number with all its digits."""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dict):
        return "{" + ",".join(f"{json.dumps(str(k))}:{_encode(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(_encode(v) for v in value) + "]"
    return json.dumps(value)


def _signature(parameters: Mapping[str, Any], secret: str) -> str:
    # §4, written out again on purpose (see the module docstring).
    text = ""
    for name in sorted(parameters):
        if name != "sign":
            text += f"{name}={parameters[name]}&"
    return hashlib.md5(f"{text}secret_key={secret}".encode()).hexdigest().upper()


def _decimal(value: Any) -> Decimal | None:
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def _plain(value: Decimal) -> Decimal:
    """``Decimal("100000.000000")`` → ``Decimal("100000")``: no trailing zeros, no exponent."""
    return value.quantize(Decimal(1)) if value == value.to_integral_value() else value.normalize()


def _now_ms() -> int:
    return int(time.time() * 1000)


class _RequestError(Exception):
    def __init__(self, code: int) -> None:
        super().__init__(ERRORS.get(code, "error"))
        self.code = code


# -- generated market data (one feed per symbol per connection) ------------------------


class _Feed:
    """A seeded book, trades, ticker and candles of one symbol on one connection."""

    def __init__(self, symbol: str, rng: random.Random) -> None:
        bid, ask, decimals = _SYMBOLS.get(symbol, ("100.0000", "100.0100", 4))
        self.rng = rng
        self.tick = Decimal(1).scaleb(-decimals)
        self.asks: dict[Decimal, Decimal] = {}
        self.bids: dict[Decimal, Decimal] = {}
        best_bid, best_ask = Decimal(bid), Decimal(ask)
        for level in range(_BOOK_LEVELS):
            self.asks[best_ask + self.tick * level * 3] = self._quantity()
            self.bids[best_bid - self.tick * level * 3] = self._quantity()
        self.last = self.open = self.high = self.low = best_bid
        self.volume = Decimal(0)
        self.changes: tuple[dict[Decimal, Decimal], dict[Decimal, Decimal]] = ({}, {})
        self.trades: list[list[str]] = []
        self.next_trade_id = rng.randint(1_000_000, 9_000_000)
        self.candles: dict[str, list[Any]] = {}

    def _quantity(self) -> Decimal:
        return Decimal(self.rng.randint(1, 5_000_000)).scaleb(-4)

    def step(self) -> None:
        """Change a few levels (kept in :attr:`changes`) and make one or two trades."""
        rng = self.rng
        ask_changes: dict[Decimal, Decimal] = {}
        bid_changes: dict[Decimal, Decimal] = {}
        for _ in range(rng.choice((1, 1, 2, 3))):
            is_ask = rng.random() < 0.5
            levels, changes = (self.asks, ask_changes) if is_ask else (self.bids, bid_changes)
            draw = rng.random()
            if draw < 0.2 and len(levels) > 5:
                price = rng.choice(sorted(levels))
                del levels[price]
                changes[price] = Decimal(0)
                continue
            if draw < 0.4:
                inner = min(self.asks) if not is_ask else max(self.bids)
                offset = self.tick * rng.randint(1, 3 * _BOOK_LEVELS)
                price = inner + offset if is_ask else inner - offset
                if price <= 0:
                    continue
            else:
                price = rng.choice(sorted(levels))
            levels[price] = changes[price] = self._quantity()
        self.changes = (ask_changes, bid_changes)
        self.trades = []
        clock = time.strftime("%H:%M:%S", time.gmtime(time.time() + 8 * 3600))  # server clock, UTC+8
        for _ in range(rng.choice((1, 1, 2))):
            taker_buys = rng.random() < 0.5
            price = min(self.asks) if taker_buys else max(self.bids)
            quantity = Decimal(rng.randint(1, 20_000)).scaleb(-4)
            self.next_trade_id += 1
            self.trades.append([str(self.next_trade_id), str(price), str(quantity), clock,
                                "bid" if taker_buys else "ask"])
            self.last = price
            self.high, self.low = max(self.high, price), min(self.low, price)
            self.volume += quantity
            for interval in list(self.candles):
                candle = self._candle(interval)
                candle[2], candle[3], candle[4] = max(candle[2], price), min(candle[3], price), price
                candle[5] += quantity

    def _candle(self, interval: str) -> list[Any]:
        seconds = KLINE_SECONDS[interval]
        start = int(time.time()) // seconds * seconds * 1000
        candle = self.candles.get(interval)
        if candle is None or candle[0] != start:
            candle = self.candles[interval] = [start, self.last, self.last, self.last, self.last, Decimal(0)]
        return candle

    def kline(self, interval: str) -> list[list[str]]:
        candle = self._candle(interval)
        return [[str(candle[0]), *(str(value) for value in candle[1:])]]

    def book(self, levels: int | None = None) -> dict[str, Any]:
        asks = sorted(self.asks)[:levels]
        bids = sorted(self.bids, reverse=True)[:levels]
        # Asks listed from the highest price down, as v1 sent them: clients must sort.
        return {"asks": [[str(p), str(self.asks[p])] for p in reversed(asks)],
                "bids": [[str(p), str(self.bids[p])] for p in bids], "timestamp": _now_ms()}

    def book_changes(self) -> dict[str, Any]:
        asks, bids = self.changes
        return {"asks": [[str(p), str(q)] for p, q in asks.items()],
                "bids": [[str(p), str(q)] for p, q in bids.items()], "timestamp": _now_ms()}

    def ticker(self) -> dict[str, Any]:
        return {"high": str(self.high), "vol": str(self.volume), "last": str(self.last),
                "low": str(self.low), "buy": str(max(self.bids)), "change": str(self.last - self.open),
                "sell": str(min(self.asks)), "dayLow": str(self.low), "dayHigh": str(self.high),
                "timestamp": _now_ms()}


# -- the matching engine ------------------------------------------------------------------


class _Order:
    def __init__(self, order_id: int, symbol: str, order_type: str, price: Decimal, amount: Decimal) -> None:
        self.order_id = order_id
        self.symbol = symbol
        self.type = order_type
        self.price = price  # limit price; the quote amount of a market buy
        self.amount = amount  # base quantity; zero for a market buy until it fills
        self.filled = Decimal(0)
        self.notional = Decimal(0)
        self.created_ms = _now_ms()
        self.status = 0
        self.last_fill: tuple[Decimal, Decimal] | None = None

    @property
    def base(self) -> str:
        return self.symbol.split("_")[0]

    @property
    def quote(self) -> str:
        return self.symbol.split("_")[1]

    def average(self) -> Decimal:
        return (self.notional / self.filled).quantize(_QUANTITY) if self.filled else Decimal(0)

    def push(self) -> dict[str, Any]:
        """The ``data`` of an ``ok_sub_spot_X_order`` push (§6.6, as captured)."""
        data = {"symbol": self.symbol, "orderId": self.order_id, "tradeUnitPrice": str(self.price),
                "tradeAmount": str(self.amount), "createdDate": str(self.created_ms),
                "completedTradeAmount": str(self.filled), "averagePrice": str(self.average()),
                "tradePrice": str(self.notional), "tradeType": self.type, "status": self.status}
        if self.last_fill is not None:
            data["sigTradeAmount"], data["sigTradePrice"] = (str(v) for v in self.last_fill)
        return data

    def info(self) -> dict[str, Any]:
        """One element of an ``ok_spot_orderinfo`` reply (§6.5; some values are numbers)."""
        return {"symbol": self.symbol, "amount": str(self.amount), "price": str(self.price),
                "avg_price": self.average(), "create_date": self.created_ms, "type": self.type,
                "deal_amount": self.filled, "order_id": self.order_id, "orders_id": self.order_id,
                "status": self.status}


class _Session:
    """OKEx state of one connection."""

    def __init__(self) -> None:
        self.lock = threading.Lock()  # guards channels for readers on other threads
        self.channels: set[str] = set()
        self.logged_in = False
        self.feeds: dict[str, _Feed] = {}
        self.pusher_started = False


class OkexEmulator(EmulatorServer):
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

    Raises:
        ConfigurationError: a bad ``push_interval`` or balance.
    """

    def __init__(self, seed: int = 0, push_interval: float | None = 0.05, *,
                 api_key: str = "emulator-api-key", secret: str = "emulator-secret-key",
                 balances: Mapping[str, Any] | None = None, compress: bool = True,
                 host: str = "127.0.0.1", port: int = 0, send_timeout: float | None = 10.0,
                 close_timeout: float = 2.0) -> None:
        super().__init__("okex", host=host, port=port, send_timeout=send_timeout,
                         close_timeout=close_timeout)
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

    def client_kwargs(self) -> dict[str, str]:
        """Keyword arguments pointing an ``OkexClient`` at this emulator (``url``)."""
        return {"url": f"{self.url}ws/v1"}

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

    # -- trade requests (§6.2-6.5) --------------------------------------------------------

    def _trade(self, connection: EmulatorConnection, channel: str, parameters: Any) -> None:
        pushes: list[tuple[str, dict[str, Any]]] = []
        with self._engine_lock:
            withheld = self._take_withheld(channel)
            try:
                if not isinstance(parameters, dict) or not parameters.get("api_key") \
                        or not parameters.get("sign"):
                    raise _RequestError(10000)
                if parameters["api_key"] != self.api_key:
                    raise _RequestError(10005)
                if parameters["sign"] != _signature(parameters, self.secret):
                    raise _RequestError(10007)
                data, pushes = getattr(self, "_" + channel)(parameters)
                reply = {"binary": 1, "channel": channel, "data": {"result": True, **data}}
            except _RequestError as error:
                reply = {"binary": 1, "channel": channel, "data": _failure(error.code)}
        if not withheld:
            self._send(connection, [reply])
        self._send_private(pushes)

    def _ok_spot_order(self, parameters: dict[str, Any]) -> tuple[dict[str, Any], list]:
        symbol, order_type = parameters.get("symbol"), parameters.get("type")
        if symbol not in self._quotes:
            raise _RequestError(1024)
        if order_type not in ("buy", "sell", "buy_market", "sell_market"):
            raise _RequestError(10008)
        price = _decimal(parameters["price"]) if "price" in parameters else None
        amount = _decimal(parameters["amount"]) if "amount" in parameters else None
        needs_price, needs_amount = order_type != "sell_market", order_type != "buy_market"
        if (needs_price and price is None) or (needs_amount and amount is None):
            raise _RequestError(10000)
        if needs_price and not 0 < price < 1_000_000:  # type: ignore[operator]
            raise _RequestError(10014)
        if needs_amount and not amount > 0:  # type: ignore[operator]
            raise _RequestError(10011)
        base, quote = symbol.split("_")
        if order_type == "buy":
            asset, cost = quote, price * amount  # type: ignore[operator]
        elif order_type == "buy_market":
            asset, cost = quote, price
        else:
            asset, cost = base, amount
        if self._free.get(asset, Decimal(0)) < cost:  # type: ignore[operator]
            raise _RequestError(10010)
        order = _Order(next(self._order_ids), symbol, order_type,
                       price if needs_price else Decimal(0), amount if needs_amount else Decimal(0))  # type: ignore[arg-type]
        self._orders[order.order_id] = order
        self._free[asset] -= cost  # type: ignore[operator]
        self._frozen[asset] = self._frozen.get(asset, Decimal(0)) + cost  # type: ignore[operator]
        bid, ask = self._quotes[symbol]
        if order_type == "buy_market":
            order.amount = (price / ask).quantize(_QUANTITY, ROUND_DOWN)  # type: ignore[operator]
            self._fill(order, order.amount, ask)
        elif order_type == "sell_market":
            self._fill(order, order.amount, bid)
        elif order_type == "buy" and price >= ask:  # type: ignore[operator]
            self._fill(order, order.amount, ask)
        elif order_type == "sell" and price <= bid:  # type: ignore[operator]
            self._fill(order, order.amount, bid)
        return {"order_id": order.order_id}, self._order_pushes(order)

    def _ok_spot_cancel_order(self, parameters: dict[str, Any]) -> tuple[dict[str, Any], list]:
        order = self._find(parameters)
        if order.status == -1:
            raise _RequestError(1050)
        if order.status == 2:
            raise _RequestError(1051)
        order.status = -1
        order.last_fill = None
        base, quote = order.base, order.quote
        if order.type == "buy":
            asset, held = quote, order.price * (order.amount - order.filled)
        else:
            asset, held = base, order.amount - order.filled
        self._frozen[asset] -= held
        self._free[asset] += held
        return {"order_id": str(order.order_id)}, self._order_pushes(order)

    def _ok_spot_userinfo(self, parameters: dict[str, Any]) -> tuple[dict[str, Any], list]:
        funds = {"free": {a: format(_plain(v), "f") for a, v in self._free.items()},
                 "freezed": {a: format(_plain(self._frozen.get(a, Decimal(0))), "f") for a in self._free}}
        return {"info": {"funds": funds}}, []

    def _ok_spot_orderinfo(self, parameters: dict[str, Any]) -> tuple[dict[str, Any], list]:
        return {"orders": [self._find(parameters).info()]}, []

    def _find(self, parameters: dict[str, Any]) -> _Order:
        raw = str(parameters.get("order_id", ""))
        if not raw or "symbol" not in parameters:
            raise _RequestError(10000)
        order = self._orders.get(int(raw)) if raw.isdigit() else None
        if order is None or order.symbol != parameters["symbol"]:
            raise _RequestError(10009)
        return order

    def _fill(self, order: _Order, quantity: Decimal, price: Decimal) -> None:
        """Fill ``quantity`` of ``order`` at ``price``; move the funds (no fees)."""
        base, quote = order.base, order.quote
        notional = (quantity * price).quantize(_QUANTITY, ROUND_DOWN)
        for asset in (base, quote):
            self._free.setdefault(asset, Decimal(0))
            self._frozen.setdefault(asset, Decimal(0))
        if order.type == "buy":
            held = order.price * quantity
            self._frozen[quote] -= held
            self._free[quote] += held - notional
            self._free[base] += quantity
        elif order.type == "buy_market":
            self._frozen[quote] -= order.price
            self._free[quote] += order.price - notional
            self._free[base] += quantity
        else:
            self._frozen[base] -= quantity
            self._free[quote] += notional
        order.filled += quantity
        order.notional += notional
        order.last_fill = (quantity, price)
        order.status = 2 if order.filled >= order.amount else 1

    def _order_pushes(self, order: _Order) -> list[tuple[str, dict[str, Any]]]:
        """Pushes for a changed order: the order, then the balances of its assets (§6.6, §6.7)."""
        prefix = f"ok_sub_spot_{order.symbol}"
        assets = (order.base, order.quote)
        balance = {"info": {"free": {a: _plain(self._free.get(a, Decimal(0))) for a in assets},
                            "freezed": {a: _plain(self._frozen.get(a, Decimal(0))) for a in assets}}}
        return [(f"{prefix}_order", order.push()), (f"{prefix}_balance", balance)]

    def _send_private(self, pushes: list[tuple[str, dict[str, Any]]]) -> None:
        for connection in self.connections:
            session = connection.session
            if session is None or not session.logged_in:
                continue
            for channel, data in pushes:
                with session.lock:
                    subscribed = channel in session.channels
                if subscribed:
                    self._send(connection, [{"binary": 1, "channel": channel, "data": data}])

    def _take_withheld(self, channel: str) -> bool:
        count = self._withheld.get(channel, 0)
        if count:
            self._withheld[channel] = count - 1
        return bool(count)

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


def _generated(feed: _Feed, kind: str) -> Any:
    if kind == "ticker":
        return feed.ticker()
    if kind == "depth":
        return feed.book_changes() if any(feed.changes) else None
    if kind.startswith("depth_"):
        return feed.book(int(kind[6:]))
    if kind == "deals":
        return feed.trades or None
    if kind.startswith("kline_"):
        return feed.kline(kind[6:])
    return None


def _failure(code: int) -> dict[str, Any]:
    return {"result": False, "error_code": code, "error_msg": ERRORS.get(code, "error")}


def _parse(message: str | bytes) -> Any:
    """Strict JSON, or the single-quoted pseudo-JSON of the document's examples (§2)."""
    text = message.decode("utf-8", "replace") if isinstance(message, bytes) else message
    try:
        return json.loads(text)
    except ValueError:
        pass
    if len(text) > 65_536:
        return None
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return None
    return value if isinstance(value, (dict, list)) else None
