"""The demo's recovery history: each demo CSM gets a believable queue, and the metrics page has something to show."""

from __future__ import annotations

import re
from collections import Counter
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from survey import demo
from survey.models import Analysis, RecoveryTask, TaskEvent, User, Verbatim
from survey.models.actions import OPEN_TASK_STATUSES
from survey.services.actions import act_on_verbatim
from survey.services.recovery import is_overdue
from survey.services.recovery_demo import seed_recovery_demo
from survey.services.recovery_metrics import parse_period, recovery_metrics

NOW = datetime(2025, 6, 2, 12, 0)
# A stand-in reading of each demo verbatim, so this test needs no model: keyword -> root cause.
KEYWORDS = {"slow": "performance", "sync": "integrations", "salesforce": "integrations", "price": "pricing_value",
            "expensive": "pricing_value", "support": "support_service", "bug": "reliability_bugs",
            "onboarding": "onboarding_training", "permission": "security_compliance", "docs": "documentation"}
CHURN = re.compile(r"evaluating|clari|gong|not renew|moving to|cancel|looking at", re.I)


def _read(verbatim: Verbatim) -> Analysis:
    text = verbatim.text
    categories = []
    for word, key in KEYWORDS.items():
        at = text.lower().find(word)
        if at >= 0 and key not in [c["key"] for c in categories]:
            categories.append({"key": key, "confidence": 0.8, "polarity": "negative",
                               "evidence": {"start": at, "end": at + len(word), "text": text[at:at + len(word)]}})
    churn = CHURN.search(text)
    return Analysis(verbatim_id=verbatim.id, model_version="demo-test", sentiment="negative", categories=categories,
                    category_keys=[c["key"] for c in categories], churn_risk=churn is not None,
                    evidence={"churn": [{"start": churn.start(), "end": churn.end(), "text": churn.group()}]
                              if churn else [], "praise": []})


@pytest.fixture
def worked_demo(db_session: Session) -> Session:
    """The demo seeded, every verbatim read and acted on (tasks opened), then the recovery history seeded."""
    result = demo.seed(db_session, now=NOW)
    assert result is not None
    for verbatim in db_session.scalars(select(Verbatim).order_by(Verbatim.id)):
        db_session.add(_read(verbatim))
        verbatim.analysis_status = "done"
        db_session.flush()
        act_on_verbatim(db_session, verbatim, sla_days={"high": 1, "medium": 3, "low": 5}, high_arr=100_000)
    seed_recovery_demo(db_session, now=NOW)
    db_session.commit()
    return db_session


def test_each_demo_csm_gets_a_realistic_queue(worked_demo: Session) -> None:
    """Casey and Jordan each have open tasks in several states with their own notes; some are overdue."""
    session = worked_demo
    for email in ("csm@example.com", "csm2@example.com"):
        csm = session.scalar(select(User).where(User.email == email))
        tasks = session.scalars(select(RecoveryTask).where(RecoveryTask.owner_id == csm.id)).all()
        open_tasks = [t for t in tasks if t.status in OPEN_TASK_STATUSES]
        assert len(open_tasks) >= 4, email
        assert len({t.status for t in open_tasks}) >= 2, email  # open, contacted, in progress
        assert sum(t.status == "resolved" for t in tasks) >= 8, email
        kinds = Counter(session.scalars(select(TaskEvent.kind).where(TaskEvent.actor_id == csm.id)))
        assert kinds["note"] and kinds["claimed"] and kinds["reply"] and kinds["resolved"], email
    open_tasks = session.scalars(select(RecoveryTask).where(RecoveryTask.status.in_(OPEN_TASK_STATUSES))).all()
    assert sum(is_overdue(t, NOW) for t in open_tasks) >= 2
    assert any(t.owner_id is None for t in open_tasks)  # the unassigned pool is not empty
    assert all(t.open_key for t in open_tasks)
    assert len({t.open_key for t in open_tasks}) == len(open_tasks)
    closed = session.scalars(select(RecoveryTask).where(RecoveryTask.status.not_in(OPEN_TASK_STATUSES))).all()
    assert all(t.open_key is None and t.resolved_at and t.resolved_at <= NOW for t in closed)
    assert all(e.at <= NOW for e in session.scalars(select(TaskEvent)))


def test_demo_history_feeds_the_metrics_page(worked_demo: Session) -> None:
    """Resolved tasks carry follow-up scores, so recovery rate, speed and root causes have numbers per CSM."""
    metrics = recovery_metrics(worked_demo, parse_period("180", None, None, NOW.date()), NOW)
    by_csm = {s.label: s for s in metrics.by_csm}
    for name in ("Casey Morgan", "Jordan Lee"):
        stats = by_csm[name]
        assert stats.recovery_rate is not None and stats.followups_answered >= 3, name
        assert stats.median_first_contact_hours is not None and stats.median_resolution_days is not None
    assert by_csm["Casey Morgan"].median_first_contact_hours < by_csm["Jordan Lee"].median_first_contact_hours
    assert len([s for s in metrics.by_cause if s.key != "unclassified"]) >= 3


def test_seeding_twice_changes_nothing(worked_demo: Session) -> None:
    """A second run finds worked tasks and leaves them alone."""
    before = worked_demo.scalar(select(func.count(TaskEvent.id)))
    tasks = worked_demo.scalar(select(func.count(RecoveryTask.id)))
    seed_recovery_demo(worked_demo, now=NOW)
    assert worked_demo.scalar(select(func.count(TaskEvent.id))) == before
    assert worked_demo.scalar(select(func.count(RecoveryTask.id))) == tasks


def test_demo_queue_page_for_casey(worked_demo: Session, client: Any) -> None:
    """csm@example.com signs in with the demo password and sees a queue with rows."""
    response = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', response.get_data(as_text=True)).group(1)
    client.post("/login", data={"email": "csm@example.com", "password": demo.DEMO_PASSWORD, "csrf_token": token})
    html = client.get("/recovery").get_data(as_text=True)
    assert len(re.findall(r'id="task-row-\d+"', html)) >= 4


def test_demo_history_waits_for_the_analysis_then_seeds(app: Any, db_session: Session) -> None:
    """The queued demo job re-schedules itself while verbatims are pending, and seeds once they are done."""
    from workers import recovery_jobs
    from workers.queues import get_queue

    assert demo.seed(db_session, now=NOW) is not None
    db_session.commit()
    result = recovery_jobs.seed_recovery_demo_when_ready()
    assert result["waiting_for"] > 0
    assert "seed-recovery-demo-1" in get_queue("default").scheduled_job_registry.get_job_ids()
    for verbatim in db_session.scalars(select(Verbatim).order_by(Verbatim.id)):
        db_session.add(_read(verbatim))
        verbatim.analysis_status = "done"
        db_session.flush()
        act_on_verbatim(db_session, verbatim, sla_days={"high": 1, "medium": 3, "low": 5}, high_arr=100_000)
    db_session.commit()
    assert recovery_jobs.seed_recovery_demo_when_ready(1) == {"seeded": True, "still_pending": 0}
    assert db_session.scalar(select(func.count(TaskEvent.id)).where(TaskEvent.kind == "resolved")) > 5
