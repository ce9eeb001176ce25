"""The shared error table: rules in order, first match wins; codes, messages, scopes, statuses."""

from __future__ import annotations

import pickle

import pytest

from exwire._core.errortable import ErrorRule, ErrorTable
from exwire.errors import (
    AuthenticationError,
    ConfigurationError,
    ExchangeError,
    ExchangeUnavailable,
    InsufficientFunds,
    InvalidRequest,
    OrderNotFound,
    RateLimited,
)

TABLE = ErrorTable("demo", [
    ErrorRule(-1003, RateLimited),
    ErrorRule(-2010, InsufficientFunds, message_contains="Insufficient"),
    ErrorRule(-2010, InvalidRequest),
    ErrorRule(-2026, OrderNotFound, scope="spot"),
    ErrorRule(range(-1199, -1099), InvalidRequest),
    ErrorRule((7, 8, range(20, 30)), ExchangeUnavailable),
    ErrorRule("EService:", ExchangeUnavailable, prefix=True),
    ErrorRule("EAPI:Invalid key", AuthenticationError),
    ErrorRule(10009, OrderNotFound, default_message="Order does not exist"),
], status_rules=[ErrorRule(range(500, 600), ExchangeUnavailable), ErrorRule(range(400, 500), InvalidRequest)])


@pytest.mark.parametrize(("code", "message", "scope", "cls"), [
    (-1003, "Too much request weight", None, RateLimited),
    (-2010, "Account has INSUFFICIENT balance", None, InsufficientFunds),  # case-insensitive
    (-2010, "Order would trigger immediately", None, InvalidRequest),  # the next rule of the code
    (-2026, "archived", "spot", OrderNotFound),
    (-2026, "reduce only", "futures", ExchangeError),  # a scoped rule is skipped elsewhere
    (-2026, "reduce only", None, ExchangeError),
    (-1100, "Illegal characters", None, InvalidRequest),
    (-1199, "x", None, InvalidRequest),
    (-1099, "x", None, ExchangeError),  # a range excludes its stop
    (8, "x", None, ExchangeUnavailable),
    (25, "x", None, ExchangeUnavailable),
    (30, "x", None, ExchangeError),
    ("EService:Unavailable", "EService:Unavailable", None, ExchangeUnavailable),
    ("EService:", "x", None, ExchangeUnavailable),
    ("EAPI:Invalid key", "x", None, AuthenticationError),
    ("EAPI:Invalid key:detail", "x", None, ExchangeError),  # without prefix=True: equal codes only
    ("-1003", "x", None, ExchangeError),  # an int rule never matches text
    (True, "x", None, ExchangeError),  # nor a bool
    (None, "x", None, ExchangeError),
    ({"unhashable": 1}, "x", None, ExchangeError),
])
def test_the_first_matching_rule_decides_the_class(code, message, scope, cls):
    error = TABLE.error(code, message, scope=scope)
    assert type(error) is cls
    assert TABLE.class_for(code, message, scope=scope) is cls
    assert error.exchange == "demo" and error.code == code and error.message == message


def test_the_error_keeps_raw_status_and_data():
    error = TABLE.error(-2010, "Insufficient", raw="frame", status=400, data={"a": 1})
    assert (error.raw, error.status, error.data) == ("frame", 400, {"a": 1})
    plain = TABLE.error(-2010, "nope")
    assert plain.status is None and plain.data is None and plain.raw is None


def test_rate_limited_gets_retry_after_and_other_classes_ignore_it():
    error = TABLE.error(-1003, "slow down", retry_after=2.5, status=429)
    assert isinstance(error, RateLimited) and error.retry_after == 2.5 and error.status == 429
    assert not hasattr(TABLE.error(-1100, "bad", retry_after=2.5), "retry_after")


def test_status_rules_apply_only_when_no_code_rule_matches():
    assert type(TABLE.error(-9999, "x", status=503)) is ExchangeUnavailable
    assert type(TABLE.error(-9999, "x", status=404)) is InvalidRequest
    assert type(TABLE.error(-9999, "x", status=302)) is ExchangeError
    assert type(TABLE.error(-9999, "x")) is ExchangeError
    assert type(TABLE.error(-1003, "x", status=503)) is RateLimited  # the code's rule wins


def test_a_missing_message_takes_the_rules_documented_message():
    assert TABLE.error(10009, None).message == "Order does not exist"
    assert TABLE.error(10009, "").message == "Order does not exist"
    assert TABLE.error(10009, "gone").message == "gone"
    assert TABLE.error(12345, None).message == "unknown error"


def test_a_message_rule_never_matches_a_missing_message():
    assert type(TABLE.error(-2010, None)) is InvalidRequest


def test_the_default_class_is_configurable():
    table = ErrorTable("demo", [ErrorRule(1, InvalidRequest)], default=ExchangeUnavailable)
    assert type(table.error(2, "x")) is ExchangeUnavailable
    assert table.rule_for(2) is None and table.rule_for(1) == ErrorRule(1, InvalidRequest)


@pytest.mark.parametrize("bad", [
    lambda: ErrorRule(1.5, InvalidRequest),
    lambda: ErrorRule((), InvalidRequest),
    lambda: ErrorRule((1, None), InvalidRequest),
    lambda: ErrorRule(1, ValueError),
    lambda: ErrorTable("demo", [ErrorRule(1, InvalidRequest)], default=ValueError),
    lambda: ErrorTable("demo", [(1, InvalidRequest)]),
])
def test_malformed_rules_are_configuration_errors(bad):
    with pytest.raises(ConfigurationError):
        bad()


def test_rules_are_frozen_and_hashable():
    rule = ErrorRule(1, InvalidRequest, message_contains="x", scope="spot")
    with pytest.raises(AttributeError):
        rule.code = 2  # type: ignore[misc]
    assert hash(rule) == hash(ErrorRule(1, InvalidRequest, message_contains="x", scope="spot"))


def test_exchange_errors_still_construct_positionally():
    error = ExchangeError("demo", 1, "no", "raw")
    assert (error.code, error.message, error.raw, error.status, error.data) == (1, "no", "raw", None, None)
    limited = RateLimited("demo", 1, "no", "raw", 3.0)
    assert limited.retry_after == 3.0 and limited.status is None
    assert str(error) == "demo: no (code 1)"
    assert isinstance(pickle.loads(pickle.dumps(TABLE.rules[0])), ErrorRule)
