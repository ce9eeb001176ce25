"""OkxEmulator's order operations and private pushes, on the wire with websocket-client.

Order ops as https://www.okx.com/docs-v5/en/#order-book-trading-trade-ws-place-order and
its siblings document them: ``id`` echoed, the envelope ``code`` 0/1/2, one
``sCode``/``sMsg`` per order, ``instIdCode`` required, ``expTime`` honoured; and the
``orders``/``fills``/``account``/``positions``/``balance_and_position`` pushes they cause.
"""

from __future__ import annotations

import time
from decimal import Decimal
from typing import Any

import pytest

from exwire.testing.okx import OkxEmulator
from tests.okx.test_emulator import Wire, is_event

BTC = 10001  # instIdCode of BTC-USDT
SWAP = 20001  # BTC-USDT-SWAP


@pytest.fixture
def emulator():
    with OkxEmulator(push_interval=None) as emu:
        yield emu


@pytest.fixture
def trader(emulator):
    """A logged-in /private connection subscribed to orders, fills, account, positions and
    balance_and_position, with every subscription's first messages read."""
    wire = Wire(emulator, "private")
    assert wire.login()["code"] == "0"
    wire.subscribe({"channel": "orders", "instType": "ANY"}, {"channel": "fills"},
                   {"channel": "account"}, {"channel": "positions", "instType": "ANY"},
                   {"channel": "balance_and_position"})
    wire.barrier()
    yield wire
    wire.close()


def op(wire: Wire, name: str, *args: dict[str, Any], request_id: str = "o1", **envelope: Any) -> dict[str, Any]:
    wire.send({"id": request_id, "op": name, "args": list(args), **envelope})
    return wire.expect(lambda m: isinstance(m, dict) and m.get("id") == request_id)


def limit(side: str, px: Any, sz: str = "0.01", **extra: Any) -> dict[str, Any]:
    return {"instIdCode": BTC, "tdMode": "cash", "side": side, "ordType": "limit", "px": str(px),
            "sz": sz, **extra}


def pushes(messages: list[Any], channel: str) -> list[dict[str, Any]]:
    return [item for m in messages if isinstance(m, dict) and m.get("arg", {}).get("channel") == channel
            and "event" not in m for item in m["data"]]


def test_an_order_without_inst_id_code_is_refused_with_50014(emulator, trader):
    order = limit("buy", "50000")
    del order["instIdCode"]
    order["instId"] = "BTC-USDT"  # deprecated: ignored since 2026-02
    reply = op(trader, "order", order)
    assert reply["op"] == "order" and reply["code"] == "1"
    assert reply["data"][0]["sCode"] == "50014" and "instIdCode" in reply["data"][0]["sMsg"]
    assert reply["data"][0]["ordId"] == "" and emulator.orders() == []
    assert op(trader, "order", {**limit("buy", "50000"), "instIdCode": 99999}, request_id="o2")["data"][0]["sCode"] == "51001"


def test_a_resting_limit_order_freezes_funds_and_pushes_live(emulator, trader):
    bid, _ = emulator.best_prices("BTC-USDT")
    reply = op(trader, "order", limit("buy", bid, clOrdId="mine1", tag="t1"))
    assert reply["code"] == "0" and reply["msg"] == ""
    assert int(reply["inTime"]) <= int(reply["outTime"])
    result = reply["data"][0]
    assert set(result) == {"clOrdId", "ordId", "tag", "ts", "sCode", "sMsg"}
    assert result["clOrdId"] == "mine1" and result["tag"] == "t1" and result["sCode"] == "0"
    seen = trader.barrier()
    order = pushes(seen, "orders")[-1]
    assert order["ordId"] == result["ordId"] and order["state"] == "live" and order["px"] == str(bid)
    assert order["instId"] == "BTC-USDT" and order["accFillSz"] == "0"
    frozen = bid * Decimal("0.01")
    usdt = next(d for d in pushes(seen, "account")[-1]["details"] if d["ccy"] == "USDT")
    assert Decimal(usdt["frozenBal"]) == frozen and Decimal(usdt["availBal"]) == 100000 - frozen
    assert emulator.balances()["USDT"] == (100000 - frozen, frozen)
    assert pushes(seen, "fills") == [] and pushes(seen, "balance_and_position") == []


