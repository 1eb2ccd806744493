"""The walking skeleton end to end: HTTP answer in, real worker, analysis and follow-up out."""

from __future__ import annotations

import time
from typing import Any

from flask import Flask
from sqlalchemy import func, select

from survey.models import AdvocacyInvite, Analysis, RecoveryTask, RecoveryTaskVerbatim, Response, Verbatim
from tests.factories import make_account, make_contact, make_survey, make_user
from webapp import create_app
from workers import jobs


def _setup_customer(db_session: Any, consent: bool = False) -> tuple[Any, Any, Any]:
    csm = make_user(db_session, role="csm", name="Casey Morgan")
    account = make_account(db_session, owner=csm, arr=120_000)
    contact = make_contact(db_session, account, marketing_consent=consent)
    make_survey(db_session, key="loop-nps")
    db_session.commit()
    return csm, account, contact


def test_detractor_answer_becomes_analysed_recovery_task(client: Any, db_session: Any, run_worker: Any) -> None:
    """A detractor's HTTP answer is analysed by a real worker and lands in the owner's recovery queue."""
    csm, account, contact = _setup_customer(db_session)
    resp = client.post("/s/loop-nps/responses", json={
        "score": 2, "email": contact.email, "submission_id": "sub-det-1",
        "comment": "The Salesforce sync breaks every week and nobody tells us. We are evaluating other vendors.",
    })
    assert resp.status_code == 201, resp.get_json()
    response_id = resp.get_json()["response_id"]
    assert run_worker()
    db_session.expire_all()
    verbatim = db_session.scalar(select(Verbatim).where(Verbatim.response_id == response_id))
    assert verbatim.analysis_status == "done"
    assert verbatim.action_status == "done"
    analysis = db_session.scalar(select(Analysis).where(Analysis.verbatim_id == verbatim.id))
    assert analysis is not None and analysis.sentiment in ("negative", "mixed")
    task = db_session.scalar(select(RecoveryTask))
    assert task.owner_id == csm.id and task.account_id == account.id and task.contact_id == contact.id
    assert task.status == "open" and task.reason == "detractor" and task.score == 2


def test_promoter_with_praise_and_consent_gets_invite_draft(client: Any, db_session: Any, run_worker: Any) -> None:
    """A consenting promoter who praises gets a drafted advocacy invite quoting their words."""
    _csm, _account, contact = _setup_customer(db_session, consent=True)
    comment = "Fantastic product. The dashboards saved our team hours every week and support is excellent."
    resp = client.post("/s/loop-nps/responses", json={"score": 10, "email": contact.email, "comment": comment})
    assert resp.status_code == 201
    run_worker()
    db_session.expire_all()
    invite = db_session.scalar(select(AdvocacyInvite))
    assert invite is not None and invite.status == "drafted" and invite.contact_id == contact.id
    assert "dashboards saved our team hours" in invite.body
    assert db_session.scalar(select(func.count(RecoveryTask.id))) == 0


def test_promoter_without_consent_gets_no_invite(client: Any, db_session: Any, run_worker: Any) -> None:
    """Marketing consent is required before any ask is drafted."""
    _csm, _account, contact = _setup_customer(db_session, consent=False)
    client.post("/s/loop-nps/responses", json={"score": 10, "email": contact.email,
                                                "comment": "Fantastic product, the dashboards are excellent."})
    run_worker()
    assert db_session.scalar(select(func.count(AdvocacyInvite.id))) == 0


def test_duplicate_submission_id_stores_one_response(client: Any, db_session: Any) -> None:
    """A network retry or double click with the same submission id counts once."""
    make_survey(db_session, key="dup-nps")
    db_session.commit()
    body = {"score": 7, "comment": "Pretty good overall", "submission_id": "abc-123"}
    first = client.post("/s/dup-nps/responses", json=body)
    second = client.post("/s/dup-nps/responses", json=body)
    assert first.status_code == 201 and second.status_code == 200
    assert first.get_json()["response_id"] == second.get_json()["response_id"]
    assert db_session.scalar(select(func.count(Response.id))) == 1
    assert db_session.scalar(select(func.count(Verbatim.id))) == 1


def test_redis_down_at_submit_still_accepts_and_sweeper_completes(
    app: Flask, app_config: dict[str, Any], client: Any, db_session: Any, run_worker: Any
) -> None:
    """With Redis unreachable the answer is stored and acknowledged; the sweeper later finishes the loop."""
    _csm, _account, contact = _setup_customer(db_session)
    no_redis = create_app({**app_config, "REDIS_URL": "redis://127.0.0.1:1/0"})
    started = time.monotonic()
    resp = no_redis.test_client().post("/s/loop-nps/responses", json={
        "score": 1, "email": contact.email, "comment": "Reports are wrong and nobody answers our tickets."})
    assert resp.status_code == 201, resp.get_data(as_text=True)
    assert time.monotonic() - started < 10
    db_session.expire_all()
    verbatim = db_session.scalar(select(Verbatim))
    assert verbatim.analysis_status == "pending"
    assert run_worker() is False  # nothing was queued: Redis never heard of it

    from workers.sweeper import sweep_once

    counts = sweep_once(app)
    assert counts["analysis_enqueued"] == 1
    run_worker()
    db_session.expire_all()
    assert db_session.get(Verbatim, verbatim.id).analysis_status == "done"
    assert db_session.scalar(select(func.count(RecoveryTask.id))) == 1


