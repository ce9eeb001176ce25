"""Signing against the published vectors of reference/protocols/binance.md §6.4–§6.6."""

from __future__ import annotations

import base64
from decimal import Decimal

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, padding, rsa

from exwire.binance.signing import (
    Ed25519Signer,
    HmacSigner,
    RsaSigner,
    render_value,
    signature_payload,
    signer_for,
)
from exwire.errors import ConfigurationError
from exwire.models import Credentials

API_KEY = "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A"
SECRET = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j"
K = API_KEY

# §6.4: (payload, signature), all recomputed by the document's authors with openssl.
HMAC_VECTORS = [
    (f"apiKey={K}&price=52000.00&quantity=0.01000000&recvWindow=100&side=SELL&symbol=BTCUSDT&timeInForce=GTC"
     "&timestamp=1645423376532&type=LIMIT", "aa1b5712c094bc4e57c05a1a5c1fd8d88dcd628338ea863fec7b88e59fe2db24"),
    (f"apiKey={K}&price=0.10000000&quantity=1.00000000&recvWindow=5000&side=BUY&symbol=１２３４５６"
     "&timeInForce=GTC&timestamp=1645423376532&type=LIMIT",
     "b33892ae8e687c939f4468c6268ddd4c40ac1af18ad19a064864c47bae0752cd"),
    (f"apiKey={K}&timestamp=1649729878532", "1cf54395b336b0a9727ef27d5d98987962bc47aca6e13fe978612d0adee066ed"),
    (f"apiKey={K}&price=23416.10000000&quantity=0.00847000&side=SELL&symbol=BTCUSDT&timeInForce=GTC"
     "&timestamp=1660801715431&type=LIMIT", "15af09e41c36f3cc61378c2fbe2c33719a03dd5eba8d0f9206fbda44de717c88"),
    (f"apiKey={K}&origClientOrderId=4d96324ff9d44481926157&symbol=BTCUSDT&timestamp=1660801715830",
     "33d5b721f278ae17a52f004a82a6f68a70c68e7dd6776ed0be77a455ab855282"),
    (f"apiKey={K}&cancelOrigClientOrderId=4d96324ff9d44481926157&cancelReplaceMode=ALLOW_FAILURE"
     "&price=23416.10000000&quantity=0.00847000&side=SELL&symbol=BTCUSDT&timeInForce=GTC&timestamp=1660813156900"
     "&type=LIMIT", "7028fdc187868754d25e42c37ccfa5ba2bab1d180ad55d4c3a7e2de643943dc5"),
    (f"apiKey={K}&symbol=BTCUSDT&timestamp=1660805557200",
     "773f01b6e3c2c9e0c1d217bc043ce383c1ddd6f0e25f8d6070f2b66a6ceaf3a5"),
    (f"apiKey={K}&newOrderRespType=RESULT&price=23420.00000000&quantity=0.00650000&side=SELL"
     "&stopLimitPrice=23405.00000000&stopLimitTimeInForce=GTC&stopPrice=23410.00000000&symbol=BTCUSDT"
     "&timestamp=1660801713767", "6689c2a36a639ff3915c2904871709990ab65f3c7a9ff13857558fd350315c35"),
    (f"apiKey={K}&timestamp=1660801839480", "83303b4a136ac1371795f465808367242685a9e3a42b22edb4d977d0696eb45c"),
    (f"apiKey={K}&orderId=12569099453&symbol=BTCUSDT&timestamp=1660801720951",
     "2c3aab5a078ee4ea465ecd95523b77289f61476c2f238ec10c55ea6cb11a6f35"),
    (f"apiKey={K}&symbol=BTCUSDT&timestamp=1660813156812",
     "d632b3fdb8a81dd44f82c7c901833309dd714fe508772a89b0a35b0ee0c48b89"),
    (f"apiKey={K}&endTime=1660867200000&limit=5&startTime=1660780800000&symbol=BTCUSDT&timestamp=1661955123341",
     "f50a972ba7fad92842187643f6b930802d4e20bce1ba1e788e856e811577bd42"),
    (f"apiKey={K}&timestamp=1660801713831", "1bea8b157dd78c3da30359bddcd999e4049749fe50b828e620e12f64e8b433c9"),
    (f"apiKey={K}&endTime=1660867200000&limit=5&startTime=1660780800000&timestamp=1661955123341",
     "c8e1484db4a4a02d0e84dfa627eb9b8298f07ebf12fcc4eaf86e4a565b2712c2"),
    (f"apiKey={K}&endTime=1660867200000&startTime=1660780800000&symbol=BTCUSDT&timestamp=1661955125250",
     "c5a5ffb79fd4f2e10a92f895d488943a57954edf5933bde3338dfb6ea6d6eefc"),
    (f"apiKey={K}&timestamp=1660801839500", "76289424d6e288f4dc47d167ac824e859dabf78736f4348abbbac848d719eb94"),
]

