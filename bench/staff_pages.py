"""Staff pages under concurrent use: the CSM queue and the insights pages, next to /ping, same server, same run.

Usage: .venv/bin/python bench/staff_pages.py [--seconds 15] [--concurrency 8] [--web-workers 4]
Seeds the demo (`feedloop seed-demo`: accounts, answers analysed by the real engine, recovery tasks), starts
gunicorn on loopback against PostgreSQL and Redis, signs in one session per client (CSMs for the queue, the
product user for insights) and requests each page as fast as N clients can. Prints req/s and p50/p95/p99 per
page, and p50 as a multiple of /ping's p50.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import time

import httpx

from _stack import closed_loop, env_for, feedloop, flush_redis, fresh_database, gunicorn, machine

PAGES = [
    ("GET /ping (baseline)", None, "/ping"),
    ("CSM queue /recovery", "csm@example.com", "/recovery"),
    ("recovery metrics", "csm@example.com", "/recovery/metrics"),
    ("insights /insights", "product@example.com", "/insights"),
    ("insights, negative detractors", "product@example.com", "/insights?bucket=detractor&sentiment=negative"),
    ("insights, semantic search", "product@example.com", "/insights?q=exports+time+out"),
    ("advocacy hub /advocacy", "marketing@example.com", "/advocacy"),
]


async def sign_in(base: str, email: str | None) -> httpx.AsyncClient:
    """A client with its own cookie jar, signed in as the demo user (or anonymous)."""
    client = httpx.AsyncClient(base_url=base, timeout=60)
    if email:
        page = await client.get("/login")
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text)
        assert token, "no CSRF token on /login"
        resp = await client.post("/login", data={"email": email, "password": "demo1234",
                                                 "csrf_token": token.group(1)})
        assert resp.status_code in (302, 303), f"sign-in as {email} failed: {resp.status_code}"
    return client


async def run(base: str, args: argparse.Namespace) -> dict:
    results: dict[str, dict] = {}
    for label, email, path in PAGES:
        clients = [await sign_in(base, email) for _ in range(args.concurrency)]
        try:
            for client in clients:  # warm-up: each web process loads what it caches (the model for search)
                await client.get(path)
            results[label] = {"path": path, **await closed_loop(clients, lambda c, p=path: c.get(p), args.seconds,
                                                                   ok=lambda status: status == 200)}
        finally:
            for client in clients:
                await client.aclose()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--web-workers", type=int, default=4)
    args = parser.parse_args()
    db = fresh_database("feedloop_bench_staff")
    env = env_for(db, FEEDLOOP_LOGIN_RATE_LIMIT="100000 per minute")
    flush_redis()
    feedloop(env, "db", "upgrade")
    started = time.perf_counter()
    feedloop(env, "seed-demo")
    seeded = time.perf_counter() - started
    with gunicorn(env, 8126, args.web_workers) as base:
        results = asyncio.run(run(base, args))
    baseline = results[PAGES[0][0]]["p50"]
    print(f"machine: {machine()}; gunicorn workers {args.web_workers}; {args.concurrency} signed-in clients per "
          f"page; demo data seeded in {seeded:.0f} s")
    for label, r in results.items():
        print(f"{label:32s} {r['rps']:7.1f} req/s  p50 {r['p50']:7.1f} ms  p95 {r['p95']:7.1f} ms  "
              f"p99 {r['p99']:7.1f} ms  errors {r['errors']}/{r['n']}  p50 {r['p50'] / baseline:5.1f}x ping")
    print(json.dumps({"machine": machine(), "concurrency": args.concurrency, "web_workers": args.web_workers,
                      "pages": results}))


if __name__ == "__main__":
    main()
