"""Typed models of OKX API v5 WebSocket pushes and order operation replies.

Field names are exwire's vocabulary (``bid_price``, ``quantity``, ``filled_quantity`` ...);
OKX's wire names (``bidPx``, ``sz``, ``accFillSz`` ...) live only in
:mod:`exwire.okx.converter`. The channels are those of OKX's v5 documentation,
https://www.okx.com/docs-v5/en/ (market data, public data, trading account, trade).

Units: prices are ``Decimal`` in the quote asset (the settlement asset for inverse
derivatives); SPOT/MARGIN quantities are in the base asset, derivatives' in contracts;
times are aware UTC ``datetime`` (OKX sends epoch milliseconds). ``volume`` is always
the base-asset volume and ``quote_volume`` the quote-asset volume (``None`` where OKX
sends none); ``contract_volume`` counts contracts (``None`` for SPOT/MARGIN). A field
OKX leaves empty (``""``: not applicable) is ``None``.

Every model is an attrs ``frozen(kw_only=True)`` class, built by keyword, immutable and
safe to share between threads. Enums keep values this version does not know
(:class:`exwire._core.codec.OpenEnum`).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

import attrs

from exwire.errors import ExchangeError
from exwire.models import Level, Side, TimeInForce
from exwire.okx.enums import (
    InstrumentType,
    KlineInterval,
    MarginMode,
    OrderStatus,
    OrderType,
    PositionSide,
    QuantityAsset,
    QuickMarginType,
    SelfTradePreventionMode,
    TradeMode,
)

__all__ = [
    "Ticker",
    "Trade",
    "Kline",
    "PriceKline",
    "OrderBookUpdate",
    "MarkPrice",
    "FundingRate",
    "OpenInterest",
    "IndexTicker",
    "PriceLimit",
    "EstimatedPrice",
    "OptionSummary",
    "Instrument",
    "SystemStatus",
    "AssetBalance",
    "AccountBalance",
    "CashBalance",
    "PositionTrade",
    "BalanceAndPosition",
    "Position",
    "Order",
    "UserTrade",
    "AlgoOrder",
    "Greeks",
    "DepositUpdate",
    "WithdrawalUpdate",
    "OrderResult",
    "OrderRequest",
    "CancelRequest",
    "AmendRequest",
]

_D = Decimal | None
_T = datetime | None


@attrs.frozen(kw_only=True)
class Ticker:
    """The ``tickers`` push of one instrument: best bid/ask, last trade and 24 h statistics.

    Attributes:
        symbol: the instrument id, e.g. ``"BTC-USDT"``.
        instrument_type: SPOT, MARGIN, SWAP, FUTURES or OPTION.
        last_price, last_quantity: the last trade's price and quantity.
        bid_price, bid_quantity, ask_price, ask_quantity: the best bid and ask.
        open_price, high_price, low_price: over the last 24 hours.
        volume: base-asset volume over 24 hours; quote_volume: quote-asset volume
            (``None`` for derivatives); contract_volume: contracts (``None`` for SPOT/MARGIN).
        sod_utc0, sod_utc8: the open price at 00:00 UTC and at 00:00 UTC+8.
        time: when OKX produced the ticker.
    """

    symbol: str
    instrument_type: InstrumentType | None = None
    last_price: _D = None
    last_quantity: _D = None
    bid_price: _D = None
    bid_quantity: _D = None
    ask_price: _D = None
    ask_quantity: _D = None
    open_price: _D = None
    high_price: _D = None
    low_price: _D = None
    volume: _D = None
    quote_volume: _D = None
    contract_volume: _D = None
    sod_utc0: _D = None
    sod_utc8: _D = None
    time: _T = None


@attrs.frozen(kw_only=True)
class Trade:
    """One public trade (``trades`` or ``trades-all``).

    Attributes:
        symbol: the instrument id.
        trade_id: OKX's trade id (a string of digits).
        price, quantity: the trade's price and quantity.
        side: the taker's side.
        time: when the trade happened.
        count: trades aggregated into this one (``None`` for ``trades-all``).
        sequence: OKX's ``seqId`` of the push, or ``None`` when not sent.
    """

    symbol: str
    trade_id: str
    price: Decimal
    quantity: Decimal
    side: Side | None
    time: datetime
    count: int | None = None
    sequence: int | None = None


@attrs.frozen(kw_only=True)
class Kline:
    """One candle (``candle<bar>``); the open candle is pushed again as it changes.

    Attributes:
        symbol, interval: the instrument id and the bar.
        open_time: the candle's start; close_time: ``None`` (OKX sends none).
        open, high, low, close: prices.
        volume: base-asset volume; quote_volume: quote-asset volume;
            contract_volume: contracts (``None`` for SPOT/MARGIN).
        trade_count: ``None`` (OKX sends none).
        closed: whether the candle is complete (``confirm`` ``"1"``).
    """

    symbol: str
    interval: KlineInterval
    open_time: datetime
    close_time: _T = None
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: _D = None
    quote_volume: _D = None
    contract_volume: _D = None
    trade_count: int | None = None
    closed: bool = False


@attrs.frozen(kw_only=True)
class PriceKline:
    """One mark-price or index candle (``mark-price-candle<bar>``, ``index-candle<bar>``).

    Attributes:
        symbol, interval: the instrument (or index) id and the bar.
        open_time: the candle's start.
        open, high, low, close: prices.
        closed: whether the candle is complete.
    """

    symbol: str
    interval: KlineInterval
    open_time: datetime
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    closed: bool = False


@attrs.frozen(kw_only=True)
class OrderBookUpdate:
    """One order book push: a snapshot or the changed levels.

    Attributes:
        symbol: the instrument id.
        bids, asks: levels best first; in an update a zero quantity deletes the level.
        time: when OKX produced the push.
        checksum: OKX's signed CRC32 of the top 25 levels after applying it; ``None``
            when absent or 0 (not provided: OKX sends 0 since 2026).
        sequence: ``seqId``; previous_sequence: ``prevSeqId`` (-1 on a snapshot);
            ``None`` when not sent.
        is_snapshot: whether it replaces the book.
    """

    symbol: str
    bids: tuple[Level, ...] = ()
    asks: tuple[Level, ...] = ()
    time: _T = None
    checksum: int | None = None
    sequence: int | None = None
    previous_sequence: int | None = None
    is_snapshot: bool = False


@attrs.frozen(kw_only=True)
class MarkPrice:
    """A ``mark-price`` push. Attributes: symbol, instrument_type, mark_price, time."""

    symbol: str
    instrument_type: InstrumentType | None = None
    mark_price: Decimal
    time: _T = None


@attrs.frozen(kw_only=True)
class FundingRate:
    """A ``funding-rate`` push of a perpetual swap.

    Attributes:
        funding_rate, next_funding_rate: rates as fractions (``None`` when not published).
        funding_time, next_funding_time: settlement times.
        min_funding_rate, max_funding_rate, premium, settlement_funding_rate: fractions.
        settlement_state: ``"processing"`` or ``"settled"``; method: ``"current_period"``
            or ``"next_period"``.
    """

    symbol: str
    instrument_type: InstrumentType | None = None
    funding_rate: _D = None
    next_funding_rate: _D = None
    funding_time: _T = None
    next_funding_time: _T = None
    min_funding_rate: _D = None
    max_funding_rate: _D = None
    premium: _D = None
    settlement_funding_rate: _D = None
    settlement_state: str | None = None
    method: str | None = None
    time: _T = None


@attrs.frozen(kw_only=True)
class OpenInterest:
    """An ``open-interest`` push: open_interest in contracts, open_interest_currency in the
    base asset, open_interest_usd in USD (``None`` when not sent)."""

    symbol: str
    instrument_type: InstrumentType | None = None
    open_interest: _D = None
    open_interest_currency: _D = None
    open_interest_usd: _D = None
    time: _T = None


@attrs.frozen(kw_only=True)
class IndexTicker:
    """An ``index-tickers`` push: the index price and its 24 h open, high and low."""

    symbol: str
    index_price: _D = None
    open_price: _D = None
    high_price: _D = None
    low_price: _D = None
    sod_utc0: _D = None
    sod_utc8: _D = None
    time: _T = None


@attrs.frozen(kw_only=True)
class PriceLimit:
    """A ``price-limit`` push: the highest buy and lowest sell price allowed; enabled says
    whether the limit applies."""

    symbol: str
    buy_limit: _D = None
    sell_limit: _D = None
    enabled: bool | None = None
    time: _T = None


@attrs.frozen(kw_only=True)
class EstimatedPrice:
    """An ``estimated-price`` push: the estimated delivery/exercise price of a future or option."""

    symbol: str
    instrument_type: InstrumentType | None = None
    settlement_price: _D = None
    settlement_type: str | None = None
    time: _T = None


@attrs.frozen(kw_only=True)
class OptionSummary:
    """One option of an ``opt-summary`` push: greeks (price-adjusted and Black-Scholes ``_bs``),
    volatilities as fractions, the forward price and the leverage."""

    symbol: str
    instrument_type: InstrumentType | None = None
    underlying: str | None = None
    delta: _D = None
    gamma: _D = None
    vega: _D = None
    theta: _D = None
    delta_bs: _D = None
    gamma_bs: _D = None
    vega_bs: _D = None
    theta_bs: _D = None
    mark_volatility: _D = None
    bid_volatility: _D = None
    ask_volatility: _D = None
    real_volatility: _D = None
    volatility_level: _D = None
    forward_price: _D = None
    leverage: _D = None
    time: _T = None


@attrs.frozen(kw_only=True)
class Instrument:
    """One instrument of an ``instruments`` push.

    Attributes:
        symbol: the instrument id; symbol_code: ``instIdCode``, the integer the order
            operations need (``None`` when not sent).
        base_asset, quote_asset, settle_asset: asset codes (``None`` where not applicable).
        tick_size: price step; lot_size: quantity step; min_size: smallest order quantity.
        contract_value, contract_multiplier: derivatives' contract size (``None`` for SPOT).
        state: ``live``, ``suspend``, ``preopen``, ``test`` ...; listed_at, expires_at: times.
    """

    symbol: str
    symbol_code: int | None = None
    instrument_type: InstrumentType | None = None
    instrument_family: str | None = None
    base_asset: str | None = None
    quote_asset: str | None = None
    settle_asset: str | None = None
    tick_size: _D = None
    lot_size: _D = None
    min_size: _D = None
    contract_value: _D = None
    contract_multiplier: _D = None
    contract_type: str | None = None
    max_limit_size: _D = None
    max_market_size: _D = None
    leverage: _D = None
    state: str | None = None
    listed_at: _T = None
    expires_at: _T = None


@attrs.frozen(kw_only=True)
class SystemStatus:
    """A ``status`` push: one scheduled or ongoing maintenance.

    Attributes:
        state: ``scheduled``, ``ongoing``, ``pre_open``, ``completed`` or ``canceled``.
        begin, end, pre_open_begin: the window (``None`` when not set).
        description: OKX's ``scheDesc``; service_type, system, maintenance_type,
            environment: OKX's codes as strings.
    """

    title: str | None = None
    state: str | None = None
    begin: _T = None
    end: _T = None
    pre_open_begin: _T = None
    href: str | None = None
    service_type: str | None = None
    system: str | None = None
    description: str | None = None
    maintenance_type: str | None = None
    environment: str | None = None
    time: _T = None


@attrs.frozen(kw_only=True)
class AssetBalance:
    """One asset of an ``account`` push.

    Attributes:
        asset: the asset code; free: available balance; locked: frozen balance;
            total: cash balance; equity, available_equity, order_frozen, unrealized_pnl:
            in the asset; equity_usd: in USD; time: last change.
    """

    asset: str
    free: _D = None
    locked: _D = None
    total: _D = None
    equity: _D = None
    available_equity: _D = None
    order_frozen: _D = None
    equity_usd: _D = None
    unrealized_pnl: _D = None
    time: _T = None


@attrs.frozen(kw_only=True)
class AccountBalance:
    """An ``account`` push: account-wide figures in USD and one :class:`AssetBalance` per asset."""

    total_equity: _D = None
    adjusted_equity: _D = None
    isolated_equity: _D = None
    initial_margin: _D = None
    maintenance_margin: _D = None
    margin_ratio: _D = None
    notional_usd: _D = None
    order_frozen: _D = None
    unrealized_pnl: _D = None
    time: _T = None
    details: tuple[AssetBalance, ...] = ()


@attrs.frozen(kw_only=True)
class CashBalance:
    """One asset's cash balance in a ``balance_and_position`` push."""

    asset: str
    cash_balance: _D = None
    time: _T = None


