"""Drain a backlog of submitted verbatims with 1, then 2 worker processes; check every one was analysed once.

Usage: .venv/bin/python bench/backlog.py [--n 10000]
Prints verbatims/s for 1 and 2 workers, the scaling ratio, the raw embedding throughput of the same model on
the same texts in the same run, and the counts of analyses, recovery tasks and invites against what the
inputs imply.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import time
from pathlib import Path

from _stack import BIN, ROOT, env_for, feedloop, flush_redis, fresh_database, machine

sys.path.insert(0, str(ROOT))


def texts(n: int, rng_seed: int = 7) -> list[str]:
    """Distinct realistic comments: sentences of the demo's and the labelled set's verbatims, recombined."""
    import re

    import tempfile

    import survey.models  # noqa: F401
    from survey.database import Base, make_engine, make_session_factory
    from survey.demo import seed
    from survey.models import Verbatim

    engine = make_engine(f"sqlite:///{tempfile.mkdtemp()}/pool.db")
    Base.metadata.create_all(engine)
    session = make_session_factory(engine)()
    seed(session)
    pool = [v.text for v in session.query(Verbatim) if v.text]
    session.close()
    dev = Path(ROOT.parent / "shared" / "data" / "dev.jsonl")
    if dev.exists():
        pool += [json.loads(line)["text"] for line in dev.read_text().splitlines() if line.strip()]
    sentences = sorted({s.strip() for t in pool for s in re.split(r"(?<=[.!?])\s+", t) if len(s.strip()) > 8})
    rng = random.Random(rng_seed)
    out: set[str] = set()
    while len(out) < n:
        out.add(" ".join(rng.sample(sentences, rng.choice((1, 2, 2, 3)))))
    return sorted(out)


def load(db_url: str, comments: list[str]) -> None:
    """Accounts, contacts and one NPS response with a verbatim per comment, all pending."""
    from survey.database import make_engine, make_session_factory
    from survey.models import Account, Contact, Response, Survey, User, Verbatim
    from survey.services.users import hash_password

    session = make_session_factory(make_engine(db_url))()
    csm = User(email="csm@bench.example", name="Bench CSM", role="csm", password_hash=hash_password("benchbench"))
    session.add(csm)
    survey = Survey(public_key="bench-nps", name="Bench", kind="nps", question="How likely?", product_name="Bench")
    session.add(survey)
    session.flush()
    rng = random.Random(11)
    accounts = [Account(name=f"Bench {i}", arr=rng.randint(5, 300) * 1000, owner_id=csm.id) for i in range(50)]
    session.add_all(accounts)
    session.flush()
    contacts = [Contact(email=f"c{i}@bench{i % 50}.example", name=f"Contact {i}", account_id=accounts[i % 50].id,
                        marketing_consent=i % 2 == 0) for i in range(500)]
    session.add_all(contacts)
    session.flush()
    for i, text in enumerate(comments):
        contact = contacts[i % 500]
        response = Response(survey_id=survey.id, contact_id=contact.id, account_id=contact.account_id,
                            score=rng.randint(0, 10), channel="api", submission_id=f"bench-{i}")
        session.add(response)
        session.flush()
        session.add(Verbatim(text=text, source="survey", response_id=response.id, contact_id=contact.id,
                             account_id=contact.account_id))
        if i % 1000 == 999:
            session.flush()
    session.commit()
    session.close()


def enqueue_all(env: dict[str, str]) -> str:
    """Queue the backlog the way the product finds one (after an outage, an import): the sweeper's pass."""
    return feedloop(env, "sweep", "--pending-after", "0").strip()


