"""CoinsuperClient against the emulator over real loopback sockets (WebSocket, and TCP once)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest

from exwire import (
    AuthenticationError,
    ConfigurationError,
    ConnectError,
    ConnectionState,
    Credentials,
    ExchangeUnavailable,
    InvalidRequest,
    InvalidState,
    UpdateType,
)
from exwire._core.backoff import backoff
from exwire.coinsuper import CoinsuperClient
from exwire.coinsuper.models import (
    BalanceUpdate,
    Kline,
    KlineInterval,
    MarketDepth,
    OrderBookSnapshot,
    OrderBookStep,
    OrderUpdate,
    Trade,
    UserTrade,
)
from exwire.coinsuper.signing import md5_hex
from exwire.testing.coinsuper import CoinsuperEmulator
from tests.conftest import timeout
from tests.helpers import Collector, wait_until

ENV = "exchange_ha_prod_hk"


@pytest.fixture
def emu():
    with CoinsuperEmulator(push_interval=0.05) as emulator:
        yield emulator


def make_client(emu: CoinsuperEmulator, **options) -> CoinsuperClient:
    options.setdefault("credentials", emu.credentials)
    options.setdefault("request_timeout", timeout(5))
    options.setdefault("backoff_factory", lambda: backoff(0.05, 0.2))
    return CoinsuperClient(**{**emu.client_kwargs(), **options})


def client_threads() -> set[str]:
    return {t.name for t in threading.enumerate() if t.name.startswith("exwire-coinsuper") or "paho" in t.name}


@pytest.mark.parametrize(
    "subscribe, model, label, sub_topic",
    [
        (lambda c: c.subscribe_to_market_depth_updates("btc/usd"), MarketDepth, "market_depth:BTC/USD",
         "/api/ws/v1/market/depth/BTC_USD"),
        (lambda c: c.subscribe_to_order_book_updates("ETC/BTC", "0.000001"), OrderBookSnapshot,
         "order_book:ETC/BTC:0.000001", "/api/ws/v1/market/orderBook/ETC_BTC/0.000001"),
        (lambda c: c.subscribe_to_kline_updates("BTC/USD", 300000), Kline, "kline:BTC/USD:300000",
         "/api/ws/v1/market/kline/BTC_USD/300000"),
        (lambda c: c.subscribe_to_trade_updates("ETH/USD"), list, "trades:ETH/USD", "/api/ws/v1/market/tickers/ETH_USD"),
    ],
)
def test_each_public_topic_streams_typed_updates(emu, subscribe, model, label, sub_topic):
    with make_client(emu) as client:
        subscription = subscribe(client)
        first, second = subscription.get(timeout(5)), subscription.get(timeout(5))
        assert isinstance(first.data, model) and isinstance(second.data, model)
        assert first.topic == label and first.symbol == label.split(":")[1]
        if model is list:
            assert first.update_type is UpdateType.SNAPSHOT and second.update_type is UpdateType.UPDATE
            assert all(isinstance(t, Trade) for t in first.data + second.data)
            assert second.data[0].time >= first.data[-1].time
        (client_id, user_name, topics), = emu.sessions()
        # §2.1: one connection for this topic, its client id derived from the full topic.
        assert topics == [ENV + sub_topic] and user_name == "api_subscriber"
        assert client_id == md5_hex("zhangsan") + md5_hex("demouser@demo.domain") + md5_hex(ENV + sub_topic)


def test_order_book_and_kline_accept_the_enums(emu):
    with make_client(emu) as client:
        book = client.subscribe_to_order_book_updates("BTC/USD", OrderBookStep.ONE).get(timeout(5)).data
        kline = client.subscribe_to_kline_updates("BTC/USD", KlineInterval.ONE_DAY).get(timeout(5)).data
    assert book.step is OrderBookStep.ONE and len(book.asks) == 15 and book.asks[0].price < book.asks[1].price
    assert kline.interval is KlineInterval.ONE_DAY


def test_each_public_topic_gets_its_own_connection(emu):
    with make_client(emu) as client:
        client.subscribe_to_market_depth_updates("BTC/USD").get(timeout(5))
        client.subscribe_to_trade_updates("BTC/USD").get(timeout(5))
        sessions = emu.sessions()
        assert len(sessions) == 2 and len({client_id for client_id, _, _ in sessions}) == 2


def test_private_topics_share_one_connection_and_decode_exactly(emu):
    with make_client(emu) as client:
        balances = client.subscribe_to_balance_updates()
        orders = client.subscribe_to_order_updates()
        fills = client.subscribe_to_user_trade_updates()
        balance = balances.get(timeout(5))
        order, fill = orders.get(timeout(5)), fills.get(timeout(5))
        (client_id, user_name, topics), = emu.sessions()
    assert (client_id, user_name) == ("zhangsan", "api_private") and len(topics) == 3
    assert isinstance(balance.data, BalanceUpdate) and balance.symbol is None and balance.topic == "balances"
    total = balance.data.balances[0].total
    assert total.as_tuple().exponent == -30 and len(total.as_tuple().digits) > 28  # beyond a float, beyond 28
    assert isinstance(order.data, OrderUpdate) and order.data.order_id.isdigit() and order.topic == "orders"
    assert isinstance(fill.data, UserTrade) and fill.symbol == "ETC/BTC" and fill.topic == "user_trades"


def test_callbacks_run_on_dispatcher_lanes(emu):
    collector = Collector()
    names: list[str] = []

    def callback(event):
        names.append(threading.current_thread().name)
        collector(event)

    with make_client(emu) as client:
        client.subscribe_to_market_depth_updates("BTC/USD", callback)
        client.subscribe_to_order_updates(callback)
        collector.wait_for(4)
    assert names and all(name.startswith("exwire-coinsuper-dispatch") for name in names)


def test_keep_raw_attaches_the_payload_json(emu):
    with make_client(emu, keep_raw=True) as client:
        event = client.subscribe_to_kline_updates("BTC/USD", 60000).get(timeout(5))
    assert event.raw.startswith('{"symbol":"BTC/USD"') and '"first"' in event.raw


def test_unsubscribing_the_last_subscription_closes_the_topic_connection(emu):
    with make_client(emu) as client:
        one = client.subscribe_to_trade_updates("BTC/USD")
        two = client.subscribe_to_trade_updates("BTC/USD")
        two.get(timeout(5))
        one.unsubscribe()
        assert len(emu.sessions()) == 1 and "exwire-coinsuper-reader-trades:BTC/USD" in client_threads()
        two.unsubscribe()
        assert emu.wait_for(lambda: not emu.sessions(), timeout(5))
        assert "exwire-coinsuper-reader-trades:BTC/USD" not in client_threads()
        # A new subscription opens a new connection.
        assert client.subscribe_to_trade_updates("BTC/USD").get(timeout(5)).data


def test_private_unsubscribe_sends_unsubscribe_then_closes_with_the_last(emu):
    with make_client(emu) as client:
        orders = client.subscribe_to_order_updates()
        fills = client.subscribe_to_user_trade_updates()
        orders.unsubscribe()
        (_, _, topics), = emu.sessions()
        assert topics == [f"{ENV}/ws/personal/v1/trade/change/demouser@demo.domain"]
        fills.unsubscribe()
        assert emu.wait_for(lambda: not emu.sessions(), timeout(5))


def test_missing_credentials_fail_before_anything_is_sent(emu):
    with make_client(emu, credentials=None) as client:
        with pytest.raises(ConfigurationError, match="key and email"):
            client.subscribe_to_market_depth_updates("BTC/USD")
        with pytest.raises(ConfigurationError, match="key, secret and email"):
            client.subscribe_to_balance_updates()
    with make_client(emu, credentials=Credentials(key="zhangsan", email="demouser@demo.domain")) as client:
        for subscribe in (client.subscribe_to_balance_updates, client.subscribe_to_order_updates,
                          client.subscribe_to_user_trade_updates):
            with pytest.raises(ConfigurationError):
                subscribe()
    assert emu.connections_accepted == 0


@pytest.mark.parametrize(
    "subscribe",
    [
        lambda c: c.subscribe_to_market_depth_updates("BTCUSD"),
        lambda c: c.subscribe_to_order_book_updates("BTC/USD", "0.05"),
        lambda c: c.subscribe_to_order_book_updates("BTC/USD", "tiny"),
        lambda c: c.subscribe_to_kline_updates("BTC/USD", 60),
        lambda c: c.subscribe_to_kline_updates("BTC/USD", True),
        lambda c: c.subscribe_to_trade_updates("BTC/USD", callback="print"),
        lambda c: c.subscribe_to_order_updates(timeout=-1),
    ],
)
def test_bad_arguments_fail_before_anything_is_sent(emu, subscribe):
    with make_client(emu) as client:
        with pytest.raises(ConfigurationError):
            subscribe(client)
    assert emu.connections_accepted == 0


@pytest.mark.parametrize(
    "options", [{"url": "http://127.0.0.1/mqtt"}, {"keepalive_interval": 0}, {"client_id_topic": "topic"}]
)
def test_bad_client_options_are_configuration_errors(options):
    with pytest.raises(ConfigurationError):
        CoinsuperClient(**options)


@pytest.mark.parametrize(
    "url",
    [None, 123, b"wss://api-mqtt-premium.coinsuper.com/mqtt", "", "wss://", "wss:///mqtt", "ws://host:99999/mqtt",
     "ws://host:port/mqtt", "https://api-mqtt-premium.coinsuper.com/mqtt", "ftp://host", "host:1883"],
)
def test_malformed_urls_are_refused_at_construction(url):
    with pytest.raises(ConfigurationError, match="url"):
        CoinsuperClient(url=url)


@pytest.mark.parametrize(
    "url", ["wss://api-mqtt-premium.coinsuper.com:443/mqtt", "ws://127.0.0.1:8080/mqtt", "mqtt://mqtt.coinsuper.com:1883",
            "mqtts://127.0.0.1:8883", "tcp://mqtt.coinsuper.com:1883", "ssl://127.0.0.1:8883", " WSS://host/mqtt "],
)
def test_every_supported_scheme_is_accepted(url):
    with CoinsuperClient(url=url) as client:
        assert client.url == url.strip()


def test_watch_order_book_keeps_the_whole_pushed_book(emu):
    snapshots = Collector()
    with make_client(emu) as client:
        with client.watch_order_book("ETC/BTC", "0.000001", depth=5, callback=snapshots) as watcher:
            assert watcher.wait_synced(timeout(5))
            snapshot = snapshots.wait_for(2)[-1]
            (_, _, topics), = emu.sessions()
            assert topics == [ENV + "/api/ws/v1/market/orderBook/ETC_BTC/0.000001"]
            assert len(snapshot.bids) == len(snapshot.asks) == 5 and len(watcher.bids()) == 5
            assert snapshot.bids[0].price < snapshot.asks[0].price
            top = client.latest.top_of_book("ETC/BTC")
            assert top is not None and top.value.bid is not None
        wait_until(lambda: not emu.sessions())  # closing the watcher closed the topic's connection


@pytest.mark.parametrize("arguments", [
    {"step": "0.5"}, {"depth": 0}, {"depth": 16}, {"depth": True}, {"callback": "print"}, {"symbol": "BTCUSD"},
])
def test_watch_order_book_refuses_bad_arguments_before_connecting(emu, arguments):
    with make_client(emu) as client:
        with pytest.raises(ConfigurationError):
            client.watch_order_book(**{"symbol": "BTC/USD", **arguments})
    assert emu.connections_accepted == 0


def test_wrong_secret_is_refused_as_an_authentication_error(emu):
    credentials = Credentials(key="zhangsan", secret="wrong", email="demouser@demo.domain")
    with make_client(emu, credentials=credentials) as client:
        with pytest.raises(ConnectError) as caught:
            client.subscribe_to_order_updates()
        assert isinstance(caught.value.__cause__, AuthenticationError) and caught.value.__cause__.code == 4
        assert client._connections == {}  # the failed connection is not kept
    assert emu.connects_refused == [4]


def test_unknown_account_is_refused_on_public_topics(emu):
    with make_client(emu, credentials=Credentials(key="nobody", email="no@where")) as client:
        with pytest.raises(ConnectError) as caught:
            client.subscribe_to_trade_updates("BTC/USD")
    assert isinstance(caught.value.__cause__, AuthenticationError) and caught.value.__cause__.code == 2


@pytest.mark.parametrize("code, cls", [(5, AuthenticationError), (3, ExchangeUnavailable)])
def test_refused_connect_raises_the_mapped_error(emu, code, cls):
    emu.refuse_next_connect(code)
    with make_client(emu) as client:
        with pytest.raises(ConnectError) as caught:
            client.subscribe_to_market_depth_updates("BTC/USD")
        assert type(caught.value.__cause__) is cls
        # The next attempt opens a new connection and succeeds.
        assert client.subscribe_to_market_depth_updates("BTC/USD").get(timeout(5)).data


def test_refused_topic_is_an_invalid_request(emu):
    emu.asset_approved = False  # §3.5: the asset topic needs the API team's approval
    with make_client(emu) as client:
        orders = client.subscribe_to_order_updates()
        with pytest.raises(InvalidRequest) as caught:
            client.subscribe_to_balance_updates()
        assert caught.value.code == 0x80
        assert orders.get(timeout(5)).data  # the other private stream goes on


def test_client_id_topic_switch_matches_the_broker(emu):
    emu.client_id_topic = "sub"  # the Python demo's variant of §2.1
    with make_client(emu) as client:
        with pytest.raises(InvalidRequest):
            client.subscribe_to_market_depth_updates("BTC/USD")
    with make_client(emu, client_id_topic="sub") as client:
        assert client.subscribe_to_market_depth_updates("BTC/USD").get(timeout(5)).data


def test_dropped_connections_reconnect_resubscribe_and_resume(emu):
    events = []
    with make_client(emu, on_connection_event=events.append) as client:
        trades = client.subscribe_to_trade_updates("BTC/USD")
        orders = client.subscribe_to_order_updates()
        fills = client.subscribe_to_user_trade_updates()
        trades.get(timeout(5))
        assert emu.drop_connections() == 2
        wait_until(lambda: sum(e.state is ConnectionState.RESTORED for e in events) == 2, 10)
        (private_topics,) = [topics for _, user, topics in emu.sessions() if user == "api_private"]
        assert len(private_topics) == 2  # both private topics resubscribed
        # Fresh data flows on every stream after the restore.
        restored_at = datetime.now(UTC)
        for subscription in (trades, orders, fills):
            while subscription.get(timeout(5)).received_at <= restored_at:
                pass  # updates queued before the drop
        assert emu.connections_accepted == 4
    states = [(e.connection, e.state) for e in events]
    for name in ("trades:BTC/USD", "private"):
        assert [s for n, s in states if n == name][:5] == [
            ConnectionState.CONNECTED, ConnectionState.LOST, ConnectionState.RECONNECTING,
            ConnectionState.RESTORED, ConnectionState.CLOSED,
        ]


def test_trades_are_not_repeated_after_a_reconnect(emu):
    collector = Collector()
    with make_client(emu) as client:
        client.subscribe_to_trade_updates("BTC/USD", collector)
        collector.wait_for(3)
        emu.drop_connections()
        count = len(collector.events)
        collector.wait_for(count + 3)
    trades = [trade for event in collector.events for trade in event.data]
    keys = [(t.time, t.price, t.quantity, t.side) for t in trades]
    assert keys == sorted(keys, key=lambda k: k[0])  # only newer trades after the reconnect


def test_refused_reconnects_back_off_until_accepted(emu):
    events = []
    with make_client(emu, on_connection_event=events.append) as client:
        subscription = client.subscribe_to_market_depth_updates("BTC/USD")
        subscription.get(timeout(5))
        emu.refuse_next_connect(5, count=2)
        emu.drop_connections()
        wait_until(lambda: any(e.state is ConnectionState.RESTORED for e in events), 10)
        assert subscription.get(timeout(5)).data
    assert emu.connects_refused == [5, 5]
    assert max(e.attempt for e in events if e.state is ConnectionState.RECONNECTING) == 3


def test_a_stalled_broker_is_detected_by_the_keepalive(emu):
    events = []
    with make_client(emu, keepalive_interval=1, on_connection_event=events.append) as client:
        subscription = client.subscribe_to_kline_updates("BTC/USD", 60000)
        subscription.get(timeout(5))
        emu.stall()
        wait_until(lambda: any(e.state is ConnectionState.RESTORED for e in events), 15)
        lost = next(e for e in events if e.state is ConnectionState.LOST)
        assert "keep-alive" in str(lost.error)
        assert subscription.get(timeout(5)).data


def test_a_malformed_payload_is_skipped(emu):
    with make_client(emu) as client:
        subscription = client.subscribe_to_market_depth_updates("BTC/USD")
        subscription.get(timeout(5))
        assert emu.publish_raw(f"{ENV}/api/ws/v1/market/depth/BTC_USD", b"{not json") == 1
        connection = client._connections["market_depth:BTC/USD"]
        wait_until(lambda: connection.frames_skipped == 1)
        assert subscription.get(timeout(5)).data  # the connection goes on


def test_a_publish_whose_topic_is_not_utf8_is_logged_skipped_and_counted(emu, caplog):
    from exwire.testing._coinsuper.mqtt import PUBLISH, _encode

    with make_client(emu) as client:
        subscription = client.subscribe_to_market_depth_updates("BTC/USD")
        subscription.get(timeout(5))
        connection = client._connections["market_depth:BTC/USD"]
        bad = _encode(PUBLISH, 0, b"\x00\x02\xff\xfe" + b"{}")  # a topic of two bytes that are not UTF-8
        sent = 0
        for server_side in emu._all_connections():
            with server_side.send_lock:
                sent += server_side.send(bad)
        assert sent == 1
        wait_until(lambda: connection.frames_skipped == 1)
        assert "not UTF-8" in caplog.text
        assert subscription.get(timeout(5)).data  # the connection goes on


def test_plain_tcp_url():
    with CoinsuperEmulator(push_interval=0.05, tcp=True) as emu:
        with make_client(emu, url=emu.tcp_url) as client:
            assert client.subscribe_to_trade_updates("BTC/USD").get(timeout(5)).data
            assert client.subscribe_to_order_updates().get(timeout(5)).data
        assert emu.connections_accepted == 0  # nothing went over WebSocket


def test_close_joins_every_thread_and_ends_pull_subscriptions(emu):
    before = client_threads()
    client = make_client(emu, dispatch_threads=2)
    client.subscribe_to_market_depth_updates("BTC/USD", lambda event: None)
    pull = client.subscribe_to_balance_updates()
    pull.get(timeout(5))
    assert {"exwire-coinsuper-reader-private", "exwire-coinsuper-reader-market_depth:BTC/USD"} <= client_threads()
    client.close()
    assert client_threads() == before == set()  # paho started none; exwire's are joined
    list(pull)  # ends: the iterator stops once the queued updates are drained
    assert not pull.active
    assert emu.wait_for(lambda: not emu.sessions(), timeout(5))  # each connection sent DISCONNECT
    client.close()  # idempotent
    with pytest.raises(InvalidState):
        client.subscribe_to_order_updates()


def test_close_from_a_callback_is_safe(emu):
    closed = threading.Event()

    with make_client(emu) as client:
        def callback(event):
            client.close()
            closed.set()

        client.subscribe_to_kline_updates("BTC/USD", 60000, callback)
        assert closed.wait(timeout(5))
    wait_until(lambda: not client_threads())


def test_unsubscribing_inside_the_callback_closes_the_connection(emu):
    done = threading.Event()

    def callback(event):
        subscription.unsubscribe()  # the last one of its topic: its connection closes from this lane
        done.set()

    with make_client(emu) as client:
        subscription = client.subscribe_to_trade_updates("BTC/USD", callback)
        assert done.wait(timeout(5))
        assert emu.wait_for(lambda: not emu.sessions(), timeout(5))
        wait_until(lambda: "exwire-coinsuper-reader-trades:BTC/USD" not in client_threads())


def test_concurrent_subscribes_and_unsubscribes_of_one_topic(emu):
    errors: list[BaseException] = []
    with make_client(emu) as client:

        def churn() -> None:
            try:
                for _ in range(5):
                    subscription = client.subscribe_to_market_depth_updates("BTC/USD")
                    assert subscription.get(timeout(5)).data
                    subscription.unsubscribe()
            except BaseException as exc:  # reported below
                errors.append(exc)

        workers = [threading.Thread(target=churn, name=f"test-churn-{i}") for i in range(4)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(timeout(30))
        assert not errors and not any(w.is_alive() for w in workers)
        assert emu.wait_for(lambda: not emu.sessions(), timeout(5))
        assert client._connections == {}


def self_signed_certificate(directory) -> tuple[str, str]:
    """A throw-away certificate for 127.0.0.1 (cert path, key path)."""
    import datetime as dt
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return str(cert_path), str(key_path)


def test_mqtt_over_tls(tmp_path):
    import ssl

    cert, key = self_signed_certificate(tmp_path)
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_context.load_cert_chain(cert, key)
    client_context = ssl.create_default_context(cafile=cert)
    with CoinsuperEmulator(push_interval=0.05, tcp_tls=server_context) as emu:
        assert emu.tcp_url.startswith("mqtts://")
        with make_client(emu, url=emu.tcp_url, ssl_context=client_context) as client:
            balances = client.subscribe_to_balance_updates()
            trades = client.subscribe_to_trade_updates("BTC/USD")
            for _ in range(3):
                assert balances.get(timeout(5)).data and trades.get(timeout(5)).data
        # Without trusting the certificate the handshake fails: a ConnectError, never a hang.
        with make_client(emu, url=emu.tcp_url) as client:
            with pytest.raises(ConnectError):
                client.subscribe_to_order_updates()


def test_a_topic_refused_on_resubscribe_ends_alone(emu):
    errors = []
    events = []
    with make_client(emu, on_callback_error=lambda exc, event: errors.append(exc),
                     on_connection_event=events.append) as client:
        balances = client.subscribe_to_balance_updates()
        orders = client.subscribe_to_order_updates()
        balances.get(timeout(5))
        emu.asset_approved = False  # the approval is withdrawn while the connection is down
        emu.drop_connections()
        wait_until(lambda: not balances.active)
        wait_until(lambda: any(isinstance(e, InvalidRequest) for e in errors))
        wait_until(lambda: any(e.state is ConnectionState.RESTORED for e in events))
        (_, _, topics), = emu.sessions()
        assert topics == [f"{ENV}/ws/personal/v1/order/change/demouser@demo.domain"]
        restored_at = datetime.now(UTC)
        while orders.get(timeout(5)).received_at <= restored_at:
            pass


def test_a_public_topic_refused_on_resubscribe_closes_its_connection(emu):
    with make_client(emu) as client:
        depth = client.subscribe_to_market_depth_updates("BTC/USD")
        depth.get(timeout(5))
        emu.refuse_next_subscription()
        emu.drop_connections()
        wait_until(lambda: not depth.active)
        assert emu.wait_for(lambda: not emu.sessions(), timeout(5))
        wait_until(lambda: client._connections == {} and not client_threads())


def test_wrong_credentials_are_an_authentication_error_too(emu):
    import exwire

    credentials = Credentials(key="zhangsan", secret="wrong", email="demouser@demo.domain")
    with make_client(emu, credentials=credentials) as client:
        with pytest.raises(AuthenticationError) as caught:
            client.subscribe_to_order_updates()
        assert isinstance(caught.value, exwire.LogOnRefused) and isinstance(caught.value, ConnectError)
        assert caught.value.code == 4 and "wrong" not in str(caught.value)