@attrs.frozen(kw_only=True)
class PositionTrade:
    """A trade that caused a ``balance_and_position`` push."""

    symbol: str
    trade_id: str


@attrs.frozen(kw_only=True)
class Position:
    """A position (``positions``, ``liquidation-warning``, ``balance_and_position``).

    Attributes:
        quantity: ``pos``, in contracts (base asset for margin); available_quantity: closable.
        average_price, mark_price, liquidation_price: prices; leverage: a multiple.
        unrealized_pnl, realized_pnl, margin: in ``asset``; margin_ratio: a fraction;
            notional_usd: in USD. ``None`` where the push omits them.
    """

    symbol: str
    instrument_type: InstrumentType | None = None
    position_id: str | None = None
    position_side: PositionSide | None = None
    margin_mode: MarginMode | None = None
    quantity: _D = None
    available_quantity: _D = None
    average_price: _D = None
    mark_price: _D = None
    liquidation_price: _D = None
    leverage: _D = None
    unrealized_pnl: _D = None
    realized_pnl: _D = None
    margin: _D = None
    margin_ratio: _D = None
    notional_usd: _D = None
    asset: str | None = None
    created_at: _T = None
    updated_at: _T = None


@attrs.frozen(kw_only=True)
class BalanceAndPosition:
    """A ``balance_and_position`` push: what changed and why.

    Attributes:
        event_type: ``snapshot``, ``filled``, ``transferred``, ``delivered`` ...
        time: when OKX pushed it (``pTime``).
        balances, positions, trades: the changed balances, positions and the trades behind them.
    """

    event_type: str | None = None
    time: _T = None
    balances: tuple[CashBalance, ...] = ()
    positions: tuple[Position, ...] = ()
    trades: tuple[PositionTrade, ...] = ()


