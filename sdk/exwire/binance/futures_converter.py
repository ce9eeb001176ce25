"""Binance futures wire names ↔ :mod:`exwire.binance.futures_models`; futures request parameters.

The futures counterpart of :mod:`exwire.binance.converter`, registered on the same
cattrs converter (one Binance dialect: epoch milliseconds, decimal strings). Three
futures quirks are handled here (§10 of :doc:`the Binance page </exchanges/binance>`):

* the same field is spelled differently by different methods and markets
  (``unRealizedProfit`` in ``account.position`` v1 and COIN-M, ``unrealizedProfit``
  elsewhere; ``maxNotionalValue``/``maxNotional``) — ``_ALIASES`` folds them;
* "never" is ``0`` for some times (``triggerTime``, ``goodTillDate``, a position's
  ``updateTime``) — decoded as ``None``;
* DECIMAL parameters travel as strings, INT as numbers (§10.2) and, as in the futures
  docs' STRING-typed ``reduceOnly``/``closePosition``/``priceProtect``, booleans as
  ``"true"``/``"false"`` text (the signature renders them the same way either way).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

import attrs
from cattrs.gen import override

from exwire.binance import enums
from exwire.binance import futures_models as fm
from exwire.binance.converter import (
    PARAMETERS,
    Encoder,
    _enum,
    _integer,
    _text,
    _time,
    camel_case,
    converter,
    structure_fn,
)
from exwire.binance.symbols import normalize_symbol
from exwire.errors import ConfigurationError
from exwire.models import Level, decimal_to_wire

__all__ = ["FUTURES_PARAMETERS"]

# Field → wire name where it is not the field's camelCase.
_RENAMES: dict[type, dict[str, str]] = {
    fm.FuturesOrderBook: {"event_time": "E", "transaction_time": "T"},
    fm.FuturesPriceTicker: {"last_price": "price"},
    fm.FuturesBookTicker: {"bid_quantity": "bidQty", "ask_quantity": "askQty"},
    fm.FuturesOrder: {
        "average_price": "avgPrice", "quantity": "origQty", "filled_quantity": "executedQty",
        "cumulative_quantity": "cumQty", "cumulative_quote": "cumQuote", "cumulative_base": "cumBase",
        "order_type": "type", "original_type": "origType", "created_at": "time", "updated_at": "updateTime",
    },
    fm.AlgoOrder: {"created_at": "createTime", "updated_at": "updateTime"},
    fm.FuturesPosition: {
        "position_amount": "positionAmt", "max_quantity": "maxQty", "maint_margin": "maintMargin",
    },
    fm.FuturesBalance: {"cross_unrealized_pnl": "crossUnPnl"},
    fm.FuturesAsset: {"cross_unrealized_pnl": "crossUnPnl"},
    fm.FuturesAccount: {"total_cross_unrealized_pnl": "totalCrossUnPnl"},
}

# Alternative wire spellings → the one the renames above expect.
_ALIASES: dict[type, dict[str, str]] = {
    fm.FuturesPosition: {"unRealizedProfit": "unrealizedProfit", "maxNotional": "maxNotionalValue"},
}

# Wire fields whose 0 means "never".
_ZERO_IS_NONE: dict[type, tuple[str, ...]] = {
    fm.FuturesOrder: ("goodTillDate",),
    fm.AlgoOrder: ("triggerTime", "goodTillDate", "actualOrderId"),
    fm.FuturesPosition: ("updateTime",),
    fm.FuturesBalance: ("updateTime",),
    fm.FuturesAsset: ("updateTime",),
    fm.FuturesAccount: ("updateTime",),
}


def _bool(value: Any, _: Any) -> bool | None:
    """JSON booleans, and the ``"true"``/``"false"`` strings some futures replies use
    (COIN-M ``isAutoAddMargin``); ``bool("false")`` would be true."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise ValueError(f"not a boolean: {value!r}")


