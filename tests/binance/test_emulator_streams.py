"""BinanceEmulator's stream endpoints at the wire level: raw JSON frames over a plain websockets
client (combined and raw streams, live SUBSCRIBE and its errors, the message-rate rule, server
pings, diff depth that Binance's local order book procedure syncs to, futures listen keys and
the user-data stream, the COIN-M REST snapshot)."""

from __future__ import annotations

import contextlib
import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from exwire.binance import BinanceClient, FuturesMarket
from exwire.errors import ConfigurationError
from exwire.testing.binance import BinanceEmulator
from tests.conftest import timeout
from tests.helpers import wait_until

U, C = FuturesMarket.USDM, FuturesMarket.COINM


@pytest.fixture
def emu() -> Iterator[BinanceEmulator]:
    with BinanceEmulator(seed=3, stream_scale=0.05, ping_scale=None, market_interval=None) as emulator:
        yield emulator


def _root(emu: BinanceEmulator) -> str:
    return f"ws://{emu.host}:{emu.port}"


def _recv(websocket: ClientConnection, seconds: float = 5.0) -> Any:
    return json.loads(websocket.recv(timeout(seconds)))


def _recv_until(websocket: ClientConnection, predicate: Any, seconds: float = 5.0) -> Any:
    """The first message ``predicate`` accepts (others are skipped)."""
    while True:
        message = _recv(websocket, seconds)
        if predicate(message):
            return message


def _call(websocket: ClientConnection, request: dict[str, Any]) -> Any:
    websocket.send(json.dumps(request))
    return _recv_until(websocket, lambda m: isinstance(m, dict) and "id" in m and ("result" in m or "error" in m))


@contextlib.contextmanager
def _stream(url: str) -> Iterator[ClientConnection]:
    """A stream connection the emulator has finished opening (its URL streams registered): the
    reply to LIST_SUBSCRIPTIONS comes after ``on_open``."""
    with connect(url) as websocket:
        assert "result" in _call(websocket, {"method": "LIST_SUBSCRIPTIONS", "id": 0})
        yield websocket


def test_client_kwargs_give_the_stream_and_rest_roots_of_the_contract(emu: BinanceEmulator) -> None:
    kwargs = emu.client_kwargs()
    root = _root(emu)
    assert kwargs["stream_url"] == f"{root}/spot" and kwargs["usdm_stream_url"] == f"{root}/usdm"
    assert kwargs["coinm_stream_url"] == f"{root}/coinm"
    assert kwargs["coinm_rest_url"] == f"http://{emu.host}:{emu.port}/coinm-rest"
    with BinanceClient(**kwargs) as client:  # the client takes every keyword
        assert client.get_spot_server_time() is not None


def test_combined_stream_in_the_url_pushes_wrapped_trades_with_string_money(emu: BinanceEmulator) -> None:
    with _stream(f"{_root(emu)}/spot/stream?streams=btcusdt@trade/btcusdt@aggTrade") as websocket:
        emu.set_price("BTCUSDT", "30100")  # the generator trades at the new touch
        frames = [_recv(websocket), _recv(websocket)]
    by_stream = {frame["stream"]: frame["data"] for frame in frames}
    trade, aggregate = by_stream["btcusdt@trade"], by_stream["btcusdt@aggTrade"]
    assert trade["e"] == "trade" and trade["s"] == "BTCUSDT" and trade["p"] == "30100.00000000"
    assert isinstance(trade["q"], str) and isinstance(trade["T"], int) and trade["T"] > 1_600_000_000_000
    assert trade["m"] is True and trade["M"] is True
    assert aggregate["e"] == "aggTrade" and aggregate["a"] == aggregate["f"] == aggregate["l"] == trade["t"]