@attrs.frozen(kw_only=True)
class Order:
    """An order event of the ``orders`` channel.

    Attributes:
        order_id, client_order_id: OKX's id and yours (``None`` when empty).
        status: from ``state``; time_in_force: from ``order_type`` (fok, ioc, post_only,
            else GTC).
        price, quantity, filled_quantity, average_price: ``None`` where empty (a market
            order has no price).
        fill_price, fill_quantity, fill_time, trade_id, fee, fee_asset: the last fill, if
            this event is one (fees are negative when charged).
        amend_result, request_id, code, message: the result of an amend or cancel that
            caused the event.
    """

    order_id: str
    client_order_id: str | None = None
    symbol: str
    side: Side | None = None
    order_type: OrderType | None = None
    status: OrderStatus | None = None
    price: _D = None
    quantity: _D = None
    filled_quantity: _D = None
    average_price: _D = None
    time_in_force: TimeInForce | None = None
    created_at: _T = None
    updated_at: _T = None
    instrument_type: InstrumentType | None = None
    tag: str | None = None
    position_side: PositionSide | None = None
    trade_mode: TradeMode | None = None
    fill_price: _D = None
    fill_quantity: _D = None
    fill_time: _T = None
    trade_id: str | None = None
    fee: _D = None
    fee_asset: str | None = None
    amend_result: str | None = None
    request_id: str | None = None
    code: str | None = None
    message: str | None = None


