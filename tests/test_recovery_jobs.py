"""Recovery jobs: escalation of overdue tasks, the daily digest, the follow-up survey linking back, metrics."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from survey.database import utcnow
from survey.models import OutboxEmail, RecoveryTask, Response, TaskEvent
from survey.services.recovery_mail import csms_due_a_digest, digest_key
from survey.services.recovery_metrics import parse_period, recovery_metrics
from tests.factories import make_account, make_contact, make_survey, make_user
from tests.test_recovery_queue import make_task, signed_in
from workers import enqueue, recovery_jobs


def test_overdue_high_priority_task_is_escalated_once_to_the_admins(app: Flask, db_session: Session,
                                                                      run_worker: Any,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """The periodic check emails every admin about an overdue high-priority task, exactly once."""
    monkeypatch.setitem(app.config, "DIGEST_HOUR", 24)  # no digests today: this test counts escalation emails
    csm = make_user(db_session, role="csm", name="Jordan Lee")
    make_user(db_session, role="admin", email="avery@example.com", name="Avery Admin")
    big = make_account(db_session, owner=csm, arr=400_000, name="Kestrel Robotics")
    small = make_account(db_session, owner=csm, arr=5_000)
    high = make_task(db_session, account=big, contact=make_contact(db_session, big), score=1,
                     due_in=timedelta(hours=-5))
    low = make_task(db_session, account=small, contact=make_contact(db_session, small), score=6,
                    due_in=timedelta(hours=-5))
    contacted = make_task(db_session, account=make_account(db_session, owner=csm, arr=400_000), contact=None,
                          score=0, due_in=timedelta(hours=-5))
    contacted.first_contacted_at = utcnow() - timedelta(days=2)
    db_session.commit()
    assert high.priority == "high" and low.priority == "low"
    enqueue.enqueue_recovery_check()
    run_worker()
    enqueue.enqueue_recovery_check()  # the next sweep's check finds nothing new
    run_worker()
    db_session.expire_all()
    [email] = db_session.scalars(select(OutboxEmail)).all()
    assert email.to_email == "avery@example.com" and email.status == "sent"
    assert email.subject == "Escalation: Kestrel Robotics (high priority) is overdue 5h"
    assert f"/recovery/{high.id}" in email.text_body and "Jordan Lee" in email.html_body
    assert db_session.get(RecoveryTask, high.id).escalated_at is not None
    assert db_session.get(RecoveryTask, low.id).escalated_at is None
    assert db_session.get(RecoveryTask, contacted.id).escalated_at is None
    event = db_session.scalar(select(TaskEvent).where(TaskEvent.kind == "escalated"))
    assert event.task_id == high.id and "Avery Admin" in event.body


def test_daily_digest_goes_to_each_csm_once_a_day(app: Flask, db_session: Session, run_worker: Any) -> None:
    """On weekdays after the digest hour each CSM with tasks gets one digest; the same day never twice."""
    casey = make_user(db_session, role="csm", email="casey@example.com", name="Casey Morgan")
    make_user(db_session, role="csm", email="idle@example.com")  # nothing to report: no email
    account = make_account(db_session, owner=casey, name="Brightlane Health")
    make_task(db_session, account=account, contact=make_contact(db_session, account), due_in=timedelta(hours=-2))
    db_session.commit()
    monday_9 = datetime(2025, 6, 2, 9, 0)
    assert len(csms_due_a_digest(db_session, monday_9, digest_hour=8)) == 2
    assert csms_due_a_digest(db_session, monday_9.replace(hour=7), digest_hour=8) == []
    assert csms_due_a_digest(db_session, datetime(2025, 6, 7, 9, 0), digest_hour=8) == []  # Saturday
    today = utcnow().date().isoformat()
    for user_id in csms_due_a_digest(db_session, monday_9, digest_hour=8):
        enqueue.enqueue_digest(user_id, today)
    run_worker()
    assert recovery_jobs.send_digest(casey.id, today) == {"user_id": casey.id, "skipped": "already sent"}
    db_session.expire_all()
    [email] = db_session.scalars(select(OutboxEmail)).all()
    assert email.to_email == "casey@example.com" and email.event_key == digest_key(casey.id, utcnow().date())
    assert email.subject == "Your recovery queue: 1 open, 1 overdue" and email.status == "sent"
    assert "Brightlane Health" in email.html_body and "/recovery/" in email.text_body


def test_follow_up_survey_is_sent_after_resolution_and_its_score_links_back(
        app: Flask, client: Any, db_session: Session, run_worker: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Resolving schedules a survey N days later; the job sends it; the customer's one-click score links to the task."""
    monkeypatch.setitem(app.config, "FOLLOWUP_DAYS", 0)  # "30 days later" is now, so the check finds it due
    monkeypatch.setitem(app.config, "DIGEST_HOUR", 24)
    csm = make_user(db_session, role="csm", email="casey@example.com")
    make_survey(db_session, key="rq-nps", name="Relationship NPS", product_name="Pipewise")
    account = make_account(db_session, owner=csm, name="Meridian Cloud")
    contact = make_contact(db_session, account, name="Grace Bennett", email="grace@meridian.example")
    task = make_task(db_session, account=account, contact=contact, score=4)
    db_session.commit()
    csrf = signed_in(client, "casey@example.com")
    client.post(f"/recovery/{task.id}/close", data={"status": "resolved", "outcome_code": "fixed"}, headers=csrf)
    enqueue.enqueue_recovery_check()
    run_worker()
    db_session.expire_all()
    task = db_session.get(RecoveryTask, task.id)
    email = db_session.get(OutboxEmail, task.followup_email_id)
    assert email is not None and email.to_email == "grace@meridian.example" and email.status == "sent"
    assert email.event_key == f"recovery-followup:{task.id}" and email.survey.public_key == "rq-nps"
    link = re.search(r'href="([^"]+/r/[^"/]+/9)"', email.html_body).group(1)
    client.get(urlsplit(link).path)  # Grace clicks 9 in the email
    enqueue.enqueue_recovery_check()
    run_worker()
    db_session.expire_all()
    task = db_session.get(RecoveryTask, task.id)
    response = db_session.get(Response, task.followup_response_id)
    assert response is not None and response.score == 9 and response.outbox_email_id == email.id
    answered = db_session.scalar(select(TaskEvent).where(TaskEvent.kind == "followup_answered"))
    assert answered.body == "Follow-up answer: 9 (promoter), won back"
    page = client.get(f"/recovery/{task.id}").get_data(as_text=True)
    assert "won back" in page
    metrics = recovery_metrics(db_session, parse_period("30", None, None, utcnow().date()), utcnow())
    assert metrics.overall.recovery_rate == 1.0 and metrics.overall.followups_answered == 1
    # A second check neither sends a second survey nor links twice.
    enqueue.enqueue_recovery_check()
    run_worker()
    assert db_session.scalar(select(func.count(OutboxEmail.id)).where(OutboxEmail.survey_id.is_not(None))) == 1


