"""Typed results of the Binance futures WebSocket APIs: USDⓈ-M (``ws-fapi``) and COIN-M (``ws-dapi``).

Section numbers (§10) refer to the protocol notes of
:doc:`the Binance page </exchanges/binance>`. Conventions as in
:mod:`exwire.binance.models` (which re-exports everything here): Python field names
(the wire names live in :mod:`exwire.binance.futures_converter`), ``Decimal`` amounts,
aware UTC ``datetime`` times, ``None`` for a field the server left out. A time the wire
reports as ``0`` ("never": an untriggered algo order, a position never updated, no
good-till date) is ``None`` too.

Units: USDⓈ-M quantities are in the base asset (BTC of BTCUSDT) and money in the
margin asset (USDT/USDC). COIN-M quantities are in **contracts** (each worth a fixed
amount of USD, e.g. 100 USD for BTCUSD_PERP) and money (margins, balances, PnL) in the
coin (BTC). Prices are always quote per base (USD per BTC). Every model is an attrs
``frozen`` class, immutable and safe to share between threads.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import attrs

from exwire.binance.enums import (
    AlgoStatus,
    AlgoType,
    FuturesOrderType,
    FuturesTimeInForce,
    MarginType,
    OrderSide,
    OrderStatus,
    PositionSide,
    PriceMatch,
    SelfTradePreventionMode,
    WorkingType,
)
from exwire.models import Level

__all__ = [
    "FuturesOrderBook",
    "FuturesPriceTicker",
    "FuturesBookTicker",
    "FuturesOrder",
    "AlgoOrder",
    "FuturesPosition",
    "FuturesBalance",
    "FuturesAsset",
    "FuturesAccount",
]


@attrs.frozen(kw_only=True)
class FuturesOrderBook:
    """Result of USDⓈ-M ``depth`` (§10.3): bids best (highest) first, asks best (lowest) first.

    Attributes:
        event_time: when the snapshot was produced; ``transaction_time``: of the last
            change it includes.
    """

    last_update_id: int
    bids: tuple[Level, ...]
    asks: tuple[Level, ...]
    event_time: datetime | None = None
    transaction_time: datetime | None = None


@attrs.frozen(kw_only=True)
class FuturesPriceTicker:
    """Latest price of a USDⓈ-M contract (``ticker.price``): ``last_price`` in the quote asset."""

    symbol: str
    last_price: Decimal
    time: datetime | None = None


@attrs.frozen(kw_only=True)
class FuturesBookTicker:
    """Best bid and ask of a USDⓈ-M contract with their quantities (``ticker.book``)."""

    symbol: str
    bid_price: Decimal
    bid_quantity: Decimal
    ask_price: Decimal
    ask_quantity: Decimal
    last_update_id: int | None = None
    time: datetime | None = None


@attrs.frozen(kw_only=True)
class FuturesOrder:
    """A futures order report: placement, modification, cancel or status (§10.3, §10.5).

    With ``response_type`` ``ACK`` (the default) a placement reply shows the order as
    accepted, before matching; ``RESULT`` shows it after matching. Binance dropped
    ``avg_price``/``cumulative_quote`` from some replies in 2026 (§10.5): they are then ``None``.

    Attributes:
        quantity: ordered quantity (``origQty``); ``filled_quantity``: filled so far (``executedQty``)
            (``cumulative_quantity`` repeats it on placement replies).
        average_price: average fill price, 0 before any fill.
        cumulative_quote: USDⓈ-M: quote filled so far (price × quantity, in the margin asset).
        cumulative_base: COIN-M: the filled value in the coin.
        original_type: the type as placed (a triggered stop reports its new ``order_type``).
        stop_price: trigger price of a COIN-M conditional order, 0 otherwise.
        activate_price, price_rate: COIN-M trailing stops (activation price; callback rate in %).
        good_till_date: expiry of a ``GTD`` order, else ``None``.
        pair: COIN-M: the underlying pair (``BTCUSD``).
        created_at: creation (``time``, ``order.status`` only); ``updated_at``: last change.
    """

    symbol: str
    order_id: int
    client_order_id: str | None = None
    status: OrderStatus | None = None
    price: Decimal | None = None
    average_price: Decimal | None = None
    quantity: Decimal | None = None
    filled_quantity: Decimal | None = None
    cumulative_quantity: Decimal | None = None
    cumulative_quote: Decimal | None = None
    cumulative_base: Decimal | None = None
    time_in_force: FuturesTimeInForce | None = None
    order_type: FuturesOrderType | None = None
    original_type: FuturesOrderType | None = None
    side: OrderSide | None = None
    position_side: PositionSide | None = None
    reduce_only: bool | None = None
    close_position: bool | None = None
    stop_price: Decimal | None = None
    working_type: WorkingType | None = None
    price_protect: bool | None = None
    price_match: PriceMatch | None = None
    self_trade_prevention_mode: SelfTradePreventionMode | None = None
    good_till_date: datetime | None = None
    activate_price: Decimal | None = None
    price_rate: Decimal | None = None
    pair: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None


@attrs.frozen(kw_only=True)
class AlgoOrder:
    """A USDⓈ-M algo (conditional) order (``algoOrder.place`` / ``algoOrder.cancel``, §10.3).

    Attributes:
        algo_id: Binance's id; ``client_algo_id``: yours (or one Binance made).
        order_type: ``STOP``, ``STOP_MARKET``, ``TAKE_PROFIT``, ``TAKE_PROFIT_MARKET`` or
            ``TRAILING_STOP_MARKET``.
        trigger_price: the price (per ``working_type``) that triggers it.
        price: limit price of the order placed on trigger (``STOP``/``TAKE_PROFIT``).
        activate_price, callback_rate: trailing stops (activation price; callback in %).
        trigger_time: when it triggered, ``None`` before.
        actual_order_id: the order placed when it triggered, ``None`` before (where the
            server reports it).
    """

    algo_id: int
    client_algo_id: str | None = None
    algo_type: AlgoType | None = None
    order_type: FuturesOrderType | None = None
    symbol: str
    side: OrderSide | None = None
    position_side: PositionSide | None = None
    time_in_force: FuturesTimeInForce | None = None
    quantity: Decimal | None = None
    algo_status: AlgoStatus | None = None
    trigger_price: Decimal | None = None
    price: Decimal | None = None
    iceberg_quantity: Decimal | None = None
    self_trade_prevention_mode: SelfTradePreventionMode | None = None
    working_type: WorkingType | None = None
    price_match: PriceMatch | None = None
    close_position: bool | None = None
    price_protect: bool | None = None
    reduce_only: bool | None = None
    activate_price: Decimal | None = None
    callback_rate: Decimal | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    trigger_time: datetime | None = None
    good_till_date: datetime | None = None
    actual_order_id: int | None = None
    actual_price: Decimal | None = None


@attrs.frozen(kw_only=True)
class FuturesPosition:
    """One position (``account.position``, ``v2/account.position``, and the positions of
    ``account.status``, §10.3). Which fields are present depends on the method and market.

    Attributes:
        position_amount: signed size: positive long, negative short (base asset on
            USDⓈ-M, contracts on COIN-M).
        entry_price: average entry price; ``break_even_price``: entry including fees.
        mark_price: the mark price margins and unrealized PnL are computed at.
        unrealized_profit: at the mark price, in the margin asset.
        notional: USDⓈ-M signed position value at the mark price (margin asset);
            ``notional_value``: COIN-M value in the coin.
        initial_margin, maint_margin: required margins (margin asset);
            ``position_initial_margin``/``open_order_initial_margin`` split the initial margin.
        leverage: the symbol's leverage setting; ``max_notional_value``/``max_quantity``:
            the largest position allowed at it.
        margin_type, isolated: cross or isolated margin; ``isolated_margin``/``isolated_wallet``
            (0 for cross).
        adl: auto-deleverage queue indicator (0–4).
        update_time: last change, ``None`` if never.
    """

    symbol: str
    position_side: PositionSide | None = None
    position_amount: Decimal
    entry_price: Decimal | None = None
    break_even_price: Decimal | None = None
    mark_price: Decimal | None = None
    unrealized_profit: Decimal | None = None
    liquidation_price: Decimal | None = None
    leverage: int | None = None
    max_notional_value: Decimal | None = None
    max_quantity: Decimal | None = None
    margin_type: MarginType | None = None
    isolated: bool | None = None
    isolated_margin: Decimal | None = None
    isolated_wallet: Decimal | None = None
    is_auto_add_margin: bool | None = None
    notional: Decimal | None = None
    notional_value: Decimal | None = None
    margin_asset: str | None = None
    initial_margin: Decimal | None = None
    maint_margin: Decimal | None = None
    position_initial_margin: Decimal | None = None
    open_order_initial_margin: Decimal | None = None
    bid_notional: Decimal | None = None
    ask_notional: Decimal | None = None
    adl: int | None = None
    update_time: datetime | None = None


@attrs.frozen(kw_only=True)
class FuturesBalance:
    """One asset of the futures wallet (``account.balance``, ``v2/account.balance``, §10.3).

    Attributes:
        balance: wallet balance (deposits plus realized PnL), in ``asset``.
        cross_wallet_balance: the part backing cross-margin positions.
        cross_unrealized_pnl: unrealized PnL of the cross positions.
        available_balance: what new orders can use as margin.
        max_withdraw_amount: USDⓈ-M, ``withdraw_available``: COIN-M; what may be transferred out.
        margin_available: whether the asset may serve as margin (multi-assets mode).
    """

    asset: str
    balance: Decimal
    account_alias: str | None = None
    cross_wallet_balance: Decimal | None = None
    cross_unrealized_pnl: Decimal | None = None
    available_balance: Decimal | None = None
    max_withdraw_amount: Decimal | None = None
    withdraw_available: Decimal | None = None
    margin_available: bool | None = None
    update_time: datetime | None = None


@attrs.frozen(kw_only=True)
class FuturesAsset:
    """One asset of :class:`FuturesAccount`: wallet, margins and PnL in that asset.

    ``margin_balance`` = ``wallet_balance`` + ``unrealized_profit``;
    ``initial_margin`` = ``position_initial_margin`` + ``open_order_initial_margin``.
    """

    asset: str
    wallet_balance: Decimal
    unrealized_profit: Decimal | None = None
    margin_balance: Decimal | None = None
    maint_margin: Decimal | None = None
    initial_margin: Decimal | None = None
    position_initial_margin: Decimal | None = None
    open_order_initial_margin: Decimal | None = None
    cross_wallet_balance: Decimal | None = None
    cross_unrealized_pnl: Decimal | None = None
    available_balance: Decimal | None = None
    max_withdraw_amount: Decimal | None = None
    margin_available: bool | None = None
    update_time: datetime | None = None


@attrs.frozen(kw_only=True)
class FuturesAccount:
    """The futures account (``account.status``, ``v2/account.status``, §10.3).

    The ``total_*`` fields (USDⓈ-M single-asset mode: in USDT) are ``None`` on COIN-M,
    where each asset stands alone. ``can_trade`` ... ``update_time`` come with the v1
    method (and COIN-M) only.

    Attributes:
        fee_tier: the account's fee tier.
        multi_assets_margin: whether several assets back the margin (USDⓈ-M v1).
        positions: v2 lists only open positions; v1 lists every symbol.
    """

    total_initial_margin: Decimal | None = None
    total_maint_margin: Decimal | None = None
    total_wallet_balance: Decimal | None = None
    total_unrealized_profit: Decimal | None = None
    total_margin_balance: Decimal | None = None
    total_position_initial_margin: Decimal | None = None
    total_open_order_initial_margin: Decimal | None = None
    total_cross_wallet_balance: Decimal | None = None
    total_cross_unrealized_pnl: Decimal | None = None
    available_balance: Decimal | None = None
    max_withdraw_amount: Decimal | None = None
    fee_tier: int | None = None
    can_trade: bool | None = None
    can_deposit: bool | None = None
    can_withdraw: bool | None = None
    multi_assets_margin: bool | None = None
    update_time: datetime | None = None
    assets: tuple[FuturesAsset, ...] = ()
    positions: tuple[FuturesPosition, ...] = ()

    def asset(self, name: str) -> FuturesAsset | None:
        """The entry of asset ``name`` (e.g. ``"USDT"``), or ``None`` if the account has none."""
        return next((a for a in self.assets if a.asset == name), None)

    def position(self, symbol: str, position_side: PositionSide | str | None = None) -> FuturesPosition | None:
        """The position in ``symbol`` (of ``position_side`` in hedge mode), or ``None``."""
        side = getattr(position_side, "value", position_side)
        return next((p for p in self.positions if p.symbol == symbol
                     and (side is None or getattr(p.position_side, "value", None) == side)), None)
