"""OKEx v1 MD5 signatures (§4 of reference/protocols/okex.md) against the document's computed examples."""

from __future__ import annotations

import pytest

from exwire.errors import ConfigurationError
from exwire.okex.signing import sign, signed_parameters, string_to_sign

API_KEY = "c821db84-6fbd-11e4-a9e3-c86000d26d7c"
SECRET = "secretKey"  # the literal secret of the document's example

# (parameters, string to hash, sign): the three rows of the §4 table.
VECTORS = [
    (
        {"api_key": API_KEY, "symbol": "btc_usdt", "type": "buy", "price": "680", "amount": "1.0"},
        f"amount=1.0&api_key={API_KEY}&price=680&symbol=btc_usdt&type=buy&secret_key=secretKey",
        "2E8D13ABF63D9CDD98B8E6F4780C87BC",
    ),
    (
        {"api_key": API_KEY},
        f"api_key={API_KEY}&secret_key=secretKey",
        "E866BBB88E0E685D3F4BBC2723E2CAF9",
    ),
    (
        {"api_key": API_KEY, "symbol": "bch_btc", "order_id": "125433027"},
        f"api_key={API_KEY}&order_id=125433027&symbol=bch_btc&secret_key=secretKey",
        "E93BBDACF56328E09DAF35B201D10594",
    ),
]


@pytest.mark.parametrize(("parameters", "text", "expected"), VECTORS)
def test_sign_matches_the_documented_examples(parameters, text, expected):
    assert string_to_sign(parameters, SECRET) == text
    assert sign(parameters, SECRET) == expected


@pytest.mark.parametrize(("parameters", "text", "expected"), VECTORS)
def test_signed_parameters_add_key_and_sign(parameters, text, expected):
    operation = {k: v for k, v in parameters.items() if k != "api_key"}
    signed = signed_parameters(API_KEY, SECRET, operation)
    assert signed == {**parameters, "sign": expected}


def test_an_existing_sign_is_left_out_of_the_string():
    assert sign({"api_key": API_KEY, "sign": "whatever"}, SECRET) == "E866BBB88E0E685D3F4BBC2723E2CAF9"


def test_number_formatting_changes_the_signature():
    # §4 pitfall: "1.0" and "1" are different strings, hence different signatures.
    one = {"api_key": API_KEY, "amount": "1"}
    one_point_zero = {"api_key": API_KEY, "amount": "1.0"}
    assert sign(one, SECRET) != sign(one_point_zero, SECRET)


def test_values_must_be_strings_and_credentials_complete():
    with pytest.raises(ConfigurationError):
        sign({"api_key": API_KEY, "amount": 1.0}, SECRET)
    with pytest.raises(ConfigurationError):
        signed_parameters("", SECRET)
    with pytest.raises(ConfigurationError):
        signed_parameters(API_KEY, "")


def test_the_emulator_checks_signatures_the_same_way():
    from exwire.testing._okex.common import _signature

    for parameters, _, expected in VECTORS:
        assert _signature(parameters, SECRET) == expected


def test_the_client_sends_the_documented_order_signature():
    """End to end: place_order's frame carries the §4 example's sign (scripted in-memory server)."""
    import json

    from exwire._core.transport import MemoryNetwork
    from exwire.models import Credentials
    from exwire.okex.client import OkexClient
    from tests.conftest import timeout

    sent: list[dict] = []

    def server(peer, frame):
        message = json.loads(frame)
        sent.append(message)
        channel = "login" if message.get("event") == "login" else message.get("channel")
        data = {"result": True, "order_id": 6189} if channel == "ok_spot_order" else {"result": True}
        peer.push(json.dumps([{"binary": 0, "channel": channel, "data": data}]))

    network = MemoryNetwork(on_send=server)
    with OkexClient(credentials=Credentials(API_KEY, SECRET), transport_factory=network.transport,
                    request_timeout=timeout(5)) as okex:
        assert okex.place_order("BTC/USDT", "buy", "1.0", 680) == 6189
    login, order = sent
    assert login == {"event": "login", "parameters": {"api_key": API_KEY, "sign": VECTORS[1][2]}}
    assert order == {"event": "addChannel", "channel": "ok_spot_order",
                     "parameters": {**VECTORS[0][0], "sign": VECTORS[0][2]}}
