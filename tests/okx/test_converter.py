"""OKX v5 pushes → models: every JKorf/OKX.Net transcript parses with no wire field dropped."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import attrs
import pytest

from exwire.errors import DecodeError, ExchangeError
from exwire.models import Level, Side, TimeInForce
from exwire.okx import converter
from exwire.okx.enums import InstrumentType, KlineInterval, OrderStatus, OrderType
from exwire.okx.models import (
    AccountBalance,
    AlgoOrder,
    BalanceAndPosition,
    DepositUpdate,
    EstimatedPrice,
    FundingRate,
    Greeks,
    IndexTicker,
    Instrument,
    MarkPrice,
    OpenInterest,
    OptionSummary,
    Order,
    Position,
    PriceLimit,
    SystemStatus,
    Ticker,
    Trade,
    UserTrade,
    WithdrawalUpdate,
)
from tests.okx.fixtures import transcript_push

# transcript → (converter, model)
CASES: list[tuple[tuple[str, ...], Any, type]] = [
    (("ExchangeData", "Ticker.txt"), converter.ticker_from_wire, Ticker),
    (("ExchangeData", "Trades.txt"), converter.trade_from_wire, Trade),
    (("ExchangeData", "MarkPrice.txt"), converter.mark_price_from_wire, MarkPrice),
    (("ExchangeData", "FundingRate.txt"), converter.funding_rate_from_wire, FundingRate),
    (("ExchangeData", "Interest.txt"), converter.open_interest_from_wire, OpenInterest),
    (("ExchangeData", "IndexTicker.txt"), converter.index_ticker_from_wire, IndexTicker),
    (("ExchangeData", "PriceLimit.txt"), converter.price_limit_from_wire, PriceLimit),
    (("ExchangeData", "EstimatedPrice.txt"), converter.estimated_price_from_wire, EstimatedPrice),
    (("ExchangeData", "OptionSummary.txt"), converter.option_summary_from_wire, OptionSummary),
    (("ExchangeData", "Symbol.txt"), converter.instrument_from_wire, Instrument),
    (("ExchangeData", "SystemStatus.txt"), converter.system_status_from_wire, SystemStatus),
    (("Account", "Balance.txt"), converter.account_from_wire, AccountBalance),
    (("Account", "BalanceAndPosition.txt"), converter.balance_and_position_from_wire, BalanceAndPosition),
    (("Account", "Deposit.txt"), converter.deposit_from_wire, DepositUpdate),
    (("Account", "Withdrawal.txt"), converter.withdrawal_from_wire, WithdrawalUpdate),
    (("Account", "Greeks.txt"), converter.greeks_from_wire, Greeks),
    (("Trading", "Order.txt"), converter.order_from_wire, Order),
    (("Trading", "UserTrade.txt"), converter.user_trade_from_wire, UserTrade),
    (("Trading", "Position.txt"), converter.position_from_wire, Position),
    (("Trading", "LiquidationWarning.txt"), converter.position_from_wire, Position),
    (("Trading", "AlgoOrder.txt"), converter.algo_order_from_wire, AlgoOrder),
    (("Trading", "AdvancedAlgoOrder.txt"), converter.algo_order_from_wire, AlgoOrder),
]


def _assert_no_field_dropped(model: Any, item: dict[str, Any]) -> None:
    """Every field filled from a wire name the item carries (non-empty) holds a value, typed."""
    for field, wire in converter.FIELDS[type(model)].items():
        value = getattr(model, field)
        if item.get(wire) not in (None, ""):
            assert value is not None, f"{type(model).__name__}.{field} dropped {wire}={item[wire]!r}"
        assert not isinstance(value, float), f"{field} is a float"
        if isinstance(value, datetime):
            assert value.tzinfo is not None


@pytest.mark.parametrize(("parts", "convert", "model"), CASES, ids=["/".join(c[0]) for c in CASES])
def test_every_transcript_push_parses_with_no_field_dropped(parts: tuple[str, ...], convert: Any, model: type) -> None:
    push = transcript_push("Subscriptions", "Unified", *parts)
    assert push["data"], "the transcript has data"
    for item in push["data"]:
        result = convert(item)
        assert type(result) is model
        _assert_no_field_dropped(result, item)
        for nested_name in ("details", "balances", "positions", "trades"):
            nested = getattr(result, nested_name, None)
            wire = {"details": "details", "balances": "balData", "positions": "posData", "trades": "trades"}[nested_name]
            if isinstance(nested, tuple) and item.get(wire):
                assert len(nested) == len(item[wire])
                for sub, sub_item in zip(nested, item[wire], strict=True):
                    _assert_no_field_dropped(sub, sub_item)


def test_spot_ticker_volumes_are_base_and_quote() -> None:
    item = transcript_push("Subscriptions", "Unified", "ExchangeData", "Ticker.txt")["data"][0]
    ticker = converter.ticker_from_wire({**item, "vol24h": "10", "volCcy24h": "99000"})
    assert ticker.instrument_type is InstrumentType.SPOT
    assert (ticker.volume, ticker.quote_volume, ticker.contract_volume) == (Decimal("10"), Decimal("99000"), None)
    assert ticker.time == datetime(2020, 8, 10, 2, 26, 23, 85000, tzinfo=UTC)
    assert ticker.bid_price == Decimal("8888.88")


def test_derivative_ticker_volumes_are_contracts_and_base() -> None:
    ticker = converter.ticker_from_wire({"instType": "SWAP", "instId": "BTC-USDT-SWAP", "last": "1",
                                         "vol24h": "500", "volCcy24h": "5", "ts": "1"})
    assert (ticker.volume, ticker.quote_volume, ticker.contract_volume) == (Decimal("5"), None, Decimal("500"))


def test_candles_of_spot_and_swap() -> None:
    row = transcript_push("Subscriptions", "Unified", "ExchangeData", "Klines.txt")["data"][0]
    spot = converter.kline_from_wire("ETH-USDT", KlineInterval.ONE_DAY, row)
    assert (spot.open, spot.close, spot.volume, spot.quote_volume, spot.contract_volume, spot.closed) == (
        Decimal("8533.02"), Decimal("8548.26"), Decimal("45247"), Decimal("5529.5858061"), None, False)
    swap = converter.kline_from_wire("ETH-USDT-SWAP", KlineInterval.ONE_DAY, [*row[:8], "1"])
    assert (swap.volume, swap.quote_volume, swap.contract_volume, swap.closed) == (
        Decimal("529.5858061"), Decimal("5529.5858061"), Decimal("45247"), True)
    assert swap.close_time is None and swap.trade_count is None
    mark = transcript_push("Subscriptions", "Unified", "ExchangeData", "MarkPriceKlines.txt")["data"][0]
    price = converter.price_kline_from_wire("ETH-USDT", KlineInterval.ONE_DAY, mark)
    assert (price.open, price.high, price.low, price.close, price.closed) == (
        Decimal("3.721"), Decimal("3.743"), Decimal("3.677"), Decimal("3.708"), False)


def test_order_fields_and_time_in_force() -> None:
    item = transcript_push("Subscriptions", "Unified", "Trading", "Order.txt")["data"][0]
    order = converter.order_from_wire(item)
    assert order.order_id == "452197707845865472" and order.client_order_id is None
    assert (order.side, order.order_type, order.status) == (Side.SELL, OrderType.LIMIT, OrderStatus.FILLED)
    assert order.time_in_force is TimeInForce.GTC
    assert order.fee == Decimal("-0.02522168") and order.fee_asset == "USDT"
    assert converter.order_from_wire({**item, "ordType": "ioc"}).time_in_force is TimeInForce.IOC
    unknown = converter.order_from_wire({**item, "state": "new_state"})
    assert unknown.status is not None and not unknown.status.is_known and unknown.status.value == "new_state"


def test_fills_say_maker_and_carry_no_fee() -> None:
    item = transcript_push("Subscriptions", "Unified", "Trading", "UserTrade.txt")["data"][0]
    fill = converter.user_trade_from_wire(item)
    assert fill.is_maker is False and fill.fee is None and fill.count == 10
    assert converter.user_trade_from_wire({**item, "execType": "M"}).is_maker is True


def test_book_levels_keep_wire_exponents_and_checksum_zero_is_none() -> None:
    push = transcript_push("Subscriptions", "Unified", "ExchangeData", "OrderBook.txt")
    book = converter.book_from_wire("ETH-USDT", push["data"][0], True)
    assert book.asks[0] == Level(Decimal("8476.98"), Decimal("415"))
    assert (book.sequence, book.previous_sequence, book.checksum) == (123456, -1, -855196043)
    tiny = converter.book_from_wire("X-Y", {"bids": [["1", "0.00000062", "0", "1"]], "asks": [], "checksum": 0}, False)
    assert format(tiny.bids[0].quantity, "f") == "0.00000062" and tiny.checksum is None


def test_order_result_maps_a_failed_code() -> None:
    made = []

    def error(code: str, message: str) -> ExchangeError:
        made.append((code, message))
        return ExchangeError("okx", code, message)

    ok = converter.order_result_from_wire({"ordId": "1", "clOrdId": "", "sCode": "0", "sMsg": "", "ts": "1"}, error)
    assert ok.ok and ok.order_id == "1" and ok.client_order_id is None and not made
    failed = converter.order_result_from_wire({"ordId": "", "sCode": "51008", "sMsg": "no money"}, error)
    assert not failed.ok and failed.code == "51008" and made == [("51008", "no money")]


@pytest.mark.parametrize("bad", [None, [], "x", {"instId": "A-B", "tradeId": "1", "px": "nan?", "sz": "1", "ts": "1"},
                                 {"instId": 5, "ts": "1"}])
def test_malformed_items_raise_decode_error(bad: Any) -> None:
    with pytest.raises(DecodeError):
        converter.trade_from_wire(bad)


def test_models_are_frozen() -> None:
    trade = converter.trade_from_wire({"instId": "A-B", "tradeId": "1", "px": "1", "sz": "2", "side": "buy", "ts": "1"})
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        trade.price = Decimal(2)  # type: ignore[misc]
