"""The benchmark harness (``benchmarks/``) runs end to end and records every section.

These tests check that the benchmarks ran and produced numbers, never how fast they
are: the speed targets are judged from the paired ratios of a full run
(``python -m benchmarks``), not by a timed unit test on a shared machine.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.conftest import REPO_ROOT, timeout

pytest.importorskip("websocket")

from benchmarks.exchanges import ENTRIES  # noqa: E402
from benchmarks.exchanges.base import call_with_defaults  # noqa: E402
from benchmarks.measure import schedule  # noqa: E402
from benchmarks.report import _paired_ratio  # noqa: E402
from benchmarks.request import bare_latency  # noqa: E402
from benchmarks.stream import Flood, bare_stream  # noqa: E402
from benchmarks.wsserver import FloodServer  # noqa: E402


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    """One ``python -m benchmarks --quick`` in a subprocess; its stdout and JSON."""
    output = tmp_path_factory.mktemp("benchmark-results")
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    completed = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick", "--output", str(output)],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=timeout(110),
    )
    assert completed.returncode == 0, completed.stdout[-4000:] + completed.stderr[-4000:]
    files = list(output.glob("*-quick.json"))
    assert len(files) == 1, files
    return completed.stdout, json.loads(files[0].read_text(encoding="utf-8"))


def test_quick_run_prints_the_table_and_writes_every_section(quick_run):
    stdout, results = quick_run
    assert "Stream throughput" in stdout and "Targets (DESIGN.md):" in stdout
    assert results["schema"] == 1
    assert results["config"]["mode"] == "quick" and results["config"]["rounds"] >= 4
    assert set(results["sections"]) == {"stream", "request", "book", "scale"}
    assert results["errors"] == []
    assert all(skip["reason"] for skip in results["skipped"])


def test_quick_run_delivers_every_flooded_frame_without_drops(quick_run):
    _, results = quick_run
    cases = results["sections"]["stream"]
    assert {("kraken", kind) for kind in ("ticker", "trade", "book")} <= {(c["exchange"], c["case"]) for c in cases}
    for case in cases:
        variants = {run["variant"] for run in case["runs"]}
        assert {"bare", "exwire"} <= variants
        for variant in variants:
            assert sum(run["variant"] == variant for run in case["runs"]) == results["config"]["rounds"]
        for run in case["runs"]:
            assert run["sent"] == case["messages"] > 0
            assert run["delivered"] == run["sent"], run
            assert run.get("dropped", 0) == 0
            assert run["rate"] > 0 and run["cpu_us_per_msg"] is not None
        assert case["summary"]["exwire"]["rate_ratio"] > 0


def test_quick_run_measures_round_trips_book_and_scale(quick_run):
    _, results = quick_run
    sections = results["sections"]
    kraken = next(c for c in sections["request"] if c["exchange"] == "kraken")
    assert all(run["p50_us"] > 0 and run["requests"] > 0 for run in kraken["latency_runs"])
    assert all(run["rate"] > 0 and not run["errors"] for run in kraken["concurrent_runs"])
    assert kraken["latency_summary"]["exwire"]["p50_us_ratio"] > 0

    book = sections["book"]
    if "skipped" in book:
        assert "absent" in book["skipped"]
    else:
        for name in ("maintain", "maintain_models", "maintain_raw"):
            maintain = book["offline_summary"][name]
            assert maintain["checksums_verified"] > 0 and maintain["checksums_mismatched"] == 0
        replay = book["replay_summary"]["exwire"]
        assert replay["checksums_verified"] == replay["checksums_expected"] > 0

    scale = sections["scale"]
    assert {run["subscriptions"] for run in scale["runs"]} == {1, 100, 1000}
    assert all(run["delivered"] == run["sent"] for run in scale["runs"])
    assert all("error" not in probe and probe["rss_subscribed_kb"] > 0 for probe in scale["memory"])
    names = {target["name"] for target in results["targets"]}
    assert "thread count independent of the number of subscriptions" in names
    assert all(isinstance(target["met"], bool) for target in results["targets"])


def test_peers_section_runs_exwire_and_the_bare_loop_and_skips_missing_peers(tmp_path):
    """``--peers`` with no peer installed (as in CI): exwire typed and bare run, every other peer is skipped."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    completed = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick", "--peers", "--peer", "exwire", "--peer", "exwire_raw",
         "--peer", "binance-sdk-spot", "--output", str(tmp_path)],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=timeout(60),
    )
    assert completed.returncode == 0, completed.stdout[-4000:] + completed.stderr[-4000:]
    assert "Peers (Binance" in completed.stdout
    (path,) = tmp_path.glob("*-quick.json")
    results = json.loads(path.read_text(encoding="utf-8"))
    assert set(results["sections"]) == {"peers"} and results["errors"] == []
    peers = results["sections"]["peers"]
    ran = {run["variant"] for run in peers["runs"]}
    assert {"bare", "exwire"} <= ran
    skipped = {s["case"] for s in results["skipped"] if s["section"] == "peers"}
    assert ran | skipped >= {"exwire", "exwire_raw", "binance-sdk-spot"}
    assert all(s["reason"] for s in results["skipped"])
    for variant in ran:
        assert sum(run["variant"] == variant for run in peers["runs"]) == results["config"]["rounds"]
    for run in peers["runs"]:
        if run["variant"] in ("bare", "exwire"):
            assert run["sent"] == peers["messages"] > 0
            assert run["delivered"] == run["sent"] and run["dropped"] == 0, run
    assert peers["summary"]["exwire"]["rate_ratio"] > 0
    assert any(target["name"].startswith("peers: exwire ahead") for target in results["targets"])


