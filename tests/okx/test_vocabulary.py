"""exwire.okx's models speak the shared vocabulary (the suite-wide checks, run for okx)."""

from __future__ import annotations

from tests import test_vocabulary as vocabulary


def test_okx_models_of_a_concept_carry_the_vocabulary() -> None:
    vocabulary.test_models_of_a_concept_carry_the_vocabulary("okx")


def test_no_okx_model_uses_a_replaced_synonym() -> None:
    vocabulary.test_no_model_uses_a_replaced_synonym("okx")


def test_an_okx_trade_quantity_is_never_called_volume() -> None:
    vocabulary.test_a_trade_quantity_is_never_called_volume("okx")
