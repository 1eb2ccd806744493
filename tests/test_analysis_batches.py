"""Backlogs are analysed in batches: a job per batch, disjoint claims across workers, few writes per batch."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event, func, select, text

from nlp.types import VerbatimInput
from survey.models import Analysis, HumanLabel, Verbatim, VerbatimEmbedding
from survey.services.analysis import claim_batch, record_analyses
from tests.analysis_helpers import analysed_counts
from workers.enqueue import enqueue_analysis_many
from workers.queues import get_queue
from workers.sweeper import sweep_once


@pytest.fixture
def batch_of_four(app: Flask) -> Iterator[None]:
    app.config["NLP_BATCH_SIZE"] = 4
    yield
    app.config["NLP_BATCH_SIZE"] = 32


def _pending(db_session: Any, n: int) -> list[int]:
    verbatims = [Verbatim(text=f"Exports to Excel time out, again ({i}).", source="note") for i in range(n)]
    db_session.add_all(verbatims)
    db_session.commit()
    return [v.id for v in verbatims]


def test_a_swept_backlog_gets_a_job_per_batch_and_every_verbatim_once(
    app: Flask, db_session: Any, run_worker: Any, batch_of_four: None
) -> None:
    """18 pending verbatims, batches of 4: the sweep queues 5 jobs, not 18, and all 18 are analysed once."""
    _pending(db_session, 18)
    counts = sweep_once(app)
    assert counts["analysis_pending"] == 18 and counts["analysis_enqueued"] == 5
    with app.app_context():
        assert get_queue("nlp").count == 5
    run_worker()
    assert analysed_counts(db_session) == (18, 18, 18)


def test_one_job_reaches_the_whole_backlog(
    app: Flask, db_session: Any, run_worker: Any, batch_of_four: None
) -> None:
    """A job that claims a full batch queues the next round, so nothing waits for the sweeper."""
    ids = _pending(db_session, 11)
    with app.app_context():
        assert enqueue_analysis_many(ids[:3]) == 1  # the first batch only
    run_worker()
    assert analysed_counts(db_session) == (11, 11, 11)


def test_workers_claiming_at_once_take_disjoint_full_batches(app: Flask, db_session: Any) -> None:
    """A second claimer skips the rows the first is claiming instead of waiting for them and getting none."""
    if db_session.get_bind().dialect.name != "postgresql":
        pytest.skip("row locks: SQLite lets one writer in at a time, so its claims never overlap")
    ids = _pending(db_session, 12)
    first = claim_batch(db_session, ids[0], limit=4)  # not committed: its row locks are held
    claimed: dict[str, Any] = {}

    def second_worker() -> None:
        with app.app_context():
            session = app.extensions["feedloop_db"][1]()
            try:
                session.execute(text("SET LOCAL lock_timeout = '3s'"))  # waiting would be the bug
                claimed["ids"] = [v.id for v in claim_batch(session, ids[6], limit=4)]
                session.commit()
            except Exception as exc:  # surfaced by the assertion below
                claimed["error"] = exc
                session.rollback()
            finally:
                session.close()

    thread = threading.Thread(target=second_worker)
    thread.start()
    thread.join(timeout=20)
    db_session.commit()
    assert "error" not in claimed, claimed.get("error")
    assert [v.id for v in first] == ids[:4]
    assert claimed["ids"] == [ids[4], ids[5], ids[6], ids[7]]


def test_recording_a_batch_is_a_few_statements_and_idempotent(
    app: Flask, db_session: Any, nlp_engine: Any
) -> None:
    """A batch's results cost a fixed handful of statements; recording them again writes nothing new."""
    ids = _pending(db_session, 6)
    db_session.add(HumanLabel(verbatim_id=ids[2], field="sentiment", value="positive"))
    db_session.commit()
    verbatims = claim_batch(db_session, ids[0], limit=6)
    inputs = [VerbatimInput(text=v.text, channel="email_to_csm") for v in verbatims]
    results = list(nlp_engine.analyze(inputs))
    pairs = list(zip(verbatims, results, strict=True))
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    engine = db_session.get_bind()
    event.listen(engine, "before_cursor_execute", count)
    try:
        written = record_analyses(db_session, pairs, embedding_model="all-MiniLM-L6-v2")
        db_session.commit()
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert sorted(written) == ids
    # existing analyses, embeddings, INSERT analyses, INSERT embeddings, labels, the label's UPDATE, UPDATE
    # verbatims (one each, batched) and the webhook check: not seven per verbatim. SQLite's INSERT … RETURNING
    # of several rows gives no order guarantee, so SQLAlchemy inserts analyses there one by one (in-process).
    per_row = 0 if engine.dialect.name == "postgresql" else len(verbatims)
    assert len(statements) <= 8 + per_row, "\n".join(s[:90] for s in statements)
    # the person outranks the model
    assert db_session.get(Analysis, written[ids[2]].id).sentiment == "positive"
    again = record_analyses(db_session, pairs, embedding_model="all-MiniLM-L6-v2")
    db_session.commit()
    assert again == {}
    assert db_session.scalar(select(func.count(Analysis.id))) == 6
    assert db_session.scalar(select(func.count(VerbatimEmbedding.verbatim_id))) == 6
    assert analysed_counts(db_session) == (6, 6, 6)


