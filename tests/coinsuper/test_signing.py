"""Log-on values of coinsuper.md §2.1-§2.2, checked against the document's worked examples.

The expected digests are the document's own (computed by hand there from the formulas),
never values produced by this package or its emulator.
"""

from __future__ import annotations

import pytest

from exwire import ConfigurationError, Credentials
from exwire.coinsuper import signing

KEY, SECRET, EMAIL = "zhangsan", "lisi", "demouser@demo.domain"
DEPTH_TOPIC = "exchange_ha_prod_hk/api/ws/v1/market/depth/BTC_USD"


def test_md5_hex_matches_the_worked_example_digests():
    assert signing.md5_hex(KEY) == "01d7f40760960e7bd9443513f22ab9af"
    assert signing.md5_hex(EMAIL) == "724c9392782dee868d36515f287e9362"
    assert signing.md5_hex(DEPTH_TOPIC) == "0bc3dcf9bf81a61081d8050549877a07"


def test_public_client_id_is_the_worked_example():
    assert signing.public_client_id(KEY, EMAIL, DEPTH_TOPIC) == (
        "01d7f40760960e7bd9443513f22ab9af724c9392782dee868d36515f287e9362"
        "0bc3dcf9bf81a61081d8050549877a07"
    )


def test_public_client_id_changes_with_the_topic():
    other = signing.public_client_id(KEY, EMAIL, "exchange_ha_prod_hk/api/ws/v1/market/tickers/BTC_USD")
    assert len(other) == 96 and other[:64] == signing.public_client_id(KEY, EMAIL, DEPTH_TOPIC)[:64]
    assert other[64:] != "0bc3dcf9bf81a61081d8050549877a07"


def test_private_password_is_the_worked_example():
    assert signing.private_sign(KEY, SECRET, EMAIL, 1542786802283) == "273f01377028157553d9c687ecba7dcf"
    assert signing.private_password(KEY, SECRET, EMAIL, 1542786802283) == (
        "demouser@demo.domain,1542786802283,273f01377028157553d9c687ecba7dcf"
    )


def test_public_login_uses_the_fixed_user_name_and_password():
    login = signing.public_login(Credentials(key=KEY, email=EMAIL), DEPTH_TOPIC)
    assert login.user_name == "api_subscriber"
    assert login.password == "da65be18f44b33b69603c39fd03ddf49"
    assert login.client_id.endswith("0bc3dcf9bf81a61081d8050549877a07")


def test_private_login_uses_the_access_key_as_client_id():
    login = signing.private_login(Credentials(key=KEY, secret=SECRET, email=EMAIL), 1542786802283)
    assert login == ("zhangsan", "api_private", "demouser@demo.domain,1542786802283,273f01377028157553d9c687ecba7dcf")


def test_login_repr_hides_the_password():
    login = signing.private_login(Credentials(key=KEY, secret=SECRET, email=EMAIL), 1542786802283)
    assert "273f0137" not in repr(login) and "***" in repr(login)


@pytest.mark.parametrize(
    "credentials",
    [None, Credentials(key=KEY), Credentials(key="", email=EMAIL)],
)
def test_public_login_needs_key_and_email(credentials):
    with pytest.raises(ConfigurationError, match="key and email"):
        signing.public_login(credentials, DEPTH_TOPIC)


@pytest.mark.parametrize(
    "credentials",
    [None, Credentials(key=KEY, email=EMAIL), Credentials(key=KEY, secret=SECRET)],
)
def test_private_login_needs_key_secret_and_email(credentials):
    with pytest.raises(ConfigurationError, match="key, secret and email"):
        signing.private_login(credentials, 1)
