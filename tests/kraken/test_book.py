"""Kraken v1 book maintenance and checksum (§5.5 of reference/protocols/kraken.md).

The real captures are read in place from ``<repository root>/../shared/fixtures``.
"""

from __future__ import annotations

import json
import zlib
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from exwire.kraken import book as kraken_book
from exwire.kraken.converter import book_from_wire
from exwire.kraken.models import BookLevel, BookUpdate
from exwire.models import Level
from exwire.orderbook import OrderBook

FIXTURES = Path(__file__).resolve().parents[2].parent / "shared" / "fixtures" / "kraken"
EPOCH_TIME = "1693415330.621700"


def fixture_path(relative: str) -> Path:
    path = FIXTURES / relative
    if not path.is_file():
        pytest.skip(f"fixture {path} is absent (the shared fixtures folder sits beside the repository)")
    return path


def load_cryptofeed(relative: str) -> list[Any]:
    """Received messages of a cryptofeed capture: skip the header and sent (`` <- ``) lines."""
    messages = []
    with fixture_path(relative).open(encoding="utf-8") as lines:
        next(lines)  # "wss://ws.kraken.com <-> <time>": the connection was opened
        for line in lines:
            if not line.strip():
                continue
            head, _, body = line.partition(": ")
            if " <- " in head:
                continue
            messages.append(json.loads(body))
    return messages


def load_python_kraken_sdk() -> dict[str, list[Any]]:
    with fixture_path("python-kraken-sdk/orderbook-v1.json").open(encoding="utf-8") as file:
        return json.load(file)


def snapshot_frame(asks: list[list[str]], bids: list[list[str]], depth: int = 10) -> list[Any]:
    return [0, {"as": asks, "bs": bids}, f"book-{depth}", "XBT/USD"]


def apply_frame(book: OrderBook, frame: list[Any]) -> BookUpdate:
    _, update = book_from_wire(frame[1:-2])
    kraken_book.apply(book, update)
    return update


class Replay:
    """Replays channel arrays through converter + OrderBook + checksum, one book per pair."""

    def __init__(self, depth_override: int | None | str = "channel") -> None:
        self.depth_override = depth_override
        self.books: dict[str, OrderBook] = {}
        self.snapshots = 0
        self.verified = 0
        self.mismatches = 0
        self.five_element_updates = 0
        self.republished_levels = 0

    def feed(self, message: Any) -> None:
        if isinstance(message, dict):  # event objects: systemStatus, heartbeat ...
            return
        channel_name, pair = message[-2], message[-1]
        if len(message) == 5:
            self.five_element_updates += 1
        is_snapshot, update = book_from_wire(message[1:-2])
        book = self.books.get(pair)
        if book is None:
            depth = int(channel_name.partition("-")[2]) if self.depth_override == "channel" else self.depth_override
            book = self.books[pair] = OrderBook(depth)
        if is_snapshot:
            self.snapshots += 1
        self.republished_levels += sum(level.republished for level in update.asks + update.bids)
        kraken_book.apply(book, update)
        if update.checksum is not None:
            if kraken_book.checksum(book) == update.checksum:
                self.verified += 1
            else:
                self.mismatches += 1


def test_checksum_of_krakens_documented_example_1():
    volume = "0.00000500"
    asks = [[f"{Decimal('0.05005') + Decimal('0.00005') * i:.5f}", volume, EPOCH_TIME] for i in range(10)]
    # Kraken's guide lists ten bids from 0.05000 down to 0.04950: 0.04985 is absent
    # (see the concatenated string in §5.5).
    bid_prices = ["0.05000", "0.04995", "0.04990", "0.04980", "0.04975"]
    bid_prices += ["0.04970", "0.04965", "0.04960", "0.04955", "0.04950"]
    bids = [[price, volume, EPOCH_TIME] for price in bid_prices]
    assert asks[0][0] == "0.05005" and asks[-1][0] == "0.05050"
    book = OrderBook(10)
    apply_frame(book, snapshot_frame(asks, bids))
    assert kraken_book.checksum(book) == 974947235