def test_live_subscribe_list_and_unsubscribe_answer_by_id(emu: BinanceEmulator) -> None:
    with connect(f"{_root(emu)}/spot/stream") as websocket:
        assert _call(websocket, {"method": "SUBSCRIBE", "params": ["btcusdt@trade", "ethusdt@depth"], "id": 7}) \
            == {"result": None, "id": 7}
        assert _call(websocket, {"method": "LIST_SUBSCRIPTIONS", "id": 8}) == {
            "result": ["btcusdt@trade", "ethusdt@depth"], "id": 8}
        assert _call(websocket, {"method": "UNSUBSCRIBE", "params": ["ethusdt@depth"], "id": 9}) == {
            "result": None, "id": 9}
        assert _call(websocket, {"method": "LIST_SUBSCRIPTIONS", "id": 10})["result"] == ["btcusdt@trade"]
        assert _call(websocket, {"method": "GET_PROPERTY", "params": ["combined"], "id": 11}) == {
            "result": True, "id": 11}
    requests = [message for _, path, message in emu.streams.requests if path == "/spot/stream"]
    assert [r["id"] for r in requests] == [7, 8, 9, 10, 11]


@pytest.mark.parametrize(("request_", "code"), [
    ({"method": "SUBSCRIBE", "params": ["btcusdt@nonsense"], "id": 1}, 2),
    ({"method": "SUBSCRIBE", "params": "btcusdt@trade", "id": 1}, 2),
    ({"method": "SUBSCRIBE", "params": ["!ticker@arr"], "id": 1}, 2),  # retired on spot
    ({"method": "FROB", "id": 1}, 2),
    ({"params": [], "id": 1}, 2),
    ({"method": "SET_PROPERTY", "params": ["combined", "yes"], "id": 1}, 1),
    ({"method": "SET_PROPERTY", "params": ["colour", True], "id": 1}, 0),
])
def test_bad_control_messages_get_binance_error_codes(emu: BinanceEmulator, request_: dict[str, Any],
                                                      code: int) -> None:
    with connect(f"{_root(emu)}/spot/stream") as websocket:
        reply = _call(websocket, request_)
        assert reply["error"]["code"] == code and isinstance(reply["error"]["msg"], str) and reply["id"] == 1
        assert _call(websocket, {"method": "LIST_SUBSCRIPTIONS", "id": 2})["result"] == []  # nothing subscribed


def test_invalid_json_is_error_3(emu: BinanceEmulator) -> None:
    with connect(f"{_root(emu)}/spot/stream") as websocket:
        websocket.send("{not json")
        assert _recv(websocket)["error"]["code"] == 3


def test_raw_connection_pushes_bare_payloads_and_can_switch_to_combined(emu: BinanceEmulator) -> None:
    with _stream(f"{_root(emu)}/spot/ws/btcusdt@trade/ethusdt@trade") as websocket:
        emu.set_price("ETHUSDT", "2010")
        trade = _recv(websocket)
        assert "stream" not in trade and trade["e"] == "trade" and trade["s"] == "ETHUSDT"
        assert _call(websocket, {"method": "SET_PROPERTY", "params": ["combined", True], "id": 1}) == {
            "result": None, "id": 1}
        emu.set_price("BTCUSDT", "30010")
        assert _recv(websocket)["stream"] == "btcusdt@trade"


def test_more_than_five_messages_a_second_disconnects_with_1008(emu: BinanceEmulator) -> None:
    with connect(f"{_root(emu)}/spot/stream") as websocket:
        for number in range(6):
            websocket.send(json.dumps({"method": "LIST_SUBSCRIPTIONS", "id": number}))
        with pytest.raises(ConnectionClosed):
            while True:
                websocket.recv(timeout(5))
        assert websocket.close_code == 1008 and websocket.close_reason == "Too many requests"


def test_futures_connections_allow_ten_messages_a_second(emu: BinanceEmulator) -> None:
    with connect(f"{_root(emu)}/usdm/market/stream") as websocket:
        for number in range(10):
            websocket.send(json.dumps({"method": "LIST_SUBSCRIPTIONS", "id": number}))
        assert [_recv(websocket)["id"] for _ in range(10)] == list(range(10))