@attrs.frozen(kw_only=True)
class UserTrade:
    """One own fill of the ``fills`` channel (fee: ``None``, the channel sends none)."""

    trade_id: str
    order_id: str
    symbol: str
    side: Side | None = None
    price: Decimal
    quantity: Decimal
    fee: _D = None
    fee_asset: str | None = None
    is_maker: bool | None = None
    time: _T = None
    client_order_id: str | None = None
    count: int | None = None


@attrs.frozen(kw_only=True)
class AlgoOrder:
    """An algo order event (``orders-algo``, ``algo-advance``).

    Attributes:
        order_type: ``conditional``, ``oco``, ``trigger``, ``iceberg``, ``twap`` ... (a str).
        state: ``live``, ``pause``, ``effective``, ``canceled`` ... (a str).
        trigger_price, order_price: ``None`` where empty.
    """

    algo_id: str
    client_algo_id: str | None = None
    symbol: str
    instrument_type: InstrumentType | None = None
    order_type: str | None = None
    side: Side | None = None
    quantity: _D = None
    state: str | None = None
    trigger_price: _D = None
    order_price: _D = None
    trade_mode: TradeMode | None = None
    created_at: _T = None
    updated_at: _T = None


@attrs.frozen(kw_only=True)
class Greeks:
    """An ``account-greeks`` push of one asset (Black-Scholes ``_bs`` and price-adjusted ``_pa``)."""

    asset: str
    delta_bs: _D = None
    delta_pa: _D = None
    gamma_bs: _D = None
    gamma_pa: _D = None
    theta_bs: _D = None
    theta_pa: _D = None
    vega_bs: _D = None
    vega_pa: _D = None
    time: _T = None