def test_checksum_input_of_example_1_matches_the_documented_string():
    # The concatenation printed in §5.5 (spaces removed) hashes to the same value.
    text = (
        "50055005010500501550050205005025500"
        "50305005035500504050050455005050500"
        "50005004995500499050049805004975500"
        "49705004965500496050049555004950500"
    )
    assert zlib.crc32(text.encode()) == 974947235


def test_checksum_of_worked_example_2_from_the_real_capture():
    data = load_python_kraken_sdk()
    book = OrderBook(10)
    apply_frame(book, data["init"][3])
    update = {"b": [["27119.90000", "13.54109952", "1693415330.621700"]], "c": "3572756970"}
    applied = apply_frame(book, [336, update, "book-10", "XBT/USD"])
    assert applied.checksum == 3572756970
    assert kraken_book.checksum(book) == 3572756970


def test_replay_of_python_kraken_sdk_book_10_capture_verifies_every_checksum():
    data = load_python_kraken_sdk()
    replay = Replay()
    for message in data["init"] + data["updates"]:
        replay.feed(message)
    assert replay.snapshots == 1
    assert replay.verified == 979
    assert replay.mismatches == 0
    assert replay.five_element_updates == 1
    assert replay.republished_levels == 223
    assert replay.books["XBT/USD"].bid_count == 10 and replay.books["XBT/USD"].ask_count == 10


def test_replay_without_truncation_to_depth_fails_most_checksums():
    # §5.5 step 3: Kraken never deletes levels that leave the window; skipping the
    # truncation fails 915 of the 979 checksums of this capture.
    data = load_python_kraken_sdk()
    replay = Replay(depth_override=None)
    for message in data["init"] + data["updates"]:
        replay.feed(message)
    assert replay.mismatches == 915
    assert replay.verified == 979 - 915


def test_replay_of_cryptofeed_book_1000_capture_verifies_every_checksum_across_ten_pairs():
    replay = Replay()
    for message in load_cryptofeed("cryptofeed/KRAKEN.ws.50.0"):
        replay.feed(message)
    assert replay.snapshots == 10
    assert len(replay.books) == 10
    assert all(book.depth == 1000 for book in replay.books.values())
    assert replay.verified == 4269
    assert replay.mismatches == 0
    assert replay.five_element_updates == 1


def level(price: str, volume: str, republished: bool = False) -> BookLevel:
    from exwire._core.codec import epoch_to_datetime

    return BookLevel(price=Decimal(price), quantity=Decimal(volume), time=epoch_to_datetime(EPOCH_TIME), republished=republished)


def test_apply_of_a_snapshot_replaces_the_previous_book():
    book = OrderBook(10)
    kraken_book.apply(book, BookUpdate(asks=(level("11", "1"),), bids=(level("9", "1"),), checksum=None, is_snapshot=True))
    kraken_book.apply(book, BookUpdate(asks=(level("12", "2"),), bids=(level("8", "2"),), checksum=None, is_snapshot=True))
    assert book.asks() == [Level(Decimal("12"), Decimal("2"))]
    assert book.bids() == [Level(Decimal("8"), Decimal("2"))]


def test_apply_of_an_update_keeps_other_levels_and_applies_in_order():
    book = OrderBook(10)
    kraken_book.apply(book, BookUpdate(asks=(level("11", "1"), level("12", "1")), bids=(level("9", "1"),), checksum=None, is_snapshot=True))
    update = BookUpdate(
        asks=(level("11", "0.5"), level("11", "0.25"), level("12", "0.00000000"), level("13", "4", republished=True)),
        bids=(),
        checksum=None,
    )
    kraken_book.apply(book, update)
    assert book.asks() == [Level(Decimal("11"), Decimal("0.25")), Level(Decimal("13"), Decimal("4"))]
    assert book.bids() == [Level(Decimal("9"), Decimal("1"))]


def test_apply_truncates_to_the_book_depth_after_the_whole_update():
    book = OrderBook(2)
    kraken_book.apply(book, BookUpdate(asks=(level("11", "1"), level("12", "1")), bids=(), checksum=None, is_snapshot=True))
    # The insert of 10 pushes 12 out only after the whole message: the delete of 11
    # that follows lets 12 stay.
    kraken_book.apply(book, BookUpdate(asks=(level("10", "1"), level("11", "0")), bids=(), checksum=None))
    assert [format(lv.price, "f") for lv in book.asks()] == ["10", "12"]