def test_server_pings_stream_connections() -> None:
    with BinanceEmulator(ping_scale=0.01) as emu, connect(f"{_root(emu)}/spot/stream"):
        wait_until(lambda: emu.pings_sent["spot"] >= 2)  # the client's pongs keep it open
        assert len(emu.connections) == 1


def test_unknown_stream_paths_are_refused(emu: BinanceEmulator) -> None:
    for path in ("/spot/nope", "/usdm/stream", "/usdm/public", "/stream"):
        with pytest.raises(Exception, match="404"):
            connect(f"{_root(emu)}{path}")


# -- diff depth and the local order book procedure --------------------------------------------------------


def _api(emu: BinanceEmulator, path: str) -> ClientConnection:
    return connect(f"{_root(emu)}{path}")


def _apply(book: dict[str, dict[Decimal, Decimal]], event: dict[str, Any]) -> None:
    for side, key in (("bids", "b"), ("asks", "a")):
        for price, quantity in event[key]:
            if Decimal(quantity):
                book[side][Decimal(price)] = Decimal(quantity)
            else:
                book[side].pop(Decimal(price), None)


def _sorted(book: dict[str, dict[Decimal, Decimal]]) -> tuple[list[tuple[Decimal, Decimal]], ...]:
    return (sorted(book["bids"].items(), key=lambda i: -i[0]), sorted(book["asks"].items()))


def test_spot_diff_depth_syncs_with_the_ws_api_snapshot_and_shows_an_injected_gap(emu: BinanceEmulator) -> None:
    with _stream(f"{_root(emu)}/spot/stream?streams=btcusdt@depth@100ms") as stream, \
            _api(emu, "/ws-api/v3") as api:
        emu.set_price("BTCUSDT", "30000.50")
        buffered = [_recv(stream)["data"]]
        snapshot = _call(api, {"id": 1, "method": "depth", "params": {"symbol": "BTCUSDT", "limit": 5000}})["result"]
        emu.set_price("BTCUSDT", "29999.00")
        emu.set_price("BTCUSDT", "30001.00")
        buffered += [_recv(stream)["data"], _recv(stream)["data"]]
        last = snapshot["lastUpdateId"]
        assert buffered[0]["U"] <= last  # the first buffered event is older than the snapshot
        book = {"bids": {Decimal(p): Decimal(q) for p, q in snapshot["bids"]},
                "asks": {Decimal(p): Decimal(q) for p, q in snapshot["asks"]}}
        kept = [event for event in buffered if event["u"] > last]
        assert kept[0]["U"] <= last + 1 <= kept[0]["u"]
        for event in kept:
            assert event["e"] == "depthUpdate" and event["s"] == "BTCUSDT" and event["U"] == last + 1
            _apply(book, event)
            last = event["u"]
        assert _sorted(book) == emu.order_book("BTCUSDT") and last == emu.last_update_id("BTCUSDT")
        emu.skip_depth_update("BTCUSDT")
        gap = _recv(stream)["data"]
        assert gap["U"] > last + 1  # a gap: the procedure must resync
        resynced = _call(api, {"id": 2, "method": "depth", "params": {"symbol": "BTCUSDT", "limit": 5000}})["result"]
        assert resynced["lastUpdateId"] == gap["u"] == emu.last_update_id("BTCUSDT")
        assert [[Decimal(p), Decimal(q)] for p, q in resynced["bids"]] == \
            [[p, q] for p, q in emu.order_book("BTCUSDT")[0]]


