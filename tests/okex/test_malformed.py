"""OKEx frames of the wrong shape: ``receive`` raises ``DecodeError``, never anything else."""

from __future__ import annotations

import json
import zlib

import pytest

from exwire.errors import DecodeError
from exwire.okex.protocol import OkexProtocol

DEEP = "[" * 100_000 + "]" * 100_000


def _deflate(text: str) -> bytes:
    compressor = zlib.compressobj(wbits=-15)
    return compressor.compress(text.encode()) + compressor.flush()


@pytest.fixture
def protocol():
    protocol = OkexProtocol()
    protocol.subscribe(["ok_sub_spot_btc_usdt_depth"])
    key, frame = protocol.request("login", {"api_key": "k", "sign": "S"})
    protocol.sent(key, frame)
    return protocol


def test_deeply_nested_arrays_are_a_decode_error(protocol):
    with pytest.raises(DecodeError):
        protocol.receive(DEEP)
    with pytest.raises(DecodeError):
        protocol.receive(_deflate(DEEP))


@pytest.mark.parametrize("channel", [5, ["x"], {"a": 1}, 1.5, True])
def test_a_channel_that_is_not_a_string_is_a_decode_error(protocol, channel):
    with pytest.raises(DecodeError):
        protocol.receive(json.dumps([{"channel": channel, "data": {}}]))


@pytest.mark.parametrize("data", [{"channel": ["x"]}, {"channel": {"a": 1}}, {"channel": 5}])
def test_an_ack_naming_a_malformed_channel_is_skipped_or_a_decode_error(protocol, data):
    try:
        protocol.receive(json.dumps([{"channel": "addChannel", "data": data}]))
    except DecodeError:
        pass


@pytest.mark.parametrize("item", [
    {"data": {"error_code": [1], "result": False}},
    {"data": {"error_code": {"a": 1}, "result": False}},
    {"errorcode": 1e400},
    {"channel": "login", "data": {"error_code": 1e400}},
])
def test_a_malformed_error_code_is_kept_not_fatal(protocol, item):
    try:
        protocol.receive(json.dumps([item]).replace("Infinity", "1e400"))
    except DecodeError:
        pass


@pytest.mark.parametrize("data", [5, [1], {"bids": 5}, {"asks": [[{"a": 1}, 1]]}, {"bids": [["1"]]}])
def test_a_malformed_push_is_a_decode_error(protocol, data):
    with pytest.raises(DecodeError):
        protocol.receive(json.dumps([{"channel": "ok_sub_spot_btc_usdt_depth", "data": data}]))
