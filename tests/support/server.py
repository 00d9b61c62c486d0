"""`cartrial serve` as a real server process on a free port of 127.0.0.1, for tests and benchmarks."""

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx


@dataclass
class Served:
    base: str
    process: subprocess.Popen[str]
    output: str = ""  # what the server printed, once it has stopped


@contextmanager
def serving(url: str, workers: int = 1) -> Iterator[Served]:
    """`cartrial serve` (with `workers` server processes) on a free port, stopped afterwards."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [
        str(Path(sys.executable).with_name("cartrial")),
        "serve",
        "--port",
        str(port),
        "--no-access-log",
        "--workers",
        str(workers),
    ]
    env = {**os.environ, "CARTRIAL_DATABASE_URL": url}
    server = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    served = Served(f"http://127.0.0.1:{port}", server)
    base = served.base
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"{base}/api/v1/openapi.json")
                break
            except httpx.TransportError:
                assert server.poll() is None and time.monotonic() < deadline, "the server did not start"
                time.sleep(0.2)
        yield served
    finally:
        server.terminate()
        served.output = server.communicate(timeout=10)[0]