def test_checksum_uses_only_the_top_ten_levels_of_each_side():
    asks = [[f"{100 + i}.0", "1.0", EPOCH_TIME] for i in range(25)]
    bids = [[f"{99 - i}.0", "1.0", EPOCH_TIME] for i in range(25)]
    deep = OrderBook(25)
    apply_frame(deep, snapshot_frame(asks, bids, 25))
    shallow = OrderBook(10)
    apply_frame(shallow, snapshot_frame(asks[:10], bids[:10]))
    assert kraken_book.checksum(deep) == kraken_book.checksum(shallow)


def test_checksum_formats_tiny_volumes_without_exponent_notation():
    # str(Decimal("0.00000050")) is "5.0E-7"; the checksum needs "50".
    book = OrderBook(10)
    apply_frame(book, snapshot_frame([["0.05005", "0.00000050", EPOCH_TIME]], [["0.05000", "0.00000050", EPOCH_TIME]]))
    assert kraken_book.checksum(book) == zlib.crc32(b"5005" + b"50" + b"5000" + b"50")


def test_checksum_of_an_empty_book_is_the_crc_of_nothing():
    assert kraken_book.checksum(OrderBook(10)) == zlib.crc32(b"") == 0


def _crc_of_levels(asks: list[tuple[str, str]], bids: list[tuple[str, str]]) -> int:
    """The checksum computed from wire strings directly, without any memo (§5.5)."""
    digits = lambda text: text.replace(".", "").lstrip("0")  # noqa: E731
    return zlib.crc32("".join(digits(p) + digits(q) for p, q in asks + bids).encode("ascii"))


def test_checksum_memo_follows_a_quantity_changed_to_an_equal_value_with_another_exponent():
    book = OrderBook(10)
    book.set_ask(Decimal("10.0"), Decimal("1.0"))
    book.set_bid(Decimal("9.0"), Decimal("2.0"))
    assert kraken_book.checksum(book) == _crc_of_levels([("10.0", "1.0")], [("9.0", "2.0")])
    book.set_ask(Decimal("10.0"), Decimal("1.00"))  # equal value, other wire string: the text must change
    assert kraken_book.checksum(book) == _crc_of_levels([("10.0", "1.00")], [("9.0", "2.0")])
    book.set_bid(Decimal("9.0"), Decimal("0"))
    book.set_bid(Decimal("9.00"), Decimal("2.0"))  # re-added with another exponent: a new key
    assert kraken_book.checksum(book) == _crc_of_levels([("10.0", "1.00")], [("9.00", "2.0")])


def test_checksum_memo_is_per_book_and_per_side():
    crossed, plain = OrderBook(10), OrderBook(10)
    crossed.set_ask(Decimal("10.0"), Decimal("1.0"))
    crossed.set_bid(Decimal("10.0"), Decimal("3.0"))  # the same price on both sides
    plain.set_ask(Decimal("10.0"), Decimal("5.0"))
    assert kraken_book.checksum(crossed) == _crc_of_levels([("10.0", "1.0")], [("10.0", "3.0")])
    assert kraken_book.checksum(plain) == _crc_of_levels([("10.0", "5.0")], [])
    assert kraken_book.checksum(crossed) == _crc_of_levels([("10.0", "1.0")], [("10.0", "3.0")])


def test_checksum_memo_starts_afresh_past_its_limit_and_stays_right():
    book = OrderBook(None)
    kraken_book.apply(book, book_from_wire([{"as": [["100000.5", "1.25", EPOCH_TIME]], "bs": []}])[1])
    assert kraken_book.checksum(book) == _fresh_checksum(book)
    # Each update a new best ask: one more remembered text per update, past the limit.
    for number in range(kraken_book._MEMO_LIMIT + 50):
        update = book_from_wire([{"a": [[f"{99999 - number}.5", "1.25", EPOCH_TIME]], "c": "0"}])[1]
        kraken_book.apply(book, update)
        assert kraken_book.checksum(book) == _fresh_checksum(book)
        assert len(book.memo[kraken_book._TOP][3]) <= kraken_book._MEMO_LIMIT + kraken_book.CHECKSUM_LEVELS
    assert len(book.memo[kraken_book._TOP][3]) < kraken_book._MEMO_LIMIT  # it did start afresh


