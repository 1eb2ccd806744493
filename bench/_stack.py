"""Start the real stack on loopback for a benchmark: a PostgreSQL database, Redis, gunicorn, workers."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Awaitable, Callable, Iterator, Sequence

import psycopg

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"
PG_ADMIN = os.environ.get("BENCH_PG_ADMIN", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/8")


def fresh_database(name: str) -> str:
    """Drop and create a benchmark database; returns its SQLAlchemy URL."""
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return PG_ADMIN.replace("postgresql://", "postgresql+psycopg://").rsplit("/", 1)[0] + f"/{name}"


def env_for(db_url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FEEDLOOP_")}
    env.update({"FEEDLOOP_DATABASE_URL": db_url, "FEEDLOOP_REDIS_URL": REDIS, "FEEDLOOP_SECRET_KEY": "bench",
                "FEEDLOOP_PUBLIC_RATE_LIMIT": "1000000 per minute", "HF_HUB_OFFLINE": "1",
                "FEEDLOOP_INSTANCE_PATH": str(ROOT / "bench" / "out" / "instance"), **extra})
    return env


def feedloop(env: dict[str, str], *args: str) -> str:
    out = subprocess.run([str(BIN / "feedloop"), *args], env=env, check=True, capture_output=True, text=True)
    return out.stdout


def flush_redis() -> None:
    import redis

    redis.Redis.from_url(REDIS).flushdb()


@contextmanager
def gunicorn(env: dict[str, str], port: int, workers: int, worker_class: str = "sync",
             threads: int = 1) -> Iterator[str]:
    """gunicorn serving the app; yields its base URL once /ping answers."""
    proc = subprocess.Popen([str(BIN / "gunicorn"), "--workers", str(workers), "--bind", f"127.0.0.1:{port}",
                             "--worker-class", worker_class, "--threads", str(threads),
                             "--backlog", "2048", "--log-level", "warning", "webapp.wsgi:app"], env=env, cwd=ROOT)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(base + "/ping", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def machine() -> str:
    """One line describing where the figures came from."""
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()} cores ({cpu}), Python {sys.version.split()[0]}"


def ensure_survey(db_url: str, key: str) -> None:
    """An active anonymous NPS survey to submit to."""
    sys.path.insert(0, str(ROOT))
    from sqlalchemy import select

    import survey.models  # noqa: F401
    from survey.database import make_engine, make_session_factory
    from survey.models import Survey

    session = make_session_factory(make_engine(db_url))()
    if session.scalar(select(Survey).where(Survey.public_key == key)) is None:
        session.add(Survey(public_key=key, name="Bench", kind="nps", question="How likely?", product_name="Bench"))
        session.commit()
    session.close()


def cpu_by_process() -> dict[str, float]:
    """CPU seconds used so far by each process family on this machine (Linux /proc), to show where time goes."""
    families: dict[str, float] = {}
    tick = os.sysconf("SC_CLK_TCK")
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        name = stat.split("(", 1)[1].rsplit(")", 1)[0]
        fields = stat.rsplit(")", 1)[1].split()
        family = ("gunicorn" if "gunicorn" in cmd else "rq worker" if "feedloop worker" in cmd or " worker" in cmd
                  and "feedloop" in cmd else "bench client" if pid == str(os.getpid()) else
                  "postgres" if name.startswith("postgres") else "redis" if name.startswith("redis") else "other")
        families[family] = families.get(family, 0.0) + (int(fields[11]) + int(fields[12])) / tick
    return families


def cpu_delta(before: dict[str, float], after: dict[str, float], requests: int) -> dict[str, float]:
    """CPU milliseconds per request by process family between two snapshots."""
    return {k: round((after.get(k, 0.0) - before.get(k, 0.0)) * 1000 / max(requests, 1), 2)
            for k in sorted(after) if after.get(k, 0.0) - before.get(k, 0.0) > 0.01}


def pct(values: list[float], p: float) -> float:
    """The p-th percentile of latencies in seconds, in milliseconds."""
    values = sorted(values)
    return values[min(len(values) - 1, int(p / 100 * len(values)))] * 1000 if values else float("nan")


async def closed_loop(clients: Sequence[Any], make: Callable[[Any], Awaitable[Any]], seconds: float,
                      ok: Callable[[int], bool] = lambda status: status < 400,
                      latencies: list[float] | None = None) -> dict:
    """One loop per client, each sending its next request as soon as the last is answered: req/s and latency.

    Pass `latencies` to pool them across several calls (rounds); the summary covers this call only.
    """
    pooled = latencies
    latencies = []
    errors = 0
    stop = time.perf_counter() + seconds

    async def one(client: Any) -> None:
        nonlocal errors
        while time.perf_counter() < stop:
            started = time.perf_counter()
            resp = await make(client)
            latencies.append(time.perf_counter() - started)
            if not ok(resp.status_code):
                errors += 1

    began = time.perf_counter()
    await asyncio.gather(*(one(c) for c in clients))
    elapsed = time.perf_counter() - began
    if pooled is not None:
        pooled.extend(latencies)
    return {"rps": len(latencies) / elapsed, "seconds": elapsed, "p50": pct(latencies, 50), "p95": pct(latencies, 95),
            "p99": pct(latencies, 99), "errors": errors, "n": len(latencies)}
