"""Fixtures for the host adapters and samples: an X display for Tk."""

from __future__ import annotations

import gc
import os
import shutil
import subprocess

import pytest

from tests.conftest import timeout
from tests.hosts.support import start_xvfb


@pytest.fixture(scope="session")
def display():
    """An X display for Tk: ``$DISPLAY`` if set, else a private Xvfb; skip when there is neither."""
    if os.environ.get("DISPLAY"):
        yield os.environ["DISPLAY"]
        return
    if shutil.which("Xvfb") is None:
        pytest.skip("no DISPLAY and no Xvfb (apt-get install xvfb)")
    try:
        process, name = start_xvfb()
    except (OSError, RuntimeError) as exc:
        pytest.skip(f"Xvfb did not start: {exc}")
    os.environ["DISPLAY"] = name
    try:
        yield name
    finally:
        del os.environ["DISPLAY"]
        process.terminate()
        try:
            process.wait(timeout(10))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(autouse=True)
def collect_tk_objects_on_this_thread():
    """Collect cycles on the main thread after each host test.

    Tk objects (roots, variables, widgets) left in reference cycles must be freed by
    the thread that created their Tcl interpreter: freed later by a collection that
    happens to run on some other thread (an emulator's, a reader's), Tcl aborts the
    whole process ("Tcl_AsyncDelete: async handler deleted by the wrong thread").
    """
    yield
    gc.collect()


@pytest.fixture
def tk_root(display):
    """A hidden ``tkinter.Tk`` on the test's (main) thread, destroyed afterwards."""
    tkinter = pytest.importorskip("tkinter")
    try:
        root = tkinter.Tk()
    except tkinter.TclError as exc:
        pytest.skip(f"Tk cannot open display {display}: {exc}")
    root.withdraw()
    yield root
    root.destroy()
