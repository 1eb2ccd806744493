"""Insights at scale: a PostgreSQL history of 1,000,000 analysed verbatims over 2 years and 5,000 accounts, then
the server time of the insights page for common filter combinations and semantic search.

    .venv/bin/python bench/insights.py                    # generate (minutes) and measure
    .venv/bin/python bench/insights.py --reuse            # measure an already generated history again
    .venv/bin/python bench/insights.py --verbatims 100000 # a smaller history

Rows are written with COPY. Texts come from templates about each taxonomy category; their embeddings are the
real model's embeddings of 2,400 distinct template texts, each copied with Gaussian noise (encoding a million texts
is not what this measures). The read model and the vector index are then built by the product's own code
(`insights_facts.rebuild`, `search.build_index`), and requests go through the Flask app in-process, signed in
as the product user: what is timed is the server's work for a request, without network.

Figures are medians of repeated requests; ratios are against baselines measured in the same run: a trivial page
(GET /login) for the page timings, an exact scan of every embedding for vector search (with the recall of the
approximate index against it), and OFFSET pagination for deep pages.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/feedloop_bench"
PLANS = [("Starter", "SMB", 3_000, 15_000, 0.5), ("Growth", "Mid-market", 15_000, 90_000, 0.35),
         ("Enterprise", "Enterprise", 90_000, 600_000, 0.15)]
SOURCES = [("survey", 0.8), ("support_ticket", 0.1), ("email", 0.05), ("review", 0.05)]
PHRASES = {
    "performance": ["reports take forever to load", "the dashboard freezes when filtering", "export to excel times out",
                    "sync is painfully slow", "the forecast page takes a minute to open", "search is sluggish"],
    "reliability_bugs": ["the app crashed twice this week", "data in the pipeline view is wrong", "we lost edits after an error",
                         "the integration keeps failing silently", "duplicate records appear after import"],
    "usability": ["too many clicks to update a deal", "the new navigation is confusing", "hard to find the settings",
                  "the editor is clunky", "it took my team weeks to learn"],
    "missing_features": ["we need a dark mode", "please add custom fields to reports", "no way to bulk edit contacts",
                         "we miss a mobile approval flow", "we need scheduled exports"],
    "pricing_value": ["the price increase is hard to justify", "too expensive for a small team", "billing charged us twice",
                      "seats cost far too much", "the enterprise tier is not worth it"],
    "support_service": ["support answered within minutes", "our ticket waited a week", "the support agent was brilliant",
                        "nobody replies to our emails", "support solved it the same day"],
    "onboarding_training": ["onboarding was smooth", "the training videos helped a lot", "setup took far too long",
                            "the implementation team was great", "we needed more training sessions"],
    "documentation": ["the API docs are outdated", "help articles are excellent", "the setup guide is missing steps"],
    "integrations": ["the Salesforce sync breaks", "love the Slack alerts", "we need a HubSpot connector",
                     "the webhook retries are unreliable", "the Outlook add-in keeps logging out"],
    "account_relationship": ["our CSM is fantastic", "the renewal terms changed without notice", "sales over-promised",
                             "our account manager never calls back"],
    "security_compliance": ["SSO with Okta was easy", "we need SCIM provisioning", "audit logs are missing",
                            "the permissions model is too coarse"],
}
POSITIVE = {"support answered within minutes", "the support agent was brilliant", "support solved it the same day",
            "onboarding was smooth", "the training videos helped a lot", "the implementation team was great",
            "help articles are excellent", "love the Slack alerts", "our CSM is fantastic", "SSO with Okta was easy"}
OPENERS = ["", "Honestly, ", "Overall fine, but ", "To be frank, ", "Again: ", "Since the last release ", "Lately "]
CLOSERS = ["", ".", " - please fix.", ", otherwise we are happy.", ". Thanks!", ", which hurts our team.", "."]
N_BASES = 2400


# ---------------------------------------------------------------- generation


def _create_database(url: str, fresh: bool) -> None:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    target = make_url(url)
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        exists = conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :d"), {"d": target.database})
        if exists and fresh:
            conn.execute(text(f'DROP DATABASE "{target.database}" WITH (FORCE)'))
            exists = False
        if not exists:
            conn.execute(text(f'CREATE DATABASE "{target.database}"'))
    admin.dispose()


def _bases(rng: random.Random) -> list[tuple[str, list[tuple[str, str]], str]]:
    """Distinct template texts with their categories (and polarity) and overall sentiment."""
    keys = list(PHRASES)
    out = []
    seen: set[str] = set()
    while len(out) < N_BASES:
        first = rng.choice(keys)
        cats = [first] if rng.random() < 0.65 else [first, rng.choice([k for k in keys if k != first])]
        phrases = [rng.choice(PHRASES[k]) for k in cats]
        text = rng.choice(OPENERS) + " and ".join(phrases) + rng.choice(CLOSERS)
        text = text[0].upper() + text[1:]
        if text in seen:
            continue
        seen.add(text)
        pol = [("positive" if p in POSITIVE else "negative") for p in phrases]
        sentiment = pol[0] if len(set(pol)) == 1 else "mixed"
        out.append((text, list(zip(cats, pol, strict=True)), sentiment))
    return out


def _copy(conn: Any, table: str, columns: list[str], rows: Any, binary_types: list[str] | None = None) -> int:
    """COPY rows into a table (binary format when types are given)."""
    n = 0
    with conn.cursor() as cur:
        fmt = " (FORMAT BINARY)" if binary_types else ""
        with cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN{fmt}") as copy:
            if binary_types:
                copy.set_types(binary_types)
            for row in rows:
                copy.write_row(row)
                n += 1
    return n


def _required(metadata: Any, table: str, provided: list[str]) -> dict[str, Any]:
    """Values for NOT NULL columns this bench does not set (other areas' columns), from the models' defaults."""
    out: dict[str, Any] = {}
    for column in metadata.tables[table].columns:
        if column.name in provided or column.nullable or column.primary_key or column.server_default is not None:
            continue
        default = column.default
        value: Any = None
        if default is not None and default.is_scalar:
            value = default.arg
        elif default is not None and default.is_callable:
            try:
                value = default.arg(None)
            except TypeError:
                value = default.arg()
        if isinstance(value, (list, dict)):
            value = json.dumps(value)
        if value is None:
            raise SystemExit(f"{table}.{column.name} is NOT NULL without a default: teach the bench about it")
        out[column.name] = value
    return out


def generate(url: str, n_verbatims: int, n_accounts: int, years: int, seed: int) -> dict[str, float]:
    """Fill the bench database; returns how long each step took."""
    from alembic import command
    from sqlalchemy import text

    from nlp.encoder import Encoder
    from survey.database import Base
    from survey.services import insights_facts, search
    from webapp import create_app
    from webapp.extensions import db
    from webapp.migrate import alembic_config

    timings: dict[str, float] = {}
    rng = random.Random(seed)
    nrng = np.random.default_rng(seed)
    _create_database(url, fresh=True)
    app = _app(url)
    command.upgrade(alembic_config(app), "heads")
    metadata = Base.metadata
    started = time.perf_counter()
    bases = _bases(rng)
    encoder = Encoder.load(None)
    base_vectors = np.asarray(encoder.embed([b[0] for b in bases]), dtype=np.float32)
    timings["embed 2,400 base texts"] = time.perf_counter() - started

    now = datetime(2026, 11, 1)
    first = now - timedelta(days=365 * years)
    span = (now - first).total_seconds()
    engine = db.get_engine(app)
    raw = engine.raw_connection()
    conn = raw.driver_connection
    t0 = time.perf_counter()
    from survey.services.users import hash_password
    from nlp.taxonomy import Taxonomy

    pw = hash_password("bench1234")
    users = [("product@example.com", "Pat Product", "product")] + [
        (f"csm{i}@example.com", f"Csm Owner{i}", "csm") for i in range(20)]
    extra = _required(metadata, "users", ["email", "name", "password_hash", "role"])
    _copy(conn, "users", ["email", "name", "password_hash", "role", *extra],
          ([e, n, pw, r, *extra.values()] for e, n, r in users))
    extra = _required(metadata, "categories", ["key", "name", "description", "seed_examples"])
    _copy(conn, "categories", ["key", "name", "description", "seed_examples", *extra],
          ([c.key, c.name, c.description, json.dumps(c.seed_examples), *extra.values()]
           for c in Taxonomy.default().categories))
    surveys = [("bench-rnps", "Relationship NPS", "nps"), ("bench-tnps", "Support NPS", "nps"),
               ("bench-csat", "Onboarding CSAT", "csat")]
    extra = _required(metadata, "surveys", ["public_key", "name", "kind", "question"])
    _copy(conn, "surveys", ["public_key", "name", "kind", "question", *extra],
          ([k, n, kind, "How likely are you to recommend us?", *extra.values()] for k, n, kind in surveys))
    extra = _required(metadata, "accounts", ["name", "domain", "plan", "arr", "segment", "owner_id"])
    plans = []
    for i in range(n_accounts):
        r = rng.random()
        for plan in PLANS:
            if r < plan[4]:
                break
            r -= plan[4]
        plans.append(plan)
    _copy(conn, "accounts", ["name", "domain", "plan", "arr", "segment", "owner_id", *extra],
          ([f"Account {i:05d} Ltd", f"account{i}.example", p[0], rng.randint(p[2], p[3]), p[1], 2 + i % 20,
            *extra.values()] for i, p in enumerate(plans)))
    per_account = 5
    extra = _required(metadata, "contacts", ["account_id", "name", "email"])
    _copy(conn, "contacts", ["account_id", "name", "email", *extra],
          ([1 + i // per_account, f"Contact {i}", f"contact{i}@account{i // per_account}.example", *extra.values()]
           for i in range(n_accounts * per_account)))
    raw.commit()
    timings["users, categories, surveys, accounts, contacts"] = time.perf_counter() - t0

    # every verbatim: time (uniform with a slow upward trend), account, contact, source, base text
    t0 = time.perf_counter()
    stamps = np.sort(first.timestamp() + span * np.sqrt(nrng.random(n_verbatims)))  # more feedback lately
    accounts = nrng.integers(1, n_accounts + 1, n_verbatims)
    contacts = (accounts - 1) * per_account + nrng.integers(1, per_account + 1, n_verbatims)
    base_idx = nrng.integers(0, N_BASES, n_verbatims)
    source_roll = nrng.random(n_verbatims)
    sources = np.where(source_roll < 0.8, 0, np.where(source_roll < 0.9, 1, np.where(source_roll < 0.95, 2, 3)))
    is_survey = sources == 0
    survey_ids = np.where(nrng.random(n_verbatims) < 0.7, 1, np.where(nrng.random(n_verbatims) < 0.7, 2, 3))
    negative = np.array([b[2] in ("negative", "mixed") for b in bases])[base_idx]
    nps_scores = np.where(negative, nrng.choice([0, 1, 2, 3, 4, 5, 6, 7, 8], n_verbatims,
                                                p=[.04, .04, .06, .08, .1, .14, .2, .2, .14]),
                          nrng.choice([6, 7, 8, 9, 10], n_verbatims, p=[.05, .1, .2, .3, .35]))
    scores = np.where(survey_ids == 3, np.clip(np.round(nps_scores / 2.5), 1, 5).astype(int), nps_scores)

    response_rows = []
    response_of = np.zeros(n_verbatims, dtype=np.int64)
    rid = 0
    for i in np.flatnonzero(is_survey):
        rid += 1
        response_of[i] = rid
    extra_r = _required(metadata, "responses", ["survey_id", "contact_id", "account_id", "score", "channel",
                                                "answered_at"])

    def responses() -> Any:
        for i in np.flatnonzero(is_survey):
            yield [int(survey_ids[i]), int(contacts[i]), int(accounts[i]), int(scores[i]), "email",
                   datetime.fromtimestamp(float(stamps[i])), *extra_r.values()]

    _copy(conn, "responses", ["survey_id", "contact_id", "account_id", "score", "channel", "answered_at", *extra_r],
          responses())
    del response_rows
    source_names = [s for s, _ in SOURCES]
    extra_v = _required(metadata, "verbatims", ["text", "source", "external_id", "response_id", "contact_id",
                                                "account_id", "created_at", "analysis_status", "analyzed_at",
                                                "action_status"])

    def verbatims() -> Any:
        for i in range(n_verbatims):
            when = datetime.fromtimestamp(float(stamps[i]))
            src = source_names[sources[i]]
            yield [bases[base_idx[i]][0], src, None if src == "survey" else f"{src}-{i}",
                   int(response_of[i]) if is_survey[i] else None, int(contacts[i]), int(accounts[i]), when, "done",
                   when, "done", *extra_v.values()]

    _copy(conn, "verbatims", ["text", "source", "external_id", "response_id", "contact_id", "account_id",
                              "created_at", "analysis_status", "analyzed_at", "action_status", *extra_v], verbatims())
    raw.commit()
    timings["responses and verbatims (COPY, full-text trigger)"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    extra_a = _required(metadata, "analyses", ["verbatim_id", "model_version", "created_at", "sentiment",
                                               "sentiment_confidence", "praise", "praise_targets", "churn_risk",
                                               "categories", "category_keys"])
    base_cats = [json.dumps([{"key": k, "confidence": 0.9, "polarity": p, "evidence": None} for k, p in b[1]])
                 for b in bases]
    base_keys = [json.dumps([k for k, _ in b[1]]) for b in bases]
    churn = nrng.random(n_verbatims) < 0.03

    def analyses() -> Any:
        for i in range(n_verbatims):
            b = bases[base_idx[i]]
            praise = b[2] == "positive"
            yield [i + 1, "bench-model", datetime.fromtimestamp(float(stamps[i])), b[2], 0.9, praise,
                   '["product"]' if praise else "[]", bool(churn[i]) and b[2] != "positive", base_cats[base_idx[i]],
                   base_keys[base_idx[i]], *extra_a.values()]

    _copy(conn, "analyses", ["verbatim_id", "model_version", "created_at", "sentiment", "sentiment_confidence",
                             "praise", "praise_targets", "churn_risk", "categories", "category_keys", *extra_a],
          analyses())
    raw.commit()
    timings["analyses (COPY)"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    chunk = 50_000
    with conn.cursor() as cur, cur.copy("COPY verbatim_embeddings (verbatim_id, model, dim, vector) FROM STDIN "
                                        "(FORMAT BINARY)") as copy:
        copy.set_types(["int4", "varchar", "int4", "bytea"])
        for start in range(0, n_verbatims, chunk):
            stop = min(start + chunk, n_verbatims)
            vecs = base_vectors[base_idx[start:stop]] + nrng.normal(0, 0.02, (stop - start, 384)).astype(np.float32)
            vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
            blobs = vecs.astype("<f4")
            for j in range(stop - start):
                copy.write_row([start + j + 1, "all-MiniLM-L6-v2", 384, blobs[j].tobytes()])
    raw.commit()
    timings["embeddings (COPY, 1.5 KB each)"] = time.perf_counter() - t0
    raw.close()

    with app.app_context():
        session = db.session
        t0 = time.perf_counter()
        insights_facts.rebuild(session, chunk=10_000)
        session.commit()
        timings["read model: insights_facts.rebuild"] = time.perf_counter() - t0
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
            c.execute(text("VACUUM ANALYZE"))
        t0 = time.perf_counter()
        search.build_index(session, search.index_path(app))
        session.commit()
        timings["vector index: search.build_index (usearch HNSW, i8)"] = time.perf_counter() - t0
    return timings


# ---------------------------------------------------------------- measuring


def _app(url: str) -> Any:
    from webapp import create_app

    instance = Path(os.environ.get("FEEDLOOP_BENCH_INSTANCE", "/tmp/feedloop-bench-instance"))
    instance.mkdir(parents=True, exist_ok=True)
    return create_app({"DATABASE_URL": url, "INSTANCE_PATH": str(instance), "SECRET_KEY": "bench",
                       "WTF_CSRF_ENABLED": False, "LOGIN_RATE_LIMIT": "100000 per minute",
                       "REDIS_URL": os.environ.get("FEEDLOOP_REDIS_URL", "redis://127.0.0.1:6379/14")})


def _median_ms(fn: Any, repeat: int) -> tuple[float, Any]:
    fn()  # warm: caches, the mapped index, the query encoder
    times = []
    result = None
    for _ in range(repeat):
        t = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times), result


def measure(url: str, repeat: int) -> list[tuple[str, str, float, float]]:
    """(group, scenario, median ms, ratio to its baseline) for every scenario."""
    from sqlalchemy import func, select, text

    from survey.models import Account, InsightFact, VerbatimEmbedding
    from survey.services import insights, search
    from webapp.extensions import db

    app = _app(url)
    client = app.test_client()
    resp = client.post("/login", data={"email": "product@example.com", "password": "bench1234"})
    assert resp.status_code == 303, resp.status_code
    out: list[tuple[str, str, float, float]] = []

    def get(path: str, **headers: str) -> Any:
        r = client.get(path, headers=headers)
        r.get_data()  # streamed bodies (CSV) are produced while being read
        assert r.status_code == 200, (path, r.status_code, r.get_data(as_text=True)[:300])
        return r

    base_ms, _ = _median_ms(lambda: get("/login"), repeat)
    out.append(("baseline", "GET /login (a trivial page)", base_ms, 1.0))
    with app.app_context():
        session = db.session
        newest = session.scalar(select(func.max(InsightFact.created_at)))
        big_account = session.scalar(select(InsightFact.account_id).group_by(InsightFact.account_id)
                                     .order_by(func.count().desc()).limit(1))
        old = session.execute(select(InsightFact.created_at, InsightFact.verbatim_id).where(
            InsightFact.has_text.is_(True), InsightFact.created_at < newest - timedelta(days=600))
            .order_by(InsightFact.created_at.desc(), InsightFact.verbatim_id.desc()).limit(1)).one()
        total_facts = session.scalar(select(func.count(InsightFact.id)).where(InsightFact.has_text.is_(True)))
    d90 = (newest - timedelta(days=90)).date().isoformat()
    d365 = (newest - timedelta(days=365)).date().isoformat()
    cursor = insights.encode_cursor(old.created_at, old.verbatim_id)
    pages = [
        ("all feedback, newest first", "/insights"),
        ("last 90 days", f"/insights?from={d90}"),
        ("detractors, last 90 days", f"/insights?from={d90}&bucket=detractor"),
        ("category performance, Enterprise plan", "/insights?category=performance&plan=Enterprise"),
        ("SMB segment, negative, last year", f"/insights?segment=SMB&sentiment=negative&from={d365}"),
        ("ARR 100k-250k, detractors, pricing", "/insights?arr=100k-250k&bucket=detractor&category=pricing_value"),
        ("one account", f"/insights?account={big_account}"),
        ("churn risks, support tickets", "/insights?flag=churn_risk&channel=support_ticket"),
        ("page 600 days deep (keyset cursor)", f"/insights?after={cursor}"),
    ]
    for name, path in pages:
        ms, _ = _median_ms(lambda p=path: get(p), repeat)
        out.append(("filters", name, ms, ms / base_ms))
    ms, _ = _median_ms(lambda: get(f"/insights?from={d90}&bucket=detractor", **{
        "HX-Request": "true", "HX-Target": "insight-results"}), repeat)
    out.append(("filters", "detractors, last 90 days (htmx fragment)", ms, ms / base_ms))
    searches = [
        ("“export to excel times out”", "/insights?q=export+to+excel+times+out"),
        ("“export to excel times out”, detractors, last 90 days",
         f"/insights?q=export+to+excel+times+out&bucket=detractor&from={d90}"),
        ("“our CSM never calls back”, one account", f"/insights?q=our+CSM+never+calls+back&account={big_account}"),
        ("more like this (verbatim 123456)", f"/insights?like={min(123456, total_facts)}"),
    ]
    for name, path in searches:
        ms, _ = _median_ms(lambda p=path: get(p), repeat)
        out.append(("semantic search", name, ms, ms / base_ms))
    ms, _ = _median_ms(lambda: get(f"/insights/trends?from={d365}&period=week"), max(3, repeat // 3))
    out.append(("charts", "trends and drivers, last year weekly", ms, ms / base_ms))
    ms, _ = _median_ms(lambda: get("/insights/trends?period=month"), max(3, repeat // 3))
    out.append(("charts", "trends and drivers, 2 years monthly", ms, ms / base_ms))
    ms, _ = _median_ms(lambda: get(f"/insights/export.csv?from={d90}&bucket=detractor&plan=Enterprise"), 3)
    out.append(("export", "CSV, Enterprise detractors last 90 days", ms, ms / base_ms))

    # Vector search against an exact scan of every embedding: speed and recall@50 of the index.
    with app.app_context():
        session = db.session
        qv = search.query_encoder.embed(app, "export to excel times out")
        loaded = search.index_cache.get(search.index_path(app))
        assert loaded is not None
        index, _meta = loaded
        ann_ms, ann = _median_ms(lambda: index.search(qv, 50), repeat)

        def exact() -> list[int]:
            best: list[tuple[float, int]] = []
            last = 0
            while True:
                rows = session.execute(select(VerbatimEmbedding.verbatim_id, VerbatimEmbedding.vector)
                                       .where(VerbatimEmbedding.verbatim_id > last)
                                       .order_by(VerbatimEmbedding.verbatim_id).limit(100_000)).all()
                if not rows:
                    break
                sims = search._vectors([r[1] for r in rows]) @ qv
                top = np.argpartition(-sims, 50)[:50]
                best += [(float(sims[i]), rows[i][0]) for i in top]
                last = rows[-1][0]
            return [vid for _, vid in sorted(best, reverse=True)[:50]]

        exact_ms, truth = _median_ms(exact, 1)
        recall = len({int(k) for k in ann.keys} & set(truth)) / 50
        out.append(("vector index", f"exact scan of every embedding ({len(index):,})", exact_ms, 1.0))
        out.append(("vector index", f"usearch top-50 (recall@50 {recall:.2f} vs exact)", ann_ms, ann_ms / exact_ms))
        off_ms, _ = _median_ms(lambda: session.execute(text(
            "SELECT verbatim_id FROM insight_facts WHERE has_text ORDER BY created_at DESC, verbatim_id DESC "
            "OFFSET :o LIMIT 50"), {"o": total_facts * 3 // 4}).all(), 3)
        key_ms, _ = _median_ms(lambda: insights.feedback_page(session, insights.InsightFilters(), cursor), repeat)
        out.append(("deep pages", f"OFFSET {total_facts * 3 // 4:,} LIMIT 50", off_ms, 1.0))
        out.append(("deep pages", "keyset cursor, same depth (query and rows)", key_ms, key_ms / off_ms))
        accounts = session.scalar(select(func.count(Account.id)))
    print(f"history: {total_facts:,} verbatims, {accounts:,} accounts", file=sys.stderr)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--url", default=os.environ.get("FEEDLOOP_BENCH_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--verbatims", type=int, default=1_000_000)
    parser.add_argument("--accounts", type=int, default=5_000)
    parser.add_argument("--years", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--seed", type=int, default=6)
    parser.add_argument("--reuse", action="store_true", help="measure the history already in the database")
    args = parser.parse_args()
    if "/test" in args.url.rsplit("?", 1)[0][-5:]:
        raise SystemExit("refusing to use the test database: the test suite resets it")
    if not args.reuse:
        started = time.perf_counter()
        timings = generate(args.url, args.verbatims, args.accounts, args.years, args.seed)
        print(f"\nGenerated {args.verbatims:,} verbatims in {time.perf_counter() - started:.0f} s:")
        for step, seconds in timings.items():
            print(f"  {step:<55} {seconds:8.1f} s")
    results = measure(args.url, args.repeat)
    print(f"\nServer time per request, median of {args.repeat} (ratios against the group's baseline):")
    group = None
    for grp, name, ms, ratio in results:
        if grp != group:
            print(f"  {grp}")
            group = grp
        print(f"    {name:<62} {ms:9.1f} ms  {ratio:7.2f}x" if ms >= 1 else f"    {name:<62} {ms:9.3f} ms  {ratio:7.4f}x")


if __name__ == "__main__":
    main()
