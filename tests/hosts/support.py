"""Helpers of the host tests: loading sample modules, reading a child's output, Xvfb."""

from __future__ import annotations

import importlib.util
import os
import selectors
import subprocess
import sys
import time
from pathlib import Path
from types import ModuleType

from tests.conftest import REPO_ROOT, timeout

SAMPLES = REPO_ROOT / "samples"


def load_sample(name: str) -> ModuleType:
    """Import ``samples/<name>.py`` as module ``exwire_sample_<name>`` (fresh each call)."""
    path = SAMPLES / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"exwire_sample_{name}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def read_line(process: subprocess.Popen, seconds: float = 10.0) -> str:
    """The next line of ``process.stdout`` (text mode), waiting at most ``seconds`` (scaled)."""
    assert process.stdout is not None
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        if not selector.select(timeout(seconds)):
            raise AssertionError(f"no output within {timeout(seconds)} s")
    return process.stdout.readline()


def _read_until_newline(fd: int, seconds: float) -> str:
    """What arrives on ``fd`` up to a newline (stripped); ``""`` on EOF or after ``seconds``."""
    data = b""
    deadline = time.monotonic() + seconds
    with selectors.DefaultSelector() as selector:
        selector.register(fd, selectors.EVENT_READ)
        while not data.endswith(b"\n"):
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not selector.select(remaining):
                return ""
            chunk = os.read(fd, 32)
            if not chunk:
                return ""
            data += chunk
    return data.decode().strip()


def start_xvfb(attempts: int = 10) -> tuple[subprocess.Popen, str]:
    """Start a private Xvfb and return it with its display name (``":N"``).

    Picks the display number itself (from the process id, skipping numbers whose socket
    exists), because Xvfb's own choice (``-displayfd`` alone) is not reliable when
    another server runs: here it reused ``:0``. ``-displayfd`` still tells when the
    server is ready (it writes the number then) or that it failed (the pipe closes).
    """
    first = 100 + os.getpid() % 800
    for number in range(first, first + attempts):
        if os.path.exists(f"/tmp/.X11-unix/X{number}") or os.path.exists(f"/tmp/.X{number}-lock"):
            continue
        read_end, write_end = os.pipe()
        try:
            process = subprocess.Popen(
                ["Xvfb", f":{number}", "-displayfd", str(write_end), "-nolisten", "tcp",
                 "-screen", "0", "800x600x24"],
                pass_fds=(write_end,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )
        finally:
            os.close(write_end)
        try:
            ready = _read_until_newline(read_end, timeout(15))
        finally:
            # Only after the newline: Xvfb writes the number and the newline separately and
            # exits ("Cannot write display number") if the pipe has no reader by then.
            os.close(read_end)
        if ready == str(number):
            return process, f":{number}"
        process.kill()
        process.wait()
    raise RuntimeError(f"Xvfb did not start on any display from :{first} to :{first + attempts - 1}")


def python_env() -> dict[str, str]:
    """The environment for a child ``python``: ours, with unbuffered output."""
    env = dict(os.environ)
    env["PYTHONUNBUFFERED"] = "1"
    return env


EXCHANGES = ("kraken", "coinex", "okex", "binance", "coinsuper", "okx")


def adapter_missing(name: str) -> str | None:
    """Why ``name``'s tests through ``client.shared`` cannot run: its adapter file
    (``exwire/<name>/shared.py``) is absent; ``None`` when it is there."""
    import exwire

    path = Path(exwire.__file__).parent / name / "shared.py"
    return None if path.exists() else f"{name}'s client.shared adapter ({path.name}) has not landed"


def each_exchange(*names: str) -> list:
    """``pytest.param`` per exchange (all of :data:`EXCHANGES` by default), skipped only
    when its adapter file is absent."""
    import pytest

    params = []
    for name in names or EXCHANGES:
        reason = adapter_missing(name)
        marks = [pytest.mark.skip(reason=reason)] if reason else []
        params.append(pytest.param(name, id=name, marks=marks))
    return params


def needs_adapter(name: str):
    """Skip the test only while ``name``'s adapter file is absent (see :func:`adapter_missing`)."""
    import pytest

    reason = adapter_missing(name)
    return pytest.mark.skipif(reason is not None, reason=reason or "")
