"""OrderBook: ordering, deletes, truncation, exponents and snapshots."""

from __future__ import annotations

import random
from decimal import Decimal

import attrs
import pytest

from exwire.errors import ConfigurationError
from exwire.models import Level
from exwire.orderbook import BookSnapshot, OrderBook

D = Decimal


def prices(levels: list[Level]) -> list[str]:
    return [format(level.price, "f") for level in levels]


def test_empty_book_has_no_best_levels_spread_or_mid():
    book = OrderBook(10)
    assert book.best_bid is None
    assert book.best_ask is None
    assert book.spread is None
    assert book.mid is None
    assert book.bids() == [] and book.asks() == []
    assert len(book) == 0 and book.bid_count == 0 and book.ask_count == 0


def test_levels_are_returned_best_first_whatever_the_insertion_order():
    book = OrderBook()
    for price in ["100.5", "99", "101", "100"]:
        book.set_bid(D(price), D("1"))
        book.set_ask(D(price) + 10, D("2"))
    assert prices(book.bids()) == ["101", "100.5", "100", "99"]
    assert prices(book.asks()) == ["109", "110", "110.5", "111"]
    assert book.best_bid == Level(D("101"), D("1"))
    assert book.best_ask == Level(D("109"), D("2"))


def test_bids_and_asks_take_a_level_count():
    book = OrderBook()
    for price in range(1, 6):
        book.set_bid(D(price), D("1"))
        book.set_ask(D(price + 10), D("1"))
    assert prices(book.bids(2)) == ["5", "4"]
    assert prices(book.asks(2)) == ["11", "12"]
    assert prices(book.bids(4)) == ["5", "4", "3", "2"]
    assert prices(book.bids(5)) == ["5", "4", "3", "2", "1"]
    assert prices(book.bids(50)) == ["5", "4", "3", "2", "1"]
    assert book.bids(0) == [] and book.asks(0) == []
    assert book.bid_items(1) == [(D("5"), D("1"))]
    assert book.ask_items(1) == [(D("11"), D("1"))]
    with pytest.raises(ConfigurationError):
        book.bids(-1)


def test_zero_quantity_deletes_the_level():
    book = OrderBook()
    book.set_bid(D("10"), D("1"))
    book.set_bid(D("9"), D("1"))
    book.set_ask(D("11"), D("1"))
    book.set_bid(D("10"), D("0.00000000"))
    book.set_ask(D("11"), D("0"))
    assert prices(book.bids()) == ["9"]
    assert book.asks() == []
    assert len(book) == 1


def test_deleting_an_absent_level_does_nothing():
    book = OrderBook()
    book.set_ask(D("11"), D("1"))
    book.set_ask(D("12"), D("0"))
    book.set_bid(D("5"), D("0"))
    assert book.asks() == [Level(D("11"), D("1"))]
    assert book.bids() == []


def test_setting_an_existing_price_replaces_its_quantity():
    book = OrderBook()
    book.set_ask(D("11"), D("1"))
    book.set_ask(D("11"), D("3.5"))
    assert book.asks() == [Level(D("11"), D("3.5"))]
    assert book.ask_count == 1


def test_repeated_price_in_sequence_ends_with_the_last_quantity():
    # Kraken sends the same price several times in one message (§5.5).
    book = OrderBook()
    for quantity in ["0.34306942", "0.33306942", "0.18719050", "0.09728579"]:
        book.set_ask(D("27120.00000"), D(quantity))
    assert book.asks() == [Level(D("27120.00000"), D("0.09728579"))]
    for quantity in ["0.07713494", "0.00419247", "0.00000000"]:
        book.set_ask(D("27120.00000"), D(quantity))
    assert book.asks() == []


def test_price_and_quantity_keep_their_wire_exponent():
    book = OrderBook()
    book.set_bid(D("27120.00000"), D("0.00000500"))
    level = book.best_bid
    assert format(level.price, "f") == "27120.00000"
    assert format(level.quantity, "f") == "0.00000500"


def test_an_equal_price_with_another_exponent_updates_the_same_level_and_keeps_the_first_key():
    book = OrderBook()
    book.set_ask(D("1.00"), D("1"))
    book.set_ask(D("1.0"), D("2"))
    assert book.ask_count == 1
    assert format(book.best_ask.price, "f") == "1.00"
    assert book.best_ask.quantity == D("2")
    book.set_ask(D("1"), D("0"))
    assert book.ask_count == 0


