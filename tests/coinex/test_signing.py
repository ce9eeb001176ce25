"""``server.sign`` against the worked vector of reference/protocols/coinex.md §4."""

from __future__ import annotations

import pytest

from exwire.coinex.signing import sign, string_to_sign
from exwire.errors import ConfigurationError

ACCESS_ID = "4DA36FFC61334695A66F8D29020EB589"
SECRET = "B51068CF10B34E7789C374AB932696A05E0A629BE7BFC62F"
TONCE = 1513746038205


def test_string_to_sign_matches_the_document():
    assert string_to_sign(ACCESS_ID, TONCE, SECRET) == (
        "access_id=4DA36FFC61334695A66F8D29020EB589&tonce=1513746038205"
        "&secret_key=B51068CF10B34E7789C374AB932696A05E0A629BE7BFC62F")


def test_signature_matches_the_worked_vector():
    assert sign(ACCESS_ID, TONCE, SECRET) == "4A2216ED09BB42CE279621EE2C1CE124"


def test_signature_is_upper_case_hex():
    signature = sign("id", 1, "secret")
    assert len(signature) == 32 and signature == signature.upper()
    int(signature, 16)


@pytest.mark.parametrize(("access_id", "tonce", "secret"), [
    ("", TONCE, SECRET), (ACCESS_ID, TONCE, ""), (ACCESS_ID, "1513746038205", SECRET), (ACCESS_ID, True, SECRET)])
def test_bad_inputs_are_configuration_errors(access_id, tonce, secret):
    with pytest.raises(ConfigurationError):
        sign(access_id, tonce, secret)