def test_futures_diff_depth_chains_by_pu_and_the_snapshot_lies_inside_the_next_event(emu: BinanceEmulator) -> None:
    with _stream(f"{_root(emu)}/usdm/public/stream?streams=btcusdt@depth") as stream, \
            _stream(f"{_root(emu)}/usdm/market/stream?streams=btcusdt@depth") as wrong_route, \
            _api(emu, "/ws-fapi/v1") as api:
        snapshot = _call(api, {"id": 1, "method": "depth", "params": {"symbol": "BTCUSDT", "limit": 1000}})["result"]
        emu.set_futures_price("BTCUSDT", "30050.0")
        emu.set_futures_price("BTCUSDT", "30040.0")
        first, second = _recv(stream)["data"], _recv(stream)["data"]
        assert first["U"] <= snapshot["lastUpdateId"] <= first["u"]
        assert second["pu"] == first["u"] and second["U"] != first["u"] + 1  # not contiguous, as on Binance
        assert {"E", "T", "s", "U", "u", "pu", "b", "a"} <= set(first)
        book = {"bids": {Decimal(p): Decimal(q) for p, q in snapshot["bids"]},
                "asks": {Decimal(p): Decimal(q) for p, q in snapshot["asks"]}}
        _apply(book, first)
        _apply(book, second)
        assert _sorted(book) == emu.order_book("BTCUSDT", market=U)
        emu.skip_depth_update("BTCUSDT", market=U)
        assert _recv(stream)["data"]["pu"] != second["u"]
        with pytest.raises(TimeoutError):  # depth belongs to /public: the market route stays silent
            wrong_route.recv(timeout(0.2))


def test_coinm_rest_depth_snapshot_over_http(emu: BinanceEmulator) -> None:
    url = f"{emu.client_kwargs()['coinm_rest_url']}/dapi/v1/depth?symbol=BTCUSD_PERP&limit=10"
    with urllib.request.urlopen(url, timeout=timeout(5)) as response:
        assert response.status == 200 and response.headers["Content-Type"].startswith("application/json")
        body = json.loads(response.read())
    assert body["symbol"] == "BTCUSD_PERP" and body["pair"] == "BTCUSD" and len(body["bids"]) == 10
    assert [Decimal(p) for p, _ in body["bids"]] == [p for p, _ in emu.order_book("BTCUSD_PERP", market=C)[0][:10]]
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(url.replace("limit=10", "limit=7"), timeout=timeout(5))
    assert refused.value.code == 400 and json.loads(refused.value.read())["code"] == -1130


def test_publish_trades_sends_consecutive_ids_in_order_to_every_subscriber(emu: BinanceEmulator) -> None:
    with _stream(f"{_root(emu)}/spot/stream?streams=bnbbtc@trade") as first, \
            _stream(f"{_root(emu)}/spot/ws/bnbbtc@trade") as second:
        emu.publish_trades("BNBBTC", 500)
        combined = [_recv(first)["data"]["t"] for _ in range(500)]
        raw = [_recv(second)["t"] for _ in range(500)]
    assert combined == raw == list(range(combined[0], combined[0] + 500))


def test_periodic_streams_push_typed_payloads(emu: BinanceEmulator) -> None:
    streams = "btcusdt@ticker/btcusdt@kline_1m/btcusdt@depth5/btcusdt@avgPrice/!miniTicker@arr/btcusdt@ticker_1h"
    with connect(f"{_root(emu)}/spot/stream?streams={streams}") as websocket:
        seen: dict[str, Any] = {}
        while len(seen) < 6:
            frame = _recv(websocket)
            seen[frame["stream"]] = frame["data"]
    ticker, kline = seen["btcusdt@ticker"], seen["btcusdt@kline_1m"]["k"]
    assert ticker["e"] == "24hrTicker" and Decimal(ticker["b"]) <= Decimal(ticker["c"]) <= Decimal(ticker["a"])
    assert kline["i"] == "1m" and kline["x"] is False and kline["T"] - kline["t"] == 59_999
    assert len(seen["btcusdt@depth5"]["bids"]) == 5 and "lastUpdateId" in seen["btcusdt@depth5"]
    assert seen["btcusdt@avgPrice"]["i"] == "5m" and seen["btcusdt@ticker_1h"]["e"] == "1hTicker"
    assert {t["s"] for t in seen["!miniTicker@arr"]} >= {"BTCUSDT", "ETHUSDT"}