def test_a_marketable_order_fills_at_the_touch_and_settles(emulator, trader):
    _, ask = emulator.best_prices("BTC-USDT")
    reply = op(trader, "order", limit("buy", ask + 100, sz="0.1"))
    assert reply["data"][0]["sCode"] == "0"
    seen = trader.barrier()
    order = pushes(seen, "orders")[-1]
    assert order["state"] == "filled" and order["fillPx"] == str(ask) and order["avgPx"] == str(ask)
    assert order["execType"] == "T" and order["fillSz"] == "0.1"
    fill = pushes(seen, "fills")[-1]
    assert fill["ordId"] == order["ordId"] and fill["fillPx"] == str(ask) and fill["side"] == "buy"
    fee = Decimal("0.1") * Decimal("0.001")
    assert Decimal(order["fee"]) == -fee and order["feeCcy"] == "BTC"
    balances = emulator.balances()
    assert balances["BTC"] == (2 + Decimal("0.1") - fee, 0)
    assert balances["USDT"] == (100000 - ask * Decimal("0.1"), 0)
    update = pushes(seen, "balance_and_position")[-1]
    assert update["eventType"] == "filled" and {b["ccy"] for b in update["balData"]} == {"BTC", "USDT"}
    assert update["trades"] == [{"instId": "BTC-USDT", "tradeId": fill["tradeId"]}]
    assert emulator.last_price("BTC-USDT") == ask


def test_a_market_buy_is_sized_in_quote_currency_by_default(emulator, trader):
    _, ask = emulator.best_prices("BTC-USDT")
    reply = op(trader, "order", {"instIdCode": BTC, "tdMode": "cash", "side": "buy", "ordType": "market", "sz": "1000"})
    assert reply["data"][0]["sCode"] == "0"
    order = emulator.order(reply["data"][0]["ordId"])
    assert order["state"] == "filled" and order["tgtCcy"] == "quote_ccy"
    assert Decimal(order["accFillSz"]) * ask <= 1000 < (Decimal(order["accFillSz"]) + Decimal("0.00000001")) * ask + 1


def test_insufficient_funds_are_refused_with_51008(emulator, trader):
    reply = op(trader, "order", limit("sell", "70000", sz="3"))
    assert reply["code"] == "1"
    assert reply["data"][0]["sCode"] == "51008" and "BTC" in reply["data"][0]["sMsg"]
    assert trader.barrier() == []


@pytest.mark.parametrize(("change", "code"), [
    ({"sz": "0.000001"}, "51020"),
    ({"sz": "0.000010001"}, "51121"),
    ({"px": ""}, "50014"),
    ({"px": "60000.05"}, "51000"),
    ({"side": "up"}, "51000"),
    ({"ordType": "stop"}, "51000"),
    ({"tdMode": "cross"}, "51000"),
    ({"clOrdId": "not-alnum"}, "51000"),
])
def test_invalid_orders_get_their_s_code(trader, change, code):
    assert op(trader, "order", {**limit("buy", "50000"), **change})["data"][0]["sCode"] == code


def test_a_duplicated_client_order_id_is_refused(trader):
    assert op(trader, "order", limit("buy", "50000", clOrdId="dup"))["data"][0]["sCode"] == "0"
    assert op(trader, "order", limit("buy", "50000", clOrdId="dup"), request_id="o2")["data"][0]["sCode"] == "51016"


