"""Fuzzing every exchange codec: whatever a server sends, ``receive`` returns events or
raises ``DecodeError``/``ProtocolError`` — never ``TypeError``, ``RecursionError`` & co.

Seeded and bounded (``derandomize=True``, no example database, a few hundred examples a
protocol), so CI is reproducible and takes seconds. Frames are JSON-ish values biased
toward each exchange's real envelope keys, random text and bytes, and real captures
from ``../shared/fixtures`` (read in place; skipped where absent) with one subtree
mutated. Each protocol has requests pending, so replies can hit its correlation state.
"""

from __future__ import annotations

import json
import re
import zlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from exwire._core.protocol import Ended, Failure, Pong, Protocol, Reply, Update
from exwire.binance.protocol import USER_DATA_KEY, BinanceProtocol
from exwire.coinex.protocol import CoinexProtocol
from exwire.coinsuper.models import KlineInterval as CoinsuperInterval
from exwire.coinsuper.models import OrderBookStep
from exwire.coinsuper.protocol import CoinsuperProtocol, MqttFrame, Topics
from exwire.errors import DecodeError, ProtocolError
from exwire.kraken.protocol import KrakenProtocol
from exwire.okex.protocol import OkexProtocol
from exwire.okx.protocol import OkxProtocol
from tests.conftest import fixture_path

FUZZ = settings(max_examples=150, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
DEEP = "[" * 100_000 + "]" * 100_000
EVENT_TYPES = (Reply, Update, Ended, Failure, Pong)


# -- the property -------------------------------------------------------------------------------


def check(protocol: Protocol, frame: Any) -> None:
    """``receive`` returns a sequence of events with hashable keys, or raises ProtocolError."""
    try:
        events = protocol.receive(frame)
    except DecodeError as exc:
        hash(exc.key)  # the engine looks the key up among its pending requests
        return
    except ProtocolError:
        return
    assert isinstance(events, Sequence)
    for event in events:
        assert isinstance(event, EVENT_TYPES), event
        if isinstance(event, (Reply, Update, Ended)):
            hash(event.key)


# -- JSON-ish values ----------------------------------------------------------------------------

SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-3, max_value=6),  # collides with pending request ids
    st.integers(),
    st.integers(min_value=2**63 - 2, max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.sampled_from(["", "0", "-1", "1.5", "1e400", "abc", "XBT/USD", "BTCUSDT", "buy", "sell", "b", "s",
                     "1534614057.321597", "NaN", "true"]),
)


def json_values(keys: Sequence[str] = ()) -> st.SearchStrategy[Any]:
    """Recursive JSON values whose object keys lean toward ``keys``."""
    key = st.sampled_from(list(keys)) | st.text(max_size=6) if keys else st.text(max_size=6)
    return st.recursive(
        SCALARS,
        lambda children: st.lists(children, max_size=6) | st.dictionaries(key, children, max_size=6),
        max_leaves=12,
    )


