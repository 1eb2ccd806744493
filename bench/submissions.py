"""Survey submissions under load, against the trivial /ping of the same app on the same gunicorn, same run.

Usage: .venv/bin/python bench/submissions.py [--seconds 30] [--rounds 6] [--concurrency 32] [--rate 200]
Prints throughput and p50/p95/p99 for POST /s/<key>/responses and GET /ping, their ratio, a fixed-rate run,
and the same ratio under wrk (a C load generator) when it is installed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import shutil
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import httpx

from _stack import (closed_loop, cpu_by_process, cpu_delta, ensure_survey, env_for, feedloop, flush_redis,
                    fresh_database, gunicorn, machine, pct)


async def open_loop(client: httpx.AsyncClient, make: object, rate: float, seconds: float) -> dict:
    """A fixed arrival rate (like real traffic): latency percentiles and errors at that rate."""
    latencies: list[float] = []
    errors = 0
    tasks = []

    async def one() -> None:
        nonlocal errors
        started = time.perf_counter()
        try:
            resp = await make(client)  # type: ignore[operator]
            if resp.status_code >= 400:
                errors += 1
        except httpx.HTTPError:
            errors += 1
        latencies.append(time.perf_counter() - started)

    began = time.perf_counter()
    for i in range(int(rate * seconds)):
        delay = began + i / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one()))
    await asyncio.gather(*tasks)
    return {"rate": rate, "p50": pct(latencies, 50), "p95": pct(latencies, 95), "p99": pct(latencies, 99),
            "errors": errors, "n": len(latencies)}


def _totals(runs: list[dict], latencies: list[float], cpu: dict[str, float]) -> dict:
    """One route's rounds as one run: requests over time, pooled percentiles, CPU per request by process."""
    n = sum(r["n"] for r in runs)
    return {"rps": n / sum(r["seconds"] for r in runs), "p50": pct(latencies, 50), "p95": pct(latencies, 95),
            "p99": pct(latencies, 99), "errors": sum(r["errors"] for r in runs), "n": n,
            "cpu_ms_per_request": cpu_delta({}, cpu, n)}


async def main(args: argparse.Namespace) -> None:
    db = fresh_database("feedloop_bench_load")
    env = env_for(db)
    flush_redis()
    feedloop(env, "db", "upgrade")
    feedloop(env, "seed-demo") if args.demo else None
    ensure_survey(db, "bench-nps")

    # Bodies are encoded before the clock starts, so the client spends its time sending, not building JSON.
    bodies = iter([json.dumps({"score": 3, "submission_id": uuid.uuid4().hex,
                               "comment": "Reports are slow and exports time out."}).encode()
                   for _ in range(int(args.seconds * 3000) + 20000)])
    headers = {"Content-Type": "application/json"}

    async def submit(client: httpx.AsyncClient) -> httpx.Response:
        return await client.post("/s/bench-nps/responses", content=next(bodies), headers=headers)

    async def trivial(client: httpx.AsyncClient) -> httpx.Response:
        return await client.get("/ping")

    with gunicorn(env, 8123, args.web_workers, args.worker_class, args.threads) as base:
        limits = httpx.Limits(max_connections=args.concurrency * 2, max_keepalive_connections=0)
        async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as client:
            # warm-up: every gunicorn worker imports the app, configures the ORM and opens its pools on first use
            await closed_loop([client] * args.concurrency, trivial, 2)
            await closed_loop([client] * args.concurrency, submit, 2)
            # Rounds alternate the two routes (ping first, then submit first, ...), so drift in a noisy
            # machine's speed lands on both; the ratio is of the totals, and each round's ratio is shown too.
            runs: dict[str, list[dict]] = {"ping": [], "submit": []}
            pooled: dict[str, list[float]] = {"ping": [], "submit": []}
            cpu = {"ping": {}, "submit": {}}  # type: dict[str, dict[str, float]]
            for i in range(args.rounds):
                order = ("ping", "submit") if i % 2 == 0 else ("submit", "ping")
                for name in order:
                    before = cpu_by_process()
                    run = await closed_loop([client] * args.concurrency, submit if name == "submit" else trivial,
                                            args.seconds / args.rounds, latencies=pooled[name])
                    after = cpu_by_process()
                    for family, used in after.items():
                        cpu[name][family] = cpu[name].get(family, 0.0) + used - before.get(family, 0.0)
                    runs[name].append(run)
            baseline, subs = (_totals(runs[n], pooled[n], cpu[n]) for n in ("ping", "submit"))
            round_ratios = [s["rps"] / p["rps"] for s, p in zip(runs["submit"], runs["ping"])]
            fixed = await open_loop(client, submit, args.rate, args.fixed_seconds)
        by_wrk = wrk_rounds(base, args) if args.wrk and shutil.which("wrk") else None
    result = {
        "machine": machine(), "web_workers": args.web_workers, "worker_class": args.worker_class,
        "threads": args.threads, "concurrency": args.concurrency,
        "ping": baseline, "submit": subs, "ratio_submit_to_ping": subs["rps"] / baseline["rps"],
        "rounds": args.rounds, "round_ratios": [round(r, 3) for r in round_ratios],
        f"submit_at_{int(args.rate)}_rps": fixed, "wrk": by_wrk,
    }
    print(f"machine: {result['machine']}; gunicorn {args.web_workers} {args.worker_class} workers"
          f"{f' × {args.threads} threads' if args.threads > 1 else ''}; {args.concurrency} clients")
    for name in ("ping", "submit"):
        r = result[name]
        print(f"{name:7s} {r['rps']:8.1f} req/s  p50 {r['p50']:6.1f} ms  p95 {r['p95']:6.1f} ms  "
              f"p99 {r['p99']:6.1f} ms  errors {r['errors']}/{r['n']}")
        print(f"        CPU ms per request: {r['cpu_ms_per_request']}")
    print(f"ratio submit/ping throughput: {result['ratio_submit_to_ping']:.2f} "
          f"(rounds: {' '.join(f'{r:.2f}' for r in round_ratios)})")
    print(f"fixed {args.rate:.0f}/s: p50 {fixed['p50']:.1f} ms  p95 {fixed['p95']:.1f} ms  p99 {fixed['p99']:.1f} ms "
          f"errors {fixed['errors']}/{fixed['n']}")
    if by_wrk:
        print(f"wrk (C, {args.concurrency} connections, one thread): ping {by_wrk['ping']:.0f} req/s, "
              f"submit {by_wrk['submit']:.0f} req/s, ratio {by_wrk['ratio']:.2f} "
              f"(errors: ping {by_wrk['ping_errors']}, submit {by_wrk['submit_errors']})")
    print(json.dumps(result))