def _wire_replay(messages: list[Any]) -> tuple[dict[str, OrderBook], int, int]:
    books: dict[str, OrderBook] = {}
    verified = mismatched = 0
    for message in messages:
        if isinstance(message, dict):
            continue
        pair = message[-1]
        book = books.get(pair)
        if book is None:
            book = books[pair] = OrderBook(int(message[-2].partition("-")[2]))
        expected = kraken_book.apply_wire(book, message[1:-2])
        if expected is not None:
            if kraken_book.checksum(book) == expected:
                verified += 1
            else:
                mismatched += 1
    return books, verified, mismatched


def test_apply_wire_replays_the_cryptofeed_capture_like_the_models_every_checksum():
    messages = load_cryptofeed("cryptofeed/KRAKEN.ws.50.0")
    books, verified, mismatched = _wire_replay(messages)
    assert (verified, mismatched) == (4269, 0)
    replay = Replay()
    for message in messages:
        replay.feed(message)
    assert books.keys() == replay.books.keys()
    for pair, book in books.items():
        model = replay.books[pair]
        assert book.bids() == model.bids() and book.asks() == model.asks()
        assert [format(level.price, "f") for level in book.asks()] == [format(level.price, "f") for level in model.asks()]


def test_apply_wire_replays_the_python_kraken_sdk_capture_every_checksum():
    data = load_python_kraken_sdk()
    _, verified, mismatched = _wire_replay(data["init"] + data["updates"])
    assert (verified, mismatched) == (979, 0)


def test_apply_wire_of_a_snapshot_replaces_the_book_and_returns_no_checksum():
    book = OrderBook(10)
    book.set_bid(Decimal("1"), Decimal("1"))
    frame = snapshot_frame([["10.0", "1.5", EPOCH_TIME]], [["9.0", "2.5", EPOCH_TIME], ["8.0", "0", EPOCH_TIME]])
    assert kraken_book.apply_wire(book, frame[1:-2]) is None
    assert book.bids() == [Level(Decimal("9.0"), Decimal("2.5"))]
    assert book.asks() == [Level(Decimal("10.0"), Decimal("1.5"))]


def test_apply_wire_applies_both_objects_of_a_five_element_update_in_order():
    book = OrderBook(10)
    kraken_book.apply_wire(book, [{"as": [["10.0", "1", EPOCH_TIME]], "bs": [["9.0", "1", EPOCH_TIME]]}])
    payloads = [{"a": [["10.0", "2", EPOCH_TIME], ["10.0", "3", EPOCH_TIME, "r"]]}, {"b": [["9.0", "0", EPOCH_TIME]],
                                                                                     "c": "123"}]
    assert kraken_book.apply_wire(book, payloads) == 123
    assert book.asks() == [Level(Decimal("10.0"), Decimal("3"))] and book.bids() == []


@pytest.mark.parametrize("payloads", [
    [{"a": [["10.0", "1", EPOCH_TIME], ["bad", "1", EPOCH_TIME]], "c": "1"}],
    [{"a": [["10.0"]], "c": "1"}],
    [{"b": [["9.0", "1", EPOCH_TIME]], "c": "x"}],
    [{"unknown": 1}],
])
def test_apply_wire_refuses_a_malformed_message_and_leaves_the_book_unchanged(payloads):
    from exwire.errors import DecodeError

    book = OrderBook(10)
    kraken_book.apply_wire(book, [{"as": [["11.0", "1", EPOCH_TIME]], "bs": [["9.0", "1", EPOCH_TIME]]}])
    before = book.snapshot()
    with pytest.raises(DecodeError):
        kraken_book.apply_wire(book, payloads)
    assert book.bids() == list(before.bids) and book.asks() == list(before.asks)


