"""Models of Binance's market data stream events: one class per payload.

Field names follow the exwire vocabulary; Binance's one-letter wire names live in the
stream converter (:mod:`exwire.binance.stream_converter`) only. Money is ``Decimal``
(prices in the quote asset, quantities in the base asset; COIN-M quantities in
contracts); times are aware UTC datetimes. ``event_time`` is the event's ``E`` (when
Binance sent it); ``time`` the moment the fact happened (trade time ``T`` ...). Field
lists: "WebSocket Streams" of the spot API documentation and "Websocket Market Streams"
of the USDⓈ-M and COIN-M futures documentation (https://developers.binance.com/docs).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import attrs

from exwire.binance.enums import OrderSide
from exwire.models import Level

__all__ = [
    "AggregateTradeUpdate",
    "AveragePriceUpdate",
    "BookTickerUpdate",
    "ContinuousKlineUpdate",
    "DepthUpdate",
    "KlineUpdate",
    "LiquidationUpdate",
    "MarkPriceUpdate",
    "MiniTickerUpdate",
    "PartialDepthUpdate",
    "RollingWindowTickerUpdate",
    "TickerUpdate",
    "TradeUpdate",
]


@attrs.frozen(kw_only=True)
class TradeUpdate:
    """One trade (``<symbol>@trade``, event ``trade``).

    Attributes:
        symbol: ``s``, as Binance writes it (``"BTCUSDT"``).
        trade_id: ``t``.
        price, quantity: ``p``, ``q``.
        side: the taker's side: ``SELL`` when the buyer was the maker (``m``), else ``BUY``.
        buyer_is_maker: ``m``.
        time: the trade time ``T``. event_time: ``E``.
        buyer_order_id, seller_order_id: ``b``, ``a`` (removed by Binance in 2024; ``None``
            when absent).
        trade_type: ``X`` on futures (``MARKET``, ``ADL``, ``INSURANCE_FUND`` ...), else ``None``.
    """

    symbol: str
    trade_id: int
    price: Decimal
    quantity: Decimal
    side: OrderSide
    buyer_is_maker: bool
    time: datetime
    event_time: datetime | None = None
    buyer_order_id: int | None = None
    seller_order_id: int | None = None
    trade_type: str | None = None


@attrs.frozen(kw_only=True)
class AggregateTradeUpdate:
    """Trades of one taker order at one price (``<symbol>@aggTrade``, event ``aggTrade``).

    Attributes:
        symbol: ``s``. aggregate_trade_id: ``a``. price, quantity: ``p``, ``q``.
        first_trade_id, last_trade_id: ``f``, ``l``.
        side: the taker's side (from ``m``). buyer_is_maker: ``m``.
        time: ``T``. event_time: ``E``.
        normal_quantity: ``nq`` (USDⓈ-M: the quantity without RPI trades), else ``None``.
        market_type: ``st`` (futures after Binance's COIN-M migration: 1 = USDⓈ-M, 2 = COIN-M), else ``None``.
    """

    symbol: str
    aggregate_trade_id: int
    price: Decimal
    quantity: Decimal
    first_trade_id: int
    last_trade_id: int
    side: OrderSide
    buyer_is_maker: bool
    time: datetime
    event_time: datetime | None = None
    normal_quantity: Decimal | None = None
    market_type: int | None = None


@attrs.frozen(kw_only=True)
class KlineUpdate:
    """The current candle of one symbol (``<symbol>@kline_<interval>``, event ``kline``).

    Attributes:
        symbol: ``s``. interval: ``k.i`` as sent (``"1m"``, ``"1M"`` ...).
        open_time, close_time: ``k.t``, ``k.T`` (the candle's last millisecond).
        open, high, low, close: ``k.o``, ``k.h``, ``k.l``, ``k.c``.
        volume: ``k.v`` (base asset; contracts on COIN-M). quote_volume: ``k.q`` (COIN-M:
            base-asset volume).
        trade_count: ``k.n``. closed: ``k.x`` (the candle is final).
        first_trade_id, last_trade_id: ``k.f``, ``k.L`` (``-1`` when no trade).
        taker_buy_base_volume, taker_buy_quote_volume: ``k.V``, ``k.Q``.
        event_time: ``E``.
    """

    symbol: str
    interval: str
    open_time: datetime
    close_time: datetime
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: Decimal
    quote_volume: Decimal | None = None
    trade_count: int | None = None
    closed: bool = False
    first_trade_id: int | None = None
    last_trade_id: int | None = None
    taker_buy_base_volume: Decimal | None = None
    taker_buy_quote_volume: Decimal | None = None
    event_time: datetime | None = None


@attrs.frozen(kw_only=True)
class ContinuousKlineUpdate:
    """The current candle of a pair's contract type (``<pair>_<type>@continuousKline_<i>``).

    Attributes:
        pair: ``ps`` (``"BTCUSDT"``). contract_type: ``ct`` (``"PERPETUAL"`` ...).
        interval, open_time, close_time, open, high, low, close, volume, quote_volume,
            trade_count, closed, taker_buy_base_volume, taker_buy_quote_volume, event_time:
            as :class:`KlineUpdate`.
        first_update_id, last_update_id: ``k.f``, ``k.L`` (update ids, not trade ids).
    """

    pair: str
    contract_type: str
    interval: str
    open_time: datetime
    close_time: datetime
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: Decimal
    quote_volume: Decimal | None = None
    trade_count: int | None = None
    closed: bool = False
    first_update_id: int | None = None
    last_update_id: int | None = None
    taker_buy_base_volume: Decimal | None = None
    taker_buy_quote_volume: Decimal | None = None
    event_time: datetime | None = None


@attrs.frozen(kw_only=True)
class MiniTickerUpdate:
    """24 h rolling statistics, short form (``@miniTicker``, ``!miniTicker@arr``).

    Attributes:
        symbol: ``s``. last_price: ``c`` (the close). open_price, high_price, low_price:
        ``o``, ``h``, ``l``. volume: ``v`` (base). quote_volume: ``q``. event_time: ``E``.
        pair: ``ps`` (COIN-M), else ``None``. Fields Binance left out are ``None``.
        market_type: ``st`` (futures after Binance's COIN-M migration: 1 = USDⓈ-M, 2 = COIN-M), else ``None``.
    """

    symbol: str
    last_price: Decimal | None = None
    open_price: Decimal | None = None
    high_price: Decimal | None = None
    low_price: Decimal | None = None
    volume: Decimal | None = None
    quote_volume: Decimal | None = None
    event_time: datetime | None = None
    pair: str | None = None
    market_type: int | None = None


@attrs.frozen(kw_only=True)
class TickerUpdate:
    """24 h rolling statistics (``<symbol>@ticker``, ``!ticker@arr`` on futures, event ``24hrTicker``).

    Attributes:
        symbol: ``s``. price_change: ``p``. price_change_percent: ``P``.
        weighted_average_price: ``w``. first_trade_price: ``x`` (spot: the last price
            before the window). last_price, last_quantity: ``c``, ``Q``.
        bid_price, bid_quantity, ask_price, ask_quantity: ``b``, ``B``, ``a``, ``A`` (spot
            only: ``None`` on futures). open_price, high_price, low_price: ``o``, ``h``, ``l``.
        volume, quote_volume: ``v``, ``q``. open_time, close_time: the window, ``O``, ``C``.
        first_trade_id, last_trade_id: ``F``, ``L``. trade_count: ``n``.
        time: the event time ``E``. pair: ``ps`` (COIN-M), else ``None``.
        market_type: ``st`` (futures after Binance's COIN-M migration: 1 = USDⓈ-M, 2 = COIN-M), else ``None``.
    """

    symbol: str
    price_change: Decimal | None = None
    price_change_percent: Decimal | None = None
    weighted_average_price: Decimal | None = None
    first_trade_price: Decimal | None = None
    last_price: Decimal | None = None
    last_quantity: Decimal | None = None
    bid_price: Decimal | None = None
    bid_quantity: Decimal | None = None
    ask_price: Decimal | None = None
    ask_quantity: Decimal | None = None
    open_price: Decimal | None = None
    high_price: Decimal | None = None
    low_price: Decimal | None = None
    volume: Decimal | None = None
    quote_volume: Decimal | None = None
    open_time: datetime | None = None
    close_time: datetime | None = None
    first_trade_id: int | None = None
    last_trade_id: int | None = None
    trade_count: int | None = None
    time: datetime | None = None
    pair: str | None = None
    market_type: int | None = None


@attrs.frozen(kw_only=True)
class RollingWindowTickerUpdate:
    """Rolling-window statistics (spot ``<symbol>@ticker_<1h|4h|1d>``, events ``1hTicker`` ...).

    Attributes:
        symbol: ``s``. window_size: ``"1h"``, ``"4h"`` or ``"1d"`` (from the event type).
        price_change, price_change_percent, weighted_average_price, open_price, high_price,
            low_price, last_price, volume, quote_volume, open_time, close_time,
            first_trade_id, last_trade_id, trade_count, time: as :class:`TickerUpdate`.
    """

    symbol: str
    window_size: str
    price_change: Decimal | None = None
    price_change_percent: Decimal | None = None
    weighted_average_price: Decimal | None = None
    open_price: Decimal | None = None
    high_price: Decimal | None = None
    low_price: Decimal | None = None
    last_price: Decimal | None = None
    volume: Decimal | None = None
    quote_volume: Decimal | None = None
    open_time: datetime | None = None
    close_time: datetime | None = None
    first_trade_id: int | None = None
    last_trade_id: int | None = None
    trade_count: int | None = None
    time: datetime | None = None


@attrs.frozen(kw_only=True)
class BookTickerUpdate:
    """The best bid and ask (``<symbol>@bookTicker``, ``!bookTicker`` on futures).

    Attributes:
        symbol: ``s``. update_id: ``u``, the order book update id.
        bid_price, bid_quantity, ask_price, ask_quantity: ``b``, ``B``, ``a``, ``A``.
        time: ``E`` (futures only; spot sends no time, ``None``).
        transaction_time: ``T`` (futures only), else ``None``. pair: ``ps`` (COIN-M), else ``None``.
        market_type: ``st`` (futures after Binance's COIN-M migration: 1 = USDⓈ-M, 2 = COIN-M), else ``None``.
    """

    symbol: str
    update_id: int
    bid_price: Decimal | None = None
    bid_quantity: Decimal | None = None
    ask_price: Decimal | None = None
    ask_quantity: Decimal | None = None
    time: datetime | None = None
    transaction_time: datetime | None = None
    pair: str | None = None
    market_type: int | None = None


@attrs.frozen(kw_only=True)
class PartialDepthUpdate:
    """The top ``depth`` levels of each side (``<symbol>@depth<5|10|20>``), a full replacement.

    Spot sends a bare ``{"lastUpdateId", "bids", "asks"}`` (the symbol comes from the
    stream name); futures send a ``depthUpdate`` with ids and times.

    Attributes:
        symbol: upper case (``"BTCUSDT"``).
        last_update_id: spot ``lastUpdateId``; futures ``u``.
        bids: best first. asks: best first.
        first_update_id, previous_final_update_id: ``U``, ``pu`` (futures), else ``None``.
        time, transaction_time: ``E``, ``T`` (futures), else ``None``.
    """

    symbol: str
    last_update_id: int
    bids: tuple[Level, ...] = ()
    asks: tuple[Level, ...] = ()
    first_update_id: int | None = None
    previous_final_update_id: int | None = None
    time: datetime | None = None
    transaction_time: datetime | None = None


@attrs.frozen(kw_only=True)
class DepthUpdate:
    """One diff depth event (``<symbol>@depth[@100ms]``, event type ``depthUpdate``).

    Attributes:
        symbol: the symbol as Binance writes it (``"BTCUSDT"``).
        first_update_id: ``U``, the first update id in the event.
        final_update_id: ``u``, the last update id in the event.
        previous_final_update_id: ``pu`` (futures only): ``u`` of the previous event of the
            stream; ``None`` on spot.
        bids, asks: changed levels (quantity 0 removes the level), as sent.
        time: the event time ``E`` (aware UTC).
        transaction_time: ``T`` (futures only), else ``None``.
        pair: ``ps`` (COIN-M), else ``None``.
        market_type: ``st`` (futures after Binance's COIN-M migration: 1 = USDⓈ-M, 2 = COIN-M), else ``None``.
    """

    symbol: str
    first_update_id: int
    final_update_id: int
    previous_final_update_id: int | None = None
    bids: tuple[Level, ...] = ()
    asks: tuple[Level, ...] = ()
    time: datetime | None = None
    transaction_time: datetime | None = None
    pair: str | None = None
    market_type: int | None = None


@attrs.frozen(kw_only=True)
class AveragePriceUpdate:
    """The current average price (spot ``<symbol>@avgPrice``, event ``avgPrice``).

    Attributes:
        symbol: ``s``. interval: ``i``, the averaging window (``"5m"``).
        price: ``w``. last_trade_time: ``T``. event_time: ``E``.
    """

    symbol: str
    interval: str
    price: Decimal
    last_trade_time: datetime | None = None
    event_time: datetime | None = None


@attrs.frozen(kw_only=True)
class MarkPriceUpdate:
    """Mark price and funding (futures ``@markPrice[@1s]``, ``!markPrice@arr``, event ``markPriceUpdate``).

    Attributes:
        symbol: ``s``. mark_price: ``p``. index_price: ``i``.
        estimated_settle_price: ``P``. funding_rate: ``r`` (``None`` when empty: COIN-M
            delivery contracts). next_funding_time: ``T`` (``None`` when 0).
        mark_price_moving_average: ``ap`` (USDⓈ-M), else ``None``. time: ``E``.
        market_type: ``st`` (futures after Binance's COIN-M migration: 1 = USDⓈ-M, 2 = COIN-M), else ``None``.
    """

    symbol: str
    mark_price: Decimal
    index_price: Decimal | None = None
    estimated_settle_price: Decimal | None = None
    funding_rate: Decimal | None = None
    next_funding_time: datetime | None = None
    mark_price_moving_average: Decimal | None = None
    time: datetime | None = None
    market_type: int | None = None


@attrs.frozen(kw_only=True)
class LiquidationUpdate:
    """A liquidation order (futures ``@forceOrder``, ``!forceOrder@arr``, event ``forceOrder``).

    Attributes:
        symbol: ``o.s``. side: ``o.S``. order_type: ``o.o`` (``"LIMIT"``).
        time_in_force: ``o.f`` (``"IOC"``). quantity: ``o.q``. price: ``o.p``.
        average_price: ``o.ap``. status: ``o.X``. last_filled_quantity: ``o.l``.
        filled_quantity: ``o.z``. time: the trade time ``o.T``. event_time: ``E``.
        pair: ``o.ps`` (COIN-M), else ``None``.
        market_type: ``st`` (futures after Binance's COIN-M migration: 1 = USDⓈ-M, 2 = COIN-M), else ``None``.
    """

    symbol: str
    side: OrderSide
    order_type: str
    time_in_force: str | None
    quantity: Decimal
    price: Decimal
    average_price: Decimal | None
    status: str
    last_filled_quantity: Decimal | None
    filled_quantity: Decimal | None
    time: datetime
    event_time: datetime | None = None
    pair: str | None = None
    market_type: int | None = None