# Each request on a new connection, as in the asyncio rounds; every submission carries its own submission id.
_WRK_SCRIPTS = {
    "ping": 'request = function() return wrk.format("GET", "/ping", {["Connection"] = "close"}) end\n',
    "submit": """
local n = 0
request = function()
  n = n + 1
  local body = string.format(
    '{"score": 3, "submission_id": "wrk-%d-%d", "comment": "Reports are slow and exports time out."}',
    n, math.random(1, 2000000000))
  return wrk.format("POST", "/s/bench-nps/responses",
                    {["Content-Type"] = "application/json", ["Connection"] = "close"}, body)
end
""",
}


def wrk_rounds(base: str, args: argparse.Namespace) -> dict:
    """The same two routes driven by wrk, a C load generator that is not the bottleneck for /ping."""
    totals = {"ping": [0, 0.0, 0], "submit": [0, 0.0, 0]}  # requests, seconds, non-2xx or socket errors
    with tempfile.TemporaryDirectory() as tmp:
        for name, script in _WRK_SCRIPTS.items():
            Path(tmp, f"{name}.lua").write_text(script)
        for i in range(4):
            for name in (("ping", "submit") if i % 2 == 0 else ("submit", "ping")):
                command = ["wrk", "-t", "1", "-c", str(args.concurrency), "-d", f"{args.wrk_seconds:.0f}",
                           "-s", str(Path(tmp, f"{name}.lua")), base]
                out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
                done = re.search(r"(\d+) requests in ([\d.]+)(m?s)", out)
                assert done, out
                seconds = float(done.group(2)) / (1000 if done.group(3) == "ms" else 1)
                errors = sum(int(x) for x in re.findall(r"Non-2xx or 3xx responses: (\d+)", out))
                errors += sum(int(x) for x in re.findall(r"(?:connect|read|write|timeout) (\d+)", out))
                totals[name][0] += int(done.group(1))
                totals[name][1] += seconds
                totals[name][2] += errors
    rate = {name: t[0] / t[1] for name, t in totals.items()}
    return {"ping": rate["ping"], "submit": rate["submit"], "ratio": rate["submit"] / rate["ping"],
            "ping_errors": totals["ping"][2], "submit_errors": totals["submit"][2]}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=30, help="per route, split over the rounds")
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--fixed-seconds", type=float, default=15, help="length of the fixed-rate run")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--rate", type=float, default=200)
    # The README's production command on two cores: one threaded worker per core.
    parser.add_argument("--web-workers", type=int, default=2)
    parser.add_argument("--worker-class", default="gthread", help="gunicorn worker class (gthread, sync)")
    parser.add_argument("--threads", type=int, default=4, help="threads per gunicorn worker (gthread)")
    parser.add_argument("--demo", action="store_true")
    parser.add_argument("--wrk", action=argparse.BooleanOptionalAction, default=True,
                        help="also drive both routes with wrk when it is installed (Debian package wrk)")
    parser.add_argument("--wrk-seconds", type=float, default=5, help="length of each of the eight wrk rounds")
    asyncio.run(main(parser.parse_args()))
