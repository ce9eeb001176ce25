"""exwire._core.lazy: models decoded on first read behave as the eagerly built model."""

from __future__ import annotations

import copy
import itertools
import pickle
import random
import re
import threading
from decimal import Decimal, InvalidOperation

import attrs
import pytest

from exwire._core.lazy import (
    joined_plain_decimals,
    lazy_model,
    plain_decimals,
    plain_epochs,
    text_pattern,
    text_shape,
)


@attrs.frozen(kw_only=True)
class Quote:
    price: Decimal
    quantity: Decimal
    count: int | None = None


calls: list[object] = []


def decode(wire: list[str]) -> Quote:
    calls.append(wire)
    return Quote(price=Decimal(wire[0]), quantity=Decimal(wire[1]), count=int(wire[2]))


make = lazy_model(Quote, decode)
WIRE = ["1.50", "2.25", "3"]


def test_a_lazy_model_decodes_once_on_first_read():
    calls.clear()
    quote = make(list(WIRE))
    assert calls == []
    assert quote.quantity == Decimal("2.25")
    assert quote.price == Decimal("1.50") and str(quote.price) == "1.50"
    assert quote.count == 3
    assert len(calls) == 1


def test_a_lazy_model_equals_and_hashes_as_the_eager_model_both_ways():
    eager = decode(WIRE)
    assert make(WIRE) == eager and eager == make(WIRE)
    assert not (make(WIRE) != eager) and not (eager != make(WIRE))
    assert hash(make(WIRE)) == hash(eager)
    assert {eager, make(WIRE)} == {eager}
    other = Quote(price=Decimal("1.5"), quantity=Decimal("9"), count=3)
    assert make(WIRE) != other and other != make(WIRE)
    assert make(WIRE) != "not a quote"


def test_a_lazy_model_looks_like_the_model():
    quote = make(WIRE)
    assert isinstance(quote, Quote)
    assert type(quote).__name__ == "Quote" and type(quote).__qualname__ == Quote.__qualname__
    assert repr(quote) == repr(decode(WIRE))
    assert attrs.fields(type(quote)) == attrs.fields(Quote)
    assert attrs.asdict(make(WIRE)) == attrs.asdict(decode(WIRE))
    evolved = attrs.evolve(make(WIRE), count=7)
    assert evolved == Quote(price=Decimal("1.50"), quantity=Decimal("2.25"), count=7)


def test_a_lazy_model_is_immutable():
    quote = make(WIRE)
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        quote.price = Decimal(1)  # type: ignore[misc]
    assert quote.price == Decimal("1.50")


def test_a_lazy_model_pickles_and_copies_as_the_plain_model():
    for clone in (pickle.loads(pickle.dumps(make(WIRE))), copy.copy(make(WIRE)), copy.deepcopy(make(WIRE))):
        assert type(clone) is Quote
        assert clone == decode(WIRE)


def test_an_unknown_attribute_is_an_attribute_error():
    quote = make(WIRE)
    with pytest.raises(AttributeError, match="no attribute 'volume'"):
        quote.volume  # type: ignore[attr-defined]  # noqa: B018
    assert not hasattr(quote, "volume")
    assert quote.count == 3