@pytest.fixture
def analyses_rejected(app: Flask, db_session: Any) -> Iterator[None]:
    """A real database failure after the claim: a trigger refuses every analysis row."""
    engine = db_session.get_bind()
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("CREATE FUNCTION test_reject_analysis() RETURNS trigger LANGUAGE plpgsql AS "
                              "$$ BEGIN RAISE EXCEPTION 'analyses are refused today'; END $$"))
            conn.execute(text("CREATE TRIGGER test_reject_analysis BEFORE INSERT ON analyses "
                              "FOR EACH ROW EXECUTE FUNCTION test_reject_analysis()"))
        else:
            conn.execute(text("CREATE TRIGGER test_reject_analysis BEFORE INSERT ON analyses "
                              "BEGIN SELECT RAISE(ABORT, 'analyses are refused today'); END"))
    yield
    db_session.rollback()  # the test's open transaction would hold a lock the DROP waits for
    with engine.begin() as conn:
        conn.execute(text("DROP TRIGGER test_reject_analysis" +
                          (" ON analyses" if conn.dialect.name == "postgresql" else "")))
        if conn.dialect.name == "postgresql":
            conn.execute(text("DROP FUNCTION test_reject_analysis()"))


def test_a_batch_that_always_fails_counts_attempts_instead_of_looping(
    app: Flask, db_session: Any, nlp_engine: Any, analyses_rejected: None, batch_of_four: None
) -> None:
    """Each failure is an attempt: the next round does not grab the same verbatims again at once."""
    from webapp.extensions import get_redis
    from workers.queues import all_queues
    from workers.worker import FeedloopWorker

    ids = _pending(db_session, 10)
    with app.app_context():
        assert enqueue_analysis_many(ids) == 3
        worker = FeedloopWorker(all_queues(), connection=get_redis(app), app=app)
    worker.work(burst=True, max_jobs=40)  # a loop would use all 40
    assert worker.failed_job_count + worker.successful_job_count <= 3
    db_session.expire_all()
    rows = db_session.scalars(select(Verbatim).order_by(Verbatim.id)).all()
    assert {(v.analysis_status, v.analysis_attempts) for v in rows} == {("pending", 1)}
    assert all("analyses are refused today" in (v.analysis_error or "") for v in rows)
    assert db_session.scalar(select(func.count(Analysis.id))) == 0


def test_a_batch_ends_failed_after_the_last_attempt(
    app: Flask, db_session: Any, nlp_engine: Any, run_worker: Any, analyses_rejected: None
) -> None:
    """Retries: the job's own backoff, then the sweeper; after the last attempt the verbatims stay failed."""
    ids = _pending(db_session, 2)
    app.config["ANALYSIS_MAX_ATTEMPTS"] = 2
    try:
        with app.app_context():
            assert enqueue_analysis_many(ids) == 1
        run_worker()  # attempt 1 of both; RQ schedules the job's retry 1 s later (the tests' backoff)
        time.sleep(1.2)
        run_worker(with_scheduler=True)  # the retry takes its own verbatim only: attempt 2, the last
        db_session.expire_all()
        assert [(v.analysis_status, v.analysis_attempts) for v in
                db_session.scalars(select(Verbatim).order_by(Verbatim.id))] == [("failed", 2), ("pending", 1)]
        with app.app_context():
            assert sweep_once(app, pending_after=0)["analysis_enqueued"] == 1  # the other one's retry
        run_worker()
    finally:
        app.config["ANALYSIS_MAX_ATTEMPTS"] = 5
    db_session.expire_all()
    rows = db_session.scalars(select(Verbatim).order_by(Verbatim.id)).all()
    assert {(v.analysis_status, v.analysis_attempts) for v in rows} == {("failed", 2)}
    assert all("analyses are refused today" in (v.analysis_error or "") for v in rows)
    with app.app_context():
        assert sweep_once(app, pending_after=0)["analysis_pending"] == 0
