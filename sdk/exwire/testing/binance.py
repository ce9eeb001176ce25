"""Binance WebSocket API emulator: spot ``ws-api/v3`` (``reference/protocols/binance.md``).

Speaks the request/response envelope of §3–§4 with ``rateLimits`` (§5), the three
signature schemes and the timestamp/``recvWindow`` rule of §6 (a wrong signature is
refused with ``-1022``, a stale or early timestamp with ``-1021``), ``session.logon``
for Ed25519 keys (§7), every spot method of §8 on seeded market data, a small matching
engine with balances for orders, order lists (OCO, OTO, OTOCO, OPO, OPOCO) and SOR,
and the user-data stream of §9 (``userDataStream.subscribe`` / ``.signature``) pushing
``executionReport``, ``outboundAccountPosition``, ``listStatus`` and ``balanceUpdate``.

Layout, so that USD-M (``/ws-fapi/v1``) and COIN-M (``/ws-dapi/v1``) can be added: the
exchange state (:class:`_Exchange`: accounts, markets, the matching engine, rate limits)
is shared; each product is an :class:`_Api` subclass bound to a path, owning a method
table ``{method: _Method(handler, security, weight)}``; :class:`_Api` does the envelope,
authentication, signature and timestamp checks and rate limiting for all of them.

Faults: those of :class:`~exwire.testing._server.EmulatorServer` (drop, stall, raw
frames, close codes) plus :meth:`BinanceEmulator.withhold_replies`,
:meth:`BinanceEmulator.fail_next`, :meth:`BinanceEmulator.send_server_shutdown` and a
skewed server clock (``time_offset_ms``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import random
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from decimal import ROUND_DOWN, Decimal, InvalidOperation
from typing import Any, NamedTuple

from exwire.errors import ConfigurationError
from exwire.models import Credentials
from exwire.testing._server import EmulatorConnection, EmulatorServer, logger

__all__ = ["BinanceEmulator", "SPOT_PATH"]

SPOT_PATH = "/ws-api/v3"
_EIGHT = Decimal("0.00000001")
_ZERO = Decimal(0)
_FINAL = ("FILLED", "CANCELED", "REJECTED", "EXPIRED", "EXPIRED_IN_MATCH")


class _SymbolSpec(NamedTuple):
    base: str
    quote: str
    start: str  # first price
    tick: str  # price step
    step: str  # quantity step


_SYMBOLS = {
    "BTCUSDT": _SymbolSpec("BTC", "USDT", "30000.00", "0.01", "0.00001"),
    "ETHUSDT": _SymbolSpec("ETH", "USDT", "2000.00", "0.01", "0.0001"),
    "BNBBTC": _SymbolSpec("BNB", "BTC", "0.010000", "0.000001", "0.001"),
    "ETHBTC": _SymbolSpec("ETH", "BTC", "0.06000", "0.00001", "0.0001"),
}
_DEFAULT_BALANCES = {"BTC": "10", "ETH": "100", "BNB": "1000", "USDT": "1000000"}
_INTERVAL_MS = {"1s": 1_000, "1m": 60_000, "3m": 180_000, "5m": 300_000, "15m": 900_000, "30m": 1_800_000,
                "1h": 3_600_000, "2h": 7_200_000, "4h": 14_400_000, "6h": 21_600_000, "8h": 28_800_000,
                "12h": 43_200_000, "1d": 86_400_000, "3d": 259_200_000, "1w": 604_800_000, "1M": 2_592_000_000}


def _text(value: Decimal) -> str:
    return format(value.quantize(_EIGHT, rounding=ROUND_DOWN), "f")


def _dumps(message: Any) -> str:
    return json.dumps(message, separators=(",", ":"))


class _ApiError(Exception):
    """An error reply: ``{"status": status, "error": {"code", "msg", "data"?}}``."""

    def __init__(self, code: int, message: str, status: int = 400, data: Any = None) -> None:
        super().__init__(message)
        self.code, self.message, self.status, self.data = code, message, status, data


def _mandatory(name: str) -> _ApiError:
    return _ApiError(-1102, f"Mandatory parameter '{name}' was not sent, was empty/null, or malformed.")


# -- accounts and signatures (§6) ----------------------------------------------------------


class _Account:
    """One API key and its balances (totals; what is locked is derived from open orders)."""

    def __init__(self, api_key: str, key_type: str, verify: Callable[[bytes, str], bool],
                 balances: Mapping[str, Decimal]) -> None:
        self.api_key, self.key_type, self.verify = api_key, key_type, verify
        self.totals: dict[str, Decimal] = dict(balances)
        self.orders: list[_Order] = []
        self.lists: list[_OrderList] = []
        self.trades: list[dict[str, Any]] = []
        self.allocations: list[dict[str, Any]] = []
        self.uid = random.Random(api_key).randint(10**8, 10**9)

    def locked(self) -> dict[str, Decimal]:
        locked: dict[str, Decimal] = {}
        counted: set[int] = set()
        for order in self.orders:
            if order.status not in ("NEW", "PARTIALLY_FILLED") or id(order) in counted:
                continue
            group = order.oco_group or [order]
            counted.update(id(member) for member in group)
            asset, amount = max((member.requirement() for member in group), key=lambda item: item[1])
            locked[asset] = locked.get(asset, _ZERO) + amount
        return locked

    def balance(self, asset: str) -> tuple[Decimal, Decimal]:
        locked = self.locked().get(asset, _ZERO)
        return self.totals.get(asset, _ZERO) - locked, locked


def _payload(params: Mapping[str, Any]) -> str:
    """The signed text (§6.3), written independently of the client's signing module."""
    def render(value: Any) -> str:
        if value is True or value is False:
            return str(value).lower()
        if isinstance(value, (list, dict)):
            return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
        return str(value)

    return "&".join(f"{key}={render(params[key])}" for key in sorted(params) if key != "signature")


def _make_account(key_type: str, api_key: str, balances: Mapping[str, Decimal]) -> tuple[_Account, Credentials]:
    if key_type == "hmac":
        secret = hashlib.sha256(f"secret:{api_key}".encode()).hexdigest()

        def verify_hmac(payload: bytes, signature: str) -> bool:
            expected = hmac.new(secret.encode(), payload, hashlib.sha256).hexdigest()
            return hmac.compare_digest(expected, signature.lower())

        return _Account(api_key, key_type, verify_hmac, balances), Credentials(key=api_key, secret=secret)
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519, padding, rsa

    private: Any = ed25519.Ed25519PrivateKey.generate() if key_type == "ed25519" else \
        rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = private.public_key()
    pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode("ascii")

    def verify_key(payload: bytes, signature: str) -> bool:
        try:
            raw = base64.b64decode(signature, validate=True)
            if key_type == "ed25519":
                public.verify(raw, payload)
            else:
                public.verify(raw, payload, padding.PKCS1v15(), hashes.SHA256())
            return True
        except (InvalidSignature, ValueError):
            return False

    return _Account(api_key, key_type, verify_key, balances), Credentials(key=api_key, private_key=pem)


# -- market data (seeded) ---------------------------------------------------------------------


