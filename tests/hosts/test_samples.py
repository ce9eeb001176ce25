"""The samples' output is line-atomic: each prints through one ``say`` that writes a whole
line in one call under a lock, and each runs against its emulator by default.
(The Binance samples have tests of their own.)"""

from __future__ import annotations

import re
import subprocess
import sys
import threading

import pytest

from tests.conftest import REPO_ROOT, timeout
from tests.hosts.support import SAMPLES, load_sample, python_env

#: sample -> (arguments for a short run, the first words its lines start with)
RUNS = {
    "quickstart": (["--seconds", "1.5"], {"ping:", "ticker", "trade", "book"}),
    "okex_quickstart": (["--seconds", "1.5"], {"ticker", "trade", "book", "balance", "placed", "cancelled"}),
    "coinex_quickstart": (["--seconds", "1.5"], {"ping:", "24h", "ticker", "trade", "trades", "book"}),
    "coinsuper_quickstart": (["--seconds", "1.5"], {"balance", "order"}),
    "okx_quickstart": (["--seconds", "1.5"], {"ticker", "trade", "book", "book:", "login", "balance", "placed",
                                              "cancelled"}),
    "kraken_trading": ([], {"open", "order", "trade", "best", "placed", "own"}),
}
#: Words that begin an update's line: glued to what precedes them, two updates ran together.
_GLUED = re.compile(r"[0-9A-Za-z.](ticker|trade|book|order|balance) ")


def test_every_sample_but_binance_s_is_covered():
    samples = {path.stem for path in SAMPLES.glob("*.py") if not path.stem.startswith("binance_")}
    assert samples - {"desktop_ticker", "excel_xlwings"} == set(RUNS)  # those two: their own tests


@pytest.mark.parametrize("name", sorted(RUNS))
def test_say_writes_each_line_whole_in_one_call(name, monkeypatch):
    module = load_sample(name)
    writes: list[str] = []

    class Recorder:
        def write(self, text: str) -> int:
            writes.append(text)
            return len(text)

        def flush(self) -> None:
            pass

    monkeypatch.setattr(sys, "stdout", Recorder())
    start = threading.Barrier(6)

    def printer(n: int) -> None:
        start.wait()
        for i in range(100):
            module.say(f"thread {n} line {i}")

    threads = [threading.Thread(target=printer, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(writes) == 600
    assert all(re.fullmatch(r"thread \d line \d+\n", text) for text in writes)


@pytest.mark.parametrize("name", sorted(RUNS))
def test_each_sample_runs_against_its_emulator_and_prints_whole_lines(name):
    arguments, first_words = RUNS[name]
    result = subprocess.run([sys.executable, str(SAMPLES / f"{name}.py"), *arguments], cwd=REPO_ROOT,
                            env=python_env(), capture_output=True, text=True, timeout=timeout(90))
    assert result.returncode == 0, result.stderr[-3000:]
    lines = result.stdout.splitlines()
    assert lines and result.stdout.endswith("\n")
    for line in lines:
        assert not _GLUED.search(line), f"two updates on one line: {line!r}"
    starts = {line.split()[0] for line in lines if line.strip()}
    if name == "coinsuper_quickstart":  # its streams print "[topic] ..." and a symbol first
        assert any(line.startswith("[") for line in lines) and "balance" in starts
    elif name == "okex_quickstart":  # then one line per balance: "usdt  free ..."
        assert {"ticker", "trade", "book", "placed", "cancelled"} <= starts
    elif name == "okx_quickstart":  # every step, then the book's counts last
        assert starts <= first_words and first_words <= starts, starts
        assert re.fullmatch(r"book: [1-9]\d* checksums ok, 0 mismatched, 0 sequence gaps", lines[-1]), lines[-1]
        assert re.search(r"^placed \d+: buy 0\.001 @ [0-9.]+, live$", result.stdout, re.MULTILINE)
        assert re.search(r"^cancelled \d+: canceled$", result.stdout, re.MULTILINE)
    else:
        assert starts <= first_words and len(starts) >= 3, starts