def test_batch_orders_report_each_order_and_a_partial_code(emulator, trader):
    reply = op(trader, "batch-orders", limit("buy", "50000"), limit("sell", "90000", sz="5"),
               limit("buy", "50000.1"))
    assert reply["op"] == "batch-orders" and reply["code"] == "2"
    assert [r["sCode"] for r in reply["data"]] == ["0", "51008", "0"]
    assert len(emulator.orders("live")) == 2
    too_many = op(trader, "batch-orders", *[limit("buy", "50000")] * 21, request_id="o2")
    assert too_many["code"] == "60013" and too_many["data"] == []


def test_cancel_order_by_either_id_and_unknown_orders_give_51400(emulator, trader):
    first = op(trader, "order", limit("buy", "50000", clOrdId="c1"))["data"][0]["ordId"]
    op(trader, "order", limit("buy", "50000"), request_id="o2")
    trader.barrier()
    reply = op(trader, "cancel-order", {"instIdCode": BTC, "clOrdId": "c1"}, request_id="c1")
    assert reply["code"] == "0" and reply["data"][0]["ordId"] == first
    assert set(reply["data"][0]) == {"clOrdId", "ordId", "ts", "sCode", "sMsg"}
    canceled = pushes(trader.barrier(), "orders")[-1]
    assert canceled["state"] == "canceled" and canceled["ordId"] == first
    again = op(trader, "cancel-order", {"instIdCode": BTC, "ordId": first}, request_id="c2")
    assert again["code"] == "1" and again["data"][0]["sCode"] == "51400"
    assert emulator.balances()["USDT"][1] == Decimal("500")  # the second order still holds 0.01 * 50000


def test_batch_cancel_orders(emulator, trader):
    ids = [r["ordId"] for r in op(trader, "batch-orders", limit("buy", "50000"), limit("buy", "50001"))["data"]]
    reply = op(trader, "batch-cancel-orders", *[{"instIdCode": BTC, "ordId": i} for i in ids],
               {"instIdCode": BTC, "ordId": "1"}, request_id="c1")
    assert reply["code"] == "2" and [r["sCode"] for r in reply["data"]] == ["0", "0", "51400"]
    assert emulator.orders("live") == [] and emulator.balances()["USDT"] == (Decimal(100000), 0)


def test_amend_order_changes_price_and_size_and_echoes_the_req_id(emulator, trader):
    ord_id = op(trader, "order", limit("buy", "50000"))["data"][0]["ordId"]
    trader.barrier()
    reply = op(trader, "amend-order", {"instIdCode": BTC, "ordId": ord_id, "newPx": "51000", "newSz": "0.02",
                                       "reqId": "r1"}, request_id="a1")
    assert reply["code"] == "0" and reply["data"][0]["reqId"] == "r1" and reply["data"][0]["sCode"] == "0"
    amended = pushes(trader.barrier(), "orders")[-1]
    assert amended["px"] == "51000" and amended["sz"] == "0.02" and amended["amendResult"] == "0"
    assert amended["reqId"] == "r1"
    assert emulator.balances()["USDT"][1] == Decimal("1020")
    missing = op(trader, "amend-order", {"instIdCode": BTC, "ordId": "42", "newPx": "1"}, request_id="a2")
    assert missing["code"] == "1" and missing["data"][0]["sCode"] == "51503"


def test_batch_amend_orders_and_an_amend_through_the_touch_fills(emulator, trader):
    ids = [r["ordId"] for r in op(trader, "batch-orders", limit("buy", "50000"), limit("buy", "50001"))["data"]]
    _, ask = emulator.best_prices("BTC-USDT")
    reply = op(trader, "batch-amend-orders", {"instIdCode": BTC, "ordId": ids[0], "newSz": "0.03"},
               {"instIdCode": BTC, "ordId": ids[1], "newPx": str(ask)}, request_id="a1")
    assert reply["code"] == "0" and len(reply["data"]) == 2
    assert emulator.order(ids[0])["sz"] == "0.03" and emulator.order(ids[1])["state"] == "filled"