def test_truncate_keeps_the_best_depth_levels_of_each_side():
    book = OrderBook(2)
    for price in range(1, 6):
        book.set_bid(D(price), D("1"))
        book.set_ask(D(price + 10), D("1"))
    assert book.bid_count == 5  # mutations never truncate on their own
    book.truncate()
    assert prices(book.bids()) == ["5", "4"]
    assert prices(book.asks()) == ["11", "12"]
    # The dropped levels are really gone: a delete of one is a no-op,
    # and the kept levels still delete normally.
    book.set_bid(D("1"), D("0"))
    book.set_bid(D("5"), D("0"))
    assert prices(book.bids()) == ["4"]


def test_truncate_without_depth_keeps_everything():
    book = OrderBook(None)
    for price in range(1, 2001):
        book.set_ask(D(price), D("1"))
    book.truncate()
    assert book.ask_count == 2000
    assert book.depth is None


def test_spread_and_mid_use_the_best_levels():
    book = OrderBook()
    book.set_bid(D("99.5"), D("1"))
    book.set_bid(D("99"), D("1"))
    book.set_ask(D("100.5"), D("1"))
    book.set_ask(D("101"), D("1"))
    assert book.spread == D("1.0")
    assert book.mid == D("100")
    book.set_ask(D("100.5"), D("0"))
    book.set_ask(D("101"), D("0"))
    assert book.spread is None and book.mid is None


def test_clear_empties_both_sides():
    book = OrderBook(5)
    book.set_bid(D("1"), D("1"))
    book.set_ask(D("2"), D("1"))
    book.clear()
    assert len(book) == 0
    assert book.best_bid is None and book.best_ask is None


def test_snapshot_is_an_immutable_copy_with_the_update_count():
    book = OrderBook()
    book.set_bid(D("1"), D("1"))
    book.set_bid(D("2"), D("3"))
    book.set_ask(D("4"), D("5"))
    snapshot = book.snapshot()
    assert isinstance(snapshot, BookSnapshot)
    assert snapshot.bids == (Level(D("2"), D("3")), Level(D("1"), D("1")))
    assert snapshot.asks == (Level(D("4"), D("5")),)
    assert snapshot.update_count == 3 == book.update_count
    book.set_ask(D("4"), D("0"))
    assert snapshot.asks == (Level(D("4"), D("5")),)
    assert book.snapshot().update_count == 4
    assert book.snapshot(1).bids == (Level(D("2"), D("3")),)
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        snapshot.bids = ()


def test_update_count_counts_clears_and_effective_truncations():
    book = OrderBook(1)
    book.set_bid(D("1"), D("1"))
    book.truncate()  # nothing to cut
    assert book.update_count == 1
    book.set_bid(D("2"), D("1"))
    book.truncate()
    assert book.update_count == 3
    book.clear()
    assert book.update_count == 4


@pytest.mark.parametrize("depth", [0, -1, 1.5, True, "10"])
def test_invalid_depth_is_refused(depth):
    with pytest.raises(ConfigurationError):
        OrderBook(depth)


def test_random_updates_match_a_naive_model():
    rng = random.Random(20240601)
    depth = 50
    book = OrderBook(depth)
    model_bids: dict[Decimal, Decimal] = {}
    model_asks: dict[Decimal, Decimal] = {}
    for _ in range(200):
        for _ in range(rng.randint(1, 8)):
            side_is_bid = rng.random() < 0.5
            price = D(rng.randint(1, 300)).scaleb(-1)
            quantity = D(rng.choice([0, 0, rng.randint(1, 10**6)])).scaleb(-8)
            model = model_bids if side_is_bid else model_asks
            (book.set_bid if side_is_bid else book.set_ask)(price, quantity)
            if quantity:
                model[price] = quantity
            else:
                model.pop(price, None)
        book.truncate()
        for price in sorted(model_bids, reverse=True)[depth:]:
            del model_bids[price]
        for price in sorted(model_asks)[depth:]:
            del model_asks[price]
        assert book.bids() == [Level(p, model_bids[p]) for p in sorted(model_bids, reverse=True)]
        assert book.asks() == [Level(p, model_asks[p]) for p in sorted(model_asks)]


