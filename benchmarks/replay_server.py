"""The Kraken capture replay's server, in a process of its own.

``python -m benchmarks.replay_server CAPTURE`` starts a
:class:`exwire.testing.KrakenEmulator` replaying ``CAPTURE`` (no generated data, no
heartbeats), prints one JSON line (``url``, ``host``, ``port``, ``pairs``, ``channel``,
``updates``) and serves until its standard input closes.

The replay benchmark (:mod:`benchmarks.book`) runs the emulator here, outside the
client's process, as an exchange is: the emulator sends each frame through
``websockets`` (tens of microseconds of Python per frame), and in the client's process
that work takes the client's GIL, so the figure would be the emulator's and the
scheduling of its thread against the client's, not the client's. :class:`ReplayServer`
is the benchmark's side: it starts the process, reads the line, and stops the process.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path
from types import TracebackType
from typing import Any

__all__ = ["ReplayServer", "main"]

REPO_ROOT = Path(__file__).resolve().parent.parent


class ReplayServer:
    """The replay emulator in a child process; as a context manager, started and stopped.

    The attributes the replay benchmark reads of a ``KrakenEmulator`` (``url``,
    ``replay_pairs``, ``replay_channel``, ``replay_book_updates``, ``client_kwargs()``)
    are those of the child's emulator.
    """

    def __init__(self, capture: Path, timeout: float = 60.0) -> None:
        self.capture = capture
        self.timeout = timeout
        self._process: subprocess.Popen[str] | None = None
        self._info: dict[str, Any] = {}

    def __enter__(self) -> "ReplayServer":
        process = self._process = subprocess.Popen(
            [sys.executable, "-m", "benchmarks.replay_server", str(self.capture)],
            cwd=REPO_ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        )
        assert process.stdout is not None
        watchdog = threading.Timer(self.timeout, process.kill)  # a child that never listens fails the run
        watchdog.daemon = True
        watchdog.start()
        try:
            line = process.stdout.readline()
            watchdog.cancel()
            if not line:
                raise RuntimeError(f"the replay server exited ({process.wait(self.timeout)}) before it listened")
            self._info = json.loads(line)
        except BaseException:
            self._stop()
            raise
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self._stop()

    def _stop(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        try:
            assert process.stdin is not None
            process.stdin.close()  # the child's stdin.read() returns: it closes its emulator
            process.wait(self.timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        finally:
            if process.stdout is not None:
                process.stdout.close()

    @property
    def url(self) -> str:
        return str(self._info["url"])

    @property
    def replay_pairs(self) -> list[str]:
        return list(self._info["pairs"])

    @property
    def replay_channel(self) -> dict[str, Any]:
        return dict(self._info["channel"])

    @property
    def replay_book_updates(self) -> int:
        return int(self._info["updates"])

    def client_kwargs(self) -> dict[str, str]:
        """What ``KrakenEmulator.client_kwargs()`` gives in the child."""
        return {"url": self.url, "private_url": f"{self.url}auth",
                "rest_url": f"http://{self._info['host']}:{self._info['port']}"}


def main(argv: list[str] | None = None) -> int:
    from exwire.testing import KrakenEmulator

    (capture,) = argv if argv is not None else sys.argv[1:]
    with KrakenEmulator(replay=capture, push_interval=None, heartbeat_interval=None) as emulator:
        info = {"url": emulator.url, "host": emulator.host, "port": emulator.port, "pairs": emulator.replay_pairs,
                "channel": emulator.replay_channel, "updates": emulator.replay_book_updates}
        print(json.dumps(info), flush=True)
        sys.stdin.read()
    return 0


if __name__ == "__main__":
    sys.exit(main())