def test_a_partial_fill_then_the_rest(emulator, trader):
    ord_id = op(trader, "order", limit("sell", "70000", sz="0.5"))["data"][0]["ordId"]
    trader.barrier()
    emulator.fill_order(ord_id, "0.2")
    partial = pushes(trader.barrier(), "orders")[-1]
    assert partial["state"] == "partially_filled" and partial["accFillSz"] == "0.2" and partial["execType"] == "M"
    emulator.fill_order(ord_id)
    seen = trader.barrier()
    assert pushes(seen, "orders")[-1]["state"] == "filled"
    assert [f["fillSz"] for f in pushes(seen, "fills")] == ["0.3"]
    assert emulator.balances()["BTC"] == (Decimal("1.5"), 0)


def test_exp_time_in_the_past_is_not_processed(emulator, trader):
    past = str(int(time.time() * 1000) - 1000)
    reply = op(trader, "order", limit("buy", "50000"), expTime=past)
    assert reply["code"] == "50102" and reply["data"] == [] and emulator.orders() == []
    future = str(int(time.time() * 1000) + 60_000)
    assert op(trader, "order", limit("buy", "50000"), request_id="o2", expTime=future)["code"] == "0"


def test_ops_need_a_login_an_id_and_the_right_endpoint(emulator):
    private, public = Wire(emulator, "private"), Wire(emulator)
    try:
        early = op(private, "order", limit("buy", "50000"))
        assert early["event"] == "error" and early["code"] == "60011"
        assert op(public, "order", limit("buy", "50000"))["code"] == "60019"
        assert private.login()["code"] == "0"
        private.send({"op": "order", "args": [limit("buy", "50000")]})
        assert private.expect(is_event("error"))["code"] == "60012"
        assert op(private, "mass-cancel", {"instType": "OPTION", "instFamily": "BTC-USD"})["code"] == "60019"
    finally:
        private.close()
        public.close()
    assert emulator.orders() == []


def test_swap_orders_open_a_position_and_push_it(emulator, trader):
    _, ask = emulator.best_prices("BTC-USDT-SWAP")
    reply = op(trader, "order", {"instIdCode": SWAP, "tdMode": "cross", "side": "buy", "ordType": "market", "sz": "2"})
    assert reply["data"][0]["sCode"] == "0"
    seen = trader.barrier()
    position = pushes(seen, "positions")[-1]
    assert position["instId"] == "BTC-USDT-SWAP" and position["pos"] == "2" and position["avgPx"] == str(ask)
    assert position["mgnMode"] == "cross" and position["posSide"] == "net"
    assert pushes(seen, "balance_and_position")[-1]["posData"][0]["pos"] == "2"
    margin = 2 * Decimal("0.01") * ask / 10
    assert emulator.balances()["USDT"][1] == margin
    bid, _ = emulator.best_prices("BTC-USDT-SWAP")
    op(trader, "order", {"instIdCode": SWAP, "tdMode": "cross", "side": "sell", "ordType": "market", "sz": "2"},
       request_id="o2")
    closed = pushes(trader.barrier(), "positions")[-1]
    assert closed["pos"] == "0" and Decimal(closed["realizedPnl"]) == (bid - ask) * 2 * Decimal("0.01")
    assert emulator.positions() == []


def test_mass_cancel_on_business_cancels_the_option_family(emulator, trader):
    business = Wire(emulator, "business")
    try:
        option = {"instIdCode": 40001, "tdMode": "cross", "side": "buy", "ordType": "limit", "px": "0.01", "sz": "1"}
        assert op(trader, "order", option)["data"][0]["sCode"] == "0"
        op(trader, "order", limit("buy", "50000"), request_id="o2")
        trader.barrier()
        assert business.login()["code"] == "0"
        reply = op(business, "mass-cancel", {"instType": "OPTION", "instFamily": "BTC-USD", "lockInterval": "0"})
        assert reply["code"] == "0" and reply["data"] == [{"result": True}]
        canceled = pushes(trader.barrier(), "orders")
        assert [o["instType"] for o in canceled] == ["OPTION"] and canceled[0]["state"] == "canceled"
        assert [o["instId"] for o in emulator.orders("live")] == ["BTC-USDT"]
    finally:
        business.close()


