"""Faults: a worker killed mid-batch, Redis going away, the database going away, poison verbatims."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select, text

from survey.models import Analysis, RecoveryTask, Verbatim
from tests.factories import make_account, make_contact, make_survey, make_user
from webapp import create_app
from webapp.extensions import db

ROOT = Path(__file__).resolve().parent.parent


def _worker_env(app_config: dict[str, Any], **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FEEDLOOP_")}
    env.update({"FEEDLOOP_DATABASE_URL": app_config["DATABASE_URL"], "FEEDLOOP_REDIS_URL": app_config["REDIS_URL"],
                "FEEDLOOP_SECRET_KEY": "test-secret", "FEEDLOOP_INSTANCE_PATH": app_config["INSTANCE_PATH"], **extra})
    return env


def _sweeping_worker(app_config: dict[str, Any], redis_url: str, name: str, log: Any) -> subprocess.Popen[bytes]:
    """A real `feedloop worker` on this Redis that sweeps every 2 s, logging to `log`."""
    return subprocess.Popen([str(ROOT / ".venv" / "bin" / "feedloop"), "worker", "--name", name],
                            env=_worker_env(app_config, FEEDLOOP_REDIS_URL=redis_url,
                                            FEEDLOOP_SWEEP_PENDING_AFTER_SECONDS="0",
                                            FEEDLOOP_SWEEP_INTERVAL_SECONDS="2"),
                            stdout=log, stderr=subprocess.STDOUT)


def _wait_for_acted(app: Flask, count: int, seconds: float) -> bool:
    """Poll until `count` verbatims have had their follow-up, or give up after `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with db.get_engine(app).connect() as conn:
            if conn.execute(text("SELECT COUNT(*) FROM verbatims WHERE action_status = 'done'")).scalar() >= count:
                return True
        time.sleep(0.3)
    return False


@pytest.mark.slow
def test_worker_killed_mid_batch_loses_and_duplicates_nothing(
    app: Flask, app_config: dict[str, Any], client: Any, db_session: Any, run_worker: Any
) -> None:
    """SIGKILL a real worker process mid-backlog: the sweeper recovers its claims, every verbatim is analysed once."""
    csm = make_user(db_session, role="csm")
    account = make_account(db_session, owner=csm)
    contacts = [make_contact(db_session, account) for _ in range(10)]
    make_survey(db_session, key="kill-nps")
    db_session.commit()
    for i in range(80):
        contact = contacts[i % len(contacts)]
        assert client.post("/s/kill-nps/responses", json={
            "score": i % 11, "email": contact.email, "submission_id": f"kill-{i}",
            "comment": f"Answer {i}: the dashboards are slow and the export failed again, ticket {i}."}).status_code == 201
    proc = subprocess.Popen([str(ROOT / ".venv" / "bin" / "feedloop"), "worker"],
                            env=_worker_env(app_config, FEEDLOOP_NLP_BATCH_SIZE="8"),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            with db.get_engine(app).connect() as conn:
                done = conn.execute(text("SELECT COUNT(*) FROM verbatims WHERE analysis_status = 'done'")).scalar()
            if done and done >= 8:
                break
            time.sleep(0.2)
        assert done and done < 80, "the worker should be killed mid-backlog"
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    from workers.sweeper import sweep_once

    app.config["SWEEP_STALE_CLAIM_SECONDS"] = 0  # production waits for the job timeout; the test need not
    try:
        with app.app_context():
            sweep_once(app, pending_after=0)
        run_worker()
    finally:
        app.config["SWEEP_STALE_CLAIM_SECONDS"] = 600
    db_session.expire_all()
    assert db_session.scalar(select(func.count(Verbatim.id)).where(Verbatim.analysis_status == "done")) == 80
    assert db_session.scalar(select(func.count(Analysis.id))) == 80
    assert db_session.scalar(select(func.count(func.distinct(Analysis.verbatim_id)))) == 80
    open_tasks = db_session.scalars(select(RecoveryTask.contact_id)).all()
    assert len(open_tasks) == len(set(open_tasks))  # one task per contact, none duplicated


def test_redis_outage_accepts_everything_and_analyses_after(app_config: dict[str, Any], db_session: Any,
                                                            nlp_engine: Any, tmp_path: Path) -> None:
    """With its Redis stopped, the app keeps answering 201 and storing; once Redis is back all are analysed."""
    from rq import SimpleWorker  # noqa: F401  (the product's worker class is used below)

    from webapp.extensions import get_redis
    from workers import embedded_redis
    from workers.queues import all_queues
    from workers.sweeper import sweep_once
    from workers.worker import FeedloopWorker

    make_survey(db_session, key="outage-nps")
    db_session.commit()
    proc, url = embedded_redis.start(tmp_path)
    own = create_app({**app_config, "REDIS_URL": url})
    web = own.test_client()
    statuses = [web.post("/s/outage-nps/responses", json={"score": 5, "comment": f"before {i}"}).status_code
                for i in range(3)]
    proc.terminate()
    proc.wait(timeout=10)
    statuses += [web.post("/s/outage-nps/responses", json={"score": 4, "comment": f"during {i}"}).status_code
                 for i in range(5)]
    assert statuses == [201] * 8
    assert db_session.scalar(select(func.count(Verbatim.id))) == 8
    proc, url2 = embedded_redis.start(tmp_path)  # Redis is back (empty: it lost its queue)
    try:
        assert url2 == url
        with own.app_context():
            sweep_once(own, pending_after=0)
            queues = all_queues()
        FeedloopWorker(queues, connection=get_redis(own), app=own).work(burst=True)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    db_session.expire_all()
    assert db_session.scalar(select(func.count(Verbatim.id)).where(Verbatim.analysis_status == "done")) == 8


def test_database_unreachable_gives_503_with_retry_hint(app_config: dict[str, Any], db_session: Any) -> None:
    """When the database is down, requests fail with a clear 503 and Retry-After, never a 500."""
    dead = "postgresql+psycopg://postgres@127.0.0.1:1/test?connect_timeout=1"
    broken = create_app({**app_config, "DATABASE_URL": dead})
    client = broken.test_client()
    resp = client.post("/s/any/responses", json={"score": 5})
    assert resp.status_code == 503 and resp.headers["Retry-After"]
    assert "database is unavailable" in resp.get_json()["error"]
    health = client.get("/healthz")
    assert health.status_code == 503 and health.get_json()["database"]["ok"] is False


def test_a_database_outage_under_load_warns_once_not_per_request(
    app_config: dict[str, Any], caplog: Any
) -> None:
    """Every request during the outage gets its 503, but the log says so once, not thirty times."""
    import logging

    from webapp import errors

    errors.database_down.reset()
    dead = "postgresql+psycopg://postgres@127.0.0.1:1/test?connect_timeout=1"
    broken = create_app({**app_config, "DATABASE_URL": dead})
    client = broken.test_client()
    with caplog.at_level(logging.WARNING, logger="webapp.errors"):
        statuses = {client.post("/s/any/responses", json={"score": 5}).status_code for _ in range(30)}
    warnings = [r.getMessage() for r in caplog.records if r.name == "webapp.errors"]
    assert statuses == {503}
    assert len(warnings) == 1 and warnings[0].startswith("database unavailable")


def test_quiet_warning_reports_what_it_held_back(caplog: Any) -> None:
    """The first warning of the next interval carries the count of those held back."""
    import logging

    from webapp.quiet_log import QuietWarning

    quiet = QuietWarning(logging.getLogger("tests.quiet"), every_seconds=0.2)
    with caplog.at_level(logging.WARNING, logger="tests.quiet"):
        for i in range(5):
            quiet.warn("Redis unavailable, answer %s left for the sweeper", i)
        time.sleep(0.25)
        quiet.warn("Redis unavailable, answer %s left for the sweeper", 5)
    messages = [r.getMessage() for r in caplog.records if r.name == "tests.quiet"]
    assert messages == ["Redis unavailable, answer 0 left for the sweeper",
                        "Redis unavailable, answer 5 left for the sweeper (4 more since the last warning)"]


def test_app_recovers_after_database_connections_are_killed(app: Flask, client: Any, db_session: Any) -> None:
    """A database restart kills pooled connections; pool pre-ping reconnects on the next request by itself."""
    if db.get_engine(app).dialect.name != "postgresql":
        pytest.skip("connection killing is a PostgreSQL fault; SQLite has no server to restart")
    make_survey(db_session, key="restart-nps")
    db_session.commit()
    assert client.post("/s/restart-nps/responses", json={"score": 9}).status_code == 201
    with db.get_engine(app).connect() as conn:
        conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                          "WHERE datname = current_database() AND pid <> pg_backend_pid()"))
        conn.commit()
    db_session.rollback()
    assert client.post("/s/restart-nps/responses", json={"score": 8}).status_code == 201
    assert client.get("/healthz").status_code == 200


def test_worker_started_while_redis_is_down_waits_for_it(app_config: dict[str, Any], db_session: Any,
                                                          tmp_path: Path) -> None:
    """Redis down when a worker starts (it was down, or went down while the model loaded): it waits, then works."""
    from workers import embedded_redis

    make_survey(db_session, key="late-nps")
    db_session.commit()
    proc, url = embedded_redis.start(tmp_path)
    proc.terminate()
    proc.wait(timeout=10)
    own = create_app({**app_config, "REDIS_URL": url})
    assert own.test_client().post("/s/late-nps/responses", json={"score": 2, "comment": "Down."}).status_code == 201
    log = open(tmp_path / "worker.log", "w")
    worker = _sweeping_worker(app_config, url, "late", log)
    try:
        deadline = time.monotonic() + 60
        while "waiting for Redis" not in (tmp_path / "worker.log").read_text() and time.monotonic() < deadline:
            assert worker.poll() is None, (tmp_path / "worker.log").read_text()[-3000:]
            time.sleep(0.3)
        assert worker.poll() is None, "the worker died because Redis was down at start"
        proc, _ = embedded_redis.start(tmp_path)
        assert _wait_for_acted(own, 1, 90), (tmp_path / "worker.log").read_text()[-3000:]
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=30) == 0
    finally:
        if worker.poll() is None:
            worker.kill()
        log.close()
        proc.terminate()
        proc.wait(timeout=10)


POISON = {
    "megabyte": "The export is slow. " * 55_000,
    "binary": bytes(range(1, 256)).decode("latin-1") * 20,
    "emoji": "😡😡😡 🔥💩 👎👎",
    "rtl": "המוצר איטי מאוד והתמיכה לא עונה. المنتج بطيء جدا",
    "sentences": " ".join(f"Sentence number {i} is here." for i in range(4000)),
    "markup": "<script>alert('x')</script><img src=x onerror=alert(1)> DROP TABLE verbatims;--",
}


@pytest.mark.parametrize("kind", sorted(POISON))
def test_poison_verbatims_never_block_the_queue(app: Flask, db_session: Any, run_worker: Any, kind: str) -> None:
    """Each poison text is analysed or failed with a reason, and the verbatim behind it still gets analysed."""
    from workers.enqueue import enqueue_analysis

    poison = Verbatim(text=POISON[kind], source="import")
    normal = Verbatim(text="Support was quick and helpful, thank you.", source="note")
    db_session.add_all([poison, normal])
    db_session.commit()
    with app.app_context():
        enqueue_analysis(poison.id)
        enqueue_analysis(normal.id)
    run_worker()
    db_session.expire_all()
    poison_row = db_session.get(Verbatim, poison.id)
    assert poison_row.analysis_status in ("done", "failed")
    if poison_row.analysis_status == "failed":
        assert poison_row.analysis_error
    assert db_session.get(Verbatim, normal.id).analysis_status == "done"


@pytest.mark.slow
def test_worker_process_outlives_a_redis_outage(app_config: dict[str, Any], db_session: Any, tmp_path: Path) -> None:
    """A real `feedloop worker` keeps running through a Redis outage, then finishes what arrived meanwhile."""
    from workers import embedded_redis

    make_survey(db_session, key="outlive-nps")
    db_session.commit()
    proc, url = embedded_redis.start(tmp_path)
    own = create_app({**app_config, "REDIS_URL": url})
    web = own.test_client()
    log = open(tmp_path / "worker.log", "w")
    worker = _sweeping_worker(app_config, url, "outlive", log)

    try:
        assert web.post("/s/outlive-nps/responses", json={"score": 3, "comment": "Exports fail."}).status_code == 201
        assert _wait_for_acted(own, 1, 120), (tmp_path / "worker.log").read_text()[-3000:]
        proc.terminate()
        proc.wait(timeout=10)
        for i in range(2):
            assert web.post("/s/outlive-nps/responses", json={"score": 2, "comment": f"Slow {i}"}).status_code == 201
        time.sleep(3)
        assert worker.poll() is None, "the worker died with Redis"
        proc, _ = embedded_redis.start(tmp_path)  # back, and empty
        assert _wait_for_acted(own, 3, 90), (tmp_path / "worker.log").read_text()[-3000:]
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=30) == 0  # a stop request ends it, even right after a restart
    finally:
        if worker.poll() is None:
            worker.kill()
        log.close()
        proc.terminate()
        proc.wait(timeout=10)


def test_sigkilled_worker_leaves_no_scheduler_behind(app: Flask, app_config: dict[str, Any], tmp_path: Path) -> None:
    """RQ's scheduler runs in a forked child; SIGKILL on the worker must not leave it running as an orphan."""
    from workers import embedded_redis

    redis_proc, url = embedded_redis.start(tmp_path)  # its own Redis: no other scheduler holds the lock
    proc = subprocess.Popen([str(ROOT / ".venv" / "bin" / "feedloop"), "worker", "--name", "orphan-check"],
                            env=_worker_env(app_config, FEEDLOOP_REDIS_URL=url),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        children: list[int] = []
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not children:
            out = subprocess.run(["pgrep", "-P", str(proc.pid)], capture_output=True, text=True).stdout
            children = [int(p) for p in out.split()]
            time.sleep(0.3)
        assert children, "the worker should have forked its scheduler"
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    deadline = time.monotonic() + 15
    alive = children
    while time.monotonic() < deadline and alive:
        alive = [p for p in children if Path(f"/proc/{p}").exists()
                 and "Z" not in Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()[0]]
        time.sleep(0.2)
    for pid in alive:
        os.kill(pid, signal.SIGKILL)
    redis_proc.terminate()
    redis_proc.wait(timeout=10)
    assert alive == [], "the scheduler outlived its worker"