def drain(db_url: str, env: dict[str, str], workers: int, n: int) -> float:
    """Start the workers, wait until every verbatim is analysed and acted on; seconds from start to done."""
    from sqlalchemy import create_engine, text

    import os

    engine = create_engine(db_url)
    # The cores are shared out: one worker may use them all, two get half each (torch would oversubscribe).
    threads = str(max(1, (os.cpu_count() or 1) // workers))
    env = {**env, "OMP_NUM_THREADS": threads, "MKL_NUM_THREADS": threads}
    procs = [subprocess.Popen([str(BIN / "feedloop"), "worker", "--name", f"bench-{workers}-{i}"], env=env, cwd=ROOT,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for i in range(workers)]
    try:
        # The clock starts when the first analysis lands: model loading is start-up, not throughput.
        first = None
        while True:
            with engine.connect() as conn:
                done = conn.execute(text("SELECT COUNT(*) FROM verbatims WHERE action_status = 'done'")).scalar()
                started = conn.execute(text("SELECT COUNT(*) FROM verbatims WHERE analysis_status <> 'pending'")).scalar()
            if first is None and started:
                first = time.perf_counter()
            if done >= n:
                return time.perf_counter() - (first or time.perf_counter())
            time.sleep(0.5)
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait(timeout=30)
        engine.dispose()


def check_once(db_url: str, n: int) -> dict[str, int | bool]:
    """Every verbatim analysed exactly once; tasks and invites exactly as the inputs imply."""
    from sqlalchemy import create_engine, text

    q = {
        "analyses": "SELECT COUNT(*) FROM analyses",
        "analysed_verbatims": "SELECT COUNT(DISTINCT verbatim_id) FROM analyses",
        "tasks": "SELECT COUNT(*) FROM recovery_tasks",
        "task_links": "SELECT COUNT(*) FROM recovery_task_verbatims",
        "expected_task_links": "SELECT COUNT(*) FROM verbatims v JOIN responses r ON r.id = v.response_id "
                               "JOIN analyses a ON a.verbatim_id = v.id WHERE r.score <= 6 OR a.churn_risk",
        "expected_tasks": "SELECT COUNT(DISTINCT v.contact_id) FROM verbatims v JOIN responses r ON r.id = v.response_id "
                          "JOIN analyses a ON a.verbatim_id = v.id WHERE r.score <= 6 OR a.churn_risk",
        "invites": "SELECT COUNT(*) FROM advocacy_invites",
        # the shared ask budget allows one ask per contact per 30 days: a second invite would be a duplicate
        "contacts_with_two_invites": "SELECT COUNT(*) FROM (SELECT contact_id FROM advocacy_invites "
                                     "GROUP BY contact_id HAVING COUNT(*) > 1) x",
    }
    with create_engine(db_url).connect() as conn:
        counts = {k: int(conn.execute(text(sql)).scalar() or 0) for k, sql in q.items()}
    counts["exactly_once"] = counts["analyses"] == counts["analysed_verbatims"] == n
    counts["tasks_as_implied"] = (counts["task_links"] == counts["expected_task_links"]
                                  and counts["tasks"] == counts["expected_tasks"])
    counts["invites_once"] = counts["contacts_with_two_invites"] == 0
    return counts


def raw_encode_rate(comments: list[str]) -> float:
    """Texts per second of the bare sentence-transformer on the same texts (no cache, one process)."""
    from nlp.engine import Engine, EngineSettings

    engine = Engine.load(EngineSettings())
    model = engine.encoder.model
    model.encode(comments[:64], batch_size=32)
    started = time.perf_counter()
    model.encode(comments, batch_size=32)
    return len(comments) / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=10_000)
    args = parser.parse_args()
    comments = texts(args.n)
    rates = {}
    for workers in (1, 2):
        db = fresh_database("feedloop_bench_backlog")
        env = env_for(db)
        flush_redis()
        feedloop(env, "db", "upgrade")
        load(db, comments)
        queued = enqueue_all(env)
        seconds = drain(db, env, workers, args.n)
        rates[workers] = args.n / seconds
        counts = check_once(db, args.n)
        print(f"{workers} worker(s): {args.n} verbatims in {seconds:.1f} s = {rates[workers]:.1f}/s; "
              f"sweep: {queued}; {counts}")
    raw = raw_encode_rate(comments[:2000])
    result = {"machine": machine(), "n": args.n, "per_s_1_worker": rates[1], "per_s_2_workers": rates[2],
              "scaling_2_over_1": rates[2] / rates[1], "raw_encode_per_s": raw,
              "share_of_raw_1_worker": rates[1] / raw, "share_of_raw_2_workers": rates[2] / raw}
    print(f"scaling 2/1 workers: {result['scaling_2_over_1']:.2f}; raw encode {raw:.1f}/s in one process; "
          f"1 worker reaches {result['share_of_raw_1_worker']:.2f} of it, 2 workers "
          f"{result['share_of_raw_2_workers']:.2f}")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