@pytest.mark.parametrize("entry", ENTRIES, ids=lambda e: e.name)
def test_every_entry_serves_its_flood_and_requests_to_a_bare_client(entry):
    """The server side and frames of every exchange work, whether or not its client exists yet."""
    floods = Flood()
    with FloodServer(entry.handler) as server:
        for case in entry.streams:
            result = bare_stream(server, entry, case, floods, 50, case.symbols, timeout(10))
            assert result["delivered"] == 50
        for case in entry.requests:
            assert bare_latency(server, entry, case, 5, 1, timeout(10))["requests"] == 5


def test_schedule_alternates_and_flips_the_order_each_round():
    assert list(schedule(["a", "b"], 4)) == [(0, "a"), (0, "b"), (1, "b"), (1, "a"),
                                            (2, "a"), (2, "b"), (3, "b"), (3, "a")]


def test_ratios_are_paired_within_rounds():
    runs = [{"round": 0, "variant": "bare", "rate": 100.0}, {"round": 0, "variant": "exwire", "rate": 50.0},
            {"round": 1, "variant": "bare", "rate": 200.0}, {"round": 1, "variant": "exwire", "rate": 100.0}]
    # unpaired medians would give 75 / 150; paired, every round says 0.5
    assert _paired_ratio(runs, "exwire", "bare", "rate") == 0.5


def test_call_with_defaults_fills_only_required_parameters():
    def subscribe(symbol, limit, merge_depth="0", callback=None, *, timeout=None):
        return symbol, limit, merge_depth, callback

    assert call_with_defaults(subscribe, "BTCUSDT", callback=print, defaults={"limit": 20, "merge_depth": 9}) == \
        ("BTCUSDT", 20, "0", print)


def test_every_offline_maintain_variant_verifies_every_checksum_of_the_capture():
    from benchmarks import book

    path, reason = book.capture_path()
    if path is None:
        pytest.skip(reason)
    frames = book.load_capture(path)
    # Two passes: the second starts afresh with the snapshots, its texts already decoded once.
    runs = {variant: book.offline(variant, frames, 2) for variant in ("maintain", "maintain_models", "maintain_raw")}
    checked = {variant: (run["checksums_verified"], run["checksums_mismatched"]) for variant, run in runs.items()}
    assert set(checked.values()) == {(2 * sum('"c"' in frame for frame in frames), 0)}
    with pytest.raises(ValueError):
        book.offline("maintained", frames, 1)