def test_load_replaces_both_sides_like_clear_and_set_in_order():
    levels = [(Decimal("10.0"), Decimal("1")), (Decimal("12.0"), Decimal("2")), (Decimal("10.00"), Decimal("3")),
              (Decimal("11.0"), Decimal("0")), (Decimal("12.0"), Decimal("0")), (Decimal("12.00"), Decimal("4"))]
    loaded, stepwise = OrderBook(), OrderBook()
    loaded.set_bid(Decimal("1"), Decimal("1"))
    loaded.load(levels[::-1], levels)
    for price, quantity in levels:
        stepwise.set_ask(price, quantity)
    for price, quantity in levels[::-1]:
        stepwise.set_bid(price, quantity)
    assert loaded.asks() == stepwise.asks() and loaded.bids() == stepwise.bids()
    # the first Decimal of a price stays the key; a price deleted and added again takes the new one
    assert [str(level.price) for level in loaded.asks()] == [str(level.price) for level in stepwise.asks()] == \
        ["10.0", "12.00"]
    assert [str(level.price) for level in loaded.bids()] == [str(level.price) for level in stepwise.bids()]


def test_load_counts_one_update():
    book = OrderBook()
    book.load([(Decimal("1"), Decimal("1"))], [(Decimal("2"), Decimal("1"))])
    assert book.update_count == 1


def test_top_gives_the_best_prices_of_each_side_and_their_quantities():
    book = OrderBook()
    for i in range(15):
        book.set_ask(Decimal(100 + i), Decimal(i + 1))
        book.set_bid(Decimal(99 - i), Decimal(i + 1))
    asks, ask_quantities, bids, bid_quantities = book.top(10)
    assert [(p, ask_quantities[p]) for p in asks] == book.ask_items(10)
    assert [(p, bid_quantities[p]) for p in bids] == book.bid_items(10)
    assert book.top(50)[0] == [level.price for level in book.asks()]
    assert book.top(50)[2] == [level.price for level in book.bids()]
    assert book.top(0)[0] == [] and book.top(0)[2] == []


def test_apply_levels_sets_asks_then_bids_deletes_zeros_and_truncates():
    book = OrderBook(depth=2)
    book.load([(D("99"), D("1")), (D("98"), D("1"))], [(D("101"), D("1")), (D("102"), D("1"))])
    book.apply_levels(bids=[Level(D("99"), D("0")), Level(D("100"), D("3")), Level(D("97"), D("1"))],
                      asks=[Level(D("100.5"), D("2"))])
    assert book.bids() == [Level(D("100"), D("3")), Level(D("98"), D("1"))]  # 99 deleted, 97 cut
    assert book.asks() == [Level(D("100.5"), D("2")), Level(D("101"), D("1"))]  # 102 cut


def test_nth_best_prices_are_the_nth_ask_and_bid_or_none_when_a_side_is_shorter():
    book = OrderBook()
    assert book.nth_best_prices(1) == (None, None)
    for price in ("10", "11", "12"):
        book.set_ask(Decimal(price), Decimal("1"))
    for price in ("9", "8"):
        book.set_bid(Decimal(price), Decimal("1"))
    assert book.nth_best_prices(1) == (Decimal("10"), Decimal("9"))
    assert book.nth_best_prices(2) == (Decimal("11"), Decimal("8"))
    assert book.nth_best_prices(3) == (Decimal("12"), None)
    assert book.nth_best_prices(4) == (None, None)
    for bad in (0, -1, True, 1.5):
        with pytest.raises(ConfigurationError):
            book.nth_best_prices(bad)  # type: ignore[arg-type]


def test_best_levels_handed_out_again_always_equal_the_book_as_it_is():
    # best_bid / best_ask return the same Level while the best level's price and quantity
    # objects are unchanged: after every random change they equal a fresh Level.
    rng = random.Random(16)
    book = OrderBook(depth=20)
    for _ in range(3000):
        side = rng.choice(("bid", "ask"))
        price = Decimal(rng.randint(90, 110)) / 2
        quantity = Decimal(rng.choice((0, 1, 2))).quantize(Decimal(rng.choice(("1", "0.1"))))
        (book.set_bid if side == "bid" else book.set_ask)(price, quantity)
        if rng.random() < 0.1:
            book.truncate()
        bids, asks = book.bids(1), book.asks(1)
        before = book.best_bid, book.best_ask
        assert before == (bids[0] if bids else None, asks[0] if asks else None)
        if bids:
            assert format(before[0].quantity, "f") == format(bids[0].quantity, "f")  # the exponent too
        assert book.best_bid is before[0] and book.best_ask is before[1]  # nothing changed: the same object