class _Market:
    """One symbol: best bid/ask around a mid price, public trades, seeded depth and klines."""

    def __init__(self, symbol: str, spec: _SymbolSpec, seed: int) -> None:
        self.symbol, self.spec, self.seed = symbol, spec, seed
        self.tick, self.step = Decimal(spec.tick), Decimal(spec.step)
        self.rng = random.Random(f"{seed}:{symbol}")
        self.bid = Decimal(spec.start)
        self.ask = self.bid + self.tick
        self.trades: deque[dict[str, Any]] = deque(maxlen=2000)
        self.next_trade_id = 1
        self.version = 1
        start = int(time.time() * 1000) - 200 * 1000
        for index in range(200):  # a seeded history of public trades
            buyer_maker = self.rng.random() < 0.5
            quantity = self.step * self.rng.randint(1, 5000)
            self.add_trade(self.bid if buyer_maker else self.ask, quantity, buyer_maker, start + index * 1000)

    @property
    def last(self) -> Decimal:
        return Decimal(self.trades[-1]["price"]) if self.trades else self.bid

    def add_trade(self, price: Decimal, quantity: Decimal, buyer_maker: bool, at_ms: int) -> int:
        trade_id = self.next_trade_id
        self.next_trade_id += 1
        self.trades.append({"id": trade_id, "price": _text(price), "qty": _text(quantity),
                            "quoteQty": _text(price * quantity), "time": at_ms, "isBuyerMaker": buyer_maker,
                            "isBestMatch": True})
        return trade_id

    def set_price(self, price: Decimal) -> None:
        self.bid = (price / self.tick).to_integral_value(ROUND_DOWN) * self.tick
        self.ask = self.bid + self.tick
        self.version += 1

    def depth(self, limit: int) -> dict[str, Any]:
        rng = random.Random(f"{self.seed}:{self.symbol}:depth:{self.version}")
        bids, asks = [], []
        for index in range(limit):
            bids.append([_text(self.bid - self.tick * index), _text(self.step * rng.randint(1, 100_000))])
            asks.append([_text(self.ask + self.tick * index), _text(self.step * rng.randint(1, 100_000))])
        return {"lastUpdateId": 1_000_000 * self.version + len(self.trades), "bids": bids, "asks": asks}

    def klines(self, interval: str, start: int | None, end: int | None, limit: int) -> list[list[Any]]:
        width = _INTERVAL_MS[interval]
        now = int(time.time() * 1000)
        last_open = (min(end, now) if end is not None else now) // width * width
        first_open = last_open - (limit - 1) * width
        if start is not None:
            first_open = max(first_open, start // width * width)
        rows = []
        for open_time in range(first_open, last_open + 1, width):
            rng = random.Random(f"{self.seed}:{self.symbol}:{interval}:{open_time}")
            ticks = [self.bid + self.tick * rng.randint(-50, 50) for _ in range(4)]
            volume = self.step * rng.randint(1_000, 1_000_000)
            rows.append([open_time, _text(ticks[0]), _text(max(ticks)), _text(min(ticks)), _text(ticks[-1]),
                         _text(volume), open_time + width - 1, _text(volume * ticks[-1]), rng.randint(1, 5000),
                         _text(volume / 2), _text(volume * ticks[-1] / 2), "0"])
        return rows[-limit:]

    def ticker(self, kind: str, window_ms: int) -> dict[str, Any]:
        now = int(time.time() * 1000)
        trades = [t for t in self.trades if t["time"] >= now - window_ms] or list(self.trades)[-1:]
        prices = [Decimal(t["price"]) for t in trades] or [self.bid]
        volume = sum((Decimal(t["qty"]) for t in trades), _ZERO)
        quote = sum((Decimal(t["quoteQty"]) for t in trades), _ZERO)
        ticker = {"symbol": self.symbol, "openPrice": _text(prices[0]), "highPrice": _text(max(prices)),
                  "lowPrice": _text(min(prices)), "lastPrice": _text(prices[-1]), "volume": _text(volume),
                  "quoteVolume": _text(quote), "openTime": now - window_ms, "closeTime": now,
                  "firstId": trades[0]["id"] if trades else -1, "lastId": trades[-1]["id"] if trades else -1,
                  "count": len(trades)}
        if kind == "FULL":
            change = prices[-1] - prices[0]
            ticker.update({
                "priceChange": _text(change), "priceChangePercent": f"{change / prices[0] * 100:.3f}",
                "weightedAvgPrice": _text(quote / volume if volume else prices[-1]),
                "lastQty": trades[-1]["qty"] if trades else "0.00000000",
            })
        return ticker

    def exchange_info(self) -> dict[str, Any]:
        spec = self.spec
        return {
            "symbol": self.symbol, "status": "TRADING", "baseAsset": spec.base, "baseAssetPrecision": 8,
            "quoteAsset": spec.quote, "quotePrecision": 8, "quoteAssetPrecision": 8, "baseCommissionPrecision": 8,
            "quoteCommissionPrecision": 8,
            "orderTypes": ["LIMIT", "LIMIT_MAKER", "MARKET", "STOP_LOSS", "STOP_LOSS_LIMIT", "TAKE_PROFIT",
                           "TAKE_PROFIT_LIMIT"],
            "icebergAllowed": True, "ocoAllowed": True, "otoAllowed": True, "quoteOrderQtyMarketAllowed": True,
            "allowTrailingStop": False, "cancelReplaceAllowed": True, "allowAmend": True,
            "isSpotTradingAllowed": True, "isMarginTradingAllowed": False,
            "filters": [
                {"filterType": "PRICE_FILTER", "minPrice": spec.tick, "maxPrice": "1000000.00", "tickSize": spec.tick},
                {"filterType": "LOT_SIZE", "minQty": spec.step, "maxQty": "9000.00", "stepSize": spec.step},
            ],
            "permissions": [], "permissionSets": [["SPOT"]], "defaultSelfTradePreventionMode": "EXPIRE_MAKER",
            "allowedSelfTradePreventionModes": ["NONE", "EXPIRE_TAKER", "EXPIRE_MAKER", "EXPIRE_BOTH"],
        }


# -- the matching engine (§8.3, §9.3) --------------------------------------------------------

_STOPS = ("STOP_LOSS", "STOP_LOSS_LIMIT", "TAKE_PROFIT", "TAKE_PROFIT_LIMIT")


class _Order:
    """One order in the engine; mutated under the exchange lock only."""

    def __init__(self, account: _Account, market: _Market, order_id: int, params: Mapping[str, Any],
                 now: int) -> None:
        self.account, self.market, self.order_id = account, market, order_id
        self.side: str = params["side"]
        self.type: str = params["type"]
        self.client_order_id: str = params.get("newClientOrderId") or f"emu{order_id:020d}"
        self.time_in_force: str = params.get("timeInForce") or "GTC"
        self.price: Decimal | None = _decimal(params, "price")
        self.quantity: Decimal | None = _decimal(params, "quantity")
        self.quote_quantity: Decimal | None = _decimal(params, "quoteOrderQty")
        self.stop_price: Decimal | None = _decimal(params, "stopPrice")
        self.iceberg: Decimal | None = _decimal(params, "icebergQty")
        self.strategy_id, self.strategy_type = params.get("strategyId"), params.get("strategyType")
        self.stp: str = params.get("selfTradePreventionMode") or "EXPIRE_MAKER"
        self.status = "NEW"
        self.executed = self.cumulative_quote = _ZERO
        self.created = self.updated = now
        self.working = self.type not in _STOPS
        self.working_time: int | None = now if self.working else None
        self.order_list: _OrderList | None = None
        self.oco_group: list[_Order] | None = None
        self.used_sor = False
        self.fills: list[dict[str, Any]] = []

    @property
    def open(self) -> bool:
        return self.status in ("NEW", "PARTIALLY_FILLED")

    def remaining(self) -> Decimal:
        return (self.quantity or _ZERO) - self.executed

    def requirement(self) -> tuple[str, Decimal]:
        """What the order locks while open: quote for a buy, base for a sell."""
        spec = self.market.spec
        if self.side == "SELL":
            return spec.base, self.remaining()
        price = self.price or self.stop_price or self.market.ask
        return spec.quote, self.remaining() * price

    def report(self, kind: str, now: int | None = None) -> dict[str, Any]:
        head = {"symbol": self.market.symbol, "orderId": self.order_id,
                "orderListId": self.order_list.list_id if self.order_list else -1,
                "clientOrderId": self.client_order_id}
        if kind == "ACK":
            return {**head, "transactTime": now}
        body = {"price": _text(self.price or _ZERO), "origQty": _text(self.quantity or _ZERO),
                "executedQty": _text(self.executed), "origQuoteOrderQty": _text(self.quote_quantity or _ZERO),
                "cummulativeQuoteQty": _text(self.cumulative_quote), "status": self.status,
                "timeInForce": self.time_in_force, "type": self.type, "side": self.side}
        extra: dict[str, Any] = {}
        if self.stop_price is not None:
            extra["stopPrice"] = _text(self.stop_price)
        if self.iceberg is not None:
            extra["icebergQty"] = _text(self.iceberg)
        if self.strategy_id is not None:
            extra["strategyId"] = self.strategy_id
        if self.strategy_type is not None:
            extra["strategyType"] = self.strategy_type
        if self.used_sor:
            extra.update(usedSor=True, workingFloor="SOR")
        if kind == "STATUS":
            return {**head, **body, **extra, "time": self.created, "updateTime": self.updated,
                    "isWorking": self.working, "workingTime": self.working_time or -1,
                    "selfTradePreventionMode": self.stp}
        result = {**head, "transactTime": now, **body, **extra}
        if self.working_time is not None:
            result["workingTime"] = self.working_time
        result["selfTradePreventionMode"] = self.stp
        if kind == "FULL":
            result["fills"] = list(self.fills)
        return result

    def execution_report(self, execution: str, now: int, *, last: tuple[Decimal, Decimal] = (_ZERO, _ZERO),
                         trade_id: int = -1, maker: bool = False, client_order_id: str | None = None,
                         original_client_order_id: str = "") -> dict[str, Any]:
        quantity, price = last
        commission_asset = (self.market.spec.base if self.side == "BUY" else self.market.spec.quote) \
            if trade_id != -1 else None
        return {
            "e": "executionReport", "E": now, "s": self.market.symbol,
            "c": client_order_id or self.client_order_id, "S": self.side, "o": self.type, "f": self.time_in_force,
            "q": _text(self.quantity or _ZERO), "p": _text(self.price or _ZERO), "P": _text(self.stop_price or _ZERO),
            "F": _text(self.iceberg or _ZERO), "g": self.order_list.list_id if self.order_list else -1,
            "C": original_client_order_id, "x": execution, "X": self.status, "r": "NONE", "i": self.order_id,
            "l": _text(quantity), "z": _text(self.executed), "L": _text(price), "n": "0", "N": commission_asset,
            "T": now, "t": trade_id, "I": next(_execution_ids), "w": self.working and self.open, "m": maker,
            "M": False, "O": self.created, "Z": _text(self.cumulative_quote), "Y": _text(quantity * price),
            "Q": _text(self.quote_quantity or _ZERO), "W": self.working_time or -1, "V": self.stp,
        }


_execution_ids = itertools.count(1)


class _OrderList:
    """An OCO / OTO / OTOCO / OPO / OPOCO list (§8.3)."""

    def __init__(self, list_id: int, contingency: str, client_id: str | None, symbol: str, now: int) -> None:
        self.list_id, self.contingency, self.symbol = list_id, contingency, symbol
        self.client_id = client_id or f"emulist{list_id:016d}"
        self.orders: list[_Order] = []
        self.working: _Order | None = None  # OTO family: the order whose fill activates the rest
        self.pays = False  # OPO family: pending quantity = the working order's fill
        self.transaction_time = now
        self.done = False

    def report(self, kind: str | None, now: int) -> dict[str, Any]:
        result = {
            "orderListId": self.list_id, "contingencyType": self.contingency,
            "listStatusType": "ALL_DONE" if self.done else "EXEC_STARTED",
            "listOrderStatus": "ALL_DONE" if self.done else "EXECUTING", "listClientOrderId": self.client_id,
            "transactionTime": now, "symbol": self.symbol,
            "orders": [{"symbol": o.market.symbol, "orderId": o.order_id, "clientOrderId": o.client_order_id}
                       for o in self.orders],
        }
        if kind is not None:
            result["orderReports"] = [o.report(kind, now) for o in self.orders]
        return result

    def event(self, now: int) -> dict[str, Any]:
        report = self.report(None, now)
        return {"e": "listStatus", "E": now, "s": self.symbol, "g": self.list_id, "c": self.contingency,
                "l": report["listStatusType"], "L": report["listOrderStatus"], "r": "NONE", "C": self.client_id,
                "T": now, "O": [{"s": o["symbol"], "i": o["orderId"], "c": o["clientOrderId"]}
                                for o in report["orders"]]}


def _decimal(params: Mapping[str, Any], name: str) -> Decimal | None:
    value = params.get(name)
    if value is None:
        return None
    try:
        result = Decimal(str(value))
    except InvalidOperation:
        raise _ApiError(-1100, f"Illegal characters found in parameter '{name}'; legal range is "
                               "'^([0-9]{1,20})(\\.[0-9]{1,20})?$'.") from None
    if not result.is_finite() or result < 0:
        raise _ApiError(-1100, f"Illegal characters found in parameter '{name}'.")
    return result


class _Events:
    """User-data events produced by one engine step, per account, in order."""

    def __init__(self) -> None:
        self.items: list[tuple[_Account, dict[str, Any]]] = []
        self.touched: dict[int, tuple[_Account, set[str]]] = {}

    def add(self, account: _Account, event: dict[str, Any]) -> None:
        self.items.append((account, event))

    def balances(self, account: _Account, *assets: str) -> None:
        self.touched.setdefault(id(account), (account, set()))[1].update(assets)

    def flush_balances(self, now: int) -> None:
        for account, assets in self.touched.values():
            rows = []
            for asset in sorted(assets):
                free, locked = account.balance(asset)
                rows.append({"a": asset, "f": _text(free), "l": _text(locked)})
            self.items.append((account, {"e": "outboundAccountPosition", "E": now, "u": now, "B": rows}))
        self.touched.clear()


_REQUIRED = {  # order type → parameters it needs besides side/type (§8.3 table)
    "LIMIT": ("timeInForce", "price", "quantity"),
    "LIMIT_MAKER": ("price", "quantity"),
    "MARKET": (),
    "STOP_LOSS": ("quantity", "stopPrice"),
    "TAKE_PROFIT": ("quantity", "stopPrice"),
    "STOP_LOSS_LIMIT": ("timeInForce", "price", "quantity", "stopPrice"),
    "TAKE_PROFIT_LIMIT": ("timeInForce", "price", "quantity", "stopPrice"),
}
_INSUFFICIENT = "Account has insufficient balance for requested action."


class _Exchange:
    """State shared by every product path: accounts, markets, orders. Guarded by :attr:`lock`."""

    def __init__(self, seed: int, symbols: Mapping[str, _SymbolSpec], time_offset_ms: int) -> None:
        self.lock = threading.RLock()
        self.seed = seed
        self.markets = {symbol: _Market(symbol, spec, seed) for symbol, spec in symbols.items()}
        self.accounts: dict[str, _Account] = {}
        self.order_ids = itertools.count(1_000_001)
        self.list_ids = itertools.count(1)
        self.allocation_ids = itertools.count(0)
        self.time_offset_ms = time_offset_ms

    def now(self) -> int:
        return int(time.time() * 1000) + self.time_offset_ms

    def market(self, symbol: Any) -> _Market:
        if symbol is None:
            raise _mandatory("symbol")
        market = self.markets.get(symbol)
        if market is None:
            raise _ApiError(-1121, "Invalid symbol.")
        return market

    def find_order(self, account: _Account, params: Mapping[str, Any], *, id_key: str = "orderId",
                   client_key: str = "origClientOrderId") -> _Order:
        market = self.market(params.get("symbol"))
        order_id, client_id = params.get(id_key), params.get(client_key)
        if order_id is None and client_id is None:
            raise _ApiError(-1102, f"Param '{client_key}' or '{id_key}' must be sent, but both were empty/null!")
        for order in account.orders:
            if order.market is market and (order_id is None or order.order_id == order_id) \
                    and (client_id is None or order.client_order_id == client_id):
                return order
        if order_id is not None and client_id is not None and any(o.order_id == order_id for o in account.orders):
            raise _ApiError(-2039, "Client order ID is not correct for this order ID.")
        raise _ApiError(-2013, "Order does not exist.")

    # -- validation and placement ----------------------------------------------------------------

    def validate(self, market: _Market, params: Mapping[str, Any]) -> None:
        for name in ("side", "type"):
            if params.get(name) is None:
                raise _mandatory(name)
        if params["side"] not in ("BUY", "SELL"):
            raise _ApiError(-1117, "Invalid side.")
        kind = params["type"]
        if kind not in _REQUIRED:
            raise _ApiError(-1116, "Invalid orderType.")
        if params.get("timeInForce") is not None and params["timeInForce"] not in ("GTC", "IOC", "FOK"):
            raise _ApiError(-1115, "Invalid timeInForce.")
        for name in _REQUIRED[kind]:
            if params.get(name) is None:
                if name == "stopPrice" and params.get("trailingDelta") is not None:
                    raise _ApiError(-1013, "Filter failure: TRAILING_DELTA")
                raise _mandatory(name)
        if kind == "MARKET" and params.get("quantity") is None and params.get("quoteOrderQty") is None:
            raise _ApiError(-1102, "Param 'quantity' or 'quoteOrderQty' must be sent, but both were empty/null!")
        for name in ("price", "stopPrice"):
            value = _decimal(params, name)
            if value is not None and (value <= 0 or value % market.tick):
                raise _ApiError(-1013, "Filter failure: PRICE_FILTER")
        for name in ("quantity", "icebergQty"):
            value = _decimal(params, name)
            if value is not None and (value <= 0 or value % market.step):
                raise _ApiError(-1013, "Filter failure: LOT_SIZE")
        _decimal(params, "quoteOrderQty")

    def new_order(self, account: _Account, params: Mapping[str, Any], *, pending: bool = False) -> _Order:
        market = self.market(params.get("symbol"))
        self.validate(market, params)
        order = _Order(account, market, next(self.order_ids), params, self.now())
        if pending:  # checked when it activates
            return order
        if order.type in _STOPS and self.triggered(order):
            raise _ApiError(-2010, "Stop price would trigger immediately.")
        if order.type == "LIMIT_MAKER" and self.marketable(order):
            raise _ApiError(-2010, "Order would immediately match and take.")
        return order

    def check_funds(self, account: _Account, orders: Iterable[_Order]) -> None:
        needed: dict[str, Decimal] = {}
        for order in orders:
            if order.type == "MARKET":
                price = order.market.ask if order.side == "BUY" else order.market.bid
                if order.side == "BUY":
                    amount = order.quote_quantity or (order.quantity or _ZERO) * price
                    asset = order.market.spec.quote
                else:
                    amount = order.quantity or (order.quote_quantity or _ZERO) / price
                    asset = order.market.spec.base
            else:
                asset, amount = order.requirement()
            needed[asset] = max(needed.get(asset, _ZERO), amount) if order.oco_group else \
                needed.get(asset, _ZERO) + amount
        for asset, amount in needed.items():
            if amount > account.balance(asset)[0]:
                raise _ApiError(-2010, _INSUFFICIENT)

    def place(self, account: _Account, params: Mapping[str, Any], events: _Events, *, sor: bool = False) -> _Order:
        order = self.new_order(account, params)
        order.used_sor = sor
        self.check_funds(account, [order])
        now = self.now()
        account.orders.append(order)
        events.add(account, order.execution_report("NEW", now))
        events.balances(account, order.market.spec.base, order.market.spec.quote)
        self.execute(order, events, now)
        return order

    # -- execution ---------------------------------------------------------------------------------

    def triggered(self, order: _Order) -> bool:
        market, stop = order.market, order.stop_price
        if stop is None:
            return False
        if order.type.startswith("STOP_LOSS"):
            return market.bid <= stop if order.side == "SELL" else market.ask >= stop
        return market.bid >= stop if order.side == "SELL" else market.ask <= stop

    def marketable(self, order: _Order) -> bool:
        if order.price is None or order.type in ("MARKET", "STOP_LOSS", "TAKE_PROFIT"):
            return True
        return order.price >= order.market.ask if order.side == "BUY" else order.price <= order.market.bid

    def execute(self, order: _Order, events: _Events, now: int) -> None:
        """Fill what can fill now (taker), expire an IOC/FOK rest; stops wait for their trigger."""
        if not order.working or not order.open:
            return
        market = order.market
        if self.marketable(order):
            price = market.ask if order.side == "BUY" else market.bid
            if order.quantity is None:  # MARKET with quoteOrderQty
                order.quantity = (order.quote_quantity / price / market.step).to_integral_value(ROUND_DOWN) \
                    * market.step  # type: ignore[operator]
            self.fill(order, price, order.remaining(), False, events, now)
        elif order.time_in_force in ("IOC", "FOK"):
            order.status, order.updated = "EXPIRED", now
            events.add(order.account, order.execution_report("EXPIRED", now))
            events.balances(order.account, market.spec.base, market.spec.quote)
            self.finished(order, events, now)

    def fill(self, order: _Order, price: Decimal, quantity: Decimal, maker: bool, events: _Events, now: int) -> None:
        account, market = order.account, order.market
        base, quote = market.spec.base, market.spec.quote
        amount = price * quantity
        sign = 1 if order.side == "BUY" else -1
        account.totals[base] = account.totals.get(base, _ZERO) + sign * quantity
        account.totals[quote] = account.totals.get(quote, _ZERO) - sign * amount
        order.executed += quantity
        order.cumulative_quote += amount
        order.status = "FILLED" if order.remaining() <= 0 else "PARTIALLY_FILLED"
        order.updated = now
        buyer_maker = (order.side == "BUY") == maker
        trade_id = market.add_trade(price, quantity, buyer_maker, now)
        fill = {"price": _text(price), "qty": _text(quantity), "commission": "0.00000000",
                "commissionAsset": base if order.side == "BUY" else quote, "tradeId": trade_id}
        if order.used_sor:
            allocation_id = next(self.allocation_ids)
            fill.update(matchType="ONE_PARTY_TRADE_REPORT", tradeId=-1, allocId=allocation_id)
            account.allocations.append({
                "symbol": market.symbol, "allocationId": allocation_id, "allocationType": "SOR",
                "orderId": order.order_id, "orderListId": -1, "price": _text(price), "qty": _text(quantity),
                "quoteQty": _text(amount), "commission": "0.00000000", "commissionAsset": fill["commissionAsset"],
                "time": now, "isBuyer": order.side == "BUY", "isMaker": maker, "isAllocator": False})
        order.fills.append(fill)
        account.trades.append({
            "symbol": market.symbol, "id": trade_id, "orderId": order.order_id,
            "orderListId": order.order_list.list_id if order.order_list else -1, "price": _text(price),
            "qty": _text(quantity), "quoteQty": _text(amount), "commission": "0.00000000",
            "commissionAsset": fill["commissionAsset"], "time": now, "isBuyer": order.side == "BUY",
            "isMaker": maker, "isBestMatch": True})
        events.add(account, order.execution_report("TRADE", now, last=(quantity, price), trade_id=trade_id,
                                                    maker=maker))
        events.balances(account, base, quote)
        if order.status == "FILLED":
            self.finished(order, events, now)

    def trigger(self, order: _Order, events: _Events, now: int) -> None:
        order.working, order.working_time = True, now
        self.expire_siblings(order, events, now)
        self.execute(order, events, now)

    def expire_siblings(self, order: _Order, events: _Events, now: int) -> None:
        for other in order.oco_group or ():
            if other is not order and other.open:
                other.status, other.updated = "EXPIRED", now
                events.add(other.account, other.execution_report("EXPIRED", now))

    def finished(self, order: _Order, events: _Events, now: int) -> None:
        """An order reached a final status: resolve its order list (OCO, OTO, OPO)."""
        order_list = order.order_list
        if order_list is None:
            return
        self.expire_siblings(order, events, now)
        if order_list.working is order and order.status == "FILLED":
            for pending in order_list.orders:
                if pending.status == "PENDING_NEW":
                    if order_list.pays:
                        pending.quantity = order.executed
                    pending.status, pending.updated = "NEW", now
                    events.add(pending.account, pending.execution_report("NEW", now))
            for pending in order_list.orders:
                if pending.open and not pending.working and pending.type in _STOPS and self.triggered(pending):
                    self.trigger(pending, events, now)
                elif pending.open and pending.working:
                    self.execute(pending, events, now)
        self.update_list(order_list, events, now)

    def update_list(self, order_list: _OrderList, events: _Events, now: int) -> None:
        if not order_list.done and all(o.status in _FINAL for o in order_list.orders):
            order_list.done = True
            order_list.transaction_time = now
            events.add(order_list.orders[0].account, order_list.event(now))

    def set_price(self, market: _Market, price: Decimal, events: _Events) -> None:
        """Move the market; trigger stops and fill resting limit orders it crosses (as maker)."""
        market.set_price(price)
        now = self.now()
        for account in self.accounts.values():
            for order in list(account.orders):
                if order.market is not market or not order.open:
                    continue
                if not order.working:
                    if self.triggered(order):
                        self.trigger(order, events, now)
                elif order.price is not None and order.type != "MARKET" and (
                        order.price >= market.ask if order.side == "BUY" else order.price <= market.bid):
                    self.fill(order, order.price, order.remaining(), True, events, now)

    def cancel(self, order: _Order, cancel_id: str | None, events: _Events) -> _Order | _OrderList:
        now = self.now()
        if order.order_list is not None:
            return self.cancel_list(order.order_list, events)
        if not order.open:
            raise _ApiError(-2011, "Unknown order sent.")
        order.status, order.updated = "CANCELED", now
        order.cancel_id = cancel_id or f"emucancel{next(self.order_ids)}"  # type: ignore[attr-defined]
        events.add(order.account, order.execution_report(
            "CANCELED", now, client_order_id=order.cancel_id,  # type: ignore[attr-defined]
            original_client_order_id=order.client_order_id))
        events.balances(order.account, order.market.spec.base, order.market.spec.quote)
        return order

    def cancel_list(self, order_list: _OrderList, events: _Events) -> _OrderList:
        if order_list.done:
            raise _ApiError(-2011, "Unknown order list sent.")
        now = self.now()
        for member in order_list.orders:
            if member.status not in _FINAL:
                member.status, member.updated = "CANCELED", now
                events.add(member.account, member.execution_report("CANCELED", now))
                events.balances(member.account, member.market.spec.base, member.market.spec.quote)
        self.update_list(order_list, events, now)
        return order_list

    def place_list(self, account: _Account, contingency: str, legs: list[tuple[str, dict[str, Any]]],
                   client_id: str | None, events: _Events, *, pays: bool = False) -> _OrderList:
        """Place an order list. ``legs`` are ``(role, params)`` with role ``oco`` (one of a
        one-cancels-the-other pair), ``working`` or ``pending``/``pending_oco``."""
        orders: list[tuple[str, _Order]] = []
        for role, params in legs:
            if pays and role.startswith("pending"):
                params = {**params, "quantity": params.get("quantity") or str(market_step(self, params))}
            orders.append((role, self.new_order(account, params, pending=role.startswith("pending"))))
        now = self.now()
        order_list = _OrderList(next(self.list_ids), contingency, client_id, orders[0][1].market.symbol, now)
        order_list.pays = pays
        pairs: dict[str, list[_Order]] = {}
        for role, order in orders:
            order.order_list = order_list
            order_list.orders.append(order)
            if role == "working":
                order_list.working = order
            if role.endswith("oco"):
                pairs.setdefault(role, []).append(order)
            if role.startswith("pending"):
                order.status, order.working, order.working_time = "PENDING_NEW", False, None
        for group in pairs.values():
            for order in group:
                order.oco_group = group
        self.check_funds(account, [o for _, o in orders if not _.startswith("pending")])
        account.orders.extend(order_list.orders)
        account.lists.append(order_list)
        for order in order_list.orders:
            events.add(account, order.execution_report("NEW", now))
        events.add(account, order_list.event(now))
        events.balances(account, order_list.orders[0].market.spec.base, order_list.orders[0].market.spec.quote)
        for order in order_list.orders:
            self.execute(order, events, now)
        return order_list


def market_step(exchange: _Exchange, params: Mapping[str, Any]) -> Decimal:
    """Placeholder quantity of an OPO pending leg until the working order fills."""
    return exchange.market(params.get("symbol")).step


# -- rate limits (§5) --------------------------------------------------------------------------


class _Limits:
    """REQUEST_WEIGHT per minute (per emulator, like per IP) and ORDERS per account (§5.2)."""

    def __init__(self, weight_limit: int, orders_per_10s: int, orders_per_day: int) -> None:
        self.weight_limit, self.orders_per_10s, self.orders_per_day = weight_limit, orders_per_10s, orders_per_day
        self.weight: dict[int, int] = {}
        self.orders: dict[tuple[str, str, int], int] = {}

    def charge_weight(self, now: int, weight: int) -> None:
        window = now // 60_000
        used = self.weight.get(window, 0) + weight
        self.weight = {window: used}
        if used > self.weight_limit:
            raise _ApiError(-1003, f"Too much request weight used; current limit is {self.weight_limit} request "
                                   "weight per 1 MINUTE. Please use WebSocket Streams for live updates to avoid "
                                   "polling the API.", 429,
                            {"serverTime": now, "retryAfter": (window + 1) * 60_000})

    def charge_orders(self, account: _Account, now: int, count: int) -> None:
        second, day = ("SECOND", now // 10_000), ("DAY", now // 86_400_000)
        for (unit, window), limit in ((second, self.orders_per_10s), (day, self.orders_per_day)):
            key = (account.api_key, unit, window)
            used = self.orders.get(key, 0) + count
            self.orders[key] = used
            if used > limit:
                interval = "10 SECOND" if unit == "SECOND" else "1 DAY"
                raise _ApiError(-1015, f"Too many new orders; current limit is {limit} orders per {interval}.", 429)

    def report(self, now: int, account: _Account | None) -> list[dict[str, Any]]:
        limits = []
        if account is not None:
            for unit, number, span, limit in (("SECOND", 10, 10_000, self.orders_per_10s),
                                              ("DAY", 1, 86_400_000, self.orders_per_day)):
                count = self.orders.get((account.api_key, unit, now // span), 0)
                limits.append({"rateLimitType": "ORDERS", "interval": unit, "intervalNum": number, "limit": limit,
                               "count": count})
        limits.append({"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "intervalNum": 1,
                       "limit": self.weight_limit, "count": self.weight.get(now // 60_000, 0)})
        return limits


# -- the request layer shared by every product (§3, §4, §6, §7) -------------------------------


class _Session:
    """Per-connection state (§7, §9.1): log-on and user-data subscriptions."""

    def __init__(self, now: int, return_rate_limits: bool) -> None:
        self.connected_since = now
        self.return_rate_limits = return_rate_limits
        self.account: _Account | None = None
        self.authorized_since: int | None = None
        self.streams: dict[int, tuple[_Account, bool]] = {}  # subscriptionId → (account, via log-on)
        self.subscription_ids = itertools.count(0)


class _Request(NamedTuple):
    connection: EmulatorConnection
    session: _Session
    method: str
    params: dict[str, Any]
    account: _Account | None
    now: int


Handler = Callable[[_Request, _Events], Any]


class _Method(NamedTuple):
    handler: Handler
    security: str = "NONE"  # NONE | SIGNED (USER_DATA/TRADE) | LOGON | SESSION (needs a logged-on session)
    weight: int = 1
    orders: int = 0  # unfilled order count added
    takes_params: bool = True


class _Api:
    """One product's WebSocket API on one path; subclasses fill :attr:`methods`."""

    path = "/"
    methods: dict[str, _Method] = {}

    def __init__(self, emulator: BinanceEmulator) -> None:
        self.emulator = emulator
        self.exchange = emulator.exchange

    def handle(self, connection: EmulatorConnection, text: str | bytes) -> None:
        emulator = self.emulator
        try:
            request = json.loads(text)
        except ValueError:
            request = None
        if not isinstance(request, dict):
            connection.send(_dumps({"id": None, "status": 400,
                                    "error": {"code": -1100, "msg": "Malformed request: not a JSON object."}}))
            return
        request_id, method = request.get("id"), request.get("method")
        params = request.get("params") or {}
        if emulator._take_withheld(method):
            logger.debug("binance emulator: withholding the reply to %s", method)
            return
        session: _Session = connection.session
        with self.exchange.lock:
            now = self.exchange.now()
            events = _Events()
            account = None
            try:
                spec = self.methods.get(method) if isinstance(method, str) else None
                if spec is None:
                    raise _ApiError(-1020, "Unsupported operation.") if isinstance(method, str) \
                        else _mandatory("method")
                if not isinstance(params, dict):
                    raise _ApiError(-1130, "Invalid data sent for a parameter.")
                emulator.limits.charge_weight(now, spec.weight)
                failure = emulator._take_failure(method)
                if failure is not None:
                    raise failure
                account = self.authorize(session, spec, params, now)
                if spec.orders:
                    emulator.limits.charge_orders(account, now, spec.orders)  # type: ignore[arg-type]
                result = spec.handler(_Request(connection, session, method, params, account, now), events)
                events.flush_balances(now)
                reply: dict[str, Any] = {"id": request_id, "status": 200, "result": result}
                emulator.requests.append((method, params))
            except _ApiError as error:
                # Steps that succeeded before the error (a cancel-replace's cancel) did happen.
                events.flush_balances(now)
                body = {"code": error.code, "msg": error.message}
                if error.data is not None:
                    body["data"] = error.data
                reply = {"id": request_id, "status": error.status, "error": body}
            show = params.get("returnRateLimits", session.return_rate_limits) if isinstance(params, dict) \
                else session.return_rate_limits
            if show:
                reply["rateLimits"] = emulator.limits.report(now, account if spec and spec.orders else None)
            connection.send(_dumps(reply))
            emulator._push(events)
        emulator.notify_changed()

    def authorize(self, session: _Session, spec: _Method, params: dict[str, Any], now: int) -> _Account | None:
        if spec.security == "NONE":
            if not spec.takes_params and params:
                raise _ApiError(-1104, f"Not all sent parameters were read; read '0' parameter(s) but was sent "
                                       f"'{len(params)}'.")
            return None
        if spec.security == "SESSION":
            if params:
                raise _ApiError(-1104, f"Not all sent parameters were read; read '0' parameter(s) but was sent "
                                       f"'{len(params)}'.")
            if session.account is None:
                raise _ApiError(-2015, "Invalid API-key, IP, or permissions for action.", 401)
            return session.account
        signature = params.get("signature")
        if signature is not None:
            api_key = params.get("apiKey")
            if api_key is None:
                raise _mandatory("apiKey")
            account = self.exchange.accounts.get(api_key)
            if account is None:
                raise _ApiError(-2015, "Invalid API-key, IP, or permissions for action.", 401)
            if not isinstance(signature, str) or not account.verify(_payload(params).encode("utf-8"), signature):
                raise _ApiError(-1022, "Signature for this request is not valid.")
            if spec.security == "LOGON" and account.key_type != "ed25519":
                raise _ApiError(-1022, "Signature for this request is not valid.")  # §7: Ed25519 only
        elif spec.security != "LOGON" and session.account is not None and "apiKey" not in params:
            account = session.account
        else:
            raise _mandatory("signature" if "apiKey" in params else "apiKey")
        timestamp, window = params.get("timestamp"), params.get("recvWindow", 5000)
        if not isinstance(timestamp, int):
            raise _mandatory("timestamp")
        if not isinstance(window, (int, float)) or window > 60_000:
            raise _ApiError(-1131, "recvWindow must be less than 60000")
        if timestamp >= now + 1000:
            raise _ApiError(-1021, "Timestamp for this request was 1000ms ahead of the server's time.")
        if now - timestamp > window:
            raise _ApiError(-1021, "Timestamp for this request is outside of the recvWindow.")
        return account


def _symbols_param(params: Mapping[str, Any]) -> list[str] | None:
    symbols = params.get("symbols")
    if isinstance(symbols, str):  # the official Python SDK sends a JSON-encoded string (§3)
        try:
            symbols = json.loads(symbols)
        except ValueError:
            raise _ApiError(-1100, "Illegal characters found in parameter 'symbols'.") from None
    if symbols is not None and not (isinstance(symbols, list) and all(isinstance(s, str) for s in symbols)):
        raise _ApiError(-1100, "Illegal characters found in parameter 'symbols'.")
    return symbols


def _int(params: Mapping[str, Any], name: str, default: int | None = None, low: int = 0,
         high: int | None = None) -> int | None:
    value = params.get(name, default)
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or value < low or (high is not None and value > high):
        raise _ApiError(-1100 if not isinstance(value, int) else -1130, f"Invalid value for parameter '{name}'.")
    return value


_LEG_KEYS = {"Type": "type", "Side": "side", "Price": "price", "Quantity": "quantity", "StopPrice": "stopPrice",
             "TimeInForce": "timeInForce", "ClientOrderId": "newClientOrderId", "IcebergQty": "icebergQty",
             "TrailingDelta": "trailingDelta", "StrategyId": "strategyId", "StrategyType": "strategyType"}


def _leg(params: Mapping[str, Any], prefix: str, **shared: Any) -> dict[str, Any]:
    leg = {"symbol": params.get("symbol"), **{k: v for k, v in shared.items() if v is not None}}
    for suffix, key in _LEG_KEYS.items():
        if params.get(prefix + suffix) is not None:
            leg[key] = params[prefix + suffix]
    return leg


class _SpotApi(_Api):
    """The spot WebSocket API at ``/ws-api/v3`` (§8, §9)."""

    path = SPOT_PATH

    def __init__(self, emulator: BinanceEmulator) -> None:
        super().__init__(emulator)
        M = _Method
        self.methods = {
            # general and session (§8.1, §7)
            "ping": M(lambda r, e: {}, takes_params=False),
            "time": M(lambda r, e: {"serverTime": r.now}, takes_params=False),
            "exchangeInfo": M(self.exchange_info, weight=20),
            "session.logon": M(self.logon, "LOGON", 2),
            "session.status": M(lambda r, e: self.session_status(r.session, r.now), weight=2, takes_params=False),
            "session.logout": M(self.logout, weight=2, takes_params=False),
            "session.subscriptions": M(lambda r, e: [{"subscriptionId": s} for s in r.session.streams],
                                       weight=2, takes_params=False),
            # market data (§8.1)
            "depth": M(self.depth, weight=5),
            "trades.recent": M(self.trades_recent, weight=25),
            "trades.historical": M(self.trades_historical, weight=25),
            "blockTrades.historical": M(self.block_trades, weight=25),
            "trades.aggregate": M(self.trades_aggregate, weight=4),
            "klines": M(self.klines, weight=2),
            "uiKlines": M(self.klines, weight=2),
            "avgPrice": M(self.average_price, weight=2),
            "executionRules": M(self.execution_rules, weight=2),
            "referencePrice": M(self.reference_price, weight=2),
            "referencePrice.calculation": M(self.reference_price_calculation, weight=2),
            "ticker.24hr": M(lambda r, e: self.tickers(r, 86_400_000), weight=2),
            "ticker.tradingDay": M(lambda r, e: self.tickers(r, r.now % 86_400_000 or 1), weight=4),
            "ticker": M(self.rolling_ticker, weight=4),
            "ticker.price": M(self.price_ticker, weight=2),
            "ticker.book": M(self.book_ticker, weight=2),
            # trading (§8.3)
            "order.place": M(self.order_place, "SIGNED", 1, 1),
            "order.test": M(self.order_test, "SIGNED", 1),
            "order.cancel": M(self.order_cancel, "SIGNED", 1),
            "order.cancelReplace": M(self.order_cancel_replace, "SIGNED", 1, 1),
            "order.amend.keepPriority": M(self.order_amend, "SIGNED", 4),
            "openOrders.cancelAll": M(self.cancel_all, "SIGNED", 1),
            "orderList.place": M(self.list_legacy, "SIGNED", 1, 2),
            "orderList.place.oco": M(self.list_oco, "SIGNED", 1, 2),
            "orderList.place.oto": M(lambda r, e: self.list_oto(r, e, False, False), "SIGNED", 1, 2),
            "orderList.place.otoco": M(lambda r, e: self.list_oto(r, e, True, False), "SIGNED", 1, 3),
            "orderList.place.opo": M(lambda r, e: self.list_oto(r, e, False, True), "SIGNED", 1, 2),
            "orderList.place.opoco": M(lambda r, e: self.list_oto(r, e, True, True), "SIGNED", 1, 3),
            "orderList.cancel": M(self.list_cancel, "SIGNED", 1),
            "sor.order.place": M(self.sor_place, "SIGNED", 1, 1),
            "sor.order.test": M(self.sor_test, "SIGNED", 1),
            # account (§8.5)
            "account.status": M(self.account_status, "SIGNED", 20),
            "account.rateLimits.orders": M(
                lambda r, e: emulator.limits.report(r.now, r.account)[:2], "SIGNED", 40),
            "account.commission": M(self.account_commission, "SIGNED", 20),
            "order.status": M(lambda r, e: self.exchange.find_order(r.account, r.params).report("STATUS"),
                              "SIGNED", 4),
            "openOrders.status": M(self.open_orders, "SIGNED", 6),
            "allOrders": M(self.all_orders, "SIGNED", 20),
            "orderList.status": M(self.list_status, "SIGNED", 4),
            "openOrderLists.status": M(lambda r, e: [l.report(None, r.now) for l in r.account.lists if not l.done],
                                       "SIGNED", 6),
            "allOrderLists": M(self.all_lists, "SIGNED", 20),
            "myTrades": M(self.my_trades, "SIGNED", 20),
            "myPreventedMatches": M(self.prevented_matches, "SIGNED", 20),
            "myAllocations": M(self.allocations, "SIGNED", 20),
            # user data stream (§9)
            "userDataStream.subscribe": M(self.subscribe, "SESSION", 2),
            "userDataStream.subscribe.signature": M(self.subscribe, "SIGNED", 2),
            "userDataStream.unsubscribe": M(self.unsubscribe, weight=2),
        }

    # -- general and session --------------------------------------------------------------------

    def exchange_info(self, request: _Request, events: _Events) -> dict[str, Any]:
        params = request.params
        wanted = _symbols_param(params) or ([params["symbol"]] if params.get("symbol") else None)
        markets = [self.exchange.market(s) for s in wanted] if wanted else list(self.exchange.markets.values())
        limits = self.emulator.limits
        return {
            "timezone": "UTC", "serverTime": request.now,
            "rateLimits": [
                {"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "intervalNum": 1,
                 "limit": limits.weight_limit},
                {"rateLimitType": "ORDERS", "interval": "SECOND", "intervalNum": 10, "limit": limits.orders_per_10s},
                {"rateLimitType": "ORDERS", "interval": "DAY", "intervalNum": 1, "limit": limits.orders_per_day},
                {"rateLimitType": "CONNECTIONS", "interval": "MINUTE", "intervalNum": 5, "limit": 300},
            ],
            "exchangeFilters": [], "symbols": [m.exchange_info() for m in markets],
            "sors": [{"baseAsset": "BTC", "symbols": ["BTCUSDT"]}],
        }

    @staticmethod
    def session_status(session: _Session, now: int) -> dict[str, Any]:
        return {"apiKey": session.account.api_key if session.account else None,
                "authorizedSince": session.authorized_since, "connectedSince": session.connected_since,
                "returnRateLimits": session.return_rate_limits, "serverTime": now,
                "userDataStream": bool(session.streams)}

    def logon(self, request: _Request, events: _Events) -> dict[str, Any]:
        session = request.session
        session.account, session.authorized_since = request.account, request.now
        self.emulator.logons += 1
        return self.session_status(session, request.now)

    def logout(self, request: _Request, events: _Events) -> dict[str, Any]:
        session = request.session
        for subscription_id, (_, via_logon) in list(session.streams.items()):
            if via_logon:
                self.terminate(request.connection, subscription_id, request.now)
        session.account = session.authorized_since = None
        return self.session_status(session, request.now)

    def terminate(self, connection: EmulatorConnection, subscription_id: int, now: int) -> None:
        connection.session.streams.pop(subscription_id, None)
        connection.send(_dumps({"subscriptionId": subscription_id,
                                "event": {"e": "eventStreamTerminated", "E": now}}))

    # -- market data ----------------------------------------------------------------------------

    def depth(self, request: _Request, events: _Events) -> dict[str, Any]:
        market = self.exchange.market(request.params.get("symbol"))
        return market.depth(_int(request.params, "limit", 100, 1, 5000))  # type: ignore[arg-type]

    def trades_recent(self, request: _Request, events: _Events) -> list[dict[str, Any]]:
        market = self.exchange.market(request.params.get("symbol"))
        limit = _int(request.params, "limit", 500, 1, 1000)
        return list(market.trades)[-limit:]  # type: ignore[index,operator]

    def trades_historical(self, request: _Request, events: _Events) -> list[dict[str, Any]]:
        market = self.exchange.market(request.params.get("symbol"))
        limit = _int(request.params, "limit", 500, 1, 1000)
        from_id = _int(request.params, "fromId")
        trades = list(market.trades)
        if from_id is None:
            return trades[-limit:]  # type: ignore[operator]
        return [t for t in trades if t["id"] >= from_id][:limit]

    def block_trades(self, request: _Request, events: _Events) -> list[dict[str, Any]]:
        self.exchange.market(request.params.get("symbol"))
        if request.params.get("fromId") is None:
            raise _mandatory("fromId")
        return []  # the emulator has no block trades

    def trades_aggregate(self, request: _Request, events: _Events) -> list[dict[str, Any]]:
        rows = [{"a": t["id"], "p": t["price"], "q": t["qty"], "f": t["id"], "l": t["id"], "T": t["time"],
                 "m": t["isBuyerMaker"], "M": True} for t in self.trades_historical(request, events)]
        start, end = _int(request.params, "startTime"), _int(request.params, "endTime")
        return [r for r in rows if (start is None or r["T"] >= start) and (end is None or r["T"] <= end)]

    def klines(self, request: _Request, events: _Events) -> list[list[Any]]:
        params = request.params
        market = self.exchange.market(params.get("symbol"))
        interval = params.get("interval")
        if interval not in _INTERVAL_MS:
            raise _ApiError(-1120, "Invalid interval.")
        return market.klines(interval, _int(params, "startTime"), _int(params, "endTime"),
                             _int(params, "limit", 500, 1, 1000))  # type: ignore[arg-type]

    def average_price(self, request: _Request, events: _Events) -> dict[str, Any]:
        market = self.exchange.market(request.params.get("symbol"))
        return {"mins": 5, "price": _text((market.bid + market.ask) / 2), "closeTime": request.now}

    def execution_rules(self, request: _Request, events: _Events) -> dict[str, Any]:
        wanted = _symbols_param(request.params) or \
            ([request.params["symbol"]] if request.params.get("symbol") else list(self.exchange.markets))
        return {"symbolRules": [{"symbol": self.exchange.market(s).symbol, "rules": [
            {"ruleType": "PRICE_RANGE", "bidLimitMultUp": "1.05", "bidLimitMultDown": "0.95",
             "askLimitMultUp": "1.05", "askLimitMultDown": "0.95"}]} for s in wanted]}

    def reference_price(self, request: _Request, events: _Events) -> dict[str, Any]:
        market = self.exchange.market(request.params.get("symbol"))
        return {"symbol": market.symbol, "referencePrice": _text(market.bid), "timestamp": request.now}

    def reference_price_calculation(self, request: _Request, events: _Events) -> dict[str, Any]:
        market = self.exchange.market(request.params.get("symbol"))
        return {"symbol": market.symbol, "calculationType": "ARITHMETIC_MEAN", "bucketCount": 10,
                "bucketWidthMs": 1000}

    def _markets(self, params: Mapping[str, Any], *, required: bool = False) -> tuple[list[_Market], bool]:
        symbols = _symbols_param(params)
        if params.get("symbol") is not None and symbols is not None:
            raise _ApiError(-1106, "Parameter 'symbols' sent when not required.")
        if params.get("symbol") is not None:
            return [self.exchange.market(params["symbol"])], True
        if symbols is not None:
            return [self.exchange.market(s) for s in symbols], False
        if required:
            raise _ApiError(-1102, "Param 'symbol' or 'symbols' must be sent, but both were empty/null!")
        return list(self.exchange.markets.values()), False

    def tickers(self, request: _Request, window_ms: int, required: bool = False) -> Any:
        markets, single = self._markets(request.params, required=required)
        kind = request.params.get("type", "FULL")
        if kind not in ("FULL", "MINI"):
            raise _ApiError(-1139, "Invalid ticker type.")
        rows = [m.ticker(kind, window_ms) for m in markets]
        return rows[0] if single else rows

    def rolling_ticker(self, request: _Request, events: _Events) -> Any:
        size = request.params.get("windowSize", "1d")
        units = {"m": 60_000, "h": 3_600_000, "d": 86_400_000}
        try:
            window = int(size[:-1]) * units[size[-1]]
        except (TypeError, ValueError, KeyError, IndexError):
            raise _ApiError(-1100, "Illegal characters found in parameter 'windowSize'.") from None
        return self.tickers(request, window, required=True)

    def price_ticker(self, request: _Request, events: _Events) -> Any:
        markets, single = self._markets(request.params)
        rows = [{"symbol": m.symbol, "price": m.trades[-1]["price"] if m.trades else _text(m.bid)} for m in markets]
        return rows[0] if single else rows

    def book_ticker(self, request: _Request, events: _Events) -> Any:
        markets, single = self._markets(request.params)
        rows = []
        for market in markets:
            depth = market.depth(1)
            rows.append({"symbol": market.symbol, "bidPrice": depth["bids"][0][0], "bidQty": depth["bids"][0][1],
                         "askPrice": depth["asks"][0][0], "askQty": depth["asks"][0][1]})
        return rows[0] if single else rows

    # -- trading ----------------------------------------------------------------------------------

    @staticmethod
    def _response_type(params: Mapping[str, Any], order: _Order | None = None) -> str:
        kind = params.get("newOrderRespType")
        if kind is None:
            return "FULL" if order is None or order.type in ("MARKET", "LIMIT") else "ACK"
        if kind not in ("ACK", "RESULT", "FULL"):
            raise _ApiError(-1100, "Illegal characters found in parameter 'newOrderRespType'.")
        return kind

    def order_place(self, request: _Request, events: _Events, *, sor: bool = False) -> dict[str, Any]:
        self._response_type(request.params)
        order = self.exchange.place(request.account, request.params, events, sor=sor)  # type: ignore[arg-type]
        return order.report(self._response_type(request.params, order), request.now)

    @staticmethod
    def _commission(params: Mapping[str, Any]) -> dict[str, Any]:
        if not params.get("computeCommissionRates"):
            return {}
        rates = {"maker": "0.00100000", "taker": "0.00100000"}
        return {"standardCommissionForOrder": rates, "taxCommissionForOrder": {"maker": "0", "taker": "0"},
                "discount": {"enabledForAccount": False, "enabledForSymbol": False, "discountAsset": "BNB",
                             "discount": "0.25000000"}}

    def order_test(self, request: _Request, events: _Events) -> dict[str, Any]:
        self.exchange.new_order(request.account, request.params)  # type: ignore[arg-type]
        return self._commission(request.params)

    @staticmethod
    def _cancel_report(order: _Order, now: int) -> dict[str, Any]:
        report = order.report("RESULT", now)
        report.pop("workingTime", None)
        report["origClientOrderId"] = order.client_order_id
        report["clientOrderId"] = getattr(order, "cancel_id", order.client_order_id)
        return report

    def _cancel(self, request: _Request, events: _Events, order: _Order, cancel_id: Any) -> dict[str, Any]:
        restriction = request.params.get("cancelRestrictions")
        if restriction is not None and (restriction, order.status) not in (("ONLY_NEW", "NEW"),
                                                                           ("ONLY_PARTIALLY_FILLED",
                                                                            "PARTIALLY_FILLED")):
            raise _ApiError(-2011, "Order was not canceled due to cancel restrictions.")
        result = self.exchange.cancel(order, cancel_id, events)
        if isinstance(result, _OrderList):
            return result.report("RESULT", request.now)
        return self._cancel_report(result, request.now)

    def order_cancel(self, request: _Request, events: _Events) -> dict[str, Any]:
        order = self.exchange.find_order(request.account, request.params)  # type: ignore[arg-type]
        return self._cancel(request, events, order, request.params.get("newClientOrderId"))

    def order_cancel_replace(self, request: _Request, events: _Events) -> dict[str, Any]:
        params = request.params
        mode = params.get("cancelReplaceMode")
        if mode not in ("STOP_ON_FAILURE", "ALLOW_FAILURE"):
            raise _mandatory("cancelReplaceMode")
        cancel_response: Any
        try:
            order = self.exchange.find_order(request.account, params, id_key="cancelOrderId",  # type: ignore[arg-type]
                                             client_key="cancelOrigClientOrderId")
            cancel_response = self._cancel(request, events, order, params.get("cancelNewClientOrderId"))
            cancelled = True
        except _ApiError as error:
            cancel_response, cancelled = {"code": error.code, "msg": error.message}, False
        new_response: Any = None
        placed = False
        if cancelled or mode == "ALLOW_FAILURE":
            new_params = {k: v for k, v in params.items() if not k.startswith("cancel")}
            try:
                new_response = self.order_place(request._replace(params=new_params), events)
                placed = True
            except _ApiError as error:
                new_response = {"code": error.code, "msg": error.message}
        data = {"cancelResult": "SUCCESS" if cancelled else "FAILURE",
                "newOrderResult": "SUCCESS" if placed else ("FAILURE" if new_response else "NOT_ATTEMPTED"),
                "cancelResponse": cancel_response, "newOrderResponse": new_response}
        if cancelled and placed:
            return data
        if cancelled or placed:
            raise _ApiError(-2021, "Order cancel-replace partially failed.", 409, data)
        raise _ApiError(-2022, "Order cancel-replace failed.", 400, data)

    def order_amend(self, request: _Request, events: _Events) -> dict[str, Any]:
        order = self.exchange.find_order(request.account, request.params)  # type: ignore[arg-type]
        new_quantity = _decimal(request.params, "newQty")
        if new_quantity is None:
            raise _mandatory("newQty")
        if not order.open:
            raise _ApiError(-2013, "Order does not exist.")
        if not order.executed < new_quantity < (order.quantity or _ZERO) or new_quantity % order.market.step:
            raise _ApiError(-2038, "Order amend (quantity increase) rejected.")
        order.quantity, order.updated = new_quantity, request.now
        order.client_order_id = request.params.get("newClientOrderId") or f"emuamend{next(self.exchange.order_ids)}"
        events.add(order.account, order.execution_report("REPLACED", request.now))
        events.balances(order.account, order.market.spec.base, order.market.spec.quote)
        amended = order.report("STATUS")
        amended["cumulativeQuoteQty"] = amended.pop("cummulativeQuoteQty")  # §11: this spelling here
        result = {"transactTime": request.now, "executionId": next(_execution_ids), "amendedOrder": amended}
        if order.order_list is not None:
            result["listStatus"] = order.order_list.report(None, request.now)
        return result

    def cancel_all(self, request: _Request, events: _Events) -> list[dict[str, Any]]:
        market = self.exchange.market(request.params.get("symbol"))
        account: _Account = request.account  # type: ignore[assignment]
        results: list[dict[str, Any]] = []
        seen: set[int] = set()
        for order in list(account.orders):
            if order.market is not market or order.status not in ("NEW", "PARTIALLY_FILLED", "PENDING_NEW"):
                continue
            if order.order_list is not None:
                if order.order_list.list_id in seen:
                    continue
                seen.add(order.order_list.list_id)
            results.append(self._cancel(request, events, order, None))
        if not results:
            raise _ApiError(-2011, "Unknown order sent.")
        return results

    def _place_list(self, request: _Request, events: _Events, contingency: str,
                    legs: list[tuple[str, dict[str, Any]]], *, pays: bool = False) -> dict[str, Any]:
        kind = self._response_type(request.params, None)
        kind = "RESULT" if request.params.get("newOrderRespType") is None else kind
        order_list = self.exchange.place_list(request.account, contingency, legs,  # type: ignore[arg-type]
                                              request.params.get("listClientOrderId"), events, pays=pays)
        return order_list.report(kind, request.now)

    def list_legacy(self, request: _Request, events: _Events) -> dict[str, Any]:
        p = request.params
        for name in ("side", "quantity", "price"):
            if p.get(name) is None:
                raise _mandatory(name)
        if p.get("stopPrice") is None:
            raise _mandatory("stopPrice")
        shared = {"symbol": p.get("symbol"), "side": p["side"], "quantity": p["quantity"]}
        stop = {**shared, "type": "STOP_LOSS_LIMIT" if p.get("stopLimitPrice") else "STOP_LOSS",
                "stopPrice": p["stopPrice"], "price": p.get("stopLimitPrice"),
                "timeInForce": p.get("stopLimitTimeInForce"), "newClientOrderId": p.get("stopClientOrderId"),
                "icebergQty": p.get("stopIcebergQty")}
        limit = {**shared, "type": "LIMIT_MAKER", "price": p["price"], "newClientOrderId": p.get("limitClientOrderId"),
                 "icebergQty": p.get("limitIcebergQty")}
        return self._place_list(request, events, "OCO", [("oco", {k: v for k, v in stop.items() if v is not None}),
                                                         ("oco", {k: v for k, v in limit.items() if v is not None})])

    def list_oco(self, request: _Request, events: _Events) -> dict[str, Any]:
        p = request.params
        for name in ("side", "quantity", "aboveType", "belowType"):
            if p.get(name) is None:
                raise _mandatory(name)
        legs = [("oco", _leg(p, "below", side=p["side"], quantity=p["quantity"])),
                ("oco", _leg(p, "above", side=p["side"], quantity=p["quantity"]))]
        return self._place_list(request, events, "OCO", legs)

    def list_oto(self, request: _Request, events: _Events, with_oco: bool, pays: bool) -> dict[str, Any]:
        p = request.params
        required = ["workingType", "workingSide", "workingPrice", "workingQuantity"]
        required += ["pendingSide", "pendingAboveType"] if with_oco else ["pendingType", "pendingSide"]
        if with_oco and not pays:
            required.append("pendingQuantity")
        if not with_oco and not pays:
            required.append("pendingQuantity")
        for name in required:
            if p.get(name) is None:
                raise _mandatory(name)
        legs = [("working", _leg(p, "working"))]
        if with_oco:
            shared = {"side": p["pendingSide"], "quantity": p.get("pendingQuantity")}
            legs.append(("pending_oco", _leg(p, "pendingAbove", **shared)))
            if p.get("pendingBelowType") is not None:
                legs.append(("pending_oco", _leg(p, "pendingBelow", **shared)))
        else:
            legs.append(("pending", _leg(p, "pending")))
        return self._place_list(request, events, "OTO", legs, pays=pays)

    def _find_list(self, account: _Account, list_id: Any, client_id: Any) -> _OrderList:
        if list_id is None and client_id is None:
            raise _ApiError(-1102, "Param 'listClientOrderId' or 'orderListId' must be sent, but both were "
                                   "empty/null!")
        for order_list in account.lists:
            if (client_id is not None and order_list.client_id == client_id) or \
                    (client_id is None and order_list.list_id == list_id):
                return order_list
        raise _ApiError(-2011, "Unknown order list sent.")

    def list_cancel(self, request: _Request, events: _Events) -> dict[str, Any]:
        self.exchange.market(request.params.get("symbol"))
        order_list = self._find_list(request.account, request.params.get("orderListId"),  # type: ignore[arg-type]
                                     request.params.get("listClientOrderId"))
        return self.exchange.cancel_list(order_list, events).report("RESULT", request.now)

    def list_status(self, request: _Request, events: _Events) -> dict[str, Any]:
        order_list = self._find_list(request.account, request.params.get("orderListId"),  # type: ignore[arg-type]
                                     request.params.get("origClientOrderId"))
        return order_list.report(None, order_list.transaction_time)

    def _check_sor(self, params: Mapping[str, Any]) -> None:
        if params.get("quoteOrderQty") is not None:
            raise _ApiError(-1106, "Parameter 'quoteOrderQty' sent when not required.")
        if params.get("type") not in ("LIMIT", "MARKET"):
            raise _ApiError(-1013, "SOR supports only LIMIT and MARKET orders.")

    def sor_place(self, request: _Request, events: _Events) -> list[dict[str, Any]]:
        self._check_sor(request.params)
        return [self.order_place(request, events, sor=True)]

    def sor_test(self, request: _Request, events: _Events) -> dict[str, Any]:
        self._check_sor(request.params)
        return self.order_test(request, events)

    # -- account ------------------------------------------------------------------------------------

    def account_status(self, request: _Request, events: _Events) -> dict[str, Any]:
        account: _Account = request.account  # type: ignore[assignment]
        locked = account.locked()
        balances = []
        for asset in sorted(set(account.totals) | set(locked)):
            total, held = account.totals.get(asset, _ZERO), locked.get(asset, _ZERO)
            if request.params.get("omitZeroBalances") and not total:
                continue
            balances.append({"asset": asset, "free": _text(total - held), "locked": _text(held)})
        return {"makerCommission": 10, "takerCommission": 10, "buyerCommission": 0, "sellerCommission": 0,
                "canTrade": True, "canWithdraw": True, "canDeposit": True,
                "commissionRates": {"maker": "0.00100000", "taker": "0.00100000", "buyer": "0.00000000",
                                    "seller": "0.00000000"},
                "brokered": False, "requireSelfTradePrevention": False, "preventSor": False,
                "updateTime": request.now, "accountType": "SPOT", "balances": balances, "permissions": ["SPOT"],
                "uid": account.uid}

    def account_commission(self, request: _Request, events: _Events) -> dict[str, Any]:
        market = self.exchange.market(request.params.get("symbol"))
        rates = {"maker": "0.00100000", "taker": "0.00100000", "buyer": "0.00000000", "seller": "0.00000000"}
        zero = dict.fromkeys(rates, "0.00000000")
        return {"symbol": market.symbol, "standardCommission": rates, "specialCommission": zero,
                "taxCommission": zero, "discount": {"enabledForAccount": False, "enabledForSymbol": False,
                                                    "discountAsset": "BNB", "discount": "0.25000000"}}

    def open_orders(self, request: _Request, events: _Events) -> list[dict[str, Any]]:
        symbol = request.params.get("symbol")
        market = self.exchange.market(symbol) if symbol is not None else None
        return [o.report("STATUS") for o in request.account.orders  # type: ignore[union-attr]
                if o.open and (market is None or o.market is market)]

    @staticmethod
    def _window(params: Mapping[str, Any], rows: list[dict[str, Any]], time_key: str, id_key: str,
                from_key: str) -> list[dict[str, Any]]:
        start, end = _int(params, "startTime"), _int(params, "endTime")
        first = _int(params, from_key)
        limit = _int(params, "limit", 500, 1, 1000)
        rows = [r for r in rows if (start is None or r[time_key] >= start) and (end is None or r[time_key] <= end)
                and (first is None or r[id_key] >= first)]
        return rows[:limit]

    def all_orders(self, request: _Request, events: _Events) -> list[dict[str, Any]]:
        market = self.exchange.market(request.params.get("symbol"))
        rows = [o.report("STATUS") for o in request.account.orders if o.market is market]  # type: ignore[union-attr]
        return self._window(request.params, rows, "time", "orderId", "orderId")

    def all_lists(self, request: _Request, events: _Events) -> list[dict[str, Any]]:
        rows = [l.report(None, l.transaction_time) for l in request.account.lists]  # type: ignore[union-attr]
        return self._window(request.params, rows, "transactionTime", "orderListId", "fromId")

    def my_trades(self, request: _Request, events: _Events) -> list[dict[str, Any]]:
        market = self.exchange.market(request.params.get("symbol"))
        order_id = _int(request.params, "orderId")
        rows = [t for t in request.account.trades  # type: ignore[union-attr]
                if t["symbol"] == market.symbol and (order_id is None or t["orderId"] == order_id)]
        return self._window(request.params, rows, "time", "id", "fromId")

    def prevented_matches(self, request: _Request, events: _Events) -> list[dict[str, Any]]:
        self.exchange.market(request.params.get("symbol"))
        if request.params.get("preventedMatchId") is None and request.params.get("orderId") is None:
            raise _ApiError(-1102, "Param 'preventedMatchId' or 'orderId' must be sent, but both were empty/null!")
        return []  # the engine never matches an account with itself

    def allocations(self, request: _Request, events: _Events) -> list[dict[str, Any]]:
        market = self.exchange.market(request.params.get("symbol"))
        order_id = _int(request.params, "orderId")
        rows = [a for a in request.account.allocations  # type: ignore[union-attr]
                if a["symbol"] == market.symbol and (order_id is None or a["orderId"] == order_id)]
        return self._window(request.params, rows, "time", "allocationId", "fromAllocationId")

    # -- user data stream ------------------------------------------------------------------------------

    def subscribe(self, request: _Request, events: _Events) -> dict[str, Any]:
        session, account = request.session, request.account
        if any(existing is account for existing, _ in session.streams.values()):
            raise _ApiError(-2035, "User Data Stream subscription already active.")
        subscription_id = next(session.subscription_ids)
        session.streams[subscription_id] = (account, request.method == "userDataStream.subscribe")  # type: ignore
        return {"subscriptionId": subscription_id}

    def unsubscribe(self, request: _Request, events: _Events) -> dict[str, Any]:
        subscription_id = request.params.get("subscriptionId")
        session = request.session
        if subscription_id is None:
            for existing in list(session.streams):
                self.terminate(request.connection, existing, request.now)
        elif subscription_id not in session.streams:
            raise _ApiError(-2036, "User Data Stream subscription not active.")
        else:
            self.terminate(request.connection, subscription_id, request.now)
        return {}


# -- the emulator --------------------------------------------------------------------------------------


class BinanceEmulator(EmulatorServer):
    """A local Binance WebSocket API server (spot ``/ws-api/v3``) for tests and samples.

    ``with BinanceEmulator() as emu: creds = emu.add_account("ed25519");
    client = BinanceClient(credentials=creds, **emu.client_kwargs())``.

    Market data is seeded (the same seed gives the same books, trades and klines; times
    come from the clock) and moves only when :meth:`set_price` moves it. Orders go through
    a small matching engine: a marketable order fills at once against the emulated best
    bid/ask (unlimited size, as taker); a resting limit order fills as maker when
    :meth:`set_price` crosses it, and stops trigger the same way. Balances are totals per
    asset; what is locked is derived from open orders. Commissions are zero; orders of
    different accounts never match each other. Unfilled-order counts only grow (Binance
    decrements them on fills).

    Threads: those of :class:`~exwire.testing._server.EmulatorServer`; requests run on
    their connection's thread under one exchange lock. Thread-safety: every public
    method may be called from any thread.

    Args:
        seed: Seed of the generated market data.
        symbols: Extra symbols as ``{"XRPUSDT": ("XRP", "USDT", "0.5000", "0.0001", "1")}``
            (base, quote, first price, tick size, step size) besides BTCUSDT, ETHUSDT,
            BNBBTC and ETHBTC; ``None`` adds none.
        time_offset_ms: The server clock minus the local clock, in milliseconds (a skew
            to test ``-1021`` handling); changeable later through :attr:`time_offset_ms`.
        request_weight_limit: REQUEST_WEIGHT per minute before ``429``/``-1003``.
        orders_per_10s, orders_per_day: ORDERS limits per account before ``-1015``.
        host, port, send_timeout, close_timeout: as :class:`EmulatorServer`.
    """

    def __init__(self, seed: int = 0, *, symbols: Mapping[str, tuple[str, str, str, str, str]] | None = None,
                 time_offset_ms: int = 0, request_weight_limit: int = 6000, orders_per_10s: int = 50,
                 orders_per_day: int = 160_000, host: str = "127.0.0.1", port: int = 0,
                 send_timeout: float | None = 10.0, close_timeout: float = 2.0) -> None:
        super().__init__("binance", host=host, port=port, send_timeout=send_timeout, close_timeout=close_timeout)
        specs = dict(_SYMBOLS)
        for symbol, spec in (symbols or {}).items():
            try:
                specs[symbol] = _SymbolSpec(*spec)
                Decimal(specs[symbol].start), Decimal(specs[symbol].tick), Decimal(specs[symbol].step)
            except (TypeError, InvalidOperation):
                raise ConfigurationError(f"symbol {symbol}: expected (base, quote, price, tick, step)") from None
        self.exchange = _Exchange(seed, specs, time_offset_ms)
        self.limits = _Limits(request_weight_limit, orders_per_10s, orders_per_day)
        self.logons = 0
        """``session.logon`` requests accepted so far."""
        self.requests: deque[tuple[str, dict[str, Any]]] = deque(maxlen=10_000)
        """``(method, params)`` of every request answered with status 200, oldest first."""
        self._faults_lock = threading.Lock()  # guards the fault queues
        self._withheld: deque[str | None] = deque()
        self._failures: dict[str, deque[_ApiError]] = {}
        self._accounts = itertools.count(1)
        self._apis: dict[str, _Api] = {SPOT_PATH: _SpotApi(self)}

    # -- addresses and accounts -------------------------------------------------------------------------

    @property
    def spot_url(self) -> str:
        """``ws://<host>:<port>/ws-api/v3``."""
        return f"ws://{self.host}:{self.port}{SPOT_PATH}"

    def client_kwargs(self) -> dict[str, str]:
        """Keyword arguments pointing a ``BinanceClient`` at this emulator."""
        return {"url": self.spot_url}

    def add_account(self, key_type: str = "hmac", balances: Mapping[str, Any] | None = None) -> Credentials:
        """Create an account and return credentials the emulator accepts.

        Args:
            key_type: ``"hmac"`` (secret), ``"rsa"`` or ``"ed25519"`` (PEM private key).
            balances: ``{"USDT": "1000"}``; ``None`` gives 10 BTC, 100 ETH, 1000 BNB and 1 000 000 USDT.

        Raises:
            ConfigurationError: an unknown key type or a balance that is not a number.
        """
        if key_type not in ("hmac", "rsa", "ed25519"):
            raise ConfigurationError(f"key_type must be 'hmac', 'rsa' or 'ed25519', got {key_type!r}")
        try:
            amounts = {asset: Decimal(str(v)) for asset, v in (balances or _DEFAULT_BALANCES).items()}
        except InvalidOperation:
            raise ConfigurationError(f"balances must be numbers: {balances!r}") from None
        api_key = hashlib.sha256(f"{self.exchange.seed}:{key_type}:{next(self._accounts)}".encode()).hexdigest()
        account, credentials = _make_account(key_type, api_key, amounts)
        with self.exchange.lock:
            self.exchange.accounts[api_key] = account
        return credentials

    def _account(self, credentials: Credentials | str) -> _Account:
        key = credentials if isinstance(credentials, str) else credentials.key
        try:
            return self.exchange.accounts[key]
        except KeyError:
            raise ConfigurationError("no such account in this emulator") from None

    def balances(self, credentials: Credentials | str) -> dict[str, tuple[Decimal, Decimal]]:
        """The account's ``{asset: (free, locked)}``."""
        with self.exchange.lock:
            account = self._account(credentials)
            return {asset: account.balance(asset) for asset in sorted(account.totals)}

    def deposit(self, credentials: Credentials | str, asset: str, amount: Any) -> None:
        """Credit (or, negative, debit) ``amount`` of ``asset``; pushes ``balanceUpdate`` and
        ``outboundAccountPosition`` to the account's user-data subscriptions."""
        delta = Decimal(str(amount))
        with self.exchange.lock:
            account = self._account(credentials)
            account.totals[asset] = account.totals.get(asset, _ZERO) + delta
            now = self.exchange.now()
            events = _Events()
            events.add(account, {"e": "balanceUpdate", "E": now, "a": asset, "d": _text(delta), "T": now})
            events.balances(account, asset)
            events.flush_balances(now)
            self._push(events)

    # -- market ---------------------------------------------------------------------------------------

    def price(self, symbol: str) -> Decimal:
        """The symbol's best bid (the ask is one tick above)."""
        with self.exchange.lock:
            return self.exchange.market(symbol).bid

    def set_price(self, symbol: str, price: Any) -> None:
        """Move the best bid to ``price`` (rounded down to the tick; the ask is one tick above).

        Resting limit orders the new price crosses fill at their own price (as maker);
        stop and take-profit orders whose stop price it crosses trigger. The resulting
        user-data events are pushed before this returns.
        """
        with self.exchange.lock:
            events = _Events()
            self.exchange.set_price(self.exchange.market(symbol), Decimal(str(price)), events)
            events.flush_balances(self.exchange.now())
            self._push(events)
        self.notify_changed()

    @property
    def time_offset_ms(self) -> int:
        """The server clock minus the local clock, in milliseconds."""
        return self.exchange.time_offset_ms

    @time_offset_ms.setter
    def time_offset_ms(self, value: int) -> None:
        self.exchange.time_offset_ms = int(value)

    # -- faults ------------------------------------------------------------------------------------------

    def withhold_replies(self, count: int = 1, method: str | None = None) -> None:
        """Read but never answer the next ``count`` requests (of ``method`` only, if given)."""
        with self._faults_lock:
            self._withheld.extend([method] * count)

    def fail_next(self, method: str, code: int, message: str, status: int = 400, data: Any = None) -> None:
        """Answer the next ``method`` request with this error instead of processing it."""
        with self._faults_lock:
            self._failures.setdefault(method, deque()).append(_ApiError(code, message, status, data))

    def send_server_shutdown(self) -> int:
        """Send the ``serverShutdown`` event (§2) to every live connection; return how many."""
        return self.send_raw(_dumps({"event": {"e": "serverShutdown", "E": self.exchange.now()}}))

    def ping_clients(self, timeout: float | None = 5.0) -> int:
        """Send a WebSocket ping frame to every live connection, as Binance does every 20 s
        (§2), and wait for the pongs.

        Returns:
            How many connections answered with a pong within ``timeout`` seconds in total.
        """
        waiters = []
        for connection in self.connections:
            websocket = getattr(connection, "_websocket", None)
            if websocket is None or connection.stalled:
                continue
            try:
                waiters.append(websocket.ping(f"binance-{connection.id}".encode()))
            except Exception:  # the connection is closing
                continue
        deadline = None if timeout is None else time.monotonic() + timeout
        answered = 0
        for waiter in waiters:
            remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
            answered += bool(waiter.wait(remaining))
        return answered

    def _take_withheld(self, method: Any) -> bool:
        with self._faults_lock:
            for index, wanted in enumerate(self._withheld):
                if wanted is None or wanted == method:
                    del self._withheld[index]
                    return True
        return False

    def _take_failure(self, method: str) -> _ApiError | None:
        with self._faults_lock:
            queue = self._failures.get(method)
            return queue.popleft() if queue else None

    # -- hooks ---------------------------------------------------------------------------------------------

    def accepts_path(self, path: str) -> bool:
        return path in self._apis

    def on_open(self, connection: EmulatorConnection) -> None:
        request = getattr(getattr(connection, "_websocket", None), "request", None)
        query = request.path.partition("?")[2] if request is not None else ""
        return_rate_limits = "returnratelimits=false" not in query.lower()
        connection.session = _Session(self.exchange.now(), return_rate_limits)

    def on_message(self, connection: EmulatorConnection, message: str | bytes) -> None:
        self._apis[connection.path].handle(connection, message)

    def _push(self, events: _Events) -> None:
        """Send user-data events to every subscription of their account (exchange lock held)."""
        if not events.items:
            return
        for connection in self.connections:
            session: _Session | None = connection.session
            if session is None:
                continue
            for subscription_id, (account, _) in list(session.streams.items()):
                for owner, event in events.items:
                    if owner is account:
                        connection.send(_dumps({"subscriptionId": subscription_id, "event": event}))
