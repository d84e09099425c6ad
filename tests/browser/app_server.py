"""The one launcher of the app for a browser: `streamlit run` on a port of its own, and the
Chromium that drives it. Used by the browser tests' fixtures and by benchmarks/keying.py."""

from __future__ import annotations

import os
import random
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

REPO = Path(__file__).resolve().parent.parent.parent
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Ports below Linux's ephemeral range (32768 up), a block of them per pytest-xdist worker, so
# that two workers never pick the same port between checking it and Streamlit binding it.
PORTS_FROM, PORTS_PER_WORKER = 21000, 200


class AppDidNotStart(RuntimeError):
    pass


class RunningApp(str):
    """The app's address, as a string, with the process serving it (to stop it outright)."""

    process: subprocess.Popen[bytes]


def chromium_executable() -> str | None:
    """Debian's chromium, if installed (Playwright never downloads a browser here)."""
    return str(CHROMIUM) if CHROMIUM.exists() else shutil.which("chromium")


def free_port() -> int:
    """A port nothing listens on, from this xdist worker's own block."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw")
    first = PORTS_FROM + (int(worker) if worker.isdigit() else 0) * PORTS_PER_WORKER
    ports = list(range(first, first + PORTS_PER_WORKER))
    random.shuffle(ports)
    for port in ports:
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise AppDidNotStart(f"no free port in {first}–{first + PORTS_PER_WORKER - 1}")


@contextmanager
def streamlit_app(
    database_url: str, *, script: Path = REPO / "survey_app.py", log: IO[str] | None = None
) -> Iterator[RunningApp]:
    """`streamlit run script` on a free port against DATABASE_URL=database_url, waited for until
    healthy; its address. Stopped afterwards. Output goes to `log` (default: nowhere)."""
    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable, "-m", "streamlit", "run", str(script),
            "--server.port", str(port), "--server.headless", "true",
            "--server.address", "127.0.0.1",
        ],
        cwd=REPO, env={**os.environ, "DATABASE_URL": database_url},
        stdout=log or subprocess.DEVNULL, stderr=subprocess.STDOUT,
    )  # fmt: skip
    address = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if server.poll() is not None:
                raise AppDidNotStart(f"streamlit exited with code {server.returncode}")
            try:
                with urllib.request.urlopen(f"{address}/_stcore/health", timeout=2) as reply:
                    if reply.status == 200:
                        break
            except OSError:
                if time.monotonic() > deadline:
                    raise AppDidNotStart("no healthy reply within 60 s") from None
                time.sleep(0.3)
        running = RunningApp(address)
        running.process = server
        yield running
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