def test_threads_reading_a_fresh_model_at_once_all_see_its_fields():
    quotes = [make(WIRE) for _ in range(200)]
    start = threading.Barrier(4)
    seen: list[list[tuple[Decimal, Decimal, int | None]]] = [[] for _ in range(4)]

    def read(index: int) -> None:
        start.wait()
        seen[index].extend((q.price, q.quantity, q.count) for q in quotes)

    threads = [threading.Thread(target=read, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    expected = [(Decimal("1.50"), Decimal("2.25"), 3)] * 200
    assert all(result == expected for result in seen)


@pytest.mark.parametrize("texts", [["1"], ["-12.5", "0.00000001", ".5", "7."], ["5525.40000"] * 16])
def test_plain_decimals_accepts_plain_decimal_strings(texts):
    assert plain_decimals(texts)
    assert all(Decimal(text) == Decimal(text.strip()) for text in texts)


@pytest.mark.parametrize("texts", [[""], ["1e5"], ["NaN"], ["Infinity"], [" 1"], ["1 "], ["1_000"], ["+1"],
                                   ["1", 2], [None], ["١٢"], ["1.2.3"], ["-"], ["."], ["1", ""]])
def test_plain_decimals_refuses_anything_else(texts):
    assert not plain_decimals(texts)


def _plain_by_definition(text: str) -> bool:
    """A plain decimal spelt out without a regex: ``[-](digits[.[digits]] | .digits)``, ASCII."""
    body = text[1:] if text.startswith("-") else text
    whole, point, fraction = body.partition(".")
    return (text.isascii() and (not whole or whole.isdigit()) and (not fraction or fraction.isdigit())
            and (bool(whole) or (bool(point) and bool(fraction))))


def _epoch_by_definition(text: str) -> bool:
    whole, point, fraction = text.partition(".")
    return text.isascii() and whole.isdigit() and len(whole) <= 11 and (not fraction or fraction.isdigit())


# Every text of up to five characters over the characters that matter (digits, sign, point,
# space, an exponent): the checks' patterns accept exactly the texts of their definition.
_SHORT_TEXTS = ["".join(chars) for size in range(6) for chars in itertools.product("07-. e", repeat=size)]


def test_plain_decimals_accepts_exactly_the_plain_decimals_of_up_to_five_characters():
    for text in _SHORT_TEXTS:
        plain = _plain_by_definition(text)
        assert plain_decimals([text]) is plain or " " in text, repr(text)
        assert (text_pattern("decimal")(text) is not None) is plain, repr(text)
        if plain:
            Decimal(text)  # what the eager decoders do with it cannot fail


def test_plain_epochs_accepts_exactly_the_epoch_texts_of_up_to_five_characters():
    for text in [*_SHORT_TEXTS, "12345678901", "123456789012", "12345678901.5"]:
        assert (text_pattern("epoch")(text) is not None) is _epoch_by_definition(text), repr(text)
        assert plain_epochs([text]) is _epoch_by_definition(text) or " " in text, repr(text)


def test_text_pattern_matches_texts_joined_by_single_spaces():
    fullmatch = text_pattern("decimal", "epoch")
    assert fullmatch("5541.2 1534614057.5") is not None
    assert fullmatch("5541.2 1 2") is None  # a text holding a space: a part too many
    assert fullmatch("5541.2") is None
    with pytest.raises(ValueError, match="unknown text kind"):
        text_pattern("money")


def test_plain_epochs_accepts_only_in_range_epoch_seconds():
    assert plain_epochs(["1534614057.321597", "1618678132", "0.5"])
    for bad in ("-1", "1e9", "123456789012", " 1", "", "1.2.3", "x"):
        assert not plain_epochs([bad]), bad
    assert not plain_epochs([1534614057])


def test_joined_plain_decimals_keeps_the_texts_in_one_string():
    texts = ["5525.40000", "1.000", "-0.5", ".25"]
    joined = joined_plain_decimals(texts)
    assert joined is not None and joined.split(" ") == texts
    assert joined_plain_decimals(["1", "1e5"]) is None
    assert joined_plain_decimals(["1", None]) is None
    assert joined_plain_decimals(["1 2"]) == "1 2"  # two plain decimals: the caller passes single texts


def test_text_shape_checks_each_position_in_one_call():
    check = text_shape("decimal", "decimal", "epoch")
    assert check(["5541.2", "0.5", "1534614057.321597"]) == "5541.2 0.5 1534614057.321597"
    assert check(["5541.2", "0.5", "-1"]) is None
    assert check(["5541.2", "0.5"]) is None
    assert check(["5541.2", "0.5", "1", "2"]) is None
    assert check(["5541.2", None, "1"]) is None
    assert check(["1e3", "0.5", "1"]) is None
    with pytest.raises(ValueError, match="unknown text kind"):
        text_shape("money")


# The shapes as first written, with backtracking quantifiers: the possessive patterns
# lazy.py compiles must accept exactly the same texts.
_BACKTRACKING_NUMBER = r"-?(?:[0-9]+\.?[0-9]*|\.[0-9]+)"
_BACKTRACKING_EPOCH = r"[0-9]{1,11}(?:\.[0-9]*)?"


def _random_texts(rng: random.Random, count: int) -> list[str]:
    alphabet = "0123456789" * 3 + ".-+e x"
    return ["".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 14))) for _ in range(count)]


def test_the_possessive_shapes_accept_exactly_the_backtracking_ones():
    decimals = re.compile(rf"{_BACKTRACKING_NUMBER}(?: {_BACKTRACKING_NUMBER})*", re.ASCII)
    epochs = re.compile(rf"{_BACKTRACKING_EPOCH}(?: {_BACKTRACKING_EPOCH})*", re.ASCII)
    rng = random.Random(16)
    accepted = 0
    for _ in range(20_000):
        texts = _random_texts(rng, rng.randrange(1, 4))
        joined = " ".join(texts)
        assert plain_decimals(texts) == (decimals.fullmatch(joined) is not None), texts
        assert plain_epochs(texts) == (epochs.fullmatch(joined) is not None), texts
        if plain_decimals(texts):
            accepted += 1
            for text in joined.split(" "):  # a text holding a space is two (callers pass single texts)
                try:
                    Decimal(text)
                except InvalidOperation:  # pragma: no cover - the failure this test is for
                    pytest.fail(f"accepted {text!r}, which Decimal refuses")
    assert accepted > 1_000  # the random texts reach both outcomes
