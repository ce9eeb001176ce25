"""The orders, positions and account events of the OKX emulator's matching engine.

:class:`Order` renders itself as the ``orders`` channel pushes an order
(https://www.okx.com/docs-v5/en/#order-book-trading-trade-ws-order-channel).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from exwire.testing._okx.common import Instrument, fmt, message

__all__ = ["FINAL_STATES", "UID", "Event", "Order", "OrderError", "Position", "order_error"]

MAKER_FEE = Decimal("0.0008")
TAKER_FEE = Decimal("0.001")
ORDER_TYPES = ("market", "limit", "post_only", "fok", "ioc", "optimal_limit_ioc", "mmp",
               "mmp_and_post_only")
TAKING_TYPES = ("market", "optimal_limit_ioc")
FINAL_STATES = ("filled", "canceled", "mmp_canceled")
#: The account's user id, added to the ``arg`` of every private push.
UID = "614488474791936"



class OrderError(Exception):
    """One order refused with ``sCode`` and ``sMsg``."""

    def __init__(self, code: str, msg: str) -> None:
        super().__init__(code, msg)
        self.code, self.msg = code, msg


def order_error(code: str, *args: Any) -> OrderError:
    return OrderError(code, message(code, *args))


@dataclass
class Order:
    """One order of the account."""

    ord_id: str
    cl_ord_id: str
    tag: str
    instrument: Instrument
    side: str
    ord_type: str
    td_mode: str
    size: Decimal
    price: Decimal | None
    tgt_ccy: str
    reduce_only: bool
    created: int
    updated: int
    state: str = "live"
    filled: Decimal = Decimal(0)
    notional: Decimal = Decimal(0)  # sum of fill price * size
    fee: Decimal = Decimal(0)
    frozen: Decimal = Decimal(0)
    frozen_ccy: str = ""
    last_fill: dict[str, str] = field(default_factory=dict)
    amend: dict[str, str] = field(default_factory=dict)
    cancel_source: str = ""

    @property
    def average(self) -> Decimal:
        return self.notional / self.filled if self.filled else Decimal(0)

    @property
    def remaining(self) -> Decimal:
        return self.size - self.filled

    def data(self) -> dict[str, Any]:
        """The order as the ``orders`` channel pushes it."""
        instrument = self.instrument
        fill = self.last_fill
        return {
            "accFillSz": fmt(self.filled), "algoClOrdId": "", "algoId": "",
            "amendResult": self.amend.get("amendResult", ""), "amendSource": "",
            "avgPx": fmt(self.average) if self.filled else "",
            "cancelSource": self.cancel_source, "category": "normal", "ccy": "",
            "clOrdId": self.cl_ord_id, "code": self.amend.get("code", "0"), "cTime": str(self.created),
            "execType": fill.get("execType", ""), "fee": fmt(-self.fee),
            "feeCcy": self._fee_ccy(), "fillFee": fill.get("fillFee", "0"),
            "fillFeeCcy": self._fee_ccy() if fill else "", "fillNotionalUsd": fill.get("notional", ""),
            "fillPx": fill.get("fillPx", ""), "fillSz": fill.get("fillSz", "0"),
            "fillTime": fill.get("fillTime", ""), "instId": instrument.inst_id,
            "instType": instrument.inst_type, "lever": "0" if instrument.is_spot else str(instrument.leverage),
            "msg": self.amend.get("msg", ""), "ordId": self.ord_id, "ordType": self.ord_type,
            "pnl": "0", "posSide": "" if instrument.is_spot else "net",
            "px": fmt(self.price) if self.price is not None else "", "rebate": "0",
            "rebateCcy": instrument.quote or instrument.settle, "reduceOnly": str(self.reduce_only).lower(),
            "reqId": self.amend.get("reqId", ""), "side": self.side, "source": "", "state": self.state,
            "stpId": "", "stpMode": "cancel_maker", "sz": fmt(self.size), "tag": self.tag,
            "tdMode": self.td_mode, "tgtCcy": self.tgt_ccy, "tradeId": fill.get("tradeId", ""),
            "uTime": str(self.updated), "attachAlgoOrds": [],
        }

    def _fee_ccy(self) -> str:
        instrument = self.instrument
        if instrument.is_spot:
            return instrument.base if self.side == "buy" else instrument.quote
        return instrument.settle


@dataclass
class Position:
    """A net position of a derivative."""

    pos_id: str
    instrument: Instrument
    td_mode: str
    quantity: Decimal = Decimal(0)  # signed contracts
    average: Decimal = Decimal(0)
    margin: Decimal = Decimal(0)
    realized: Decimal = Decimal(0)
    fee: Decimal = Decimal(0)
    created: int = 0
    updated: int = 0
    trade_id: str = ""


@dataclass
class Event:
    """What changed in the account; the emulator turns it into private pushes."""

    kind: str  # "order", "fill", "account", "position"
    order: Order | None = None
    position: Position | None = None
    fill: dict[str, Any] | None = None
    currencies: set[str] = field(default_factory=set)
    event_type: str = ""  # balance_and_position's eventType; "" pushes account only
    data: dict[str, Any] | None = None  # the order or position as it was at this event

    def __post_init__(self) -> None:
        if self.kind == "order" and self.order is not None and self.data is None:
            self.data = self.order.data()
