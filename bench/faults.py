"""Fault drills against the real stack on loopback: Redis stopped for 30 s, PostgreSQL restarted.

Usage:
  .venv/bin/python bench/faults.py redis-outage [--outage 30] [--rate 20]
  .venv/bin/python bench/faults.py db-restart   [--down 8] [--rate 20]

redis-outage: gunicorn, one `feedloop worker` and a private redis-server (port 6391, no persistence, so it comes
back empty: the worst case). Submissions arrive at a fixed rate for the whole drill; Redis is killed after 10 s
and started again after --outage seconds. Every accepted answer must be stored, and all of them analysed
exactly once after Redis returns (the sweeper re-enqueues what the outage left behind).

db-restart: gunicorn and a private PostgreSQL cluster (initdb in a temporary folder, port 5499), so the shared
database service is left alone. PostgreSQL is stopped after 10 s and started again --down seconds later.
Requests during the gap must get 503 with Retry-After (never a 500 or a hang), and the app must answer again
by itself once the database is back (pool pre-ping), with every 201 stored.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import subprocess
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path

import httpx

from _stack import BIN, ROOT, ensure_survey, env_for, feedloop, fresh_database, gunicorn, machine, pct

REDIS_PORT = 6391
PG_PORT = 5499


def _redis_start(workdir: Path) -> subprocess.Popen:
    proc = subprocess.Popen(["redis-server", "--port", str(REDIS_PORT), "--bind", "127.0.0.1", "--save", "",
                             "--appendonly", "no", "--dir", str(workdir)], stdout=subprocess.DEVNULL)
    for _ in range(100):
        if subprocess.run(["redis-cli", "-p", str(REDIS_PORT), "ping"], capture_output=True).returncode == 0:
            return proc
        time.sleep(0.05)
    raise RuntimeError("private redis-server did not start")


def _as_postgres(args: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: drop to the postgres user when we are root."""
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else args


def _pg_bin(name: str) -> str:
    found = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"))
    return str(found[-1]) if found else name


def _pg_ctl(datadir: Path, *args: str) -> None:
    subprocess.run(_as_postgres([_pg_bin("pg_ctl"), "-D", str(datadir), "-w", "-l", str(datadir / "log"), *args]),
                   check=True, capture_output=True)


def _pg_cluster() -> Path:
    """A throwaway cluster on PG_PORT with trust auth."""
    datadir = Path(tempfile.mkdtemp(prefix="feedloop-fault-pg-"))
    if os.geteuid() == 0:
        shutil.chown(datadir, "postgres", "postgres")
    subprocess.run(_as_postgres([_pg_bin("initdb"), "-D", str(datadir), "-A", "trust", "-U", "postgres"]),
                   check=True, capture_output=True)
    with open(datadir / "postgresql.conf", "a") as conf:
        conf.write(f"\nport = {PG_PORT}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{datadir}'\n")
    _pg_ctl(datadir, "start")
    subprocess.run([_pg_bin("createdb"), "-h", "127.0.0.1", "-p", str(PG_PORT), "-U", "postgres", "fault"],
                   check=True)
    return datadir


async def _drive(base: str, seconds: float, rate: float, events: dict[float, object]) -> list[dict]:
    """Submit at a fixed rate; run each scheduled event (a callable) when its time comes."""
    results: list[dict] = []
    began = time.perf_counter()
    pending = sorted(events.items())

    async def one(client: httpx.AsyncClient, i: int) -> None:
        sent = time.perf_counter() - began
        record: dict = {"t": round(sent, 2)}
        try:
            resp = await client.post("/s/fault-nps/responses", json={
                "score": i % 11, "submission_id": uuid.uuid4().hex,
                "comment": f"Answer {i}: the export keeps timing out and support is slow to reply."})
            record.update(status=resp.status_code, retry_after=resp.headers.get("Retry-After"))
            if resp.status_code in (200, 201):
                record["response_id"] = resp.json()["response_id"]
        except httpx.HTTPError as exc:
            record.update(status=type(exc).__name__)
        record["latency_ms"] = round((time.perf_counter() - began - sent) * 1000, 1)
        results.append(record)

    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        tasks = []
        for i in range(int(seconds * rate)):
            at = i / rate
            while pending and pending[0][0] <= at:
                _, action = pending.pop(0)
                await asyncio.to_thread(action)  # type: ignore[arg-type]
            delay = began + at - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(client, i)))
        for _, action in pending:
            await asyncio.to_thread(action)  # type: ignore[arg-type]
        await asyncio.gather(*tasks)
    return results


