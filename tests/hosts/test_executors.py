"""PollingExecutor, TkExecutor and QtExecutor as a client's callback_executor."""

from __future__ import annotations

import sys
import threading

import pytest

from exwire.errors import ConfigurationError
from exwire.hosts import PollingExecutor, QtExecutor, TkExecutor
from tests._core.fake import FakeClient, FakeServer, update
from tests.conftest import timeout
from tests.helpers import wait_until


@pytest.fixture
def server():
    return FakeServer()


def push(server, key, values):
    peer = server.peer()
    for value in values:
        peer.push(update(key, value))


# -- PollingExecutor ----------------------------------------------------------------------


def test_polling_executor_runs_each_subscription_in_order_on_the_polling_thread(server):
    host = PollingExecutor()
    with host, FakeClient(server, callback_executor=host) as client:
        seen = {"a": [], "b": []}
        threads = set()

        def collect(event):
            threads.add(threading.get_ident())
            seen[event.topic].append(event.data)

        client.subscribe(["a"], collect)
        client.subscribe(["b"], collect)
        peer = server.peer()
        for i in range(200):
            peer.push(update("a", i))
            peer.push(update("b", -i))
        while len(seen["a"]) < 200 or len(seen["b"]) < 200:
            assert host.wait(timeout(5)), "no callback became pending"
            host.run_pending(max_items=7)
        assert seen["a"] == list(range(200))
        assert seen["b"] == [-i for i in range(200)]
        assert threads == {threading.get_ident()}
        assert client.health()["subscriptions"][0]["delivery"] == "executor"


def test_a_host_that_stops_polling_meets_the_overflow_policy(server):
    host = PollingExecutor()
    with host, FakeClient(server, callback_executor=host, queue_size=5, overflow="drop_oldest") as client:
        seen = []
        subscription = client.subscribe(["k"], lambda event: seen.append(event.data))
        push(server, "k", range(50))
        wait_until(lambda: client.main.frames_received >= 51)
        assert host.pending == 1  # one drain for the subscription, never one per update
        while host.run_pending():
            pass
        assert seen == list(range(45, 50))
        assert subscription.dropped == 45


def test_a_blocked_host_makes_block_overflow_report_slow_consumer(server):
    host = PollingExecutor()
    errors = []
    with host, FakeClient(server, callback_executor=host, queue_size=3, overflow="block", block_timeout=0.05,
                          on_callback_error=lambda exc, event: errors.append(exc)) as client:
        subscription = client.subscribe(["k"], lambda event: None)
        push(server, "k", range(5))
        wait_until(lambda: subscription.dropped >= 2)
        wait_until(lambda: errors)
        assert host.pending == 1
        assert type(errors[0]).__name__ == "SlowConsumer"


def test_run_pending_bounds_and_contains_errors():
    host = PollingExecutor()
    ran = []

    def boom():
        raise RuntimeError("callback bug")

    host.submit(boom)
    for i in range(5):
        host.submit(ran.append, i)
    assert host.run_pending(max_items=3) == 3
    assert ran == [0, 1]
    assert host.run_pending() == 3
    assert ran == [0, 1, 2, 3, 4]
    assert host.run_pending() == 0
    with pytest.raises(ConfigurationError):
        host.run_pending(-1)


def test_wait_returns_when_another_thread_submits():
    host = PollingExecutor()
    assert host.wait(0.01) is False
    submitter = threading.Thread(target=host.submit, args=(print,))
    submitter.start()
    assert host.wait(timeout(5)) is True
    submitter.join()


def test_closed_polling_executor_drops_calls():
    host = PollingExecutor()
    host.submit(print, "never")
    host.close()
    host.submit(print, "never")
    assert host.pending == 0
    assert host.wait(None) is False  # closed: returns at once
    assert host.run_pending() == 0


# -- TkExecutor ----------------------------------------------------------------------------


def pump(root, predicate, seconds=5.0):
    """Run Tk events (as mainloop would) until ``predicate()``."""

    def step():
        root.update()
        return predicate()

    wait_until(step, seconds)


def test_tk_executor_runs_callbacks_in_order_on_the_tk_thread(server, tk_root):
    executor = TkExecutor(tk_root, poll_interval=0.005)
    with FakeClient(server, callback_executor=executor) as client:
        seen = []
        client.subscribe(["k"], lambda event: seen.append((event.data, threading.get_ident())))
        push(server, "k", range(300))
        pump(tk_root, lambda: len(seen) >= 300)
    executor.close()
    assert [data for data, _ in seen] == list(range(300))
    assert {ident for _, ident in seen} == {threading.get_ident()}


def test_tk_executor_when_tk_is_not_running_meets_the_overflow_policy(server, tk_root):
    executor = TkExecutor(tk_root, poll_interval=0.005)
    with FakeClient(server, callback_executor=executor, queue_size=5, overflow="drop_oldest") as client:
        seen = []
        subscription = client.subscribe(["k"], lambda event: seen.append(event.data))
        push(server, "k", range(50))  # no Tk events run meanwhile: the main loop is "stuck"
        wait_until(lambda: client.main.frames_received >= 51)
        assert executor.pending == 1
        pump(tk_root, lambda: len(seen) >= 5)
        assert seen == list(range(45, 50))
        assert subscription.dropped == 45
    executor.close()


def test_tk_executor_stops_after_close_and_after_destroy(tk_root):
    import tkinter

    executor = TkExecutor(tk_root, poll_interval=0.005)
    ran = []
    executor.close()
    executor.submit(ran.append, 1)
    tk_root.update()
    assert ran == [] and executor.pending == 0
    other = tkinter.Toplevel(tk_root)
    executor = TkExecutor(other, poll_interval=0.005)
    other.destroy()
    executor.submit(ran.append, 2)
    tk_root.update()  # the poll cannot re-arm on a destroyed widget: the executor closes itself
    executor.close()


def test_tk_executor_is_fed_from_other_threads_without_tk_calls(tk_root):
    executor = TkExecutor(tk_root, poll_interval=0.005)
    ran = []
    workers = [threading.Thread(target=executor.submit, args=(ran.append, n)) for n in range(8)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    pump(tk_root, lambda: len(ran) == 8)
    assert sorted(ran) == list(range(8))
    executor.close()


# -- QtExecutor ----------------------------------------------------------------------------


def test_qt_executor_without_qt_raises_a_clear_import_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "PySide6", None)
    monkeypatch.setitem(sys.modules, "PyQt6", None)
    with pytest.raises(ImportError, match="PySide6 or PyQt6"):
        QtExecutor()


def test_qt_executor_runs_callbacks_on_the_gui_thread(monkeypatch, server):
    QtCore = None
    for name in ("PySide6", "PyQt6"):
        try:
            QtCore = __import__(f"{name}.QtCore", fromlist=["QtCore"])
            break
        except ImportError:
            continue
    if QtCore is None:
        pytest.skip("neither PySide6 nor PyQt6 is installed")
    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")
    app = QtCore.QCoreApplication.instance() or QtCore.QCoreApplication([])
    executor = QtExecutor()
    with FakeClient(server, callback_executor=executor) as client:
        seen = []
        client.subscribe(["k"], lambda event: seen.append((event.data, threading.get_ident())))
        push(server, "k", range(100))

        def step():
            app.processEvents()
            return len(seen) >= 100

        wait_until(step)
    executor.close()
    assert [data for data, _ in seen] == list(range(100))
    assert {ident for _, ident in seen} == {threading.get_ident()}
