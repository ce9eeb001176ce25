"""KrakenClient's token, private streams and trading against the KrakenEmulator (kraken.md §6-§8)."""

from __future__ import annotations

import threading
from datetime import timedelta
from decimal import Decimal

import pytest

import exwire
from exwire import (
    AuthenticationError,
    ConfigurationError,
    ConnectionClosed,
    ConnectionState,
    ExchangeError,
    ExchangeUnavailable,
    InsufficientFunds,
    InvalidRequest,
    InvalidState,
    OrderNotFound,
    RateLimited,
    UpdateType,
)
from exwire.kraken.models import CancelAfterResult, OrderFlag, OrderStatus, OrderType, OwnTrade, PlacedOrder
from exwire.testing import KrakenEmulator
from tests.conftest import timeout
from tests.helpers import Collector, wait_until


@pytest.fixture
def emulator():
    with KrakenEmulator(seed=3, push_interval=None, heartbeat_interval=0.2) as emu:
        yield emu


def make_client(emulator, **options):
    options.setdefault("ping_interval", 0.3)
    options.setdefault("stale_timeout", 1.5)
    options.setdefault("credentials", emulator.credentials)
    return exwire.KrakenClient(**emulator.client_kwargs(), **options)


@pytest.fixture
def client(emulator):
    with make_client(emulator) as client:
        yield client


def below_market(emulator, pair="XBT/USD", offset=100):
    bid, _ = emulator.best_prices(pair)
    return bid - offset


def next_order_state(subscription, order_id, status, seconds=5.0):
    """Read order updates until ``order_id`` reaches ``status``; return every update read."""
    seen = []
    while True:
        event = subscription.get(timeout(seconds))
        seen.extend(event.data)
        if any(o.order_id == order_id and o.status is status for o in event.data):
            return seen


# -- the token (§6) -----------------------------------------------------------------------


def test_get_websocket_token_returns_a_hidden_token(emulator, client):
    token = client.get_websocket_token()
    assert token.token == emulator.tokens_issued[-1]
    assert token.token not in repr(token) and token.lifetime == 900
    assert token.expires_at.tzinfo is not None


def test_the_token_is_fetched_lazily_once_and_reused(emulator, client):
    assert emulator.tokens_issued == []  # nothing before the first private call
    client.subscribe_to_order_updates()
    client.place_order("XBT/USD", "limit", "buy", "0.01", price=below_market(emulator))
    client.cancel_all_orders()
    assert len(emulator.tokens_issued) == 1
    assert {s["token"] for s in emulator.private_subscriptions()} == set(emulator.tokens_issued)


def test_wrong_signature_and_unknown_key_are_refused(emulator):
    wrong_secret = exwire.Credentials(emulator.credentials.key, "c2VjcmV0IG9mIHNvbWVib2R5IGVsc2U=")
    with make_client(emulator, credentials=wrong_secret) as client:
        with pytest.raises(AuthenticationError, match="EAPI:Invalid signature"):
            client.get_websocket_token()
        with pytest.raises(AuthenticationError, match="EAPI:Invalid signature"):
            client.place_order("XBT/USD", "market", "buy", "0.01")
    unknown = exwire.Credentials("unknown-key", emulator.credentials.secret)
    with make_client(emulator, credentials=unknown) as client:
        with pytest.raises(AuthenticationError, match="EAPI:Invalid key"):
            client.subscribe_to_user_trade_updates()
    assert emulator.tokens_issued == [] and emulator.requests_received("addOrder") == 0


def test_two_clients_with_one_key_never_reuse_a_nonce(emulator):
    with make_client(emulator) as first, make_client(emulator) as second:
        errors = []

        def fetch(client):
            try:
                for _ in range(10):
                    client.get_websocket_token()
            except Exception as exc:  # pragma: no cover - reported below
                errors.append(exc)

        threads = [threading.Thread(target=fetch, args=(c,)) for c in (first, second, first, second)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout(20))
        assert errors == [] and len(emulator.tokens_issued) == 40