def _phase_table(results: list[dict], edges: list[tuple[str, float, float]]) -> list[str]:
    lines = []
    for name, start, end in edges:
        part = [r for r in results if start <= r["t"] < end]
        counts = Counter(str(r["status"]) for r in part)
        p99 = pct([r["latency_ms"] / 1000 for r in part], 99)
        lines.append(f"  {name:28s} {len(part):5d} requests  {dict(sorted(counts.items()))}  p99 {p99:.0f} ms")
    return lines


def _db_counts(db_url: str, ids: list[int]) -> dict[str, int]:
    from sqlalchemy import create_engine, text

    engine = create_engine(db_url)
    with engine.connect() as conn:
        stored = conn.execute(text("SELECT id FROM responses")).scalars().all()
        out = {
            "responses_stored": len(stored),
            "accepted_missing": len(set(ids) - set(stored)),
            "verbatims": conn.execute(text("SELECT COUNT(*) FROM verbatims")).scalar() or 0,
            "analysed": conn.execute(text("SELECT COUNT(*) FROM verbatims WHERE analysis_status = 'done'")).scalar()
            or 0,
            "acted_on": conn.execute(text("SELECT COUNT(*) FROM verbatims WHERE action_status = 'done'")).scalar()
            or 0,
            "analyses": conn.execute(text("SELECT COUNT(*) FROM analyses")).scalar() or 0,
            "verbatims_analysed_twice": conn.execute(text(
                "SELECT COUNT(*) FROM (SELECT verbatim_id FROM analyses GROUP BY verbatim_id "
                "HAVING COUNT(*) > 1) x")).scalar() or 0,
            "tasks": conn.execute(text("SELECT COUNT(*) FROM recovery_tasks")).scalar() or 0,
            "contacts_with_two_open_tasks": conn.execute(text(
                "SELECT COUNT(*) FROM (SELECT open_key FROM recovery_tasks WHERE open_key IS NOT NULL "
                "GROUP BY open_key HAVING COUNT(*) > 1) x")).scalar() or 0,
        }
    engine.dispose()
    return out


def redis_outage(args: argparse.Namespace) -> dict:
    """Stop Redis for args.outage seconds while answers keep coming; everything is stored, then analysed."""
    workdir = Path(tempfile.mkdtemp(prefix="feedloop-fault-redis-"))
    redis_proc = [_redis_start(workdir)]
    db = fresh_database("feedloop_fault_redis")
    env = env_for(db, FEEDLOOP_REDIS_URL=f"redis://127.0.0.1:{REDIS_PORT}/0", FEEDLOOP_SWEEP_INTERVAL_SECONDS="10",
                  FEEDLOOP_SWEEP_PENDING_AFTER_SECONDS="10")
    feedloop(env, "db", "upgrade")
    ensure_survey(db, "fault-nps")
    log = open(workdir / "worker.log", "w")
    worker = subprocess.Popen([str(BIN / "feedloop"), "worker", "--name", "fault-worker"], env=env, cwd=ROOT,
                              stdout=log, stderr=subprocess.STDOUT)
    stop_at, back_at = 10.0, 10.0 + args.outage
    marks: dict[str, float] = {}

    def stop_redis() -> None:
        redis_proc[0].kill()
        redis_proc[0].wait()
        marks["stopped"] = time.time()

    def start_redis() -> None:
        redis_proc[0] = _redis_start(workdir)
        marks["back"] = time.time()

    try:
        with gunicorn(env, 8124, 2) as base:
            results = asyncio.run(_drive(base, back_at + 10, args.rate, {stop_at: stop_redis, back_at: start_redis}))
            ids = [r["response_id"] for r in results if "response_id" in r]
            deadline = time.time() + args.drain_timeout
            while time.time() < deadline:
                counts = _db_counts(db, ids)
                if counts["acted_on"] >= counts["verbatims"]:
                    break
                time.sleep(1)
            drained_after = time.time() - marks["back"]
            counts = _db_counts(db, ids)
    finally:
        worker.terminate()
        worker.wait(timeout=30)
        log.close()
        redis_proc[0].kill()
    worker_alive = worker.returncode in (0, -15)
    print(f"machine: {machine()}")
    print(f"Redis stopped at t={stop_at:.0f} s for {args.outage:.0f} s; {args.rate:.0f} submissions/s throughout")
    print("\n".join(_phase_table(results, [("before the outage", 0, stop_at), ("Redis down", stop_at, back_at),
                                           ("after Redis returned", back_at, 1e9)])))
    print(f"accepted {len(ids)} of {len(results)}; database: {counts}")
    print(f"all analysed and acted on {drained_after:.0f} s after Redis returned; worker survived the outage: "
          f"{worker_alive}")
    ok = (len(ids) == len(results) and counts["accepted_missing"] == 0 and counts["analysed"] == counts["verbatims"]
          and counts["verbatims_analysed_twice"] == 0 and counts["contacts_with_two_open_tasks"] == 0)
    print("RESULT:", "every accepted answer stored and analysed exactly once" if ok else "FAILED")
    return {"scenario": "redis-outage", "ok": ok, "accepted": len(ids), "sent": len(results), **counts,
            "drained_after_s": round(drained_after, 1), "worker_log": str(workdir / "worker.log")}


