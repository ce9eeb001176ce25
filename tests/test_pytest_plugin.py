"""The pytest plugin (``exwire.testing.pytest_plugin``, entry point ``pytest11``) as a
user's own suite sees it: run through ``pytester`` in a directory of its own."""

from __future__ import annotations

from importlib import metadata

import pytest

from exwire.testing import pytest_plugin

pytest_plugins = ["pytester"]

EXCHANGES = ("kraken", "binance", "coinex", "okex", "coinsuper", "okx")
EMULATOR_ONLY: tuple[str, ...] = ()  # exchanges with an emulator fixture and no client fixture


def test_the_plugin_is_registered_as_a_pytest11_entry_point():
    # Every exwire distribution on the path, as pytest reads them (an editable install can
    # show an older copy of the metadata first).
    points = [point for dist in metadata.distributions() if dist.metadata["Name"] == "exwire"
              for point in dist.entry_points if point.group == "pytest11" and point.name == "exwire"]
    assert points and {point.value for point in points} == {"exwire.testing.pytest_plugin"}
    assert points[0].load() is pytest_plugin


def test_a_user_suite_sees_the_emulator_fixtures(pytester: pytest.Pytester):
    pytester.makepyfile(test_user="""
        import exwire


        def test_kraken_ticker(kraken_emulator):
            with exwire.KrakenClient(**kraken_emulator.client_kwargs()) as client:
                with client.shared.subscribe_to_ticker_updates("BTC/USD") as ticker:
                    event = ticker.get(timeout=30)
            assert event.symbol == "BTC/USD" and event.data.last_price > 0


        def test_kraken_client_is_logged_on(kraken_client):
            assert kraken_client.get_websocket_token(timeout=30).token


        def test_binance_client_has_a_funded_account(binance_client):
            assert binance_client.shared.get_balances(timeout=30)["USDT"].free > 0


        def test_coinex_client(coinex_client):
            assert coinex_client.shared.get_balances(timeout=30)


        def test_okex_client(okex_client):
            assert okex_client.shared.get_balances(timeout=30)


        def test_okx_client_is_logged_in_and_streams_balances(okx_client):
            okx_client.login(timeout=30)
            with okx_client.shared.subscribe_to_balance_updates(timeout=30) as balances:
                assert {balance.asset for balance in balances.get(timeout=30).data} >= {"USDT"}


        def test_coinsuper_client_streams(coinsuper_client):
            with coinsuper_client.shared.subscribe_to_trade_updates("BTC/USD", timeout=30) as trades:
                assert trades.get(timeout=30).symbol == "BTC/USD"


        def test_the_fixtures_close_the_emulators(request):
            emulator = request.getfixturevalue("okex_emulator")
            assert emulator.url.startswith("ws://127.0.0.1:")
    """)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-q")
    result.assert_outcomes(passed=8)


def test_the_emulator_options_fixture_configures_every_emulator(pytester: pytest.Pytester):
    pytester.makeconftest("""
        import pytest


        @pytest.fixture
        def exwire_emulator_options():
            return {"seed": 7}
    """)
    pytester.makepyfile(test_seeded="""
        def test_seeded(kraken_emulator, coinex_emulator):
            assert kraken_emulator.seed == 7
            assert coinex_emulator.client_kwargs()["url"].startswith("ws://")
    """)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-q")
    result.assert_outcomes(passed=1)


def test_pytest_fixtures_lists_them_with_their_docs(pytester: pytest.Pytester):
    pytester.makepyfile(test_nothing="def test_nothing():\n    assert True\n")
    result = pytester.runpytest_subprocess("--fixtures", "-p", "no:cacheprovider")
    assert result.ret == 0
    text = result.stdout.str()
    assert "fixtures defined from exwire.testing.pytest_plugin" in text
    for name in EXCHANGES:
        assert f"{name}_emulator -- " in text and f"{name}_client -- " in text
    for name in EMULATOR_ONLY:
        assert f"{name}_emulator -- " in text
    assert "exwire_emulator_options -- " in text


def test_the_docstring_example_is_a_real_test():
    doc = pytest_plugin.__doc__ or ""
    assert "def test_my_strategy_sees_a_ticker(kraken_emulator):" in doc
    assert "pytest --fixtures" in doc
    assert set(pytest_plugin.__all__) == {f"{name}_{kind}" for name in EXCHANGES
                                          for kind in ("emulator", "client")} | {
        f"{name}_emulator" for name in EMULATOR_ONLY} | {"exwire_emulator_options"}
