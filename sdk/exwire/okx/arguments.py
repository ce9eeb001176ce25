"""Checks of :class:`exwire.okx.OkxClient` arguments: user input → checked Python values.

Every function raises :class:`~exwire.errors.ConfigurationError` naming the argument,
so a client method that calls them first fails before anything is sent. The checked
order requests are :class:`PlaceOrder` / :class:`CancelOrder` / :class:`AmendOrder`
records, turned into wire args by :mod:`exwire.okx.converter`. Pure and thread-safe.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, TypeVar

import attrs

from exwire._core import validate
from exwire._core.codec import OpenEnum, datetime_to_epoch_ms
from exwire.errors import ConfigurationError
from exwire.models import Side
from exwire.okx.enums import (
    InstrumentType,
    KlineInterval,
    OrderBookType,
    OrderType,
    PositionSide,
    QuantityAsset,
    QuickMarginType,
    SelfTradePreventionMode,
    TradeMode,
)
from exwire.okx.models import AmendRequest, CancelRequest, OrderRequest
from exwire.okx.symbols import normalize_symbol

__all__ = [
    "MAX_BATCH",
    "BOOK_DEPTHS",
    "PlaceOrder",
    "CancelOrder",
    "AmendOrder",
    "instrument_type",
    "period",
    "order_book_type",
    "expires_ms",
    "place_order",
    "cancel_order",
    "amend_order",
    "batch",
]

#: Most orders per batch operation.
MAX_BATCH = 20
#: ``watch_order_book`` depths and their channels (``depth 400`` with ``tick_by_tick``: books-l2-tbt).
BOOK_DEPTHS = {400: OrderBookType.BOOKS, 50: OrderBookType.BOOKS50_L2_TBT, 5: OrderBookType.BOOKS5,
               1: OrderBookType.BBO_TBT}

E = TypeVar("E", bound=OpenEnum)
_ID = re.compile(r"[A-Za-z0-9]{1,32}")
_ASSET = re.compile(r"[A-Za-z0-9]{1,20}")
_FAMILY = re.compile(r"[A-Z0-9]+-[A-Z0-9]+")


def _choice(enum_type: type[E], value: Any, name: str, *, upper: bool = False) -> E:
    if upper and isinstance(value, str):
        value = value.upper()
    elif not upper and isinstance(value, str) and enum_type is not KlineInterval:
        value = value.lower()
    return validate.choice(enum_type, value, name)


def instrument_type(value: Any, name: str = "instrument_type", *, allow_any: bool = False) -> InstrumentType:
    """SPOT, MARGIN, SWAP, FUTURES, OPTION (and ANY when ``allow_any``), any case, or the enum."""
    kind = _choice(InstrumentType, value, name, upper=True)
    if kind is InstrumentType.ANY and not allow_any:
        raise ConfigurationError(f"{name}: ANY is not accepted by this channel")
    return kind


def instrument_family(value: Any, name: str = "instrument_family") -> str:
    """An instrument family such as ``"BTC-USD"`` (any case, ``/`` for ``-``)."""
    text = value.strip().upper().replace("/", "-") if isinstance(value, str) else None
    if text is None or not _FAMILY.fullmatch(text):
        raise ConfigurationError(f"{name} looks like 'BTC-USD', got {value!r}")
    return text


def asset(value: Any, name: str = "asset") -> str:
    """An asset code such as ``"BTC"`` (upper-cased)."""
    if not isinstance(value, str) or not _ASSET.fullmatch(value.strip()):
        raise ConfigurationError(f"{name} must be an asset code such as 'BTC', got {value!r}")
    return value.strip().upper()


def identifier(value: Any, name: str) -> str:
    """An id of up to 32 letters and digits (client order ids, algo ids, order ids)."""
    if not isinstance(value, str) or not _ID.fullmatch(value):
        raise ConfigurationError(f"{name} must be 1-32 letters and digits, got {value!r}")
    return value


def period(value: Any) -> KlineInterval:
    """A bar: ``"1m"``, ``"1H"``, ``"1Dutc"`` ... (case-sensitive) or a :class:`KlineInterval`."""
    return validate.choice(KlineInterval, value, "period")


def order_book_type(value: Any) -> OrderBookType:
    """``"books"``, ``"books5"``, ``"bbo-tbt"``, ``"books-l2-tbt"``, ``"books50-l2-tbt"`` or the enum."""
    return _choice(OrderBookType, value, "order_book_type")


def expires_ms(value: Any, name: str = "expires_at") -> int | None:
    """An aware ``datetime`` → epoch milliseconds; ``None`` stays ``None`` (no deadline)."""
    if value is None:
        return None
    if not isinstance(value, datetime):
        raise ConfigurationError(f"{name} must be an aware datetime or None, got {value!r}")
    return datetime_to_epoch_ms(value)  # ConfigurationError for a naive datetime


def _plain(value: Any, name: str) -> str:
    return format(validate.money(value, name), "f")


def _optional_bool(value: Any, name: str) -> bool | None:
    if value is not None and not isinstance(value, bool):
        raise ConfigurationError(f"{name} must be True, False or None, got {value!r}")
    return value


def _side(value: Any) -> Side:
    if isinstance(value, Side):
        return value
    if isinstance(value, str) and value.lower() in ("buy", "sell"):
        return Side(value.lower())
    raise ConfigurationError(f"side must be 'buy', 'sell' or an exwire.Side, got {value!r}")


def _code(value: Any) -> int | None:
    return None if value is None else validate.positive_int(value, "symbol_code")


@attrs.frozen(kw_only=True)
class PlaceOrder:
    """A checked order: wire-ready strings, the code when given (else resolved later)."""

    symbol: str
    symbol_code: int | None
    side: Side
    order_type: OrderType
    trade_mode: TradeMode
    quantity: str
    price: str | None
    position_side: PositionSide | None
    quick_margin_type: QuickMarginType | None
    self_trade_prevention_id: int | None
    self_trade_prevention_mode: SelfTradePreventionMode | None
    asset: str | None
    quantity_asset: QuantityAsset | None
    client_order_id: str | None
    reduce_only: bool | None
    trade_quote_asset: str | None
    max_slippage_percentage: str | None


@attrs.frozen(kw_only=True)
class CancelOrder:
    """A checked cancel: one of the ids."""

    symbol: str
    symbol_code: int | None
    order_id: str | None
    client_order_id: str | None


@attrs.frozen(kw_only=True)
class AmendOrder:
    """A checked amend: one id and at least one new value."""

    symbol: str
    symbol_code: int | None
    order_id: str | None
    client_order_id: str | None
    request_id: str | None
    new_quantity: str | None
    new_price: str | None
    cancel_on_fail: bool | None


def place_order(
    symbol: Any, side: Any, order_type: Any, trade_mode: Any, quantity: Any, price: Any = None, *,
    position_side: Any = None, quick_margin_type: Any = None, self_trade_prevention_id: Any = None,
    self_trade_prevention_mode: Any = None, asset: Any = None, quantity_asset: Any = None,
    client_order_id: Any = None, reduce_only: Any = None, trade_quote_asset: Any = None,
    max_slippage_percentage: Any = None, symbol_code: Any = None,
) -> PlaceOrder:
    """Check ``place_order``'s arguments.

    Raises:
        ConfigurationError: any argument out of its domain; a limit-type order without a price.
    """
    kind = _choice(OrderType, order_type, "order_type")
    limit_price = None if price is None else _plain(price, "price")
    if kind.needs_price and limit_price is None:
        raise ConfigurationError(f"a {kind.value} order needs a price")
    stp_id = None if self_trade_prevention_id is None else validate.positive_int(
        self_trade_prevention_id, "self_trade_prevention_id")
    return PlaceOrder(
        symbol=normalize_symbol(symbol), symbol_code=_code(symbol_code), side=_side(side), order_type=kind,
        trade_mode=_choice(TradeMode, trade_mode, "trade_mode"), quantity=_plain(quantity, "quantity"),
        price=limit_price,
        position_side=None if position_side is None else _choice(PositionSide, position_side, "position_side"),
        quick_margin_type=None if quick_margin_type is None else _choice(
            QuickMarginType, quick_margin_type, "quick_margin_type"),
        self_trade_prevention_id=stp_id,
        self_trade_prevention_mode=None if self_trade_prevention_mode is None else _choice(
            SelfTradePreventionMode, self_trade_prevention_mode, "self_trade_prevention_mode"),
        asset=None if asset is None else _asset_arg(asset, "asset"),
        quantity_asset=None if quantity_asset is None else _choice(QuantityAsset, quantity_asset, "quantity_asset"),
        client_order_id=None if client_order_id is None else identifier(client_order_id, "client_order_id"),
        reduce_only=_optional_bool(reduce_only, "reduce_only"),
        trade_quote_asset=None if trade_quote_asset is None else _asset_arg(trade_quote_asset, "trade_quote_asset"),
        max_slippage_percentage=None if max_slippage_percentage is None else _plain(
            max_slippage_percentage, "max_slippage_percentage"),
    )


def _asset_arg(value: Any, name: str) -> str:
    return asset(value, name)


def _ids(order_id: Any, client_order_id: Any) -> tuple[str | None, str | None]:
    if order_id is None and client_order_id is None:
        raise ConfigurationError("give order_id or client_order_id")
    return (None if order_id is None else identifier(order_id, "order_id"),
            None if client_order_id is None else identifier(client_order_id, "client_order_id"))


def cancel_order(symbol: Any, order_id: Any = None, client_order_id: Any = None, *,
                 symbol_code: Any = None) -> CancelOrder:
    """Check ``cancel_order``'s arguments.

    Raises:
        ConfigurationError: a bad symbol or id, or neither id given.
    """
    order, client = _ids(order_id, client_order_id)
    return CancelOrder(symbol=normalize_symbol(symbol), symbol_code=_code(symbol_code), order_id=order,
                       client_order_id=client)


def amend_order(symbol: Any, order_id: Any = None, client_order_id: Any = None, request_id: Any = None,
                new_quantity: Any = None, new_price: Any = None, *, cancel_on_fail: Any = None,
                symbol_code: Any = None) -> AmendOrder:
    """Check ``amend_order``'s arguments.

    Raises:
        ConfigurationError: a bad value, neither id given, or neither new value given.
    """
    order, client = _ids(order_id, client_order_id)
    if new_quantity is None and new_price is None:
        raise ConfigurationError("give new_quantity or new_price")
    return AmendOrder(
        symbol=normalize_symbol(symbol), symbol_code=_code(symbol_code), order_id=order, client_order_id=client,
        request_id=None if request_id is None else identifier(request_id, "request_id"),
        new_quantity=None if new_quantity is None else _plain(new_quantity, "new_quantity"),
        new_price=None if new_price is None else _plain(new_price, "new_price"),
        cancel_on_fail=_optional_bool(cancel_on_fail, "cancel_on_fail"),
    )


_REQUEST_TYPES: Mapping[str, type] = {"place": OrderRequest, "cancel": CancelRequest, "amend": AmendRequest}


def batch(orders: Any, kind: str) -> list[dict[str, Any]]:
    """1-20 requests (``OrderRequest``/``CancelRequest``/``AmendRequest`` or mappings with the
    method's keyword names) → their keyword dicts.

    Raises:
        ConfigurationError: not an iterable, empty, more than 20, an item of the wrong type
            or a mapping with an unknown name.
    """
    items = validate.bounded(orders, "orders", MAX_BATCH)
    if not items:
        raise ConfigurationError(f"orders: 1 to {MAX_BATCH} orders per call, got none")
    request_type = _REQUEST_TYPES[kind]
    result = []
    for index, item in enumerate(items):
        if isinstance(item, (OrderRequest, CancelRequest, AmendRequest)) and isinstance(item, request_type):
            result.append(attrs.asdict(item, recurse=False))
        elif isinstance(item, Mapping):
            names = {field.name for field in attrs.fields(request_type)}
            unknown = set(item) - names
            if unknown:
                raise ConfigurationError(f"orders[{index}]: unknown names {sorted(map(str, unknown))}")
            result.append(dict(item))
        else:
            raise ConfigurationError(
                f"orders[{index}] must be a {request_type.__name__} or a mapping, got {type(item).__name__}")
    return result


def symbols_of(values: Iterable[PlaceOrder | CancelOrder | AmendOrder]) -> list[str]:
    """The distinct symbols whose code is not given, in order."""
    return list(dict.fromkeys(value.symbol for value in values if value.symbol_code is None))