def test_an_invalid_token_is_replaced_and_the_refused_request_sent_again(emulator, client):
    client.place_order("XBT/USD", "limit", "buy", "0.01", price=below_market(emulator))
    emulator.revoke_tokens()
    placed = client.place_order("XBT/USD", "limit", "buy", "0.01", price=below_market(emulator))
    assert placed.order_id is not None
    assert len(emulator.tokens_issued) == 2
    assert emulator.requests_received("addOrder") == 3  # one refused with EAPI:Invalid token, resent once
    assert len(emulator.open_orders()) == 2


def test_an_explicit_token_is_used_as_given_and_never_retried(emulator, client):
    token = client.get_websocket_token().token
    with exwire.KrakenClient(**emulator.client_kwargs()) as anonymous:  # no credentials
        with pytest.raises(ConfigurationError):
            anonymous.cancel_all_orders()
        placed = anonymous.place_order("XBT/USD", "limit", "buy", "0.01", price=below_market(emulator),
                                       websocket_token=token)
        assert placed.order_id in {o["txid"] for o in emulator.open_orders()}
        with anonymous.subscribe_to_order_updates(websocket_token=token) as orders:
            assert orders.get(timeout(5)).update_type is UpdateType.SNAPSHOT
        emulator.revoke_tokens()
        with pytest.raises(AuthenticationError, match="EAPI:Invalid token"):
            anonymous.cancel_all_orders(websocket_token=token)
    assert emulator.requests_received("cancelAll") == 1
    assert len(emulator.tokens_issued) == 1


def test_a_stream_on_a_dead_explicit_token_ends_after_a_reconnect(emulator, client):
    token = client.get_websocket_token().token
    problems = Collector()
    events = Collector()
    with exwire.KrakenClient(**emulator.client_kwargs(), ping_interval=0.3, stale_timeout=1.5,
                             on_callback_error=lambda exc, event: problems(exc), on_connection_event=events) as anonymous:
        orders = anonymous.subscribe_to_order_updates(websocket_token=token)
        orders.get(timeout(5))
        emulator.revoke_tokens()  # no credentials: the client cannot fetch another one
        emulator.drop_connections()
        (problem,) = problems.wait_for(1, 10)
        assert isinstance(problem, AuthenticationError) and not orders.active
        with pytest.raises(InvalidState):
            orders.get(timeout(1))
        wait_until(lambda: any(e.state is ConnectionState.RESTORED for e in events.events), 10)


# -- trading and the private streams (§7, §8) ---------------------------------------------


def test_a_resting_order_shows_in_open_orders_until_cancelled(emulator, client):
    with client.subscribe_to_order_updates() as orders:
        assert orders.get(timeout(5)).data == []  # the snapshot: no open order yet
        price = below_market(emulator)
        placed = client.place_order("XBT/USD", OrderType.LIMIT, exwire.Side.BUY, Decimal("0.01"), price=price,
                                    client_order_id="resting-1")
        assert isinstance(placed, PlacedOrder) and placed.client_order_id == "resting-1"
        assert placed.description == f"buy 0.01000000 XBTUSD @ limit {price}"
        updates = next_order_state(orders, placed.order_id, OrderStatus.OPEN)
        new = updates[0]
        assert new.status is OrderStatus.PENDING and new.description.price == price
        assert new.quantity == Decimal("0.01") and new.client_order_id == "resting-1"
        assert [o["txid"] for o in emulator.open_orders()] == [placed.order_id]
        client.cancel_order(placed.order_id)
        updates = next_order_state(orders, placed.order_id, OrderStatus.CANCELED)
        assert updates[-1].cancel_reason == "User requested"
    assert emulator.open_orders() == []
    with client.subscribe_to_order_updates() as again:  # a new snapshot shows nothing open
        assert again.get(timeout(5)).data == []