def test_withhold_next_reply_places_the_order_silently(emulator, trader):
    emulator.withhold_next_reply("order")
    trader.send({"id": "w1", "op": "order", "args": [limit("buy", "50000")]})
    seen = trader.barrier()
    assert all(m.get("id") != "w1" for m in seen) and pushes(seen, "orders")[-1]["state"] == "live"
    assert len(emulator.orders("live")) == 1
    assert [r[2]["id"] for r in emulator.requests("order")] == ["w1"]


def test_the_orders_channel_filters_by_instrument_type(emulator):
    wire = Wire(emulator, "private")
    try:
        assert wire.login()["code"] == "0"
        wire.subscribe({"channel": "orders", "instType": "SWAP"})
        wire.barrier()
        op(wire, "order", limit("buy", "50000"))
        assert pushes(wire.barrier(), "orders") == []
    finally:
        wire.close()


def test_resting_orders_fill_when_the_market_trades_through_them(emulator, trader):
    bid, ask = emulator.best_prices("BTC-USDT")
    ord_id = op(trader, "order", limit("buy", bid))["data"][0]["ordId"]
    for _ in range(200):
        if emulator.order(ord_id)["state"] == "filled":
            break
        emulator.step(inst_id="BTC-USDT")
    order = emulator.order(ord_id)
    assert order["state"] == "filled" and Decimal(order["avgPx"]) <= bid and order["execType"] == "M"
    assert pushes(trader.barrier(), "fills")[-1]["ordId"] == ord_id
    low, high = emulator.best_prices("BTC-USDT")
    assert low <= emulator.last_price("BTC-USDT") <= high


def test_deposits_and_withdrawals_push_on_business_and_change_the_balance(emulator):
    business = Wire(emulator, "business")
    try:
        assert business.login()["code"] == "0"
        business.subscribe({"channel": "deposit-info"}, {"channel": "withdrawal-info", "ccy": "USDT"})
        business.barrier()
        emulator.push_deposit("BTC", "0.5")
        emulator.push_withdrawal("USDT", "100")
        seen = business.barrier()
    finally:
        business.close()
    deposit, withdrawal = pushes(seen, "deposit-info")[0], pushes(seen, "withdrawal-info")[0]
    assert deposit["ccy"] == "BTC" and deposit["amt"] == "0.5" and "depId" in deposit
    assert withdrawal["ccy"] == "USDT" and withdrawal["amt"] == "100" and "wdId" in withdrawal
    assert emulator.balances()["BTC"][0] == Decimal("2.5") and emulator.balances()["USDT"][0] == Decimal(99900)


def test_private_snapshots_on_subscribe(emulator):
    wire = Wire(emulator, "private")
    try:
        assert wire.login()["code"] == "0"
        wire.subscribe({"channel": "balance_and_position"}, {"channel": "account-greeks"},
                       {"channel": "liquidation-warning", "instType": "SWAP"})
        seen = wire.barrier()
    finally:
        wire.close()
    snapshot = pushes(seen, "balance_and_position")[0]
    assert snapshot["eventType"] == "snapshot" and {b["ccy"] for b in snapshot["balData"]} == {"USDT", "BTC", "ETH"}
    assert {g["ccy"] for g in pushes(seen, "account-greeks")} == {"USDT", "BTC", "ETH"}
    assert pushes(seen, "liquidation-warning") == []
    acks = [m for m in seen if m.get("event") == "subscribe"]
    assert len(acks) == 3
    assert all(m["arg"]["uid"] for m in seen if "data" in m)


