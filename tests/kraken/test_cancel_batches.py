"""``cancel_orders`` takes a bounded list: a longer one is refused before anything is sent."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import exwire
from exwire.errors import ConfigurationError
from exwire.kraken.client import KrakenClient
from exwire.kraken.orders import MAX_CANCEL_ORDERS, order_ids
from tests.test_argument_validation import UNUSED, RefusingTransport


def _client() -> KrakenClient:
    return KrakenClient(url=UNUSED, private_url=UNUSED, rest_url="http://127.0.0.1:9", reconnect=False,
                        transport_factory=RefusingTransport, credentials=exwire.Credentials("key", "c2VjcmV0"))


def test_cancel_orders_refuses_more_than_the_bound_before_sending() -> None:
    RefusingTransport.opened = 0
    with _client() as client:
        with pytest.raises(ConfigurationError, match="at most 50"):
            client.cancel_orders([f"O{i}" for i in range(100_000)], websocket_token="token")
    assert RefusingTransport.opened == 0


def test_cancel_orders_stops_reading_an_endless_iterable() -> None:
    def endless() -> Iterator[str]:
        n = 0
        while True:
            n += 1
            yield f"O{n}"

    with pytest.raises(ConfigurationError):
        order_ids(endless())


def test_the_bound_is_exact() -> None:
    assert len(order_ids([f"O{i}" for i in range(MAX_CANCEL_ORDERS)])) == MAX_CANCEL_ORDERS
    with pytest.raises(ConfigurationError):
        order_ids([f"O{i}" for i in range(MAX_CANCEL_ORDERS + 1)])