def test_a_marketable_order_fills_against_the_book_and_pushes_an_own_trade(emulator, client):
    before = emulator.balances()
    _, ask = emulator.best_prices("XBT/USD")
    trades = client.subscribe_to_user_trade_updates()
    orders = client.subscribe_to_order_updates()
    assert trades.get(timeout(5)).update_type is UpdateType.SNAPSHOT
    orders.get(timeout(5))
    placed = client.place_order("XBT/USD", "limit", "buy", "0.05", price=ask + 1000, user_reference=77)
    assert placed.user_reference == 77
    trade = trades.get(timeout(5))
    assert trade.update_type is UpdateType.UPDATE and trade.symbol is None
    (own,) = trade.data
    assert isinstance(own, OwnTrade) and own.order_id == placed.order_id and own.user_reference == 77
    assert own.quantity == Decimal("0.05") and own.price >= ask and own.fee > 0
    closed = next_order_state(orders, placed.order_id, OrderStatus.CLOSED)
    assert any(o.filled_quantity == Decimal("0.05") for o in closed)
    after = emulator.balances()
    assert after["XBT"] == before["XBT"] + Decimal("0.05")
    assert after["USD"] == before["USD"] - own.cost - own.fee
    trades.unsubscribe()
    orders.unsubscribe()


def test_a_market_order_and_the_trade_snapshot(emulator, client):
    placed = client.place_order("ETH/USD", "market", "sell", 1)
    assert placed.description == "sell 1.00000000 ETHUSD @ market"
    with client.subscribe_to_user_trade_updates(snapshot=True) as trades:
        snapshot = trades.get(timeout(5))
        assert snapshot.update_type is UpdateType.SNAPSHOT and [t.order_id for t in snapshot.data] == [placed.order_id]
    with make_client(emulator) as other:
        with other.subscribe_to_user_trade_updates(snapshot=False) as trades:
            other.place_order("ETH/USD", "market", "buy", "0.5")
            first = trades.get(timeout(5))
            assert first.update_type is UpdateType.UPDATE and first.data[0].quantity == Decimal("0.5")


def test_a_resting_order_is_filled_when_a_counterparty_arrives(emulator, client):
    with client.subscribe_to_user_trade_updates(snapshot=False) as trades, \
            client.subscribe_to_order_updates(rate_counter=True) as orders:
        orders.get(timeout(5))
        placed = client.place_order("XBT/EUR", "limit", "sell", "0.2", price="30000")
        first = next_order_state(orders, placed.order_id, OrderStatus.OPEN)
        assert first[0].rate_count is not None and first[0].rate_count >= 1
        emulator.fill_order(placed.order_id)
        (own,) = trades.get(timeout(5)).data
        assert own.price == Decimal("30000") and own.side is exwire.Side.SELL
        next_order_state(orders, placed.order_id, OrderStatus.CLOSED)


def test_validate_only_checks_the_order_without_placing_it(emulator, client):
    with client.subscribe_to_order_updates() as orders:
        orders.get(timeout(5))
        checked = client.place_order("XBT/USD", "limit", "buy", "0.01", price=below_market(emulator),
                                     validate_only=True)
        assert checked.order_id is None and checked.description.startswith("buy 0.01000000 XBTUSD @ limit")
        with pytest.raises(InsufficientFunds):
            client.place_order("XBT/USD", "market", "buy", "1000", validate_only=True)
        client.ping()
        assert orders.queued == 0
    assert emulator.open_orders() == [] and emulator.own_trades() == []


def test_insufficient_balance_is_refused(emulator, client):
    emulator.set_balance("USD", 100)
    with pytest.raises(InsufficientFunds, match="EOrder:Insufficient funds"):
        client.place_order("XBT/USD", "market", "buy", "0.01")
    with pytest.raises(InsufficientFunds):
        client.place_order("XBT/USD", "limit", "sell", "11", price="90000")  # 10 XBT held
    assert emulator.open_orders() == []


def test_cancel_orders_answers_each_id_with_one_request_per_id(emulator, client):
    price = below_market(emulator)
    first = client.place_order("XBT/USD", "limit", "buy", "0.01", price=price).order_id
    second = client.place_order("XBT/USD", "limit", "buy", "0.01", price=price).order_id
    results = client.cancel_orders([first, "OUNKNO-WN000-000000", second])
    assert list(results) == [first, "OUNKNO-WN000-000000", second]
    assert results[first] is None and results[second] is None
    assert isinstance(results["OUNKNO-WN000-000000"], OrderNotFound)
    assert emulator.requests_received("cancelOrder") == 3
    with pytest.raises(OrderNotFound):
        client.cancel_order(first)


