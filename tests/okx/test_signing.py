"""OKX login signature against the verified vectors (HMAC-SHA256, Base64)."""

from __future__ import annotations

import pytest

from exwire.errors import ConfigurationError
from exwire.okx.signing import login_args, prehash, sign

SECRET = "22582BD0CFF14C41EDBF1AB98506286D"  # the example secret of OKX's documentation


@pytest.mark.parametrize(
    ("timestamp", "expected"),
    [
        ("1538054050", "+LdIr8lkkvhr5hoA3g9TMC0+uQJ849ftAcocA/ouu4M="),
        ("1704876947", "5/36BgGV6m/6pmdc20zdqk0mzF5ZalmzzPD2fo3wavU="),
    ],
)
def test_login_signature_matches_the_known_vectors(timestamp: str, expected: str) -> None:
    assert prehash(timestamp) == f"{timestamp}GET/users/self/verify"
    assert sign(SECRET, timestamp) == expected


def test_login_args_carry_whole_second_string_timestamp() -> None:
    args = login_args("key-1", SECRET, "pass", 1538054050)
    assert args == {
        "apiKey": "key-1",
        "passphrase": "pass",
        "timestamp": "1538054050",
        "sign": "+LdIr8lkkvhr5hoA3g9TMC0+uQJ849ftAcocA/ouu4M=",
    }


@pytest.mark.parametrize("timestamp", ["1538054050.5", "", "1538054050123.0"])
def test_a_timestamp_that_is_not_whole_seconds_is_refused(timestamp: str) -> None:
    with pytest.raises(ConfigurationError):
        sign(SECRET, timestamp)


def test_missing_passphrase_is_refused() -> None:
    with pytest.raises(ConfigurationError):
        login_args("key", SECRET, "", 1)