def db_restart(args: argparse.Namespace) -> dict:
    """Stop PostgreSQL for args.down seconds under load: 503 + Retry-After meanwhile, recovery by itself after."""
    datadir = _pg_cluster()
    db = f"postgresql+psycopg://postgres@127.0.0.1:{PG_PORT}/fault"
    env = env_for(db, FEEDLOOP_REDIS_URL="redis://127.0.0.1:6379/8")
    feedloop(env, "db", "upgrade")
    ensure_survey(db, "fault-nps")
    stop_at, back_at = 10.0, 10.0 + args.down
    marks: dict[str, float] = {}

    def stop_pg() -> None:
        _pg_ctl(datadir, "stop", "-m", "fast")
        marks["stopped"] = time.perf_counter()

    def start_pg() -> None:
        _pg_ctl(datadir, "start")
        marks["back"] = time.perf_counter()

    try:
        with gunicorn(env, 8125, 2) as base:
            results = asyncio.run(_drive(base, back_at + 10, args.rate, {stop_at: stop_pg, back_at: start_pg}))
        ids = [r["response_id"] for r in results if "response_id" in r]
        counts = _db_counts(db, ids)
    finally:
        try:
            _pg_ctl(datadir, "stop", "-m", "immediate")
        except subprocess.CalledProcessError:
            pass
        shutil.rmtree(datadir, ignore_errors=True)
    during = [r for r in results if stop_at <= r["t"] < back_at]
    after = [r for r in results if r["t"] >= back_at]
    first_ok_after = min((r["t"] for r in after if r.get("status") == 201), default=None)
    bad = [r for r in results if r.get("status") not in (201, 503)]
    no_hint = [r for r in results if r.get("status") == 503 and not r.get("retry_after")]
    print(f"machine: {machine()}")
    print(f"PostgreSQL stopped at t={stop_at:.0f} s for {args.down:.0f} s; {args.rate:.0f} submissions/s throughout")
    print("\n".join(_phase_table(results, [("before the restart", 0, stop_at), ("database down", stop_at, back_at),
                                           ("after it came back", back_at, 1e9)])))
    print(f"503 during the gap: {sum(r.get('status') == 503 for r in during)} of {len(during)}, "
          f"all with Retry-After: {not no_hint}; other failures (500, timeouts): {len(bad)}")
    print(f"first 201 after the database returned: "
          f"{'never' if first_ok_after is None else f'{first_ok_after - back_at:.1f} s later'}")
    print(f"accepted {len(ids)}; database: responses {counts['responses_stored']}, "
          f"accepted but missing {counts['accepted_missing']}")
    ok = not bad and not no_hint and first_ok_after is not None and counts["accepted_missing"] == 0
    print("RESULT:", "clear 503s during the gap, recovered by itself, nothing accepted was lost" if ok else "FAILED")
    return {"scenario": "db-restart", "ok": ok, "accepted": len(ids), "sent": len(results),
            "failures": len(bad), "recovered_after_s": None if first_ok_after is None else
            round(first_ok_after - back_at, 1), **counts}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="scenario", required=True)
    r = sub.add_parser("redis-outage")
    r.add_argument("--outage", type=float, default=30)
    r.add_argument("--rate", type=float, default=20)
    r.add_argument("--drain-timeout", type=float, default=300)
    d = sub.add_parser("db-restart")
    d.add_argument("--down", type=float, default=8)
    d.add_argument("--rate", type=float, default=20)
    args = parser.parse_args()
    result = redis_outage(args) if args.scenario == "redis-outage" else db_restart(args)
    print(json.dumps(result))
    raise SystemExit(0 if result["ok"] else 1)


if __name__ == "__main__":
    main()
