"""Binance fixes of issue 15: exchangeInfo's real ``amendAllowed`` spelling and the flags
it dropped, the executionReport's STP, allocation and peg fields, the missing optional
request parameters, and order-list legs Binance refuses (refused here before sending)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from exwire.binance import BinanceClient, FuturesMarket, converter, event_converter, events, models
from exwire.binance.enums import PegOffsetType, PegPriceType
from exwire.binance.order_models import OrderLeg
from exwire.errors import ConfigurationError
from exwire.testing.binance import BinanceEmulator
from tests.binance.futures_support import Replay
from tests.conftest import timeout

SYMBOL = {"symbol": "BTCUSDT", "status": "TRADING", "baseAsset": "BTC", "quoteAsset": "USDT"}


@pytest.fixture
def replay():
    replay = Replay()
    yield replay
    replay.close()


# -- exchangeInfo -----------------------------------------------------------------------------------


def test_symbol_info_reads_amend_allowed_and_the_dropped_flags():
    info = converter.structure({**SYMBOL, "amendAllowed": True, "opoAllowed": True, "pegInstructionsAllowed": False},
                               models.SymbolInfo)
    assert info.allow_amend is True
    assert info.opo_allowed is True
    assert info.peg_instructions_allowed is False


def test_symbol_info_tolerates_the_old_misspelling():
    assert converter.structure({**SYMBOL, "allowAmend": False}, models.SymbolInfo).allow_amend is False
    # Both present: Binance's real name wins.
    both = converter.structure({**SYMBOL, "allowAmend": False, "amendAllowed": True}, models.SymbolInfo)
    assert both.allow_amend is True
    absent = converter.structure(SYMBOL, models.SymbolInfo)
    assert absent.allow_amend is None and absent.opo_allowed is None and absent.peg_instructions_allowed is None


# -- executionReport ---------------------------------------------------------------------------------

REPORT = {
    "e": "executionReport", "E": 1499405658658, "s": "ETHBTC", "c": "c1", "S": "BUY", "o": "LIMIT", "f": "GTC",
    "q": "1.00000000", "p": "0.10264410", "P": "0.00000000", "F": "0.00000000", "g": -1, "C": "",
    "x": "TRADE_PREVENTION", "X": "EXPIRED", "r": "NONE", "i": 4293153, "l": "0", "z": "0", "L": "0",
    "n": "0", "N": None, "T": 1499405658657, "t": -1, "I": 8641984, "w": False, "m": False, "M": False,
    "O": 1499405658657, "Z": "0", "Y": "0", "Q": "0", "W": 1499405658657, "V": "EXPIRE_MAKER",
    "v": 3, "A": "3.00000000", "B": "1.50000000", "u": 1, "U": 37, "Cs": "ETHBTC", "pl": "0.50000000",
    "pL": "0.10264400", "pY": "0.05132200", "b": "ONE_PARTY_TRADE_REPORT", "a": 1234,
    "gP": "PRIMARY_PEG", "gOT": "PRICE_LEVEL", "gOV": 5, "gp": "0.10264000",
}


@pytest.mark.parametrize("decode", [event_converter.user_data_event,
                                    lambda value: converter.structure(value, events.ExecutionReport)],
                         ids=["hand", "cattrs"])
def test_execution_report_keeps_stp_allocation_and_peg_fields(decode):
    report = decode(REPORT)
    assert isinstance(report, events.ExecutionReport)
    assert report.prevented_match_id == 3
    assert report.prevented_quantity == Decimal("3.00000000")
    assert report.last_prevented_quantity == Decimal("1.50000000")
    assert report.trade_group_id == 1
    assert report.counter_order_id == 37
    assert report.counter_symbol == "ETHBTC"
    assert report.prevented_execution_quantity == Decimal("0.50000000")
    assert report.prevented_execution_price == Decimal("0.10264400")
    assert report.prevented_execution_quote_quantity == Decimal("0.05132200")
    assert report.match_type == "ONE_PARTY_TRADE_REPORT"
    assert report.allocation_id == 1234
    assert report.peg_price_type is PegPriceType.PRIMARY_PEG
    assert report.peg_offset_type is PegOffsetType.PRICE_LEVEL
    assert report.peg_offset_value == 5
    assert report.pegged_price == Decimal("0.10264000")


def test_execution_report_hand_decoder_agrees_with_cattrs_on_the_new_fields():
    assert repr(event_converter.user_data_event(REPORT)) == repr(converter.structure(REPORT, events.ExecutionReport))
    bare = {k: v for k, v in REPORT.items() if k not in ("A", "B", "u", "U", "Cs", "pl", "pL", "pY", "b", "a",
                                                         "gP", "gOT", "gOV", "gp")}
    report = event_converter.user_data_event(bare)
    assert isinstance(report, events.ExecutionReport)
    assert report.prevented_quantity is None and report.allocation_id is None and report.pegged_price is None
    assert repr(report) == repr(converter.structure(bare, events.ExecutionReport))


# -- optional parameters ---------------------------------------------------------------------------------


def test_order_list_place_sends_the_strategy_parameters(replay):
    replay.response = '{"id": 1, "status": 200, "result": {"orderListId": 1, "contingencyType": "OCO", ' \
                      '"listStatusType": "EXEC_STARTED", "listOrderStatus": "EXECUTING", ' \
                      '"listClientOrderId": "x", "transactionTime": 1, "symbol": "BTCUSDT", "orders": []}}'
    replay.client.place_spot_order_list("BTCUSDT", "SELL", "1", "30000", stop_price="29000",
                                        limit_strategy_id=11, limit_strategy_type=1000000,
                                        stop_strategy_id=12, stop_strategy_type=1000001)
    ((name, frame),) = replay.sent
    assert name == "spot" and frame["method"] == "orderList.place"
    params = frame["params"]
    assert (params["limitStrategyId"], params["limitStrategyType"]) == (11, 1000000)
    assert (params["stopStrategyId"], params["stopStrategyType"]) == (12, 1000001)


def test_usdm_order_modify_sends_modify_id(replay):
    replay.response = '{"id": 1, "status": 200, "result": {"symbol": "BTCUSDT", "orderId": 5}}'
    order = replay.client.modify_futures_order(FuturesMarket.USDM, "BTCUSDT", "BUY", "1", "30000", order_id=5,
                                               modify_id=77)
    assert order.order_id == 5
    with pytest.raises(ConfigurationError, match="USDⓈ-M"):
        replay.client.modify_futures_order(FuturesMarket.COINM, "BTCUSD_PERP", "BUY", "1", "30000", order_id=5,
                                           modify_id=77)
    ((name, frame),) = replay.sent
    assert name == "usdm" and frame["method"] == "order.modify" and frame["params"]["modifyId"] == 77


def test_algo_order_place_sends_new_order_resp_type(replay):
    replay.response = '{"id": 1, "status": 200, "result": {"symbol": "BTCUSDT", "algoId": 9}}'
    replay.client.submit_new_futures_algo_order("BTCUSDT", "SELL", "STOP_MARKET", quantity="1",
                                                trigger_price="29000", response_type="RESULT")
    ((name, frame),) = replay.sent
    assert name == "usdm" and frame["method"] == "algoOrder.place"
    assert frame["params"]["newOrderRespType"] == "RESULT"


def test_bad_new_parameters_are_refused_before_sending(replay):
    with pytest.raises(ConfigurationError):
        replay.client.place_spot_order_list("BTCUSDT", "SELL", "1", "30000", stop_price="29000",
                                            limit_strategy_id="eleven")  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError):
        replay.client.submit_new_futures_algo_order("BTCUSDT", "SELL", "STOP_MARKET", quantity="1",
                                                    trigger_price="29000", response_type="FULL")
    assert replay.sent == []


# -- order-list legs -------------------------------------------------------------------------------------

PENDING = OrderLeg(order_type="MARKET", side="SELL", quantity="1")


@pytest.mark.parametrize("working", [
    OrderLeg(order_type="LIMIT", side="BUY", price="30000", quantity="1", time_in_force="GTC", stop_price="29000"),
    OrderLeg(order_type="LIMIT", side="BUY", price="30000", quantity="1", time_in_force="GTC", trailing_delta=100),
    OrderLeg(order_type="STOP_LOSS", side="BUY", price="30000", quantity="1", stop_price="29000"),
    OrderLeg(order_type="MARKET", side="BUY", price="30000", quantity="1"),
], ids=["stop_price", "trailing_delta", "stop_loss", "market"])
def test_illegal_working_legs_are_refused_before_sending(replay, working):
    with pytest.raises(ConfigurationError, match="working"):
        replay.client.place_spot_oto_order_list("BTCUSDT", working, PENDING)
    with pytest.raises(ConfigurationError, match="working"):
        replay.client.place_spot_otoco_order_list(
            "BTCUSDT", working, "SELL", "1", OrderLeg(order_type="LIMIT_MAKER", price="31000"),
            OrderLeg(order_type="STOP_LOSS", stop_price="29000"))
    assert replay.sent == []


def test_a_legal_oto_still_goes_out(replay):
    replay.response = '{"id": 1, "status": 200, "result": {"orderListId": 1, "contingencyType": "OTO", ' \
                      '"listStatusType": "EXEC_STARTED", "listOrderStatus": "EXECUTING", ' \
                      '"listClientOrderId": "x", "transactionTime": 1, "symbol": "BTCUSDT", "orders": []}}'
    working = OrderLeg(order_type="LIMIT", side="BUY", price="30000", quantity="1", time_in_force="GTC")
    replay.client.place_spot_oto_order_list("BTCUSDT", working, PENDING)
    ((_, frame),) = replay.sent
    assert frame["params"]["workingType"] == "LIMIT" and frame["params"]["pendingType"] == "MARKET"


def test_the_emulator_exchange_info_flags_arrive():
    with BinanceEmulator(seed=3) as emulator, \
            BinanceClient(request_timeout=timeout(5), **emulator.client_kwargs()) as client:
        (info,) = client.get_spot_exchange_info("BTCUSDT").symbols
        assert (info.allow_amend, info.opo_allowed, info.peg_instructions_allowed) == (True, True, False)