@attrs.frozen(kw_only=True)
class DepositUpdate:
    """A ``deposit-info`` push: quantity in ``asset``; state is OKX's deposit state code."""

    deposit_id: str
    asset: str
    network: str | None = None
    quantity: _D = None
    fee: _D = None
    state: str | None = None
    to_address: str | None = None
    transaction_id: str | None = None
    time: _T = None


@attrs.frozen(kw_only=True)
class WithdrawalUpdate:
    """A ``withdrawal-info`` push: quantity and fee in ``asset``; state is OKX's code."""

    withdrawal_id: str
    asset: str
    network: str | None = None
    quantity: _D = None
    fee: _D = None
    state: str | None = None
    to_address: str | None = None
    transaction_id: str | None = None
    time: _T = None


@attrs.frozen(kw_only=True)
class OrderResult:
    """The result of one order in an order operation's reply.

    Attributes:
        order_id, client_order_id, tag, request_id: ``None`` when empty.
        time: when OKX handled it.
        code: ``sCode`` (``"0"``: accepted); message: ``sMsg``.
        error: the mapped :class:`exwire.ExchangeError` when ``code`` is not ``"0"``, else ``None``.
    """

    order_id: str | None = None
    client_order_id: str | None = None
    tag: str | None = None
    request_id: str | None = None
    time: _T = None
    code: str = "0"
    message: str = ""
    error: ExchangeError | None = attrs.field(default=None, eq=False)

    @property
    def ok(self) -> bool:
        """Whether OKX accepted this order (``code == "0"``)."""
        return self.error is None


@attrs.frozen(kw_only=True)
class OrderRequest:
    """One order of :meth:`exwire.okx.client.OkxClient.place_multiple_orders`; the fields are
    the keywords of ``place_order`` (checked when the batch is sent, before any I/O)."""

    symbol: str
    side: Side | str
    order_type: OrderType | str
    trade_mode: TradeMode | str
    quantity: Decimal | str | int | float
    price: Decimal | str | int | float | None = None
    position_side: PositionSide | str | None = None
    quick_margin_type: QuickMarginType | str | None = None
    self_trade_prevention_id: int | None = None
    self_trade_prevention_mode: SelfTradePreventionMode | str | None = None
    asset: str | None = None
    quantity_asset: QuantityAsset | str | None = None
    client_order_id: str | None = None
    reduce_only: bool | None = None
    trade_quote_asset: str | None = None
    max_slippage_percentage: Decimal | str | int | float | None = None
    symbol_code: int | None = None


@attrs.frozen(kw_only=True)
class CancelRequest:
    """One order of ``cancel_multiple_orders``: symbol and ``order_id`` or ``client_order_id``."""

    symbol: str
    order_id: str | None = None
    client_order_id: str | None = None
    symbol_code: int | None = None


@attrs.frozen(kw_only=True)
class AmendRequest:
    """One order of ``amend_multiple_orders``; the fields are the keywords of ``amend_order``."""

    symbol: str
    order_id: str | None = None
    client_order_id: str | None = None
    request_id: str | None = None
    new_quantity: Decimal | str | int | float | None = None
    new_price: Decimal | str | int | float | None = None
    cancel_on_fail: bool | None = None
    symbol_code: int | None = None


def request_fields(request: Any) -> Mapping[str, Any]:
    """The keyword arguments an ``*Request`` stands for (for the client's checks)."""
    return attrs.asdict(request, recurse=False)
