"""The ``Raises:`` sections shared by the request methods, appended once here instead of
being copied into some forty docstrings (request methods list ConnectionClosed and
RequestTimeout and say the outcome is then unknown)."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import TypeVar

F = TypeVar("F", bound=Callable[..., object])

_COMMON = """\
InvalidState: the client is closed.
ConnectError: no connection could be opened (or logged on).
RateLimited: a request-weight or order-rate limit was hit; ``retry_after`` says how long to wait.
ExchangeUnavailable: a Binance-side failure or timeout (-1007, 5xx)."""

RAISES = {
    "read": """\
ConfigurationError: bad arguments (nothing was sent).
InvalidRequest: Binance refused the arguments (e.g. unknown symbol, -1121).
""" + _COMMON + """
ConnectionClosed, RequestTimeout: no reply came; the outcome is unknown (a read changes nothing).""",
    "account": """\
ConfigurationError: bad arguments, or the client has no credentials (nothing was sent).
AuthenticationError: Binance refused the key, signature (-1022) or timestamp (-1021, even after
    one clock resynchronisation).
InvalidRequest: Binance refused the arguments.
""" + _COMMON + """
ConnectionClosed, RequestTimeout: no reply came; the outcome is unknown (a read changes nothing).""",
    "trade": """\
ConfigurationError: bad arguments, a parameter the order type requires is missing, or the
    client has no credentials (nothing was sent).
AuthenticationError: Binance refused the key, signature (-1022) or timestamp (-1021, even after
    one clock resynchronisation).
InsufficientFunds: the balance does not cover the order (-2010).
OrderNotFound: the order or order list does not exist (-2013, -2011 "Unknown order").
InvalidRequest: Binance refused the arguments (filters -1013, -2010 other reasons ...).
""" + _COMMON + """ The outcome is then unknown.
ConnectionClosed, RequestTimeout: no reply came; the outcome is unknown: the order may or may
    not exist, so query it (e.g. by client order id) before retrying.""",
    "futures_read": """\
ConfigurationError: bad arguments, or a USDⓈ-M-only method called for COIN-M (nothing was sent).
InvalidRequest: Binance refused the arguments (e.g. unknown symbol, -1121).
""" + _COMMON + """
ConnectionClosed, RequestTimeout: no reply came; the outcome is unknown (a read changes nothing).""",
    "futures_account": """\
ConfigurationError: bad arguments, a USDⓈ-M-only method called for COIN-M, or the client has no
    credentials (nothing was sent).
AuthenticationError: Binance refused the key, signature (-1022) or timestamp (-1021, even after
    one clock resynchronisation).
InvalidRequest: Binance refused the arguments.
""" + _COMMON + """
ConnectionClosed, RequestTimeout: no reply came; the outcome is unknown (a read changes nothing).""",
    "futures_trade": """\
ConfigurationError: bad arguments, a parameter the order type requires is missing, a type or
    parameter the market does not take (USDⓈ-M conditional orders go through the algo service),
    or the client has no credentials (nothing was sent).
AuthenticationError: Binance refused the key, signature (-1022) or timestamp (-1021, even after
    one clock resynchronisation).
InsufficientFunds: the margin or balance does not cover the order (-2019, -2018).
OrderNotFound: the order does not exist (-2013, -2011 "Unknown order").
InvalidRequest: Binance refused the arguments (filters -1013, reduce-only -2022, would trigger
    immediately -2021, futures rules -4xxx, post-only or FOK -5021/-5022 ...).
""" + _COMMON + """ The outcome is then unknown.
ConnectionClosed, RequestTimeout: no reply came; the outcome is unknown: the order may or may
    not exist, so query it (e.g. by client order id) before retrying.""",
}


def raises(kind: str) -> Callable[[F], F]:
    """Append the ``kind`` Raises entries to the decorated method's docstring."""
    lines = RAISES[kind]

    def decorate(function: F) -> F:
        doc = inspect.cleandoc(function.__doc__ or "")
        entries = "\n".join("    " + line for line in lines.splitlines())
        if "\nRaises:\n" in doc:
            head, _, tail = doc.partition("\nRaises:\n")
            doc = f"{head}\nRaises:\n{tail.rstrip()}\n{entries}"
        else:
            doc = f"{doc}\n\nRaises:\n{entries}"
        function.__doc__ = doc
        return function

    return decorate
