"""OKX API v5 payloads → :mod:`exwire.okx.models`: the only module that knows OKX's wire names.

Each converter takes one item of a push's ``data`` array (an object, or an array for the
candle channels) as OKX's v5 documentation (https://www.okx.com/docs-v5/en/) describes
it. Prices, sizes and times arrive as JSON strings; ``""`` means "not applicable" and
becomes ``None``. :data:`FIELDS` lists, per model, which wire name fills which field
(the models' other fields are derived: volumes by instrument type, ``time_in_force``
from the order type ...).

Every function raises :class:`exwire.errors.DecodeError` (cause chained) when the
payload does not have the documented shape; it never returns a partial model. Pure
functions, safe from any thread.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any, TypeVar

from exwire._core.codec import MALFORMED, decimal_from_wire, epoch_ms_to_datetime, malformed
from exwire.errors import DecodeError, ExchangeError
from exwire.models import Level, Side, TimeInForce
from exwire.okx.arguments import AmendOrder, CancelOrder, PlaceOrder
from exwire.okx.enums import (
    InstrumentType,
    KlineInterval,
    MarginMode,
    OrderStatus,
    OrderType,
    PositionSide,
    TradeMode,
)
from exwire.okx.models import (
    AccountBalance,
    AlgoOrder,
    AssetBalance,
    BalanceAndPosition,
    CashBalance,
    DepositUpdate,
    EstimatedPrice,
    FundingRate,
    Greeks,
    IndexTicker,
    Instrument,
    Kline,
    MarkPrice,
    OpenInterest,
    OptionSummary,
    Order,
    OrderBookUpdate,
    OrderResult,
    Position,
    PositionTrade,
    PriceKline,
    PriceLimit,
    SystemStatus,
    Ticker,
    Trade,
    UserTrade,
    WithdrawalUpdate,
)
from exwire.okx.symbols import instrument_type_of

__all__ = [
    "FIELDS",
    "ticker_from_wire",
    "trade_from_wire",
    "kline_from_wire",
    "price_kline_from_wire",
    "book_from_wire",
    "mark_price_from_wire",
    "funding_rate_from_wire",
    "open_interest_from_wire",
    "index_ticker_from_wire",
    "price_limit_from_wire",
    "estimated_price_from_wire",
    "option_summary_from_wire",
    "instrument_from_wire",
    "system_status_from_wire",
    "account_from_wire",
    "balance_and_position_from_wire",
    "position_from_wire",
    "order_from_wire",
    "user_trade_from_wire",
    "algo_order_from_wire",
    "greeks_from_wire",
    "deposit_from_wire",
    "withdrawal_from_wire",
    "order_result_from_wire",
    "order_args",
    "cancel_args",
    "amend_args",
]

M = TypeVar("M")


# -- field parsers: "" and None are "not applicable" --------------------------------------


def _dec(value: Any) -> Decimal | None:
    return None if value is None or value == "" else decimal_from_wire(value)


def _time(value: Any) -> datetime | None:
    return None if value is None or value == "" else epoch_ms_to_datetime(value)


def _str(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if type(value) is not str:
        raise ValueError(f"expected a string, got {value!r}")
    return value


def _int(value: Any) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValueError(f"expected an integer, got {value!r}")
    return int(value)


def _bool(value: Any) -> bool | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return bool(value)
    if value == "true" or value == "false":
        return bool(value == "true")
    raise ValueError(f"expected a boolean, got {value!r}")


def _side(value: Any) -> Side | None:
    if value == "buy":
        return Side.BUY
    if value == "sell":
        return Side.SELL
    return None  # "" or a new word: the order or trade is still delivered


def _enum(cls: Any) -> Callable[[Any], Any]:
    def parse(value: Any) -> Any:
        return None if value is None or value == "" else cls(value)

    return parse


_Spec = Mapping[str, tuple[str, Callable[[Any], Any]]]


def _spec(**fields: tuple[str, Callable[[Any], Any]]) -> _Spec:
    return fields


_INST_TYPE = ("instType", _enum(InstrumentType))

_TICKER = _spec(
    symbol=("instId", _str), instrument_type=_INST_TYPE, last_price=("last", _dec), last_quantity=("lastSz", _dec),
    bid_price=("bidPx", _dec), bid_quantity=("bidSz", _dec), ask_price=("askPx", _dec), ask_quantity=("askSz", _dec),
    open_price=("open24h", _dec), high_price=("high24h", _dec), low_price=("low24h", _dec),
    sod_utc0=("sodUtc0", _dec), sod_utc8=("sodUtc8", _dec), time=("ts", _time),
)
_TRADE = _spec(symbol=("instId", _str), trade_id=("tradeId", _str), price=("px", _dec), quantity=("sz", _dec),
               side=("side", _side), time=("ts", _time), count=("count", _int), sequence=("seqId", _int))
_MARK_PRICE = _spec(symbol=("instId", _str), instrument_type=_INST_TYPE, mark_price=("markPx", _dec), time=("ts", _time))
_FUNDING = _spec(
    symbol=("instId", _str), instrument_type=_INST_TYPE, funding_rate=("fundingRate", _dec),
    next_funding_rate=("nextFundingRate", _dec), funding_time=("fundingTime", _time),
    next_funding_time=("nextFundingTime", _time), min_funding_rate=("minFundingRate", _dec),
    max_funding_rate=("maxFundingRate", _dec), premium=("premium", _dec),
    settlement_funding_rate=("settFundingRate", _dec), settlement_state=("settState", _str),
    method=("method", _str), time=("ts", _time),
)
_OPEN_INTEREST = _spec(symbol=("instId", _str), instrument_type=_INST_TYPE, open_interest=("oi", _dec),
                       open_interest_currency=("oiCcy", _dec), open_interest_usd=("oiUsd", _dec), time=("ts", _time))
_INDEX_TICKER = _spec(symbol=("instId", _str), index_price=("idxPx", _dec), open_price=("open24h", _dec),
                      high_price=("high24h", _dec), low_price=("low24h", _dec), sod_utc0=("sodUtc0", _dec),
                      sod_utc8=("sodUtc8", _dec), time=("ts", _time))
_PRICE_LIMIT = _spec(symbol=("instId", _str), buy_limit=("buyLmt", _dec), sell_limit=("sellLmt", _dec),
                     enabled=("enabled", _bool), time=("ts", _time))
_ESTIMATED = _spec(symbol=("instId", _str), instrument_type=_INST_TYPE, settlement_price=("settlePx", _dec),
                   settlement_type=("settleType", _str), time=("ts", _time))
_OPTION = _spec(
    symbol=("instId", _str), instrument_type=_INST_TYPE, underlying=("uly", _str), delta=("delta", _dec),
    gamma=("gamma", _dec), vega=("vega", _dec), theta=("theta", _dec), delta_bs=("deltaBS", _dec),
    gamma_bs=("gammaBS", _dec), vega_bs=("vegaBS", _dec), theta_bs=("thetaBS", _dec),
    mark_volatility=("markVol", _dec), bid_volatility=("bidVol", _dec), ask_volatility=("askVol", _dec),
    real_volatility=("realVol", _dec), volatility_level=("volLv", _dec), forward_price=("fwdPx", _dec),
    leverage=("lever", _dec), time=("ts", _time),
)
_INSTRUMENT = _spec(
    symbol=("instId", _str), symbol_code=("instIdCode", _int), instrument_type=_INST_TYPE,
    instrument_family=("instFamily", _str), base_asset=("baseCcy", _str), quote_asset=("quoteCcy", _str),
    settle_asset=("settleCcy", _str), tick_size=("tickSz", _dec), lot_size=("lotSz", _dec), min_size=("minSz", _dec),
    contract_value=("ctVal", _dec), contract_multiplier=("ctMult", _dec), contract_type=("ctType", _str),
    max_limit_size=("maxLmtSz", _dec), max_market_size=("maxMktSz", _dec), leverage=("lever", _dec),
    state=("state", _str), listed_at=("listTime", _time), expires_at=("expTime", _time),
)
_STATUS = _spec(
    title=("title", _str), state=("state", _str), begin=("begin", _time), end=("end", _time),
    pre_open_begin=("preOpenBegin", _time), href=("href", _str), service_type=("serviceType", _str),
    system=("system", _str), description=("scheDesc", _str), maintenance_type=("maintType", _str),
    environment=("env", _str), time=("ts", _time),
)
_ASSET_BALANCE = _spec(
    asset=("ccy", _str), free=("availBal", _dec), locked=("frozenBal", _dec), total=("cashBal", _dec),
    equity=("eq", _dec), available_equity=("availEq", _dec), order_frozen=("ordFrozen", _dec),
    equity_usd=("eqUsd", _dec), unrealized_pnl=("upl", _dec), time=("uTime", _time),
)
_ACCOUNT = _spec(
    total_equity=("totalEq", _dec), adjusted_equity=("adjEq", _dec), isolated_equity=("isoEq", _dec),
    initial_margin=("imr", _dec), maintenance_margin=("mmr", _dec), margin_ratio=("mgnRatio", _dec),
    notional_usd=("notionalUsd", _dec), order_frozen=("ordFroz", _dec), unrealized_pnl=("upl", _dec),
    time=("uTime", _time),
)
_POSITION = _spec(
    symbol=("instId", _str), instrument_type=_INST_TYPE, position_id=("posId", _str),
    position_side=("posSide", _enum(PositionSide)), margin_mode=("mgnMode", _enum(MarginMode)),
    quantity=("pos", _dec), available_quantity=("availPos", _dec), average_price=("avgPx", _dec),
    mark_price=("markPx", _dec), liquidation_price=("liqPx", _dec), leverage=("lever", _dec),
    unrealized_pnl=("upl", _dec), realized_pnl=("realizedPnl", _dec), margin=("margin", _dec),
    margin_ratio=("mgnRatio", _dec), notional_usd=("notionalUsd", _dec), asset=("ccy", _str),
    created_at=("cTime", _time), updated_at=("uTime", _time),
)
_CASH_BALANCE = _spec(asset=("ccy", _str), cash_balance=("cashBal", _dec), time=("uTime", _time))
_POSITION_TRADE = _spec(symbol=("instId", _str), trade_id=("tradeId", _str))
_ORDER = _spec(
    order_id=("ordId", _str), client_order_id=("clOrdId", _str), symbol=("instId", _str), side=("side", _side),
    order_type=("ordType", _enum(OrderType)), status=("state", _enum(OrderStatus)), price=("px", _dec),
    quantity=("sz", _dec), filled_quantity=("accFillSz", _dec), average_price=("avgPx", _dec),
    created_at=("cTime", _time), updated_at=("uTime", _time), instrument_type=_INST_TYPE, tag=("tag", _str),
    position_side=("posSide", _enum(PositionSide)), trade_mode=("tdMode", _enum(TradeMode)),
    fill_price=("fillPx", _dec), fill_quantity=("fillSz", _dec), fill_time=("fillTime", _time),
    trade_id=("tradeId", _str), fee=("fee", _dec), fee_asset=("feeCcy", _str), amend_result=("amendResult", _str),
    request_id=("reqId", _str), code=("code", _str), message=("msg", _str),
)
_USER_TRADE = _spec(
    trade_id=("tradeId", _str), order_id=("ordId", _str), symbol=("instId", _str), side=("side", _side),
    price=("fillPx", _dec), quantity=("fillSz", _dec), time=("ts", _time), client_order_id=("clOrdId", _str),
    count=("count", _int),
)
_ALGO_ORDER = _spec(
    algo_id=("algoId", _str), client_algo_id=("algoClOrdId", _str), symbol=("instId", _str), instrument_type=_INST_TYPE,
    order_type=("ordType", _str), side=("side", _side), quantity=("sz", _dec), state=("state", _str),
    trigger_price=("triggerPx", _dec), order_price=("ordPx", _dec), trade_mode=("tdMode", _enum(TradeMode)),
    created_at=("cTime", _time), updated_at=("uTime", _time),
)
_GREEKS = _spec(
    asset=("ccy", _str), delta_bs=("deltaBS", _dec), delta_pa=("deltaPA", _dec), gamma_bs=("gammaBS", _dec),
    gamma_pa=("gammaPA", _dec), theta_bs=("thetaBS", _dec), theta_pa=("thetaPA", _dec), vega_bs=("vegaBS", _dec),
    vega_pa=("vegaPA", _dec), time=("ts", _time),
)
_DEPOSIT = _spec(
    deposit_id=("depId", _str), asset=("ccy", _str), network=("chain", _str), quantity=("amt", _dec),
    state=("state", _str), to_address=("to", _str), transaction_id=("txId", _str), time=("ts", _time),
)
_WITHDRAWAL = _spec(
    withdrawal_id=("wdId", _str), asset=("ccy", _str), network=("chain", _str), quantity=("amt", _dec),
    fee=("fee", _dec), state=("state", _str), to_address=("to", _str), transaction_id=("txId", _str),
    time=("ts", _time),
)
_BALANCE_AND_POSITION = _spec(event_type=("eventType", _str), time=("pTime", _time))
_ORDER_RESULT = _spec(order_id=("ordId", _str), client_order_id=("clOrdId", _str), tag=("tag", _str),
                      request_id=("reqId", _str), time=("ts", _time))

#: Per model: which wire name fills which field (the fields filled straight from the wire).
FIELDS: Mapping[type, Mapping[str, str]] = {
    cls: {name: wire for name, (wire, _) in spec.items()}
    for cls, spec in (
        (Ticker, _TICKER), (Trade, _TRADE), (MarkPrice, _MARK_PRICE), (FundingRate, _FUNDING),
        (OpenInterest, _OPEN_INTEREST), (IndexTicker, _INDEX_TICKER), (PriceLimit, _PRICE_LIMIT),
        (EstimatedPrice, _ESTIMATED), (OptionSummary, _OPTION), (Instrument, _INSTRUMENT), (SystemStatus, _STATUS),
        (AssetBalance, _ASSET_BALANCE), (AccountBalance, _ACCOUNT), (Position, _POSITION),
        (CashBalance, _CASH_BALANCE), (PositionTrade, _POSITION_TRADE), (Order, _ORDER), (UserTrade, _USER_TRADE),
        (AlgoOrder, _ALGO_ORDER), (Greeks, _GREEKS), (DepositUpdate, _DEPOSIT), (WithdrawalUpdate, _WITHDRAWAL),
        (OrderResult, _ORDER_RESULT), (BalanceAndPosition, _BALANCE_AND_POSITION),
    )
}


def _values(spec: _Spec, item: Any) -> dict[str, Any]:
    if type(item) is not dict:
        raise TypeError(f"expected an object, got {type(item).__name__}")
    get = item.get
    values = {name: parse(get(wire)) for name, (wire, parse) in spec.items()}
    return values


def _build(cls: Callable[..., M], kind: str, spec: _Spec, item: Any, **extra: Any) -> M:
    try:
        values = _values(spec, item)
        values.update(extra)
        return cls(**values)
    except DecodeError:
        raise
    except MALFORMED as exc:
        raise malformed("okx", kind, exc) from exc


def _is_derivative(kind: InstrumentType | None, symbol: str | None) -> bool:
    if kind is None:
        kind = instrument_type_of(symbol or "")
    return kind not in (InstrumentType.SPOT, InstrumentType.MARGIN)


# -- public channels ------------------------------------------------------------------------


def ticker_from_wire(item: Any) -> Ticker:
    """A ``tickers`` item: SPOT/MARGIN ``vol24h`` is base and ``volCcy24h`` quote; derivatives'
    ``vol24h`` counts contracts and ``volCcy24h`` is base."""
    try:
        values = _values(_TICKER, item)
        volume, currency_volume = _dec(item.get("vol24h")), _dec(item.get("volCcy24h"))
        if _is_derivative(values["instrument_type"], values["symbol"]):
            values.update(volume=currency_volume, quote_volume=_dec(item.get("volCcyQuote")), contract_volume=volume)
        else:
            values.update(volume=volume, quote_volume=currency_volume, contract_volume=None)
        return Ticker(**values)
    except MALFORMED as exc:
        raise malformed("okx", "tickers", exc) from exc


def trade_from_wire(item: Any) -> Trade:
    """A ``trades`` or ``trades-all`` item."""
    return _build(Trade, "trades", _TRADE, item)


def _candle(item: Any, width: int) -> list[Any]:
    if type(item) is not list or len(item) < width:
        raise TypeError(f"a candle is an array of at least {width} strings, got {item!r}"[:200])
    return item


def kline_from_wire(symbol: str, interval: KlineInterval, item: Any) -> Kline:
    """A ``candle<bar>`` item ``[ts, o, h, l, c, vol, volCcy, volCcyQuote, confirm]``.

    SPOT/MARGIN: ``vol`` is base, ``volCcy`` quote; derivatives: ``vol`` contracts,
    ``volCcy`` base, ``volCcyQuote`` quote.
    """
    try:
        row = _candle(item, 6)
        vol, vol_ccy = _dec(row[5]), _dec(row[6]) if len(row) > 6 else None
        vol_quote = _dec(row[7]) if len(row) > 8 else None
        confirm = row[-1] if len(row) > 6 else None
        if _is_derivative(None, symbol):
            volume, quote, contracts = vol_ccy, vol_quote, vol
        else:
            volume, quote, contracts = vol, vol_ccy if vol_quote is None else vol_quote, None
        open_time = epoch_ms_to_datetime(row[0])
        return Kline(symbol=symbol, interval=interval, open_time=open_time, close_time=None,
                     open=decimal_from_wire(row[1]), high=decimal_from_wire(row[2]), low=decimal_from_wire(row[3]),
                     close=decimal_from_wire(row[4]), volume=volume, quote_volume=quote, contract_volume=contracts,
                     trade_count=None, closed=confirm == "1")
    except MALFORMED as exc:
        raise malformed("okx", "candle", exc) from exc


def price_kline_from_wire(symbol: str, interval: KlineInterval, item: Any) -> PriceKline:
    """A ``mark-price-candle<bar>`` or ``index-candle<bar>`` item ``[ts, o, h, l, c, confirm]``."""
    try:
        row = _candle(item, 5)
        return PriceKline(symbol=symbol, interval=interval, open_time=epoch_ms_to_datetime(row[0]),
                          open=decimal_from_wire(row[1]), high=decimal_from_wire(row[2]),
                          low=decimal_from_wire(row[3]), close=decimal_from_wire(row[4]),
                          closed=len(row) > 5 and row[5] == "1")
    except MALFORMED as exc:
        raise malformed("okx", "price candle", exc) from exc


def _levels(rows: Any) -> tuple[Level, ...]:
    if rows is None:
        return ()
    if type(rows) is not list:
        raise TypeError("book levels are an array")
    # Decimal(str) keeps the wire exponent, so the checksum can rebuild the wire string.
    return tuple(Level(decimal_from_wire(row[0]), decimal_from_wire(row[1])) for row in rows)


def book_from_wire(symbol: str, item: Any, is_snapshot: bool) -> OrderBookUpdate:
    """A book item ``{asks, bids, ts, checksum, seqId, prevSeqId}``; levels are
    ``[price, size, "0", orders]``. A ``checksum`` of 0 or none becomes ``None``."""
    try:
        if type(item) is not dict:
            raise TypeError("a book item is an object")
        checksum = item.get("checksum")
        if checksum is not None and (type(checksum) is not int):
            raise ValueError(f"checksum is not an integer: {checksum!r}")
        sequence, previous = item.get("seqId"), item.get("prevSeqId")
        for name, value in (("seqId", sequence), ("prevSeqId", previous)):
            if value is not None and type(value) is not int:
                raise ValueError(f"{name} is not an integer: {value!r}")
        return OrderBookUpdate(symbol=item.get("instId") or symbol, bids=_levels(item.get("bids")),
                               asks=_levels(item.get("asks")), time=_time(item.get("ts")),
                               checksum=checksum or None, sequence=sequence, previous_sequence=previous,
                               is_snapshot=is_snapshot)
    except MALFORMED as exc:
        raise malformed("okx", "books", exc) from exc


def mark_price_from_wire(item: Any) -> MarkPrice:
    """A ``mark-price`` item."""
    return _build(MarkPrice, "mark-price", _MARK_PRICE, item)


def funding_rate_from_wire(item: Any) -> FundingRate:
    """A ``funding-rate`` item."""
    return _build(FundingRate, "funding-rate", _FUNDING, item)


def open_interest_from_wire(item: Any) -> OpenInterest:
    """An ``open-interest`` item."""
    return _build(OpenInterest, "open-interest", _OPEN_INTEREST, item)


def index_ticker_from_wire(item: Any) -> IndexTicker:
    """An ``index-tickers`` item."""
    return _build(IndexTicker, "index-tickers", _INDEX_TICKER, item)


def price_limit_from_wire(item: Any) -> PriceLimit:
    """A ``price-limit`` item."""
    return _build(PriceLimit, "price-limit", _PRICE_LIMIT, item)


def estimated_price_from_wire(item: Any) -> EstimatedPrice:
    """An ``estimated-price`` item."""
    return _build(EstimatedPrice, "estimated-price", _ESTIMATED, item)


def option_summary_from_wire(item: Any) -> OptionSummary:
    """One option of an ``opt-summary`` push."""
    return _build(OptionSummary, "opt-summary", _OPTION, item)


def instrument_from_wire(item: Any) -> Instrument:
    """One instrument of an ``instruments`` push."""
    return _build(Instrument, "instruments", _INSTRUMENT, item)


def system_status_from_wire(item: Any) -> SystemStatus:
    """A ``status`` item."""
    return _build(SystemStatus, "status", _STATUS, item)


# -- private channels ---------------------------------------------------------------------------


def _items(value: Any, name: str) -> Sequence[Any]:
    if value is None or value == "":
        return ()
    if type(value) is not list:
        raise TypeError(f"{name} is not an array")
    return value


def account_from_wire(item: Any) -> AccountBalance:
    """An ``account`` item with its ``details``."""
    try:
        details = tuple(_build(AssetBalance, "account", _ASSET_BALANCE, d) for d in _items(item.get("details"), "details"))
    except AttributeError as exc:
        raise malformed("okx", "account", exc) from exc
    return _build(AccountBalance, "account", _ACCOUNT, item, details=details)


def position_from_wire(item: Any) -> Position:
    """A ``positions`` / ``liquidation-warning`` item (or a ``posData`` entry)."""
    return _build(Position, "positions", _POSITION, item)


def balance_and_position_from_wire(item: Any) -> BalanceAndPosition:
    """A ``balance_and_position`` item."""
    try:
        balances = tuple(_build(CashBalance, "balData", _CASH_BALANCE, b) for b in _items(item.get("balData"), "balData"))
        positions = tuple(position_from_wire(p) for p in _items(item.get("posData"), "posData"))
        trades = tuple(_build(PositionTrade, "trades", _POSITION_TRADE, t) for t in _items(item.get("trades"), "trades"))
        return BalanceAndPosition(**_values(_BALANCE_AND_POSITION, item), balances=balances, positions=positions,
                                  trades=trades)
    except DecodeError:
        raise
    except MALFORMED as exc:
        raise malformed("okx", "balance_and_position", exc) from exc


_TIME_IN_FORCE = {
    "fok": TimeInForce.FOK, "ioc": TimeInForce.IOC, "optimal_limit_ioc": TimeInForce.IOC,
    "post_only": TimeInForce.POST_ONLY, "mmp_and_post_only": TimeInForce.POST_ONLY,
}


def order_from_wire(item: Any) -> Order:
    """An ``orders`` item; ``time_in_force`` follows from ``ordType`` (GTC unless fok, ioc or post-only)."""
    kind = item.get("ordType") if type(item) is dict else None
    time_in_force = _TIME_IN_FORCE.get(kind, TimeInForce.GTC) if type(kind) is str else TimeInForce.GTC
    return _build(Order, "orders", _ORDER, item, time_in_force=time_in_force)


def user_trade_from_wire(item: Any) -> UserTrade:
    """A ``fills`` item; ``is_maker`` from ``execType`` (``M`` maker, ``T`` taker)."""
    exec_type = item.get("execType") if type(item) is dict else None
    maker = None if exec_type not in ("M", "T") else exec_type == "M"
    return _build(UserTrade, "fills", _USER_TRADE, item, is_maker=maker, fee=None, fee_asset=None)


def algo_order_from_wire(item: Any) -> AlgoOrder:
    """An ``orders-algo`` or ``algo-advance`` item."""
    return _build(AlgoOrder, "orders-algo", _ALGO_ORDER, item)


def greeks_from_wire(item: Any) -> Greeks:
    """An ``account-greeks`` item."""
    return _build(Greeks, "account-greeks", _GREEKS, item)


def deposit_from_wire(item: Any) -> DepositUpdate:
    """A ``deposit-info`` item."""
    return _build(DepositUpdate, "deposit-info", _DEPOSIT, item, fee=None)


def withdrawal_from_wire(item: Any) -> WithdrawalUpdate:
    """A ``withdrawal-info`` item."""
    return _build(WithdrawalUpdate, "withdrawal-info", _WITHDRAWAL, item)


def order_result_from_wire(item: Any, error: Callable[[str, str], ExchangeError]) -> OrderResult:
    """One ``data`` item of an order operation's reply; ``error(code, message)`` maps a
    non-zero ``sCode``."""
    try:
        code = item.get("sCode")
        code = "0" if code is None or code == "" else str(code)
        message = str(item.get("sMsg") or "")
    except AttributeError as exc:
        raise malformed("okx", "order result", exc) from exc
    return _build(OrderResult, "order result", _ORDER_RESULT, item, code=code, message=message,
                  error=None if code == "0" else error(code, message))


# -- requests: checked orders → wire args ----------------------------------------------------


def _set(args: dict[str, Any], name: str, value: Any) -> None:
    if value is not None:
        args[name] = value.value if hasattr(value, "value") else value


def order_args(order: PlaceOrder, code: int) -> dict[str, Any]:
    """The ``args`` item of an ``order`` / ``batch-orders`` request (money as plain strings)."""
    args: dict[str, Any] = {"instIdCode": code, "tdMode": order.trade_mode.value, "side": order.side.value,
                            "ordType": order.order_type.value, "sz": order.quantity}
    for name, value in (("px", order.price), ("posSide", order.position_side),
                        ("quickMgnType", order.quick_margin_type), ("stpId", order.self_trade_prevention_id),
                        ("stpMode", order.self_trade_prevention_mode), ("ccy", order.asset),
                        ("tgtCcy", order.quantity_asset), ("clOrdId", order.client_order_id),
                        ("reduceOnly", order.reduce_only), ("tradeQuoteCcy", order.trade_quote_asset),
                        ("slippagePct", order.max_slippage_percentage)):
        _set(args, name, value)
    if "stpId" in args:
        args["stpId"] = str(args["stpId"])
    return args


def cancel_args(order: CancelOrder, code: int) -> dict[str, Any]:
    """The ``args`` item of a ``cancel-order`` / ``batch-cancel-orders`` request."""
    args: dict[str, Any] = {"instIdCode": code}
    _set(args, "ordId", order.order_id)
    _set(args, "clOrdId", order.client_order_id)
    return args


def amend_args(order: AmendOrder, code: int) -> dict[str, Any]:
    """The ``args`` item of an ``amend-order`` / ``batch-amend-orders`` request."""
    args: dict[str, Any] = {"instIdCode": code}
    for name, value in (("ordId", order.order_id), ("clOrdId", order.client_order_id), ("reqId", order.request_id),
                        ("newSz", order.new_quantity), ("newPx", order.new_price), ("cxlOnFail", order.cancel_on_fail)):
        _set(args, name, value)
    return args