def _register(cls: type) -> None:
    renames = _RENAMES.get(cls, {})
    overrides: dict[str, Any] = {}
    for field in attrs.fields(cls):
        boolean = field.type in ("bool | None", "bool", bool, bool | None)
        overrides[field.name] = override(rename=renames.get(field.name, camel_case(field.name)),
                                         struct_hook=_bool if boolean else None)
    structure = structure_fn(cls, overrides)
    aliases = _ALIASES.get(cls, {})
    zeros = _ZERO_IS_NONE.get(cls, ())

    def hook(value: Mapping[str, Any], _: Any) -> Any:
        if aliases or zeros:
            value = dict(value)
            for alias, name in aliases.items():
                if alias in value and name not in value:
                    value[name] = value.pop(alias)
            for name in zeros:
                if value.get(name) in (0, "0", ""):
                    value[name] = None
        return structure(value, cls)

    converter.register_structure_hook(cls, hook)


def _order_book(value: Mapping[str, Any]) -> fm.FuturesOrderBook:
    level = converter.get_structure_hook(Level)
    event_time, transaction_time = value.get("E"), value.get("T")
    return fm.FuturesOrderBook(
        last_update_id=int(value["lastUpdateId"]),
        bids=tuple(level(item, Level) for item in value["bids"]),
        asks=tuple(level(item, Level) for item in value["asks"]),
        event_time=None if event_time is None else converter.structure(event_time, datetime),
        transaction_time=None if transaction_time is None else converter.structure(transaction_time, datetime),
    )


# Sub-models first: FuturesAccount embeds FuturesAsset and FuturesPosition.
for _cls in (fm.FuturesPriceTicker, fm.FuturesBookTicker, fm.FuturesOrder, fm.AlgoOrder, fm.FuturesPosition,
             fm.FuturesBalance, fm.FuturesAsset, fm.FuturesAccount):
    _register(_cls)
converter.register_structure_hook(fm.FuturesOrderBook, lambda value, _: _order_book(value))


# -- request parameters (§10.2, §10.3) --------------------------------------------------------------


def _flag(value: Any, name: str) -> str:
    if not isinstance(value, bool):
        raise ConfigurationError(f"{name} must be True or False, got {value!r}")
    return "true" if value else "false"


def _rate(value: Any, name: str) -> str:
    """A trailing-stop callback rate in percent: 0.1–10 (USDⓈ-M) or 0.1–5 (COIN-M)."""
    text = decimal_to_wire(value, name)
    if not Decimal("0.1") <= Decimal(text) <= Decimal("10"):
        raise ConfigurationError(f"{name} is a percentage from 0.1 to 10, got {value!r}")
    return text


def _asset(value: Any, name: str) -> str:
    return normalize_symbol(value, name)


_MONEY: Encoder = decimal_to_wire

#: Python keyword → (wire name, encoder) of the futures methods: the spot table with the
#: futures enums (order types, time in force with GTD, ACK/RESULT responses) and
#: parameters (§10.3) laid over it.
FUTURES_PARAMETERS: dict[str, tuple[str, Encoder]] = {
    **PARAMETERS,
    "order_type": ("type", _enum(enums.FuturesOrderType)),
    "time_in_force": ("timeInForce", _enum(enums.FuturesTimeInForce)),
    "response_type": ("newOrderRespType", _enum(enums.FuturesOrderResponseType)),
    "self_trade_prevention_mode": ("selfTradePreventionMode", _enum(enums.SelfTradePreventionMode)),
    "position_side": ("positionSide", _enum(enums.PositionSide)),
    "reduce_only": ("reduceOnly", _flag),
    "close_position": ("closePosition", _flag),
    "price_protect": ("priceProtect", _flag),
    "working_type": ("workingType", _enum(enums.WorkingType)),
    "price_match": ("priceMatch", _enum(enums.PriceMatch)),
    "good_till_date": ("goodTillDate", _time),
    "stop_price": ("stopPrice", _MONEY),
    "activation_price": ("activationPrice", _MONEY),  # COIN-M order.place
    "activate_price": ("activatePrice", _MONEY),  # USDⓈ-M algoOrder.place spells it so
    "callback_rate": ("callbackRate", _rate),
    "algo_type": ("algoType", _enum(enums.AlgoType)),
    "trigger_price": ("triggerPrice", _MONEY),
    "client_algo_id": ("clientAlgoId", _text),
    "algo_id": ("algoId", _integer),
    "margin_asset": ("marginAsset", _asset),
    "pair": ("pair", normalize_symbol),
    "modify_id": ("modifyId", _integer),  # USDⓈ-M order.modify, echoed as ORDER_TRADE_UPDATE's M
}