def test_futures_market_streams_on_their_routes(emu: BinanceEmulator) -> None:
    names = "btcusdt@markPrice@1s/!markPrice@arr/btcusdt_perpetual@continuousKline_1m/btcusdt@ticker"
    with connect(f"{_root(emu)}/usdm/market/stream?streams={names}") as market, \
            _stream(f"{_root(emu)}/usdm/public/stream?streams=btcusdt@bookTicker") as public:
        seen: dict[str, Any] = {}
        while len(seen) < 4:
            frame = _recv(market)
            seen[frame["stream"]] = frame["data"]
        emu.set_futures_price("BTCUSDT", "30200")
        book_ticker = _recv(public)["data"]
    assert seen["btcusdt@markPrice@1s"]["e"] == "markPriceUpdate" and "ap" in seen["btcusdt@markPrice@1s"]
    assert seen["btcusdt_perpetual@continuousKline_1m"]["ct"] == "PERPETUAL"
    assert "b" not in seen["btcusdt@ticker"]  # futures tickers have no best bid/ask
    assert book_ticker["e"] == "bookTicker" and book_ticker["b"] == "30200.00"


# -- futures listen keys and user data ------------------------------------------------------------------------


def test_listen_key_methods_on_futures_and_refused_on_spot(emu: BinanceEmulator) -> None:
    credentials = emu.add_account()
    with _api(emu, "/ws-fapi/v1") as usdm, _api(emu, "/ws-api/v3") as spot:
        key = _call(usdm, {"id": 1, "method": "userDataStream.start", "params": {"apiKey": credentials.key}})
        assert key["status"] == 200 and key["result"]["listenKey"] == emu.listen_key(credentials, U)
        again = _call(usdm, {"id": 2, "method": "userDataStream.start", "params": {"apiKey": credentials.key}})
        assert again["result"] == key["result"]  # the same key while it is active
        assert _call(usdm, {"id": 3, "method": "userDataStream.ping", "params": {"apiKey": credentials.key}}
                     )["result"] == key["result"]
        assert _call(usdm, {"id": 4, "method": "userDataStream.stop", "params": {"apiKey": credentials.key}}
                     )["result"] == {}
        gone = _call(usdm, {"id": 5, "method": "userDataStream.ping", "params": {"apiKey": credentials.key}})
        assert gone["error"]["code"] == -1125
        refused = _call(spot, {"id": 6, "method": "userDataStream.start", "params": {"apiKey": credentials.key}})
        assert refused["status"] == 400 and refused["error"]["code"] == -1020


@pytest.mark.parametrize(("market", "route"), [(U, "/usdm/private/ws?listenKey={}"), (U, "/usdm/private/ws/{}"),
                                               (C, "/coinm/ws/{}")])
