"""Every exchange's models speak DESIGN.md's vocabulary: the same concept, the same name.

The test walks every attrs model each exchange package exports. A model of a known concept
(trade, ticker, kline, balance, order, fill) carries the vocabulary's names for the fields
every exchange sends; no model anywhere uses the synonyms the vocabulary replaced
(``volume`` for a trade's quantity, ``timestamp``, ``last``, ``currency``, ``order_no`` ...).
"""

from __future__ import annotations

import importlib
import inspect

import attrs
import pytest

EXCHANGES = ["kraken", "binance", "coinex", "okex", "coinsuper", "okx"]

#: Concept → fields every exchange's model of it has (properties count).
REQUIRED = {
    "trade": {"trade_id", "price", "quantity", "side", "time"},
    "ticker": {"last_price"},
    "kline": {"open_time", "close_time", "open", "high", "low", "close", "volume"},
    "balance": {"asset", "free", "locked", "total"},
    "order": {"order_id", "price", "quantity", "filled_quantity", "created_at"},
    "fill": {"trade_id", "order_id", "price", "quantity", "time"},
}

#: Which exported classes are models of which concept.
CONCEPTS = {
    "Trade": "trade", "AggregateTrade": "trade",
    "Ticker": "ticker",
    "Kline": "kline",
    "Balance": "balance",
    "Order": "order", "OrderUpdate": "order", "FuturesOrder": "order",
    "OwnTrade": "fill", "UserTrade": "fill", "AccountTrade": "fill",
}

#: Synonyms the vocabulary replaced; none may name a model field.
SYNONYMS = {
    "timestamp", "last", "last_trade_price", "currency", "available", "frozen", "freezed", "order_no",
    "deal_no", "deal_id", "commission", "commission_asset", "executed_quantity", "original_quantity",
    "best_bid_price", "best_ask_price", "vol", "amount_filled",
}


def _models(exchange: str) -> list[type]:
    package = importlib.import_module(f"exwire.{exchange}")
    seen: list[type] = []
    for name in package.__all__:
        value = getattr(package, name)
        if inspect.isclass(value) and attrs.has(value) and value not in seen:
            seen.append(value)
    return seen


def _names(model: type) -> set[str]:
    fields = {f.name for f in attrs.fields(model)}
    properties = {name for name, value in inspect.getmembers(model) if isinstance(value, property)}
    return fields | properties


@pytest.mark.parametrize("exchange", EXCHANGES)
def test_models_of_a_concept_carry_the_vocabulary(exchange: str) -> None:
    checked = 0
    for model in _models(exchange):
        concept = CONCEPTS.get(model.__name__)
        if concept is None:
            continue
        missing = REQUIRED[concept] - _names(model)
        # An order update may carry the order itself (CoinEx: event + order).
        if concept == "order" and "order" in _names(model) and missing == REQUIRED[concept]:
            continue
        assert not missing, f"{exchange}.{model.__name__} ({concept}) lacks {sorted(missing)}"
        checked += 1
    assert checked, f"no model of a known concept in exwire.{exchange}"


@pytest.mark.parametrize("exchange", EXCHANGES)
def test_no_model_uses_a_replaced_synonym(exchange: str) -> None:
    for model in _models(exchange):
        used = {f.name for f in attrs.fields(model)} & SYNONYMS
        assert not used, f"{exchange}.{model.__name__} still names {sorted(used)}"


@pytest.mark.parametrize("exchange", EXCHANGES)
def test_a_trade_quantity_is_never_called_volume(exchange: str) -> None:
    for model in _models(exchange):
        if CONCEPTS.get(model.__name__) in ("trade", "fill"):
            assert "volume" not in {f.name for f in attrs.fields(model)}, f"{exchange}.{model.__name__}"
