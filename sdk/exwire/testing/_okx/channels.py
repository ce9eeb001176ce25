"""The channels of the OKX emulator: which endpoint serves each, argument checks, and the
public pushes built from the generated market.

Endpoints and channels as https://www.okx.com/docs-v5/en/ documents them: ``/public``
serves the tickers, trades, order books and public-data channels; ``/business`` the
candles, ``trades-all`` and the algo/deposit/withdrawal channels; ``/private`` the account
channels. Order books follow the "Checksum" and "Sequence ID" rules of
https://www.okx.com/docs-v5/en/#order-book-trading-market-data-ws-order-book-channel.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from exwire.testing._okx.common import (
    BARS,
    INDEXES,
    INSTRUMENT_TYPES,
    INSTRUMENTS,
    Instrument,
    book_checksum,
    fmt,
    message,
)
from exwire.testing._okx.market import Market, TradePrint

__all__ = ["ArgError", "Subscription", "resolve"]

PUBLIC = "public"
PRIVATE = "private"
BUSINESS = "business"

BOOK_DEPTHS = {"books": 400, "books5": 5, "bbo-tbt": 1, "books-l2-tbt": 400, "books50-l2-tbt": 50}
INCREMENTAL_BOOKS = ("books", "books-l2-tbt", "books50-l2-tbt")
_INSTRUMENT_CHANNELS = ("tickers", "trades", "mark-price", "funding-rate", "open-interest",
                        "price-limit", *BOOK_DEPTHS)
_PUBLIC_CHANNELS = {*_INSTRUMENT_CHANNELS, "index-tickers", "estimated-price", "opt-summary",
                    "instruments", "status"}
PRIVATE_CHANNELS = {"account", "positions", "balance_and_position", "orders", "fills",
                    "liquidation-warning", "account-greeks"}
BUSINESS_PRIVATE_CHANNELS = {"orders-algo", "algo-advance", "deposit-info", "withdrawal-info"}
#: Private channels that report ``channel-conn-count`` after a subscription.
COUNTED_CHANNELS = {"orders", "account", "positions", "balance_and_position",
                    "liquidation-warning", "account-greeks"}
_CANDLE = re.compile(r"(candle|mark-price-candle|index-candle)(.+)")
#: Channels pushed on subscribe and then only on events, not on every market step.
_QUIET = {"instruments", "status", "estimated-price"}


class ArgError(Exception):
    """An argument refused with an OKX error ``code`` and ``msg``."""

    def __init__(self, code: str, msg: str) -> None:
        super().__init__(code, msg)
        self.code, self.msg = code, msg


def endpoint_of(channel: str) -> str | None:
    """The endpoint serving ``channel``, ``None`` for an unknown channel."""
    if channel in _PUBLIC_CHANNELS:
        return PUBLIC
    if channel in PRIVATE_CHANNELS:
        return PRIVATE
    if channel in BUSINESS_PRIVATE_CHANNELS or channel == "trades-all":
        return BUSINESS
    match = _CANDLE.fullmatch(channel)
    if match is not None and match.group(2) in BARS:
        return BUSINESS
    return None


def needs_login(channel: str) -> bool:
    return channel in PRIVATE_CHANNELS or channel in BUSINESS_PRIVATE_CHANNELS or \
        channel in ("books-l2-tbt", "books50-l2-tbt")


@dataclass
class Subscription:
    """One subscribed arg of a connection and what was last sent for it."""

    channel: str
    arg: dict[str, Any]
    key: str
    instrument: Instrument | None = None
    index: str | None = None
    # order books: the levels the client holds (price string -> level) and the last seqId
    view: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    last_seq: int = -1
    last_top: Any = None

    @property
    def depth(self) -> int:
        return BOOK_DEPTHS.get(self.channel, 0)

    @property
    def private(self) -> bool:
        return self.channel in PRIVATE_CHANNELS or self.channel in BUSINESS_PRIVATE_CHANNELS

    @property
    def quiet(self) -> bool:
        return self.channel in _QUIET


def _unknown(channel: Any, arg: dict[str, Any]) -> ArgError:
    return ArgError("60018", message("60018", channel, arg.get("instId", arg.get("instType", ""))))


def resolve(arg: Any, endpoint: str, logged_in: bool) -> Subscription:
    """Check one subscribe arg on ``endpoint`` and build its :class:`Subscription`.

    Raises:
        ArgError: the arg is malformed, unknown, on the wrong endpoint or needs a login.
    """
    if not isinstance(arg, dict) or not isinstance(arg.get("channel"), str):
        raise ArgError("60013", message("60013"))
    channel = arg["channel"]
    home = endpoint_of(channel)
    if home is None:
        raise _unknown(channel, arg)
    if home != endpoint:
        if home == BUSINESS and endpoint == PUBLIC and channel not in BUSINESS_PRIVATE_CHANNELS:
            raise ArgError("64001", message("64001"))
        if home == PUBLIC and endpoint == BUSINESS:
            raise ArgError("64002", message("64002"))
        raise _unknown(channel, arg)
    if "uly" in arg:
        raise ArgError("64000", "Parameter uly is no longer supported. Please use instFamily instead.")
    extra = arg.get("extraParams")
    if extra is not None and not (isinstance(extra, str) and _json_object(extra)):
        raise ArgError("60013", message("60013"))  # a JSON object encoded as a string
    if needs_login(channel) and not logged_in:
        raise ArgError("60011", message("60011"))
    key = json.dumps(arg, sort_keys=True)
    subscription = Subscription(channel, dict(arg), key)
    inst_id, inst_type = arg.get("instId"), arg.get("instType")
    if channel in _INSTRUMENT_CHANNELS or channel == "trades-all" or (
            _CANDLE.fullmatch(channel) and not channel.startswith("index-")):
        instrument = INSTRUMENTS.get(inst_id) if isinstance(inst_id, str) else None
        if instrument is None:
            raise _unknown(channel, arg)
        if channel == "funding-rate" and instrument.inst_type != "SWAP" or \
                channel == "open-interest" and instrument.is_spot:
            raise _unknown(channel, arg)
        subscription.instrument = instrument
    elif channel in ("index-tickers",) or channel.startswith("index-candle"):
        if inst_id not in INDEXES:
            raise _unknown(channel, arg)
        subscription.index = inst_id
    elif channel == "instruments":
        if inst_type not in INSTRUMENT_TYPES:
            raise ArgError("60013", message("60013"))
    elif channel == "estimated-price":
        if inst_type not in ("FUTURES", "OPTION") or not (arg.get("instFamily") or inst_id):
            raise ArgError("60013", message("60013"))
    elif channel == "opt-summary":
        if not any(i.family == arg.get("instFamily") for i in INSTRUMENTS.values()
                   if i.inst_type == "OPTION"):
            raise _unknown(channel, arg)
    elif channel in ("orders", "positions", "liquidation-warning", "orders-algo", "algo-advance"):
        allowed = ("ANY", *INSTRUMENT_TYPES) if channel in ("orders", "positions") else INSTRUMENT_TYPES
        if channel in ("orders-algo", "algo-advance"):
            allowed = ("ANY", *INSTRUMENT_TYPES)
        if inst_type not in allowed:
            raise ArgError("60013", message("60013"))
    return subscription


def _json_object(text: str) -> bool:
    try:
        return isinstance(json.loads(text), dict)
    except ValueError:
        return False


# -- public payloads ------------------------------------------------------------------


def _volumes(instrument: Instrument, volume: Decimal, quote_volume: Decimal) -> tuple[str, str, str]:
    """``(vol, volCcy, volCcyQuote)``: SPOT base/quote/quote; derivatives contracts/base/quote."""
    if instrument.is_spot:
        return fmt(volume), fmt(quote_volume), fmt(quote_volume)
    base = volume * instrument.contract_value
    return fmt(volume), fmt(base), fmt(quote_volume * instrument.contract_value)


def ticker(market: Market) -> dict[str, Any]:
    instrument = market.instrument
    bids, asks = market.levels("bids", 1), market.levels("asks", 1)
    vol, vol_ccy, _ = _volumes(instrument, market.volume_24h, market.quote_volume_24h)
    return {"instType": instrument.inst_type, "instId": instrument.inst_id, "last": fmt(market.last),
            "lastSz": fmt(market.last_size), "askPx": asks[0][0], "askSz": asks[0][1],
            "bidPx": bids[0][0], "bidSz": bids[0][1], "open24h": fmt(market.open_24h),
            "high24h": fmt(market.high_24h), "low24h": fmt(market.low_24h), "volCcy24h": vol_ccy,
            "vol24h": vol, "sodUtc0": fmt(market.open_24h), "sodUtc8": fmt(market.open_24h),
            "ts": str(market.ts)}


def trade(trade_print: TradePrint, inst_id: str, every: bool = False) -> dict[str, Any]:
    data: dict[str, Any] = {"instId": inst_id, "tradeId": str(trade_print.trade_id), "px": fmt(trade_print.price),
            "sz": fmt(trade_print.size), "side": trade_print.side, "ts": str(trade_print.ts)}
    if not every:
        data["count"] = "1"
    data["source"] = "0"
    if not every:
        data["seqId"] = trade_print.seq_id
    return data


def candles(market: Market, subscription: Subscription) -> list[list[str]]:
    """The rows to push for a candle subscription: the candle it saw last, closed
    (``confirm`` "1"), when a new bar has begun since; then the current one."""
    match = _CANDLE.fullmatch(subscription.channel)
    assert match is not None
    kind, bar = match.groups()
    series = {"candle": "trade", "mark-price-candle": "mark", "index-candle": "index"}[kind]
    current = market.candle(series, bar)
    rows = []
    closed = market.closed.get((series, bar))
    if subscription.last_top is not None and subscription.last_top != current.start and \
            closed is not None and closed.start == subscription.last_top:
        rows.append(_candle_row(market, closed, series, "1"))
    subscription.last_top = current.start
    rows.append(_candle_row(market, current, series, "0"))
    return rows


def _candle_row(market: Market, bar_candle: Any, series: str, confirm: str) -> list[str]:
    row = [str(bar_candle.start), fmt(bar_candle.open), fmt(bar_candle.high), fmt(bar_candle.low),
           fmt(bar_candle.close)]
    if series == "trade":
        row.extend(_volumes(market.instrument, bar_candle.volume, bar_candle.quote_volume))
    row.append(confirm)
    return row


def instrument_data(instrument: Instrument, listed_ms: int = 1606468572000) -> dict[str, Any]:
    spot = instrument.is_spot
    return {
        "alias": "" if spot or instrument.inst_type == "OPTION" else
        ("this_quarter" if instrument.inst_type == "FUTURES" else ""),
        "baseCcy": instrument.base, "category": "1",
        "ctMult": "" if spot else "1", "ctType": "" if spot or instrument.inst_type == "OPTION" else "linear",
        "ctVal": "" if spot else fmt(instrument.contract_value),
        "ctValCcy": "" if spot else instrument.inst_id.split("-")[0],
        "expTime": "" if not instrument.expiry else "1798185600000",
        "instFamily": instrument.family, "instId": instrument.inst_id,
        "instIdCode": instrument.code, "instType": instrument.inst_type,
        "lever": "10" if instrument.leverage > 1 else "", "listTime": str(listed_ms),
        "lotSz": fmt(instrument.lot), "maxLmtSz": "9999999999", "maxMktSz": "1000000",
        "minSz": fmt(instrument.min_size),
        "optType": instrument.inst_id[-1] if instrument.inst_type == "OPTION" else "",
        "quoteCcy": instrument.quote, "settleCcy": instrument.settle, "state": "live",
        "stk": instrument.inst_id.split("-")[3] if instrument.inst_type == "OPTION" else "",
        "tickSz": fmt(instrument.tick), "uly": instrument.family,
    }


def public_data(subscription: Subscription, markets: dict[str, Market],
                status: dict[str, Any], now_ms: int) -> list[dict[str, Any]] | None:
    """The ``data`` of one push for a public channel other than the books and trades,
    ``None`` when the channel has nothing to push now; for the candle channels the rows,
    each to be pushed on its own (see :func:`candles`)."""
    channel = subscription.channel
    instrument = subscription.instrument
    if instrument is not None:
        market = markets[instrument.inst_id]
        mark = market.mark_price
        if channel == "tickers":
            return [ticker(market)]
        if channel == "mark-price":
            return [{"instType": instrument.inst_type, "instId": instrument.inst_id,
                     "markPx": fmt(mark), "ts": str(market.ts)}]
        if channel == "funding-rate":
            return [{"fundingRate": fmt(market.funding_rate), "fundingTime": str(_next_funding(now_ms)),
                     "instId": instrument.inst_id, "instType": "SWAP", "method": "current_period",
                     "maxFundingRate": "0.00375", "minFundingRate": "-0.00375",
                     "nextFundingRate": "", "nextFundingTime": str(_next_funding(now_ms) + 28_800_000),
                     "premium": fmt(market.funding_rate / 2), "settFundingRate": fmt(market.funding_rate),
                     "settState": "settled", "ts": str(market.ts)}]
        if channel == "open-interest":
            oi_ccy = market.open_interest * instrument.contract_value
            return [{"instType": instrument.inst_type, "instId": instrument.inst_id,
                     "oi": fmt(market.open_interest), "oiCcy": fmt(oi_ccy),
                     "oiUsd": fmt((oi_ccy * mark).quantize(Decimal("0.01"))), "ts": str(market.ts)}]
        if channel == "price-limit":
            tick = instrument.tick
            return [{"instId": instrument.inst_id, "buyLmt": fmt((mark * Decimal("1.05") / tick).to_integral() * tick),
                     "sellLmt": fmt((mark * Decimal("0.95") / tick).to_integral() * tick),
                     "ts": str(market.ts), "enabled": True}]
        if channel.startswith(("candle", "mark-price-candle")):
            return candles(market, subscription)  # type: ignore[return-value]
    if subscription.index is not None:
        market = markets[INDEXES[subscription.index]]
        if channel == "index-tickers":
            price = fmt(market.mark_price)
            return [{"instId": subscription.index, "idxPx": price, "high24h": fmt(max(market.high_24h, market.mark_price)),
                     "low24h": fmt(min(market.low_24h, market.mark_price)), "open24h": fmt(market.open_24h),
                     "sodUtc0": fmt(market.open_24h), "sodUtc8": fmt(market.open_24h), "ts": str(market.ts)}]
        return candles(market, subscription)  # type: ignore[return-value]
    arg = subscription.arg
    if channel == "instruments":
        if arg["instType"] == "MARGIN":  # the SPOT pairs, listed as MARGIN instruments
            return [{**instrument_data(i), "instType": "MARGIN"} for i in INSTRUMENTS.values() if i.is_spot]
        return [instrument_data(i) for i in INSTRUMENTS.values() if i.inst_type == arg["instType"]]
    if channel == "status":
        return [dict(status)]
    if channel == "estimated-price":
        chosen = [i for i in INSTRUMENTS.values() if i.inst_type == arg["instType"] and (
            i.family == arg.get("instFamily") or i.inst_id == arg.get("instId"))]
        return [{"instType": i.inst_type, "instId": i.inst_id,
                 "settlePx": fmt(markets[i.inst_id].mark_price), "settleType": "settlement",
                 "ts": str(markets[i.inst_id].ts)} for i in chosen] or None
    if channel == "opt-summary":
        rows = []
        for i in INSTRUMENTS.values():
            if i.inst_type == "OPTION" and i.family == arg["instFamily"]:
                market = markets[i.inst_id]
                call = i.inst_id.endswith("-C")
                delta = "0.52" if call else "-0.48"
                rows.append({"instType": "OPTION", "instId": i.inst_id, "uly": i.family,
                             "delta": delta, "gamma": "0.0001", "vega": "0.0004", "theta": "-0.0002",
                             "deltaBS": delta, "gammaBS": "0.0001", "vegaBS": "0.0004",
                             "thetaBS": "-0.0002", "lever": fmt((1 / market.mark_price).quantize(Decimal("0.0001"))),
                             "markVol": "0.55", "bidVol": "0.54", "askVol": "0.56", "realVol": "0",
                             "volLv": "0.55", "fwdPx": fmt(markets["BTC-USDT"].mark_price), "ts": str(market.ts)})
        return rows
    return None


def _next_funding(now_ms: int) -> int:
    period = 8 * 3600 * 1000
    return (now_ms // period + 1) * period


# -- order books ----------------------------------------------------------------------


def book_message(subscription: Subscription, market: Market, *, snapshot: bool,
                 zero_checksum: bool) -> dict[str, Any] | None:
    """The next order book push of ``subscription`` (its view updated), ``None`` when
    nothing changed since the last one.

    ``books``/``books-l2-tbt``/``books50-l2-tbt``: a snapshot (``prevSeqId`` -1), then
    updates of the changed levels (size ``"0"`` deletes) chained by ``prevSeqId``, each
    with the checksum of the client's book after it. ``books5``/``bbo-tbt``: the top
    levels whenever they change, with ``seqId`` only and no checksum.
    """
    depth = subscription.depth
    bids, asks = market.levels("bids", depth), market.levels("asks", depth)
    inst_id = market.instrument.inst_id
    ts = str(market.ts)
    if subscription.channel not in INCREMENTAL_BOOKS:
        top = (bids, asks)
        if not snapshot and top == subscription.last_top:
            return None
        subscription.last_top = top
        subscription.last_seq = market.seq_id
        return {"asks": asks, "bids": bids, "instId": inst_id, "ts": ts, "seqId": market.seq_id}
    new = {"bids": {level[0]: level for level in bids}, "asks": {level[0]: level for level in asks}}
    checksum = 0 if zero_checksum else book_checksum(bids, asks)
    if snapshot:
        subscription.view = new
        subscription.last_seq = market.seq_id
        return {"asks": asks, "bids": bids, "ts": ts, "checksum": checksum, "prevSeqId": -1,
                "seqId": market.seq_id}
    changes: dict[str, list[list[str]]] = {}
    for side in ("asks", "bids"):
        old = subscription.view.get(side, {})
        changed = [level for price, level in new[side].items() if old.get(price) != level]
        changed += [[price, "0", "0", "0"] for price in old if price not in new[side]]
        changed.sort(key=lambda level: Decimal(level[0]), reverse=side == "bids")
        changes[side] = changed
    if not changes["asks"] and not changes["bids"]:
        return None
    subscription.view = new
    previous, subscription.last_seq = subscription.last_seq, market.seq_id
    return {"asks": changes["asks"], "bids": changes["bids"], "ts": ts, "checksum": checksum,
            "prevSeqId": previous, "seqId": market.seq_id}