def test_a_futures_order_produces_the_account_events_on_the_private_stream(emu: BinanceEmulator, market: Any,
                                                                           route: str) -> None:
    credentials = emu.add_account()
    symbol, quantity = ("BTCUSDT", "0.01") if market is U else ("BTCUSD_PERP", "1")
    with BinanceClient(credentials=credentials, **emu.client_kwargs()) as client:
        path = "/ws-fapi/v1" if market is U else "/ws-dapi/v1"
        with _api(emu, path) as api:
            key = _call(api, {"id": 1, "method": "userDataStream.start", "params": {"apiKey": credentials.key}})
        with _stream(_root(emu) + route.format(key["result"]["listenKey"])) as private:
            order = client.submit_new_futures_order(market, symbol, "BUY", "MARKET", quantity=quantity)
            events = [_recv(private) for _ in range(4 if market is U else 3)]
    expected = ["ORDER_TRADE_UPDATE", "TRADE_LITE", "ORDER_TRADE_UPDATE", "ACCOUNT_UPDATE"]
    if market is C:  # COIN-M has no TRADE_LITE
        expected.remove("TRADE_LITE")
    assert [event["e"] for event in events] == expected
    new, filled = [e["o"] for e in events if e["e"] == "ORDER_TRADE_UPDATE"][:2]
    assert new["x"] == "NEW" and new["X"] == "NEW" and new["i"] == order.order_id
    assert filled["x"] == "TRADE" and filled["X"] == "FILLED" and filled["z"] == filled["q"]
    assert isinstance(filled["L"], str) and Decimal(filled["L"]) > 0 and isinstance(events[0]["E"], int)
    account = next(e for e in events if e["e"] == "ACCOUNT_UPDATE")["a"]
    assert account["m"] == "ORDER" and Decimal(account["P"][0]["pa"]) == Decimal(quantity)


def test_listen_key_expiry_pushes_listen_key_expired(emu: BinanceEmulator) -> None:
    credentials = emu.add_account()
    with _api(emu, "/ws-fapi/v1") as api:
        key = _call(api, {"id": 1, "method": "userDataStream.start", "params": {"apiKey": credentials.key}}
                    )["result"]["listenKey"]
        with _stream(f"{_root(emu)}/usdm/private/ws?listenKey={key}") as private:
            assert emu.expire_listen_key(U) == 1
            expired = _recv(private)
        assert expired == {"e": "listenKeyExpired", "E": expired["E"], "listenKey": key}
        assert isinstance(expired["E"], str)  # as live traffic sends it
        assert _call(api, {"id": 2, "method": "userDataStream.ping", "params": {"apiKey": credentials.key}}
                     )["error"]["code"] == -1125
        renewed = _call(api, {"id": 3, "method": "userDataStream.start", "params": {"apiKey": credentials.key}})
        assert renewed["result"]["listenKey"] != key


def test_listen_key_runs_out_without_pings() -> None:
    with BinanceEmulator(listen_key_validity=0.3, ping_scale=None) as emu:
        credentials = emu.add_account()
        with _api(emu, "/ws-dapi/v1") as api:
            key = _call(api, {"id": 1, "method": "userDataStream.start", "params": {"apiKey": credentials.key}}
                        )["result"]["listenKey"]
        with connect(f"{_root(emu)}/coinm/ws/{key}") as private:
            assert _recv(private)["e"] == "listenKeyExpired"
        assert emu.listen_key(credentials, C) is None


def test_the_private_stream_also_takes_a_subscribed_key(emu: BinanceEmulator) -> None:
    credentials = emu.add_account()
    with _api(emu, "/ws-fapi/v1") as api:
        key = _call(api, {"id": 1, "method": "userDataStream.start", "params": {"apiKey": credentials.key}}
                    )["result"]["listenKey"]
    with _stream(f"{_root(emu)}/usdm/private/stream") as private:
        assert _call(private, {"method": "SUBSCRIBE", "params": ["btcusdt@trade"], "id": 1})["error"]["code"] == 2
        assert _call(private, {"method": "SUBSCRIBE", "params": [key], "id": 2}) == {"result": None, "id": 2}
        assert emu.expire_listen_key(U, credentials) == 1
        frame = _recv(private)
        assert frame["stream"] == key and frame["data"]["e"] == "listenKeyExpired"
        assert frame["data"]["listenKey"] == key