def test_best_prices_and_quantities_are_the_best_levels_fields_or_none_per_empty_side():
    book = OrderBook()
    assert book.best_prices_and_quantities() == (None, None, None, None)
    book.set_bid(D("99.5"), D("2.50"))
    assert book.best_prices_and_quantities() == (D("99.5"), D("2.50"), None, None)
    book.set_ask(D("100"), D("1"))
    book.set_ask(D("100.5"), D("3"))
    book.set_bid(D("99"), D("4"))
    bid, bid_quantity, ask, ask_quantity = book.best_prices_and_quantities()
    assert Level(bid, bid_quantity) == book.best_bid and Level(ask, ask_quantity) == book.best_ask
    assert format(bid_quantity, "f") == "2.50"  # the book's own Decimal, exponent kept


def _exact(book: OrderBook) -> list[object]:
    """Both sides with every key's and quantity's exact digits and exponent, and the count."""
    return [[(p.as_tuple(), q.as_tuple()) for p, q in book.bid_items()],
            [(p.as_tuple(), q.as_tuple()) for p, q in book.ask_items()], book.update_count]


def test_apply_pairs_equals_set_ask_then_set_bid_then_truncate_and_tells_which_top_it_touched():
    rng = random.Random(20261203)
    for depth in (None, 3, 12):
        book, stepwise = OrderBook(depth), OrderBook(depth)
        for _ in range(400):
            sides = []
            for _ in range(2):
                sides.append([(D(rng.randint(1, 40)).scaleb(-rng.choice([1, 2])),
                               D(rng.choice([0, rng.randint(1, 99)])).scaleb(-2))
                              for _ in range(rng.choice([0, 1, 1, 2, 5]))])
            asks, bids = sides
            top = rng.choice([None, 1, 5, 10])
            before = stepwise.nth_best_prices(top) if top is not None else (None, None)
            for price, quantity in asks:
                stepwise.set_ask(price, quantity)
            for price, quantity in bids:
                stepwise.set_bid(price, quantity)
            stepwise.truncate()
            touched = book.apply_pairs(bids, asks, top)
            assert _exact(book) == _exact(stepwise)
            if top is None:
                assert touched == (False, False)
            else:
                assert touched == (bool(asks) and (before[0] is None or any(p <= before[0] for p, _ in asks)),
                                   bool(bids) and (before[1] is None or any(p >= before[1] for p, _ in bids)))


def test_apply_pairs_refuses_a_top_that_is_no_positive_count():
    book = OrderBook()
    for bad in (0, -1, True, 1.5):
        with pytest.raises(ConfigurationError):
            book.apply_pairs([], [], bad)  # type: ignore[arg-type]
    assert book.update_count == 0


def test_load_of_lists_and_of_iterators_gives_the_book_of_set_calls():
    # load() builds a list side without zero quantities with dict(): the same keys (the first
    # Decimal of a repeated price), quantities (the last) and order as the level-by-level loop.
    rng = random.Random(7)
    for _ in range(200):
        levels = [(D(rng.randint(1, 30)).scaleb(-rng.choice([0, 1, 2])), D(rng.choice([0, 0, 1, 2, 3, 5])))
                  for _ in range(rng.randint(0, 25))]
        if rng.random() < 0.5:
            levels = [(p, q) for p, q in levels if q]
        from_list, from_iterator, stepwise = OrderBook(), OrderBook(), OrderBook()
        from_list.load(levels[::-1], levels)
        from_iterator.load(iter(levels[::-1]), iter(levels))
        stepwise.clear()
        for price, quantity in levels:
            stepwise.set_ask(price, quantity)
        for price, quantity in levels[::-1]:
            stepwise.set_bid(price, quantity)
        assert _exact(from_list)[:2] == _exact(from_iterator)[:2] == _exact(stepwise)[:2]