def test_cancel_by_user_reference_and_cancel_all(emulator, client):
    price = below_market(emulator)
    for _ in range(2):
        client.place_order("XBT/USD", "limit", "buy", "0.01", price=price, user_reference=5)
    client.place_order("ETH/USD", "limit", "sell", "1", price="9000")
    client.cancel_order(5)
    assert len(emulator.open_orders()) == 1
    assert client.cancel_all_orders() == 1
    assert client.cancel_all_orders() == 0


def test_the_dead_mans_switch_cancels_everything_when_it_runs_out(emulator, client):
    with client.subscribe_to_order_updates() as orders:
        orders.get(timeout(5))
        placed = client.place_order("XBT/USD", "limit", "buy", "0.01", price=below_market(emulator))
        disarmed = client.cancel_all_orders_after(0)
        assert isinstance(disarmed, CancelAfterResult) and disarmed.trigger_time is None
        armed = client.cancel_all_orders_after(timedelta(seconds=1))
        assert armed.trigger_time - armed.current_time == timedelta(seconds=1)
        assert armed.current_time.tzinfo is not None
        updates = next_order_state(orders, placed.order_id, OrderStatus.CANCELED, seconds=10)
        assert updates[-1].cancel_reason == "Dead man's switch"
    assert emulator.open_orders() == []


def test_an_order_expires_at_its_expire_time(emulator, client):
    with client.subscribe_to_order_updates() as orders:
        orders.get(timeout(5))
        placed = client.place_order("XBT/USD", "limit", "buy", "0.01", price=below_market(emulator),
                                    expire_time=timedelta(seconds=1), flags=[OrderFlag.POST_ONLY])
        next_order_state(orders, placed.order_id, OrderStatus.EXPIRED, seconds=10)


@pytest.mark.parametrize(("error", "cls"), [
    ("EOrder:Insufficient funds", InsufficientFunds),
    ("EOrder:Unknown position", OrderNotFound),
    ("EOrder:Rate limit exceeded", RateLimited),
    ("EGeneral:Permission denied", AuthenticationError),
    ("EService:Unavailable", ExchangeUnavailable),
    ("EGeneral:Invalid arguments:volume", InvalidRequest),
    ("EGeneral:Brand new error", ExchangeError),
])
def test_each_error_class_of_the_table_reaches_the_caller(emulator, client, error, cls):
    emulator.refuse_next_order(error)
    with pytest.raises(cls) as raised:
        client.place_order("XBT/USD", "market", "buy", "0.01")
    assert type(raised.value) is cls and raised.value.code == error and raised.value.exchange == "kraken"
    assert client.place_order("XBT/USD", "market", "buy", "0.01").order_id  # only the next one was refused


def test_natural_refusals_map_to_their_classes(emulator):
    with KrakenEmulator(seed=4, push_interval=None, heartbeat_interval=None, rate_limit=3) as limited, \
            make_client(limited) as client:
        with pytest.raises(InvalidRequest, match="Order minimum not met"):
            client.place_order("XBT/USD", "market", "buy", "0.00001")
        with pytest.raises(InvalidRequest, match="EOrder:Invalid price"):
            client.place_order("XBT/USD", "limit", "buy", "0.01", price="1.123456")
        with pytest.raises(InvalidRequest, match="EQuery:Unknown asset pair"):
            client.place_order("ABC/XYZ", "market", "buy", "1")
        with pytest.raises(InvalidRequest, match="EOrder:Reduce only"):
            client.place_order("XBT/USD", "market", "buy", "0.01", reduce_only=True)
        for _ in range(3):
            client.place_order("XBT/USD", "market", "buy", "0.01")
        with pytest.raises(RateLimited, match="EOrder:Rate limit exceeded"):
            client.place_order("XBT/USD", "market", "buy", "0.01")
        limited.system_status = "cancel_only"
        with pytest.raises(ExchangeUnavailable, match="cancel_only"):
            client.place_order("ETH/USD", "market", "buy", "0.01")
        limited.refuse_next_token("EAPI:Rate limit exceeded")
        with pytest.raises(RateLimited):
            client.get_websocket_token()