def test_follow_up_is_skipped_for_an_unsubscribed_contact(app: Flask, db_session: Session,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """No survey goes to someone who unsubscribed; the timeline says why and nothing stays scheduled."""
    csm = make_user(db_session, role="csm")
    make_survey(db_session, key="rq-nps")
    account = make_account(db_session, owner=csm)
    contact = make_contact(db_session, account)
    task = make_task(db_session, account=account, contact=contact, score=4)
    task.status, task.open_key, task.resolved_at = "resolved", None, utcnow()
    task.followup_due_at = utcnow() - timedelta(minutes=1)
    contact.unsubscribed = True
    db_session.commit()
    result = recovery_jobs.send_followup(task.id)
    assert result["skipped"] == "the contact unsubscribed"
    db_session.expire_all()
    assert db_session.get(RecoveryTask, task.id).followup_due_at is None
    assert db_session.scalar(select(func.count(OutboxEmail.id))) == 0


def test_metrics_by_csm_and_root_cause(client: Any, db_session: Session) -> None:
    """Time to first contact, time to resolution and recovery rate per CSM and root cause, on a page with charts."""
    casey = make_user(db_session, role="csm", email="casey@example.com", name="Casey Morgan")
    jordan = make_user(db_session, role="csm", email="jordan@example.com", name="Jordan Lee")
    survey = make_survey(db_session, key="rq-nps")
    now = utcnow()
    for owner, contact_hours, followup_score, cause in ((casey, 2, 9, "performance"), (casey, 4, 8, "performance"),
                                                        (jordan, 30, 3, "pricing_value"), (jordan, 50, None, "pricing_value")):
        account = make_account(db_session, owner=owner)
        contact = make_contact(db_session, account)
        task = make_task(db_session, account=account, contact=contact, score=3, text="Too slow and too pricey.",
                         causes=((cause, "Too slow"),))
        task.created_at = now - timedelta(days=20)
        task.first_contacted_at = task.created_at + timedelta(hours=contact_hours)
        task.status, task.open_key, task.outcome_code = "resolved", None, "fixed"
        task.resolved_at = task.created_at + timedelta(days=4)
        if followup_score is not None:
            response = Response(survey_id=survey.id, contact_id=contact.id, score=followup_score, answered_at=now)
            db_session.add(response)
            db_session.flush()
            task.followup_response_id = response.id
    db_session.commit()
    metrics = recovery_metrics(db_session, parse_period("30", None, None, now.date()), now)
    by_csm = {s.label: s for s in metrics.by_csm}
    assert by_csm["Casey Morgan"].recovery_rate == 1.0 and by_csm["Casey Morgan"].median_first_contact_hours == 3.0
    assert by_csm["Jordan Lee"].recovery_rate == 0.0 and by_csm["Jordan Lee"].awaiting_followup == 1
    assert by_csm["Jordan Lee"].median_resolution_days == 4.0
    by_cause = {s.key: s for s in metrics.by_cause}
    assert by_cause["performance"].recovery_rate == 1.0 and by_cause["pricing_value"].followups_answered == 1
    assert metrics.overall.recovery_rate == pytest.approx(2 / 3)
    signed_in(client, "casey@example.com")
    html = client.get("/recovery/metrics?period=30").get_data(as_text=True)
    assert "Recovery rate" in html and "67%" in html and 'data-chart="chart-recovery-csm"' in html
    assert "Jordan Lee" in html and "Pricing value" in html
    assert client.get("/recovery/metrics?start=2025-06-30&end=2025-06-01").status_code == 400
    fragment = client.get("/recovery/metrics?period=365", headers={"HX-Request": "true", "HX-Target": "metrics-results"})
    assert "<html" not in fragment.get_data(as_text=True)
