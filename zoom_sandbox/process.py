"""Start the sandbox the one way everything starts it: `python -m zoom_sandbox`, in a process of its own.

`scripts/run` (through Procfile.dev) runs that command; tests and benchmarks run it through
`SandboxProcess`, which asks for a free port (`--port 0`), reads the URL the sandbox prints, waits until
it answers, and stops it on exit. `--exit-with-stdin` ends the sandbox with its parent, even one killed
hard. The sandbox's ZOOM_SANDBOX_* environment variables are not passed on: flags say what it runs with.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from types import TracebackType
from typing import IO

import requests

ROOT = Path(__file__).resolve().parents[1]
BANNER = "Zoom sandbox on "


class SandboxProcess:
    """`with SandboxProcess("--user", "ana@example.com") as sandbox: requests.get(sandbox.url)`."""

    def __init__(self, *args: str, startup_timeout: float = 30.0) -> None:
        self.args, self.startup_timeout = list(args), startup_timeout
        self.process: subprocess.Popen | None = None
        self.url = ""
        self._log: IO[bytes] | None = None

    @property
    def api_base_url(self) -> str:
        return f"{self.url}/v2"

    @property
    def pid(self) -> int:
        assert self.process is not None, "the sandbox is not running"
        return self.process.pid

    def start(self) -> SandboxProcess:
        self._log = tempfile.NamedTemporaryFile(prefix="zoom-sandbox-", suffix=".log", delete=False)  # noqa: SIM115
        env = {k: v for k, v in os.environ.items() if not k.startswith("ZOOM_SANDBOX_")}
        command = [sys.executable, "-m", "zoom_sandbox", "--host", "127.0.0.1", "--port", "0", "--quiet",
                   "--exit-with-stdin", *self.args]  # fmt: skip
        self.process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._log
        )
        try:
            self.url = self._read_banner()
            self._wait_until_answering()
        except BaseException:
            self.stop()
            raise
        return self

    def _read_banner(self) -> str:
        """The URL from the sandbox's first stdout line (read in a thread: readline has no timeout)."""
        assert self.process is not None and self.process.stdout is not None
        lines: list[bytes] = []
        reader = threading.Thread(target=lambda: lines.append(self.process.stdout.readline()), daemon=True)
        reader.start()
        reader.join(self.startup_timeout)
        line = lines[0].decode().strip() if lines else ""
        if not line.startswith(BANNER):
            raise RuntimeError(f"the Zoom sandbox did not start ({line!r}):\n{self.log_tail()}")
        return line[len(BANNER) :]

    def _wait_until_answering(self) -> None:
        deadline = time.monotonic() + self.startup_timeout
        with requests.Session() as http:
            http.trust_env = False
            while True:
                try:
                    if http.get(f"{self.url}/__sandbox/webhooks", timeout=2).ok:
                        return
                except requests.RequestException:
                    pass
                if time.monotonic() > deadline or self.process.poll() is not None:
                    raise RuntimeError(f"the Zoom sandbox at {self.url} does not answer:\n{self.log_tail()}")
                time.sleep(0.05)

    def log_tail(self, lines: int = 40) -> str:
        """The end of what the sandbox wrote to stderr (tracebacks land here)."""
        if self._log is None:
            return ""
        text = Path(self._log.name).read_text(encoding="utf-8", errors="replace")
        return "\n".join(text.splitlines()[-lines:])

    def stop(self) -> None:
        if self.process is not None:
            if self.process.stdin is not None:
                self.process.stdin.close()  # --exit-with-stdin: the sandbox shuts down by itself
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
            if self.process.stdout is not None:
                self.process.stdout.close()
            self.process = None
        if self._log is not None:
            self._log.close()
            Path(self._log.name).unlink(missing_ok=True)
            self._log = None

    def __enter__(self) -> SandboxProcess:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