# -- connection loss ------------------------------------------------------------------------


def test_the_token_is_refetched_and_private_streams_resume_after_a_drop(emulator):
    events = Collector()
    with make_client(emulator, on_connection_event=events) as client:
        orders = client.subscribe_to_order_updates()
        trades = client.subscribe_to_user_trade_updates(snapshot=False)
        assert orders.get(timeout(5)).update_type is UpdateType.SNAPSHOT
        resting = client.place_order("XBT/USD", "limit", "buy", "0.01", price=below_market(emulator))
        next_order_state(orders, resting.order_id, OrderStatus.OPEN)
        first_token = emulator.tokens_issued[-1]
        emulator.drop_connections()
        wait_until(lambda: any(e.state is ConnectionState.RESTORED and e.connection == "private"
                               for e in events.events), 10)
        fresh = emulator.tokens_issued[-1]
        assert fresh != first_token and len(emulator.tokens_issued) == 2
        assert sorted((s["channel"], s["token"]) for s in emulator.private_subscriptions()) == [
            ("openOrders", fresh), ("ownTrades", fresh)]
        snapshot = orders.get(timeout(5))  # resubscribed: the open orders again
        assert snapshot.update_type is UpdateType.SNAPSHOT
        assert [o.order_id for o in snapshot.data] == [resting.order_id]
        placed = client.place_order("XBT/USD", "market", "buy", "0.01")
        assert trades.get(timeout(5)).data[0].order_id == placed.order_id
        assert len(emulator.tokens_issued) == 2


def test_an_order_in_flight_when_the_connection_drops_fails_and_is_never_resent(emulator):
    events = Collector()
    with make_client(emulator, on_connection_event=events) as client:
        client.cancel_all_orders()  # connected and holding a token
        emulator.withhold_next_reply("addOrder")
        outcome = []

        def place():
            try:
                outcome.append(client.place_order("XBT/USD", "limit", "buy", "0.01", price=below_market(emulator),
                                                  timeout=timeout(10)))
            except Exception as exc:
                outcome.append(exc)

        thread = threading.Thread(target=place)
        thread.start()
        assert emulator.wait_for(lambda: emulator.requests_received("addOrder") == 1, timeout(5))
        emulator.drop_connections()
        thread.join(timeout(10))
        assert len(outcome) == 1 and isinstance(outcome[0], ConnectionClosed)
        wait_until(lambda: any(e.state is ConnectionState.RESTORED and e.connection == "private"
                               for e in events.events), 10)
        assert client.cancel_all_orders() == 1  # the order did reach the exchange: outcome was unknown
        assert emulator.requests_received("addOrder") == 1  # and the client never sent it again


# -- input checks and secrets -----------------------------------------------------------------


def test_bad_input_is_refused_before_anything_is_sent(emulator, client):
    bad_calls = [
        lambda: client.place_order("XBT/USD", "limit", "buy", "-1", price="100"),
        lambda: client.place_order("XBT/USD", "limit", "buy", 0, price="100"),
        lambda: client.place_order("XBT/USD", "limit", "buy", "0.01"),  # a limit order without a price
        lambda: client.place_order("XBT/USD", "limit", "buy", "0.01", price="100", flags=["post", "bogus"]),
        lambda: client.place_order("XBT/USD", "limit", "buy", float("nan"), price="100"),
        lambda: client.place_order("XBT/USD", "limit", "buy", "0.01", price=float("nan")),
        lambda: client.place_order("XBTUSD", "market", "buy", "0.01"),
        lambda: client.place_order("XBT/USD", "fancy", "buy", "0.01"),
        lambda: client.cancel_orders([]),
        lambda: client.cancel_order(["O1", "O2"]),
        lambda: client.cancel_all_orders_after(-5),
        lambda: client.cancel_all_orders_after(1.5),
        lambda: client.subscribe_to_order_updates("not callable"),
        lambda: client.subscribe_to_user_trade_updates(snapshot="no"),
        lambda: client.place_order("XBT/USD", "market", "buy", "0.01", websocket_token=""),
    ]
    for call in bad_calls:
        with pytest.raises(ConfigurationError):
            call()
    assert emulator.connections_accepted == 0 and emulator.tokens_issued == []


