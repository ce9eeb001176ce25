"""Kraken REST signing (kraken.md §6.2) against Kraken's published test vector, and nonces."""

from __future__ import annotations

import threading

import pytest

from exwire.errors import ConfigurationError
from exwire.kraken.signing import NonceSource, encode_body, nonce_source, sign

# Kraken's published vector (docs.kraken.com spot-rest-auth), reproduced in kraken.md §6.2.
SECRET = "kQH5HW/8p1uGOVjbgWA7FunAmGO8lsSUXNsu3eow76sz84Q18fWxnyRzBHCd3pd5nE9qa99HAZtuZuj6F1huXg=="
NONCE = 1616492376594
POSTDATA = "nonce=1616492376594&ordertype=limit&pair=XBTUSD&price=37500&type=buy&volume=1.25"
API_SIGN = "4/dpxb3iT4tp/ZCVEwSnEsLxx0bqyhLpdfOpc6fn7OR8+UClSV5n9E6aSS8MPtnRfp32bAb0nmbRn6H8ndwLUQ=="


def test_published_api_sign_vector_reproduces():
    assert sign("/0/private/AddOrder", NONCE, POSTDATA, SECRET) == API_SIGN


def test_body_encoding_keeps_order_and_reproduces_the_vector():
    body = encode_body({"nonce": NONCE, "ordertype": "limit", "pair": "XBTUSD", "price": "37500",
                        "type": "buy", "volume": "1.25"})
    assert body == POSTDATA
    assert sign("/0/private/AddOrder", str(NONCE), body, SECRET) == API_SIGN


def test_token_call_vector_of_the_protocol_document():
    body = encode_body({"nonce": NONCE})
    assert sign("/0/private/GetWebSocketsToken", NONCE, body, SECRET) == (
        "+mRDmY9Ks0Moc1zjv/BjfvYa98buO0x1yHChZR5onlfAzAUbfIYlLggUZzdQ0RsmXm4Sh+Q8iAIZdo2wSeHeiA=="
    )


def test_a_secret_that_is_not_base64_is_refused_without_showing_it():
    with pytest.raises(ConfigurationError) as raised:
        sign("/0/private/AddOrder", NONCE, POSTDATA, "not*base64*secret")
    assert "not*base64*secret" not in str(raised.value)
    assert raised.value.__cause__ is None and raised.value.__suppress_context__


def test_nonces_increase_strictly_even_when_the_clock_stands_still():
    source = NonceSource(clock=lambda: 1_700_000_000_000_000_000)
    assert [source.next() for _ in range(3)] == [1_700_000_000_000_000, 1_700_000_000_000_001, 1_700_000_000_000_002]


def test_nonces_stay_unique_and_increasing_across_threads():
    source = NonceSource(clock=lambda: 5_000_000)  # a frozen clock forces every tie
    seen: list[list[int]] = [[] for _ in range(8)]

    def take(bucket: list[int]) -> None:
        for _ in range(500):
            bucket.append(source.next())

    threads = [threading.Thread(target=take, args=(bucket,)) for bucket in seen]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    every = [nonce for bucket in seen for nonce in bucket]
    assert len(set(every)) == len(every) == 4000
    assert all(bucket == sorted(bucket) for bucket in seen)


def test_one_nonce_source_per_api_key():
    assert nonce_source("key-a") is nonce_source("key-a")
    assert nonce_source("key-a") is not nonce_source("key-b")
