"""Survey submissions under load, against the trivial /ping of the same app on the same gunicorn, same run.

Usage: .venv/bin/python bench/submissions.py [--seconds 15] [--concurrency 32] [--rate 200]
Prints throughput and p50/p95/p99 for POST /s/<key>/responses and GET /ping, their ratio, and a fixed-rate run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
import uuid

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


async def main(args: argparse.Namespace) -> None:
    db = fresh_database("feedloop_bench_load")
    env = env_for(db)
    flush_redis()
    feedloop(env, "db", "upgrade")
    feedloop(env, "seed-demo") if args.demo else None
    ensure_survey(db, "bench-nps")

    async def submit(client: httpx.AsyncClient) -> httpx.Response:
        return await client.post("/s/bench-nps/responses", json={
            "score": 3, "submission_id": uuid.uuid4().hex, "comment": "Reports are slow and exports time out."})

    async def trivial(client: httpx.AsyncClient) -> httpx.Response:
        return await client.get("/ping")

    with gunicorn(env, 8123, args.web_workers) as base:
        limits = httpx.Limits(max_connections=args.concurrency * 2, max_keepalive_connections=0)
        async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as client:
            # warm-up: every gunicorn worker imports the app, configures the ORM and opens its pools on first use
            await closed_loop([client] * args.concurrency, trivial, 2)
            await closed_loop([client] * args.concurrency, submit, 2)
            cpu0 = cpu_by_process()
            baseline = await closed_loop([client] * args.concurrency, trivial, args.seconds)
            cpu1 = cpu_by_process()
            subs = await closed_loop([client] * args.concurrency, submit, args.seconds)
            cpu2 = cpu_by_process()
            baseline["cpu_ms_per_request"] = cpu_delta(cpu0, cpu1, baseline["n"])
            subs["cpu_ms_per_request"] = cpu_delta(cpu1, cpu2, subs["n"])
            fixed = await open_loop(client, submit, args.rate, args.seconds)
    result = {
        "machine": machine(), "web_workers": args.web_workers, "concurrency": args.concurrency,
        "ping": baseline, "submit": subs, "ratio_submit_to_ping": subs["rps"] / baseline["rps"],
        f"submit_at_{int(args.rate)}_rps": fixed,
    }
    print(f"machine: {result['machine']}; gunicorn workers {args.web_workers}; {args.concurrency} clients")
    for name in ("ping", "submit"):
        r = result[name]
        print(f"{name:7s} {r['rps']:8.1f} req/s  p50 {r['p50']:6.1f} ms  p95 {r['p95']:6.1f} ms  "
              f"p99 {r['p99']:6.1f} ms  errors {r['errors']}/{r['n']}")
        print(f"        CPU ms per request: {r['cpu_ms_per_request']}")
    print(f"ratio submit/ping throughput: {result['ratio_submit_to_ping']:.2f}")
    print(f"fixed {args.rate:.0f}/s: p50 {fixed['p50']:.1f} ms  p95 {fixed['p95']:.1f} ms  p99 {fixed['p99']:.1f} ms "
          f"errors {fixed['errors']}/{fixed['n']}")
    print(json.dumps(result))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--rate", type=float, default=200)
    parser.add_argument("--web-workers", type=int, default=4)
    parser.add_argument("--demo", action="store_true")
    asyncio.run(main(parser.parse_args()))