def test_fail_next_refuses_a_whole_request_and_refuse_next_order_one_order(emulator, trader):
    emulator.fail_next("order", "50011", "Rate limit reached. Please refer to API documentation and throttle requests accordingly.")
    limited = op(trader, "order", limit("buy", "50000"))
    assert limited["code"] == "50011" and limited["data"] == [] and limited["msg"].startswith("Rate limit")
    emulator.refuse_next_order("51149", "Order timed out. Please try again.")
    batch = op(trader, "batch-orders", limit("buy", "50000"), limit("buy", "50000"), request_id="o2")
    assert batch["code"] == "2" and [r["sCode"] for r in batch["data"]] == ["51149", "0"]
    assert len(emulator.orders()) == 1
    emulator.fail_next("subscribe", "60014", "Requests too frequent.")
    trader.subscribe({"channel": "fills"}, request_id="s9")
    assert trader.expect(is_event("error"))["code"] == "60014"


def test_each_push_shows_the_order_as_it_was_and_cancels_are_no_fills(emulator, trader):
    ord_id = op(trader, "order", limit("buy", "50000"))["data"][0]["ordId"]
    trader.barrier()
    _, ask = emulator.best_prices("BTC-USDT")
    op(trader, "amend-order", {"instIdCode": BTC, "ordId": ord_id, "newPx": str(ask), "reqId": "r7"}, request_id="a1")
    states = [(o["state"], o["amendResult"], o["reqId"]) for o in pushes(trader.barrier(), "orders")]
    assert states == [("live", "0", "r7"), ("filled", "", "")]
    second = op(trader, "order", limit("buy", "50000"), request_id="o2")["data"][0]["ordId"]
    trader.barrier()
    op(trader, "cancel-order", {"instIdCode": BTC, "ordId": second}, request_id="c1")
    seen = trader.barrier()
    assert [o["state"] for o in pushes(seen, "orders")] == ["canceled"]
    assert pushes(seen, "balance_and_position") == [] and len(pushes(seen, "account")) == 1



def test_account_pushes_regularly_unless_update_interval_is_0(emulator):
    from exwire.testing._okx.controls import REGULAR_STEPS

    wire = Wire(emulator, "private")
    try:
        assert wire.login()["code"] == "0"
        wire.subscribe({"channel": "account", "ccy": "BTC"},
                       {"channel": "account", "ccy": "USDT", "extraParams": '{"updateInterval": "0"}'})
        wire.barrier()
        emulator.step(REGULAR_STEPS)
        regular = [m["arg"].get("ccy") for m in wire.barrier() if m.get("arg", {}).get("channel") == "account"]
        wire.subscribe({"channel": "account", "extraParams": "{not json"}, request_id="s2")
        bad = wire.expect(is_event("error"))
    finally:
        wire.close()
    assert regular == ["BTC"]
    assert bad["code"] == "60013" and bad["id"] == "s2"


def test_algo_orders_and_liquidation_warnings_reach_their_subscribers(emulator, trader):
    business = Wire(emulator, "business")
    try:
        assert business.login()["code"] == "0"
        business.subscribe({"channel": "orders-algo", "instType": "SPOT"},
                           {"channel": "algo-advance", "instType": "ANY"})
        business.barrier()
        algo_id = emulator.push_algo_order("BTC-USDT", trigger_price="65000")
        iceberg = emulator.push_algo_order("BTC-USDT-SWAP", ord_type="iceberg", advance=True)
        emulator.push_algo_order("BTC-USDT-SWAP")  # SWAP: not for the SPOT subscription
        seen = business.barrier()
    finally:
        business.close()
    algos = pushes(seen, "orders-algo")
    assert [(a["algoId"], a["triggerPx"], a["state"]) for a in algos] == [(algo_id, "65000", "live")]
    assert [a["algoId"] for a in pushes(seen, "algo-advance")] == [iceberg]
    trader.subscribe({"channel": "liquidation-warning", "instType": "SWAP"}, request_id="s2")
    op(trader, "order", {"instIdCode": SWAP, "tdMode": "cross", "side": "sell", "ordType": "market", "sz": "1"})
    trader.barrier()
    assert emulator.push_liquidation_warning() == 1
    warning = pushes(trader.barrier(), "liquidation-warning")
    assert [(w["instId"], w["pos"]) for w in warning] == [("BTC-USDT-SWAP", "-1")]