def encoded(values: st.SearchStrategy[Any]) -> st.SearchStrategy[str | bytes]:
    """JSON text of ``values`` (as str or UTF-8 bytes), plus random text and bytes."""
    text = values.map(lambda value: json.dumps(value))
    return st.one_of(
        text,
        text.map(str.encode),
        st.text(max_size=40),
        st.binary(max_size=40),
        text.map(lambda t: t[: len(t) // 2]),  # truncated
    )


def mutated(seeds: list[Any], values: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """A seed value with one subtree replaced, deleted or retyped."""

    @st.composite
    def mutate(draw: st.DrawFn) -> Any:
        seed = draw(st.sampled_from(seeds))

        def walk(node: Any) -> Any:
            children = list(node.keys()) if isinstance(node, dict) else list(range(len(node))) \
                if isinstance(node, list) else []
            if not children or draw(st.integers(0, 3)) == 0:
                return draw(st.one_of(values, SCALARS, st.just([node]), st.just({"x": node})))
            child = draw(st.sampled_from(children))
            copy = dict(node) if isinstance(node, dict) else list(node)
            if draw(st.integers(0, 5)) == 0:
                del copy[child]
            else:
                copy[child] = walk(node[child])
            return copy

        return walk(seed)

    return mutate()


# -- real captures, read in place -----------------------------------------------------------------

_MARKER = re.compile(r"^(?:[<=>] ?|\d+\.\d+: )", re.MULTILINE)


def _values_in(path: Path, limit: int = 60) -> list[Any]:
    """The JSON values of a capture: a whole JSON file, a transcript of ``<``/``=`` blocks,
    or a cryptofeed recording (``<time>: <json>`` lines)."""
    text = path.read_text(encoding="utf-8-sig").replace("|1|", "1")
    try:
        return [json.loads(text)]
    except ValueError:
        pass
    values = []
    for block in _MARKER.split(text):
        try:
            values.append(json.loads(block))
        except ValueError:
            continue
        if len(values) >= limit:
            break
    return values


def _captures(*parts: str, pattern: str = "*.txt") -> list[Any]:
    folder = fixture_path(*parts)
    values: list[Any] = []
    for path in sorted(folder.rglob(pattern) if folder.is_dir() else [folder]):
        values.extend(_values_in(path))
    if not values:
        pytest.skip(f"no captures under {folder}")
    return values


@pytest.fixture(scope="module")
def kraken_captures() -> list[Any]:
    values = _captures("kraken", "kraken-net")
    values += _captures("kraken", "cryptofeed", pattern="KRAKEN.ws.4*")
    # OwnTradeUpdate/OpenOrdersUpdate hold the private payload only: give them their envelope.
    return values + [[value, "ownTrades", {"sequence": 1}] for value in values if isinstance(value, list)
                     and value and isinstance(value[0], dict)]


@pytest.fixture(scope="module")
def binance_captures() -> list[Any]:
    return _captures("binance", "binance-net", "ws-api") + _captures("binance", "binance-net", "user-data")


@pytest.fixture(scope="module")
def coinex_captures() -> list[Any]:
    payloads = _captures("coinex", "coinex-net")
    return [
        {"method": method, "params": params, "id": None}
        for payload in payloads
        for method, params in (("deals.update", ["BTCUSDT", payload]), ("order.update", [2, payload]),
                               ("asset.update", [payload]), ("state.update", [payload]))
    ]


@pytest.fixture(scope="module")
def okex_captures() -> list[Any]:
    decoded = json.loads(fixture_path("okex", "real_decoded_frames.json").read_text(encoding="utf-8"))
    real = json.loads(fixture_path("okex", "real_frames.json").read_text(encoding="utf-8"))
    return [json.loads(entry["frame"]) for entry in decoded] + [json.loads(entry["decoded"]) for entry in real]


# -- Kraken --------------------------------------------------------------------------------------

KRAKEN_KEYS = ["event", "reqid", "status", "errorMessage", "channelName", "pair", "subscription", "name",
               "depth", "interval", "channelID", "connectionID", "version", "as", "bs", "a", "b", "c",
               "v", "p", "t", "l", "h", "o", "txid", "descr", "ordertxid", "vol", "sequence"]
KRAKEN_CHANNELS = st.sampled_from(["ticker", "trade", "spread", "book-10", "book-25", "ohlc-5", "ohlc-x",
                                   "openOrders", "ownTrades", "unknown"])
KRAKEN_EVENTS = st.sampled_from(["heartbeat", "pong", "systemStatus", "subscriptionStatus", "addOrderStatus",
                                 "cancelOrderStatus", "cancelAllStatus", "error", "unknown"])


def kraken_messages() -> st.SearchStrategy[Any]:
    values = json_values(KRAKEN_KEYS)
    public = st.tuples(st.integers(0, 5) | values, values, KRAKEN_CHANNELS | values,
                       st.sampled_from(["XBT/USD", "ETH/EUR"]) | values).map(list)
    book = st.tuples(st.integers(0, 5), values, values, KRAKEN_CHANNELS, st.just("XBT/USD")).map(list)
    private = st.tuples(values, KRAKEN_CHANNELS | values, st.fixed_dictionaries({"sequence": values})).map(list)
    event = st.fixed_dictionaries(
        {"event": KRAKEN_EVENTS | values},
        optional={"reqid": st.integers(0, 5) | values, "status": st.sampled_from(["ok", "error", "subscribed",
                  "unsubscribed", "online"]) | values, "errorMessage": values, "channelName": KRAKEN_CHANNELS | values,
                  "pair": values, "subscription": values, "connectionID": values, "txid": values, "descr": values,
                  "count": values},
    )
    return st.one_of(public, book, private, event, values)


def kraken_protocol() -> KrakenProtocol:
    protocol = KrakenProtocol()
    protocol.subscribe("ticker", ["XBT/USD"])
    protocol.subscribe("openOrders", None, token="t")
    protocol.subscribe("ownTrades", None, token="t")
    protocol.trading_request("addOrder", "t", {"pair": "XBT/USD"})
    return protocol


@FUZZ
@given(encoded(kraken_messages()))
@example(DEEP)
@example('[4,["5698.4","5700.0"],"spread"]')
@example('{"event": "pong", "reqid": {"x": 1}}')
def test_kraken_receive_raises_only_decode_errors(frame):
    check(kraken_protocol(), frame)


@FUZZ
@given(st.data())
def test_kraken_mutated_captures_raise_only_decode_errors(kraken_captures, data):
    value = data.draw(mutated(kraken_captures, json_values(KRAKEN_KEYS)))
    check(kraken_protocol(), json.dumps(value))


# -- Binance -------------------------------------------------------------------------------------

BINANCE_KEYS = ["id", "status", "result", "error", "rateLimits", "code", "msg", "data", "retryAfter",
                "serverTime", "subscriptionId", "event", "e", "E", "s", "rateLimitType", "interval",
                "intervalNum", "limit", "count", "B", "a", "f", "l", "d", "T", "O", "x", "X"]
RATE_LIMIT = st.fixed_dictionaries(
    {"rateLimitType": st.sampled_from(["REQUEST_WEIGHT", "ORDERS"]) | SCALARS,
     "interval": st.sampled_from(["MINUTE", "SECOND"]) | json_values(),
     "intervalNum": st.integers(0, 5) | SCALARS, "limit": st.integers() | SCALARS},
    optional={"count": st.integers() | SCALARS},
)
BINANCE_EVENT_TYPES = st.sampled_from(["executionReport", "outboundAccountPosition", "balanceUpdate", "listStatus",
                                       "externalLockUpdate", "eventStreamTerminated", "serverShutdown", "new"])


def binance_messages() -> st.SearchStrategy[Any]:
    values = json_values(BINANCE_KEYS)
    response = st.fixed_dictionaries(
        {"status": st.sampled_from([200, 400, 401, 403, 418, 429, 500]) | values},
        optional={"id": st.integers(0, 8) | values, "result": values | st.fixed_dictionaries(
                  {"serverTime": values, "subscriptionId": st.integers(0, 3) | values}),
                  "error": values | st.fixed_dictionaries({"code": st.integers(-6000, 0) | values, "msg": values},
                                                          optional={"data": values}),
                  "rateLimits": st.lists(RATE_LIMIT | values, max_size=3) | values},
    )
    event = st.fixed_dictionaries(
        {"event": st.fixed_dictionaries({"e": BINANCE_EVENT_TYPES | values},
                                        optional={k: values for k in ("E", "s", "B", "a", "d", "T", "O", "x")})},
        optional={"subscriptionId": st.integers(0, 3) | values},
    )
    return st.one_of(response, event, values)


def binance_protocol(product: str) -> BinanceProtocol:
    protocol = BinanceProtocol(now_ms=lambda: 1_659_146_000_000, product=product)
    protocol.request("time")  # id 1
    protocol.request("ping")  # id 2
    request_id, _ = protocol.subscribe_user_data(USER_DATA_KEY)  # id 3
    protocol.ping_frame()  # id 4
    protocol.receive(json.dumps({"id": request_id, "status": 200, "result": {"subscriptionId": 0}}))
    protocol.subscribe_user_data(("other",))  # id 5, pending
    protocol.request("time")  # id 6
    return protocol


@pytest.mark.parametrize("product", ["spot", "usdm", "coinm"])
@FUZZ
@given(frame=encoded(binance_messages()))
@example(frame=DEEP)
@example(frame='{"id": 2, "status": 200, "result": {}, "rateLimits": 5}')
@example(frame='{"id": 1, "status": 200, "result": {"serverTime": "x"}}')
@example(frame='{"id": {"a": 1}, "status": 200}')
@example(frame='{"subscriptionId": {"a": 1}, "event": {"e": "balanceUpdate"}}')
def test_binance_receive_raises_only_decode_errors(product, frame):
    check(binance_protocol(product), frame)


@FUZZ
@given(st.data())
def test_binance_mutated_captures_raise_only_decode_errors(binance_captures, data):
    value = data.draw(mutated(binance_captures, json_values(BINANCE_KEYS)))
    check(binance_protocol(data.draw(st.sampled_from(["spot", "usdm"]))), json.dumps(value))


# -- CoinEx --------------------------------------------------------------------------------------

COINEX_KEYS = ["method", "params", "id", "result", "error", "code", "message", "asks", "bids", "last", "time",
               "checksum", "market", "type", "side", "price", "amount", "left", "ctime", "mtime", "available",
               "frozen"]
COINEX_METHODS = st.sampled_from(["depth.update", "deals.update", "state.update", "order.update", "asset.update",
                                  "kline.update", "index.update", "server.ping"])


def coinex_messages() -> st.SearchStrategy[Any]:
    values = json_values(COINEX_KEYS)
    params = st.one_of(
        st.tuples(st.booleans() | values, values, st.sampled_from(["BTCUSDT", "ETHUSDT"]) | values).map(list),
        st.tuples(st.sampled_from(["BTCUSDT"]) | values, values, st.booleans()).map(list),
        st.lists(values, max_size=4),
        values,
    )
    push = st.fixed_dictionaries({"method": COINEX_METHODS | values, "params": params},
                                 optional={"id": st.none() | values})
    reply = st.fixed_dictionaries({"id": st.integers(0, 8) | values},
                                  optional={"result": values, "error": values | st.fixed_dictionaries(
                                            {"code": st.integers(0, 12) | values, "message": values})})
    return st.one_of(push, reply, values)


def coinex_protocol() -> CoinexProtocol:
    protocol = CoinexProtocol()
    protocol.subscribe("depth", [("depth", "BTCUSDT", 20, "0")])
    protocol.subscribe("kline", [("kline", "BTCUSDT", 60)])
    protocol.subscribe("deals", [("deals", "BTCUSDT")])
    protocol.ping_frame()
    protocol.server_time()
    return protocol


@FUZZ
@given(encoded(coinex_messages()))
@example(DEEP)
@example('{"method": "depth.update", "params": [true, {}, ["BTCUSDT"]], "id": null}')
def test_coinex_receive_raises_only_decode_errors(frame):
    check(coinex_protocol(), frame)


@FUZZ
@given(st.data())
def test_coinex_mutated_captures_raise_only_decode_errors(coinex_captures, data):
    value = data.draw(mutated(coinex_captures, json_values(COINEX_KEYS)))
    check(coinex_protocol(), json.dumps(value))


# -- OKEx ----------------------------------------------------------------------------------------

OKEX_KEYS = ["channel", "data", "event", "binary", "result", "error_code", "error_msg", "errorcode", "success",
             "product", "asks", "bids", "timestamp", "symbol", "orderId", "tradeUnitPrice", "status", "info",
             "free", "freezed", "order_id", "orders"]
OKEX_CHANNELS = st.sampled_from(["addChannel", "removeChannel", "login", "ok_spot_order", "ok_spot_cancel_order",
                                 "ok_spot_userinfo", "ok_spot_orderinfo", "ok_sub_spot_btc_usdt_ticker",
                                 "ok_sub_spot_btc_usdt_depth", "ok_sub_spot_btc_usdt_depth_5",
                                 "ok_sub_spot_btc_usdt_deals", "ok_sub_spot_btc_usdt_kline_1min",
                                 "ok_sub_spot_btc_usdt_order", "ok_sub_spot_btc_usdt_balance", "ok_sub_futureusd_x"])


def okex_messages() -> st.SearchStrategy[Any]:
    values = json_values(OKEX_KEYS)
    item = st.fixed_dictionaries(
        {}, optional={"channel": OKEX_CHANNELS | values, "data": values | st.fixed_dictionaries(
                      {}, optional={"channel": OKEX_CHANNELS | values, "result": values, "error_code": values,
                                    "error_msg": values}), "errorcode": values, "success": values,
                      "binary": values},
    )
    return st.one_of(st.lists(item | values, max_size=3), st.fixed_dictionaries({"event": st.just("pong") | values}),
                     values)


def _deflate(data: bytes) -> bytes:
    compressor = zlib.compressobj(wbits=-15)
    return compressor.compress(data) + compressor.flush()


def okex_frames(values: st.SearchStrategy[Any]) -> st.SearchStrategy[str | bytes]:
    frames = encoded(values)
    as_bytes = frames.map(lambda f: f.encode() if isinstance(f, str) else f)
    return st.one_of(frames, as_bytes.map(_deflate), as_bytes.map(zlib.compress),
                     as_bytes.map(lambda f: _deflate(f)[:-2]))


def okex_protocol() -> OkexProtocol:
    protocol = OkexProtocol()
    protocol.subscribe(["ok_sub_spot_btc_usdt_depth", "ok_sub_spot_btc_usdt_ticker"])
    for channel in ("login", "ok_spot_order", "ok_spot_userinfo", "ok_spot_orderinfo"):
        key, frame = protocol.request(channel, {"api_key": "k", "sign": "S"})
        protocol.sent(key, frame)
    return protocol


@FUZZ
@given(okex_frames(okex_messages()))
@example(DEEP)
@example(_deflate(DEEP.encode()))
@example('[{"channel": 5, "data": {}}]')
def test_okex_receive_raises_only_decode_errors(frame):
    check(okex_protocol(), frame)


@FUZZ
@given(st.data())
def test_okex_mutated_captures_raise_only_decode_errors(okex_captures, data):
    value = data.draw(mutated(okex_captures, json_values(OKEX_KEYS)))
    text = json.dumps(value)
    check(okex_protocol(), _deflate(text.encode()) if data.draw(st.booleans()) else text)


# -- OKX ---------------------------------------------------------------------------------------

OKX_KEYS = ["id", "op", "event", "arg", "channel", "instId", "instType", "uid", "action", "data", "code", "msg",
            "sCode", "sMsg", "connId", "asks", "bids", "ts", "checksum", "seqId", "prevSeqId", "px", "sz",
            "side", "tradeId", "ordId", "clOrdId", "state", "details", "ccy", "instIdCode", "inTime", "outTime"]
OKX_CHANNELS = st.sampled_from(["tickers", "trades", "books", "books5", "bbo-tbt", "books-l2-tbt", "candle1m",
                                "instruments", "status", "orders", "account", "positions", "balance_and_position",
                                "fills", "mark-price", "funding-rate", "opt-summary", "unknown"])
OKX_EVENTS = st.sampled_from(["subscribe", "unsubscribe", "login", "error", "notice", "channel-conn-count",
                              "channel-conn-count-error", "unknown"])
OKX_OPS = st.sampled_from(["order", "batch-orders", "cancel-order", "amend-order", "mass-cancel", "unknown"])
#: The ids okx_protocol() has pending: replies may name them.
OKX_IDS = st.sampled_from(["1", "2", "3", "4", "5", "6", "99"])


def okx_messages() -> st.SearchStrategy[Any]:
    values = json_values(OKX_KEYS)
    arg = st.fixed_dictionaries({}, optional={"channel": OKX_CHANNELS | values, "instId": st.just("BTC-USDT") | values,
                                              "instType": st.just("SPOT") | values, "uid": values})
    push = st.fixed_dictionaries({"arg": arg | values}, optional={
        "action": st.sampled_from(["snapshot", "update"]) | values, "data": st.lists(values, max_size=3) | values})
    event = st.fixed_dictionaries({"event": OKX_EVENTS | values}, optional={
        "id": OKX_IDS | values, "arg": arg | values, "code": values, "msg": values, "connId": values})
    reply = st.fixed_dictionaries({"id": OKX_IDS | values, "op": OKX_OPS | values}, optional={
        "code": st.sampled_from(["0", "1", "2", "60013"]) | values, "msg": values,
        "data": st.lists(st.fixed_dictionaries({}, optional={"sCode": values, "sMsg": values, "ordId": values}),
                         max_size=3) | values})
    return st.one_of(push, event, reply, values)


def okx_protocol() -> OkxProtocol:
    protocol = OkxProtocol()
    protocol.login({"apiKey": "k", "passphrase": "p", "timestamp": "1538054050", "sign": "S"})
    protocol.subscribe([{"channel": "tickers", "instId": "BTC-USDT"}, {"channel": "books", "instId": "BTC-USDT"}])
    protocol.subscribe([{"channel": "orders", "instType": "SPOT"}, {"channel": "account"}])
    protocol.operation("order", [{"instIdCode": 1, "side": "buy"}])
    protocol.operation("batch-cancel-orders", [{"instIdCode": 1, "ordId": "1"}, {"instIdCode": 1, "ordId": "2"}])
    return protocol


@pytest.fixture(scope="module")
def okx_captures() -> list[Any]:
    return _captures("okx", "okx-net") + _captures("okx", "cryptofeed", pattern="OKX.ws.*")


@FUZZ
@given(encoded(okx_messages()))
@example(DEEP)
@example("pong")
@example('{"arg": {"channel": "books", "instId": "BTC-USDT"}, "action": "update", "data": [{"asks": 5}]}')
@example('{"id": "5", "op": "order", "code": "1", "data": [{"sCode": 51008}]}')
def test_okx_receive_raises_only_decode_errors(frame):
    check(okx_protocol(), frame)


@FUZZ
@given(st.data())
def test_okx_mutated_captures_raise_only_decode_errors(okx_captures, data):
    value = data.draw(mutated(okx_captures, json_values(OKX_KEYS)))
    check(okx_protocol(), json.dumps(value))


# -- Coinsuper -----------------------------------------------------------------------------------

_TOPICS = Topics()
COINSUPER_TOPICS = [
    _TOPICS.market_depth("BTC/USD")[1],
    _TOPICS.order_book("BTC/USD", next(iter(OrderBookStep)))[1],
    _TOPICS.kline("BTC/USD", next(iter(CoinsuperInterval)))[1],
    _TOPICS.trades("BTC/USD")[1],
    _TOPICS.balances("a@b.c")[1],
    _TOPICS.orders("a@b.c")[1],
    _TOPICS.user_trades("a@b.c")[1],
    "exchange_ha_prod_hk/api/ws/v1/market/kline/BTC_USD/x",
    "elsewhere/api/ws/v1/market/depth/BTC_USD",
]
COINSUPER_KEYS = ["symbol", "asks", "bids", "amount", "limitPrice", "quantity", "price", "action", "timestamp",
                  "first", "last", "max", "min", "volume", "asset", "available", "currency", "orderNo", "state"]


def _publish(topic: Any, payload: bytes) -> MqttFrame:
    frame = MqttFrame.publish("x", payload)
    frame.topic = topic
    return frame


def _ack(kind: str, ref: Any, codes: Any) -> MqttFrame:
    frame = MqttFrame(kind)
    frame.ref, frame.codes = ref, codes
    return frame


def coinsuper_frames() -> st.SearchStrategy[Any]:
    values = json_values(COINSUPER_KEYS)
    payloads = encoded(values).map(lambda f: f.encode() if isinstance(f, str) else f)
    topics = st.sampled_from(COINSUPER_TOPICS) | st.sampled_from(COINSUPER_TOPICS).map(lambda t: t + "/x") \
        | st.text(max_size=20) | st.none() | SCALARS
    refs = st.integers(0, 5) | SCALARS
    codes = st.lists(st.sampled_from([0, 1, 2, 0x80]) | SCALARS, max_size=3).map(tuple)
    return st.one_of(
        st.builds(_publish, topics, payloads),
        st.builds(_ack, st.sampled_from(["suback", "unsuback", "connack", "other"]), refs, codes),
        st.text(max_size=20),
        st.binary(max_size=20),
    )


def coinsuper_protocol() -> CoinsuperProtocol:
    protocol = CoinsuperProtocol()
    protocol.subscribe(COINSUPER_TOPICS[:4])
    protocol.subscribe(COINSUPER_TOPICS[4:7])
    protocol.unsubscribe(COINSUPER_TOPICS[:1])
    return protocol


@FUZZ
@given(coinsuper_frames())
@example(_publish(COINSUPER_TOPICS[0], DEEP.encode()))
@example(_ack("suback", 1, ("x",)))
def test_coinsuper_receive_raises_only_decode_errors(frame):
    check(coinsuper_protocol(), frame)


def _coinsuper_seeds() -> list[Any]:
    from tests.coinsuper import samples

    return [json.loads(text) for name, text in vars(samples).items()
            if name.isupper() and not name.endswith("_TOPIC") and isinstance(text, str) and text[:1] in "[{"]


@FUZZ
@given(st.data())
def test_coinsuper_mutated_samples_raise_only_decode_errors(data):
    # No Coinsuper capture exists: the document's own samples (tests/coinsuper/samples.py) are the seeds.
    value = data.draw(mutated(_coinsuper_seeds(), json_values(COINSUPER_KEYS)))
    topic = data.draw(st.sampled_from(COINSUPER_TOPICS[:7]))
    check(coinsuper_protocol(), _publish(topic, json.dumps(value).encode()))
