"""`feedloop run` as a newcomer uses it: embedded Redis and SQLite, demo data, worker, web, clean Ctrl-C."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(bool(os.environ.get("FEEDLOOP_TEST_DATABASE_URL")),
                       reason="exercises the embedded defaults; run once, in the SQLite pass"),
]
ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str, headers: dict[str, str] | None = None) -> tuple[int, Any]:
    req = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=5) as resp:
            return resp.status, json.loads(resp.read() or b"null")
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"null")


def _post(url: str, body: dict[str, Any]) -> tuple[int, Any]:
    req = urllib.request.Request(url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        return resp.status, json.loads(resp.read())


def test_run_starts_everything_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    """One command serves the demo survey, analyses an answer through its worker, and Ctrl-C stops every child."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("FEEDLOOP_")}
    env["FEEDLOOP_INSTANCE_PATH"] = str(tmp_path / "instance")
    exe = ROOT / ".venv" / "bin" / "feedloop"
    log_path = tmp_path / "run.log"
    log = log_path.open("w")  # a file, not a pipe: an unread pipe would block the chatty children
    proc = subprocess.Popen([str(exe), "run", "--port", str(port), "--web-workers", "1"], env=env,
                            stdout=log, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 240
        health: Any = None
        while time.monotonic() < deadline:
            try:
                status, health = _get(f"{base}/healthz")
                if status == 200 and health["workers"]["count"]:
                    break
            except (urllib.error.URLError, ConnectionError, OSError):
                pass
            assert proc.poll() is None, log_path.read_text()[-3000:]
            time.sleep(1)
        assert health and health["redis"]["ok"] and health["workers"]["count"] >= 1, health

        token_run = subprocess.run([str(exe), "api-token", "create", "--name", "t", "--role", "admin"], env={
            **env, "FEEDLOOP_REDIS_URL": f"unix://{tmp_path / 'instance' / 'redis.sock'}"},
            capture_output=True, text=True, timeout=60)
        assert token_run.returncode == 0, token_run.stderr
        token = token_run.stdout.strip().splitlines()[-1]

        status, body = _post(f"{base}/s/demo-nps/responses",
                             {"score": 1, "comment": "Support ignored our outage for three days.", "submission_id": "e2e-1"})
        assert status == 201
        rid = body["response_id"]
        result: Any = None
        while time.monotonic() < deadline:
            _, result = _get(f"{base}/api/v1/responses/{rid}", {"Authorization": f"Bearer {token}"})
            if result["analysis_status"] == "done" and result["recovery_task_id"]:
                break
            time.sleep(1)
        assert result["analysis"] is not None and result["recovery_task_id"], result
    finally:
        os.killpg(proc.pid, signal.SIGINT) if proc.poll() is None else None
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        log.close()
    out = log_path.read_text()
    assert "Demo logins" in out and "csm@example.com" in out
    assert proc.returncode == 0, out[-3000:]
    # Every child is gone: nothing listens on the port any more.
    with socket.socket() as s:
        assert s.connect_ex(("127.0.0.1", port)) != 0