def test_failing_job_is_retried_with_backoff(app: Flask, client: Any, db_session: Any, run_worker: Any) -> None:
    """A job that raises is scheduled again by RQ and succeeds once the cause is gone."""
    from rq.job import Job

    from webapp.extensions import get_redis

    make_survey(db_session, key="retry-nps")
    db_session.commit()
    app.config["NLP_BATCH_SIZE"] = 0  # a real misconfiguration: the job raises ValueError
    try:
        resp = client.post("/s/retry-nps/responses", json={"score": 8, "comment": "Solid tool, a few rough edges."})
        verbatim_id = db_session.scalar(select(Verbatim.id))
        run_worker()
        job = Job.fetch(f"analyze-verbatim-{verbatim_id}", connection=get_redis(app))
        assert job.get_status() == "scheduled" and job.retries_left == 2
    finally:
        app.config["NLP_BATCH_SIZE"] = 32
    assert resp.status_code == 201
    for _ in range(5):  # the retry interval in tests is one second; a loaded machine may need another pass
        time.sleep(1.2)
        run_worker(with_scheduler=True)
        db_session.expire_all()
        if db_session.get(Verbatim, verbatim_id).analysis_status == "done":
            break
    assert db_session.get(Verbatim, verbatim_id).analysis_status == "done"


def test_jobs_are_idempotent(app: Flask, client: Any, db_session: Any, nlp_engine: Any) -> None:
    """Running the analysis and action jobs twice, even after a forced re-run, adds one analysis and one task."""
    _csm, _account, contact = _setup_customer(db_session)
    client.post("/s/loop-nps/responses", json={"score": 3, "email": contact.email,
                                               "comment": "Too slow and too expensive for what it does."})
    verbatim_id = db_session.scalar(select(Verbatim.id))
    for _ in range(2):
        with app.app_context():
            jobs.analyze_verbatim(verbatim_id)
        with app.app_context():
            jobs.act_on_verbatim(verbatim_id)
    # A sweeper or a second worker could re-run the whole thing from the start.
    db_session.expire_all()
    verbatim = db_session.get(Verbatim, verbatim_id)
    verbatim.analysis_status, verbatim.action_status = "pending", "pending"
    db_session.commit()
    with app.app_context():
        jobs.analyze_verbatim(verbatim_id)
    with app.app_context():
        jobs.act_on_verbatim(verbatim_id)
    assert db_session.scalar(select(func.count(Analysis.id))) == 1
    assert db_session.scalar(select(func.count(RecoveryTask.id))) == 1
    assert db_session.scalar(select(func.count(RecoveryTaskVerbatim.id))) == 1


def test_second_verbatim_from_same_contact_joins_open_task(client: Any, db_session: Any, run_worker: Any) -> None:
    """One open task per contact: a new detractor answer joins it instead of opening another."""
    _csm, _account, contact = _setup_customer(db_session)
    for i, text in enumerate(["Exports keep failing.", "Still broken, and now the dashboards are slow too."]):
        client.post("/s/loop-nps/responses", json={"score": 4 - i, "email": contact.email, "comment": text})
    run_worker()
    tasks = db_session.scalars(select(RecoveryTask)).all()
    assert len(tasks) == 1
    assert db_session.scalar(select(func.count(RecoveryTaskVerbatim.id))) == 2
    assert tasks[0].score == 3


def test_api_returns_analysis_and_followups(app: Flask, client: Any, db_session: Any, run_worker: Any) -> None:
    """GET /api/v1/responses/<id> shows the analysis and the recovery task it produced."""
    from survey.services.users import create_api_token

    _setup_customer(db_session)
    _token, plain = create_api_token(db_session, "ci", "admin")
    db_session.commit()
    rid = client.post("/s/loop-nps/responses", json={"score": 0, "comment": "The product is buggy and slow; we are cancelling at renewal."}).get_json()[
        "response_id"]
    pending = client.get(f"/api/v1/responses/{rid}", headers={"Authorization": f"Bearer {plain}"}).get_json()
    assert pending["analysis_status"] == "pending" and pending["analysis"] is None
    run_worker()
    body = client.get(f"/api/v1/responses/{rid}", headers={"Authorization": f"Bearer {plain}"}).get_json()
    assert body["analysis_status"] == "done"
    assert body["analysis"]["sentiment"] in ("negative", "mixed")
    assert isinstance(body["recovery_task_id"], int)
    assert body["advocacy_invite_id"] is None


def test_api_requires_a_valid_token(client: Any, db_session: Any) -> None:
    """Anonymous or unknown-token API calls answer 401 with a reason."""
    assert client.get("/api/v1/responses/1").status_code == 401
    resp = client.get("/api/v1/responses/1", headers={"Authorization": "Bearer fl_nope"})
    assert resp.status_code == 401 and "unknown" in resp.get_json()["error"]


def test_sweep_job_reschedules_itself(app: Flask, db_session: Any) -> None:
    """The scheduled sweep queues lost work and books the next sweep, once per time slot."""
    from rq.registry import ScheduledJobRegistry

    from webapp.extensions import get_redis
    from workers.queues import get_queue

    make_survey(db_session, key="sweep-nps")
    db_session.add(Verbatim(text="Lost in a Redis outage", source="note"))
    db_session.commit()
    with app.app_context():
        counts = jobs.sweep()
        again = jobs.sweep()
        registry = ScheduledJobRegistry(queue=get_queue("default"))
        scheduled = registry.get_job_ids()
        queued_ids = get_queue("nlp").get_job_ids()
    assert counts["analysis_enqueued"] == 1 and again["analysis_enqueued"] == 1  # same live job, not a second
    assert len(queued_ids) == 1
    sweeps = [job_id for job_id in scheduled if job_id.startswith("sweep-slot-")]
    assert len(sweeps) == 1  # two sweeps in the same slot book one next sweep
    assert get_redis(app).exists(f"rq:job:{sweeps[0]}")
