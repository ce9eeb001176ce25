"""Scale: 1, 100 and 1,000 subscriptions on one client.

Two parts:

* delivery (in this process, rounds alternating 1 → 100 → 1,000 → 1,000 → 100 → 1 ...):
  one client subscribes K tickers one call each, then one flood of N ticker frames
  cycling over the K pairs; figures: delivery rate, CPU per message, the client's
  threads (``exwire-*``) while subscribed, how long the K subscribe calls took.
* memory (one fresh interpreter per K, ``python -m benchmarks.scale K N``): resident
  memory (``VmRSS``) after imports and with the client built, after subscribing K,
  and after the flood was delivered; threads. A fresh process per K, because
  CPython keeps freed memory for reuse: in one process the second measurement would
  reuse the first one's arenas.
"""

from __future__ import annotations

import gc
import itertools
import json
import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

from benchmarks.measure import exwire_threads, os_threads, rss_kb

__all__ = ["memory_probes", "probe"]

REPO_ROOT = Path(__file__).resolve().parent.parent


def probe(subscriptions: int, count: int, timeout: float = 60.0) -> dict[str, Any]:
    """Measure memory and threads of one client with ``subscriptions`` Kraken ticker subscriptions."""
    from benchmarks.exchanges import kraken
    from benchmarks.wsserver import FloodServer, encode_flood

    entry = kraken.ENTRY
    case = entry.streams[0]
    client_class, reason = entry.client_class()
    if client_class is None:
        return {"subscriptions": subscriptions, "error": reason}
    symbols = case.scale_symbols(subscriptions)  # type: ignore[misc]
    blob = encode_flood(case.frames(count, symbols, None))
    done = threading.Event()
    counter = itertools.count(1)

    def callback(event: Any) -> None:
        if next(counter) == count:
            done.set()

    with FloodServer(entry.handler) as server:
        mark = server.mark()
        client = client_class(**entry.client_kwargs(server.url(entry.path)))
        try:
            gc.collect()
            rss_before = rss_kb()
            handles = [case.subscribe(client, [symbol], callback) for symbol in symbols]
            gc.collect()
            rss_subscribed = rss_kb()
            threads = exwire_threads()
            process_threads = os_threads()
            server.connection_after(mark, timeout).flood(blob)
            finished = done.wait(timeout)
            gc.collect()
            rss_delivered = rss_kb()
            delivered = next(counter) - 1
            dropped = sum(handle.dropped for handle in handles)
        finally:
            client.close()
    return {
        "subscriptions": subscriptions,
        "rss_before_kb": rss_before,
        "rss_subscribed_kb": rss_subscribed,
        "rss_delivered_kb": rss_delivered,
        "subscribed_delta_kb": rss_subscribed - rss_before,
        "threads": len(threads),
        "thread_names": threads,
        "process_threads": process_threads,
        "sent": count,
        "delivered": delivered,
        "dropped": dropped,
        "timed_out": not finished,
    }


def memory_probes(counts: list[int], messages: int, timeout: float) -> list[dict[str, Any]]:
    """Run one probe per subscription count, each in a fresh interpreter, all at once.

    They run concurrently because they measure memory and threads, not time.
    """
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    processes = [
        subprocess.Popen([sys.executable, "-m", "benchmarks.scale", str(k), str(messages)], cwd=REPO_ROOT, env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for k in counts
    ]
    results = []
    for k, process in zip(counts, processes):
        try:
            out, err = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            out, err = process.communicate()
            results.append({"subscriptions": k, "error": f"probe timed out after {timeout} s"})
            continue
        lines = [line for line in out.splitlines() if line.startswith("{")]
        if process.returncode != 0 or not lines:
            results.append({"subscriptions": k, "error": f"probe exited {process.returncode}: {err.strip()[-500:]}"})
        else:
            results.append(json.loads(lines[-1]))
    return results


if __name__ == "__main__":
    print(json.dumps(probe(int(sys.argv[1]), int(sys.argv[2]))))