def test_stream_controls_list_drop_and_shut_down_stream_connections(emu: BinanceEmulator) -> None:
    with _stream(f"{_root(emu)}/spot/stream?streams=btcusdt@trade/ethusdt@depth") as spot, \
            _stream(f"{_root(emu)}/usdm/public/ws/btcusdt@bookTicker") as public:
        assert emu.stream_subscriptions(None) == [["btcusdt@trade", "ethusdt@depth"]]
        assert emu.stream_subscriptions(U) == [["btcusdt@bookTicker"]]
        assert len(emu.stream_connections(U, route="public")) == 1 and not emu.stream_connections(C)
        assert emu.send_server_shutdown() >= 2
        combined, raw = _recv(spot), _recv(public)
        assert combined["stream"] == "!serverShutdown" and combined["data"]["e"] == "serverShutdown"
        assert raw["e"] == "serverShutdown" and isinstance(raw["E"], int)
        assert emu.drop_stream_connections(None) == 1
        with pytest.raises(ConnectionClosed):
            spot.recv(timeout(5))
        wait_until(lambda: not emu.stream_connections(None))
        assert len(emu.stream_connections()) == 1


def test_the_market_generator_moves_watched_books_only() -> None:
    with BinanceEmulator(market_interval=0.02, ping_scale=None) as emu:
        before = emu.order_book("ETHUSDT")
        with _stream(f"{_root(emu)}/spot/stream?streams=btcusdt@bookTicker/btcusdt@depth") as websocket:
            first = _recv(websocket)
            frames = [first] + [_recv(websocket) for _ in range(5)]
        assert {f["stream"] for f in frames} == {"btcusdt@bookTicker", "btcusdt@depth"}
        ticker = next(f["data"] for f in frames if f["stream"] == "btcusdt@bookTicker")
        assert Decimal(ticker["b"]) == emu.price("BTCUSDT") == Decimal("30000.00")  # prices stay put
        assert emu.order_book("ETHUSDT") == before  # nobody watches ETHUSDT


def test_coinm_book_streams_carry_the_pair(emu: BinanceEmulator) -> None:
    with _stream(f"{_root(emu)}/coinm/stream?streams=btcusd_perp@depth/btcusd_perp@bookTicker") as websocket:
        emu.set_futures_price("BTCUSD_PERP", "30010.0")
        frames = {frame["stream"]: frame["data"] for frame in (_recv(websocket), _recv(websocket))}
    depth, ticker = frames["btcusd_perp@depth"], frames["btcusd_perp@bookTicker"]
    assert depth["ps"] == ticker["ps"] == "BTCUSD" and depth["s"] == "BTCUSD_PERP" and "pu" in depth
    assert ticker["b"] == "30010.0" and ticker["u"] == depth["u"]


def test_publish_liquidation_pushes_force_orders(emu: BinanceEmulator) -> None:
    with _stream(f"{_root(emu)}/usdm/market/stream?streams=btcusdt@forceOrder/!forceOrder@arr") as websocket:
        emu.publish_liquidation("BTCUSDT", "SELL", "0.5", "29000.1")
        frames = {frame["stream"]: frame["data"] for frame in (_recv(websocket), _recv(websocket))}
    event = frames["btcusdt@forceOrder"]
    assert frames["!forceOrder@arr"] == event and event["e"] == "forceOrder"
    assert event["o"]["s"] == "BTCUSDT" and event["o"]["S"] == "SELL" and event["o"]["q"] == "0.5"
    assert event["o"]["p"] == "29000.1" and event["o"]["X"] == "FILLED"
    with pytest.raises(ConfigurationError):
        emu.publish_liquidation("BTCUSDT", "UP", "1", "1")


def test_the_market_generator_trades_at_the_touch_of_watched_symbols() -> None:
    with BinanceEmulator(market_interval=0.02, ping_scale=None) as emu:
        bid = emu.futures_price("ETHUSDT")  # the last price moves with the trades
        with _stream(f"{_root(emu)}/usdm/public/stream?streams=ethusdt@trade") as websocket:
            trades = [_recv(websocket)["data"] for _ in range(4)]
        assert {Decimal(t["p"]) for t in trades} == {bid, bid + Decimal("0.01")}  # at the bid and the ask
        assert [t["t"] for t in trades] == list(range(trades[0]["t"], trades[0]["t"] + 4))
