import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def test_serve_upgrades_the_database_and_serves_the_api(tmp_path: Path) -> None:
    port = free_port()
    env = {**os.environ, "CARTRIAL_DATABASE_URL": f"sqlite:///{tmp_path / 'study.sqlite'}"}
    command = [str(Path(sys.executable).with_name("cartrial")), "serve", "--port", str(port)]
    server = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/api/v1/protocols/active")
                break
            except httpx.TransportError:
                assert server.poll() is None and time.monotonic() < deadline, "the server did not start"
                time.sleep(0.2)
        assert response.status_code == 401
        assert response.json() == {"detail": "log in first: send the bearer token or the session cookie"}
    finally:
        server.terminate()
        output, _ = server.communicate(timeout=10)
    assert "database at revision" in output and "active protocol relma-cel-sle-phase1@1.0" in output