def test_private_calls_without_credentials_or_token_are_refused(emulator):
    with exwire.KrakenClient(**emulator.client_kwargs()) as client:
        for call in (client.get_websocket_token, client.cancel_all_orders, client.subscribe_to_order_updates,
                     lambda: client.place_order("XBT/USD", "market", "buy", "1")):
            with pytest.raises(ConfigurationError):
                call()
    assert emulator.connections_accepted == 0


def test_a_closed_client_refuses_private_calls(emulator):
    client = make_client(emulator)
    client.cancel_all_orders()
    client.close()
    for call in (client.get_websocket_token, client.cancel_all_orders, client.subscribe_to_order_updates):
        with pytest.raises(InvalidState):
            call()
    with pytest.raises(InvalidState):
        client._token_fetcher.fetch(1.0)  # the REST session is closed with the client


def test_secrets_never_appear_in_logs_reprs_or_errors(emulator, caplog):
    caplog.set_level("DEBUG")
    secret = emulator.credentials.secret
    errors: list[BaseException] = []
    events = Collector()
    with make_client(emulator, keep_raw=True, on_connection_event=events) as client:
        token = client.get_websocket_token()
        orders = client.subscribe_to_order_updates()
        trades = client.subscribe_to_user_trade_updates()
        placed = client.place_order("XBT/USD", "limit", "buy", "0.01", price=below_market(emulator))
        client.place_order("XBT/USD", "market", "buy", "0.01")
        client.cancel_order(placed.order_id)
        client.cancel_all_orders_after(60)
        client.cancel_all_orders_after(0)
        for refusal in ("EOrder:Insufficient funds", "EGeneral:Permission denied"):
            emulator.refuse_next_order(refusal)
            with pytest.raises(ExchangeError) as raised:
                client.place_order("XBT/USD", "market", "buy", "0.01")
            errors.append(raised.value)
        with pytest.raises(OrderNotFound) as raised:
            client.cancel_order("ONOPE0-00000-000000")
        errors.append(raised.value)
        emulator.revoke_tokens()
        client.cancel_all_orders()  # refetches after EAPI:Invalid token
        emulator.drop_connections()
        wait_until(lambda: any(e.state is ConnectionState.RESTORED for e in events.events), 10)
        client.place_order("XBT/USD", "market", "buy", "0.01")
        emulator.send_raw('{"not": "a kraken frame"')  # logged as skipped, redacted
        client.ping()
        reprs = [repr(client), repr(client.credentials), repr(token), repr(orders), repr(trades),
                 repr(client.health())]
        orders.unsubscribe()
        trades.unsubscribe()
    with make_client(emulator, credentials=exwire.Credentials(emulator.credentials.key, "d3Jvbmc=")) as wrong:
        with pytest.raises(AuthenticationError) as raised:
            wrong.place_order("XBT/USD", "market", "buy", "0.01")
        errors.append(raised.value)
    with make_client(emulator, credentials=exwire.Credentials("k", "not base64!")) as broken:
        with pytest.raises(ConfigurationError) as raised:
            broken.get_websocket_token()
        errors.append(raised.value)
    tokens = emulator.tokens_issued
    assert len(tokens) == 3  # first, after the revocation, after the reconnect
    texts = [record.getMessage() for record in caplog.records]
    texts += [caplog.text] + reprs
    for error in errors:
        texts += [str(error), repr(error), str(getattr(error, "raw", "")), repr(error.__cause__)]
    assert caplog.records, "the session logged nothing at DEBUG"
    for text in texts:
        assert secret not in text and "not base64!" not in text
        for issued in tokens:
            assert issued not in text
            assert issued[:12] not in text