# §6.6: RFC 8032 TEST 1 key, Ed25519 vectors derived by the document.
ED25519_PEM = ("-----BEGIN PRIVATE KEY-----\n"
               "MC4CAQAwBQYDK2VwBCIEIJ1hsZ3v/VpguoRK9JLsLMREScVpezJpGXA7rAMcrn9g\n"
               "-----END PRIVATE KEY-----\n")
ED_KEY = "4yNzx3yWC5bS6YTwEkSRaC0nRmSQIIStAUOh1b6kqaBrTLIhjCpI5lJH8q8R8WNO"
ED25519_VECTORS = [
    (f"apiKey={ED_KEY}&price=52000.00&quantity=0.01000000&recvWindow=100&side=SELL&symbol=BTCUSDT"
     "&timeInForce=GTC&timestamp=1645423376532&type=LIMIT",
     "Ws+5m/CMnpkko0uBFxGTZ2+fjqqBXsUjRiaz173fPhXTkhoDBYNZ6wcYNeWItdrGn1pvG7vkwx2fhmJdAZ3KDQ=="),
    (f"apiKey={ED_KEY}&timestamp=1649729878532",
     "NBJq5sX1RkU7ta3XDctruMgnrhyBcouMvvPIxxQSCUbVWxhp3ai6W7a0Iip/3nOwmJxkVIv6n20cekYCOa5qAg=="),
]


@pytest.mark.parametrize(("payload", "signature"), HMAC_VECTORS)
def test_hmac_matches_published_vectors(payload, signature):
    assert HmacSigner(API_KEY, SECRET).sign(payload) == signature


def test_payload_is_sorted_raw_and_excludes_signature():
    # §6.4 first example, given as an unsorted params object with typed values.
    params = {"symbol": "BTCUSDT", "side": "SELL", "type": "LIMIT", "timeInForce": "GTC",
              "quantity": "0.01000000", "price": "52000.00", "recvWindow": 100, "timestamp": 1645423376532,
              "apiKey": API_KEY, "signature": "ignored"}
    assert signature_payload(params) == HMAC_VECTORS[0][0]
    assert HmacSigner(API_KEY, SECRET).sign_params(params) == HMAC_VECTORS[0][1]


def test_non_ascii_symbol_is_signed_as_raw_utf8_not_percent_encoded():
    params = {"symbol": "１２３４５６", "side": "BUY", "type": "LIMIT", "timeInForce": "GTC",
              "quantity": "1.00000000", "price": "0.10000000", "recvWindow": 5000, "timestamp": 1645423376532,
              "apiKey": API_KEY}
    assert "%" not in signature_payload(params)
    assert HmacSigner(API_KEY, SECRET).sign_params(params) == HMAC_VECTORS[1][1]


def test_values_render_as_their_literal_text():
    assert render_value(True) == "true" and render_value(False) == "false"
    assert render_value(Decimal("0.00001")) == "0.00001"  # never 1E-5
    assert render_value(["BTCUSDT", "ETHUSDT"]) == '["BTCUSDT","ETHUSDT"]'
    assert signature_payload({"b": "x:y/z", "a": 1}) == "a=1&b=x:y/z"
    with pytest.raises(ConfigurationError):
        render_value(0.1)  # floats are refused: their repr may be exponent notation


def test_ed25519_key_reproduces_rfc8032_and_derived_vectors():
    signer = signer_for(Credentials(key=ED_KEY, private_key=ED25519_PEM))
    assert isinstance(signer, Ed25519Signer) and signer.can_log_on
    rfc_empty = ("e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46b"
                 "d25bf5f0595bbe24655141438e7a100b")
    assert base64.b64decode(signer.sign("")).hex() == rfc_empty
    for payload, signature in ED25519_VECTORS:
        assert signer.sign(payload) == signature


def test_rsa_signs_pkcs1v15_sha256_in_standard_base64():
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()).decode()
    signer = signer_for(Credentials(key="k", private_key=pem))
    assert isinstance(signer, RsaSigner) and not signer.can_log_on
    payload = HMAC_VECTORS[0][0]
    signature = signer.sign(payload)
    assert signature == signer.sign(payload)  # PKCS#1 v1.5 is deterministic
    key.public_key().verify(base64.b64decode(signature, validate=True), payload.encode(), padding.PKCS1v15(),
                            hashes.SHA256())


def test_encrypted_pem_takes_its_password_from_secret():
    key = ed25519.Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.BestAvailableEncryption(b"pass")).decode()
    assert isinstance(signer_for(Credentials(key="k", private_key=pem, secret="pass")), Ed25519Signer)
    with pytest.raises(ConfigurationError, match="encrypted"):
        signer_for(Credentials(key="k", private_key=pem))


def test_signer_choice_and_bad_credentials():
    assert isinstance(signer_for(Credentials(key="k", secret="s")), HmacSigner)
    with pytest.raises(ConfigurationError):
        signer_for(Credentials(key="k"))
    with pytest.raises(ConfigurationError):
        signer_for(Credentials(key="", secret="s"))
    with pytest.raises(ConfigurationError) as error:
        signer_for(Credentials(key="k", private_key="-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----"))
    assert "not a key" not in str(error.value)
    assert SECRET not in repr(HmacSigner(API_KEY, SECRET))