def _fresh_checksum(book: OrderBook) -> int:
    """The checksum from the book's levels alone (no memo, nothing carried over)."""
    asks = [(format(lv.price, "f"), format(lv.quantity, "f")) for lv in book.asks(10)]
    bids = [(format(lv.price, "f"), format(lv.quantity, "f")) for lv in book.bids(10)]
    return _crc_of_levels(asks, bids)


@pytest.mark.parametrize("wire", [False, True], ids=["apply", "apply_wire"])
@pytest.mark.parametrize("capture", ["KRAKEN.ws.50.0", "python-kraken-sdk"])
def test_checksum_halves_carried_over_updates_equal_the_checksum_from_scratch_on_every_message(capture, wire):
    # apply / apply_wire keep a side's checksum half when an update leaves that side's top 10
    # alone: after every message of every capture it equals the checksum computed afresh.
    if capture == "python-kraken-sdk":
        data = load_python_kraken_sdk()
        messages = data["init"] + data["updates"]
    else:
        messages = load_cryptofeed(f"cryptofeed/{capture}")
    books: dict[str, OrderBook] = {}
    carried = checked = 0
    for message in messages:
        if not isinstance(message, list) or not str(message[-2]).startswith("book-"):
            continue
        pair = message[-1]
        book = books.get(pair)
        if book is None:
            book = books[pair] = OrderBook(int(message[-2].partition("-")[2]))
        state = book.memo.get(kraken_book._TOP)
        before = list(state) if state is not None else None
        if wire:
            expected = kraken_book.apply_wire(book, message[1:-2])
        else:
            _, update = book_from_wire(message[1:-2])
            kraken_book.apply(book, update)
            expected = update.checksum
        state = book.memo.get(kraken_book._TOP)
        if before is not None and state is not None and state[0] == book.update_count:
            carried += (state[1] is not None) + (state[2] is not None)
        assert kraken_book.checksum(book) == _fresh_checksum(book)
        if expected is not None:
            assert kraken_book.checksum(book) == expected
            checked += 1
    assert checked > 900
    assert carried > 0  # the carry-over was exercised


def test_a_change_outside_apply_makes_both_checksum_halves_computed_again():
    book = OrderBook(1000)
    kraken_book.apply(book, book_from_wire([{"as": [[f"{100 + i}.0", "1.0", EPOCH_TIME] for i in range(12)],
                                             "bs": [[f"{90 - i}.0", "1.0", EPOCH_TIME] for i in range(12)]}])[1])
    assert kraken_book.checksum(book) == _fresh_checksum(book)
    # Below both 10th best prices: both halves carried over.
    kraken_book.apply(book, book_from_wire([{"a": [["111.0", "2.0", EPOCH_TIME]]}, {"b": [["79.0", "2.0", EPOCH_TIME]],
                                                                                    "c": "0"}])[1])
    assert kraken_book.checksum(book) == _fresh_checksum(book)
    book.set_ask(Decimal("100.0"), Decimal("7.5"))  # the best ask, changed directly
    assert kraken_book.checksum(book) == _fresh_checksum(book)
    book.set_bid(Decimal("90.0"), Decimal("0"))  # the best bid deleted directly
    assert kraken_book.checksum(book) == _fresh_checksum(book)
    # At the 10th best price exactly: that half is computed again.
    kraken_book.apply_wire(book, [{"a": [["109.0", "3.0", EPOCH_TIME]], "c": "0"}])
    assert kraken_book.checksum(book) == _fresh_checksum(book)


def test_a_book_shallower_than_the_checksum_never_carries_a_half_over():
    book = OrderBook(5)
    kraken_book.apply(book, book_from_wire([{"as": [[f"{100 + i}.0", "1.0", EPOCH_TIME] for i in range(5)],
                                             "bs": [[f"{90 - i}.0", "1.0", EPOCH_TIME] for i in range(5)]}])[1])
    assert kraken_book.checksum(book) == _fresh_checksum(book)
    for price in ("99.5", "120.0"):
        kraken_book.apply(book, book_from_wire([{"a": [[price, "1.0", EPOCH_TIME]], "c": "0"}])[1])
        assert kraken_book.checksum(book) == _fresh_checksum(book)
