"""One open task per contact, through the real pipeline: HTTP answers and other channels, a real worker."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from survey.models import RecoveryTask, RecoveryTaskVerbatim, TaskEvent, Verbatim
from tests.factories import make_account, make_contact, make_survey, make_user
from workers import enqueue


def _customer(db_session: Session) -> tuple[Any, Any, Any]:
    csm = make_user(db_session, role="csm", name="Casey Morgan")
    account = make_account(db_session, owner=csm, arr=150_000, name="Tidewater Payments")
    contact = make_contact(db_session, account, name="Noor Haddad")
    make_survey(db_session, key="pipe-nps")
    db_session.commit()
    return csm, account, contact


def test_new_verbatims_from_the_same_contact_join_one_task(client: Any, db_session: Session, run_worker: Any) -> None:
    """A second detractor answer and an email from the same contact join the open task instead of opening more."""
    _csm, _account, contact = _customer(db_session)
    client.post("/s/pipe-nps/responses", json={"score": 5, "email": contact.email,
                                               "comment": "Reports take ages to load every Monday morning."})
    run_worker()
    client.post("/s/pipe-nps/responses", json={"score": 2, "email": contact.email,
                                               "comment": "Still slow, and the Salesforce sync failed twice."})
    db_session.add(Verbatim(text="We are evaluating Clari because the sync keeps failing and we may not renew.",
                            source="email", contact_id=contact.id, account_id=contact.account_id,
                            external_id="EM-1"))
    db_session.commit()
    email_verbatim = db_session.scalar(select(Verbatim).where(Verbatim.source == "email"))
    enqueue.enqueue_analysis(email_verbatim.id)
    run_worker()
    db_session.expire_all()
    [task] = db_session.scalars(select(RecoveryTask)).all()
    states = [(v.id, v.source, v.analysis_status, v.action_status, v.analysis_error)
              for v in db_session.scalars(select(Verbatim).order_by(Verbatim.id))]
    assert db_session.scalar(select(func.count(RecoveryTaskVerbatim.id))) == 3, states
    assert task.score == 2  # the lowest score wins
    assert task.churn_risk is True  # the email's churn talk raised the stakes
    kinds = [e.kind for e in db_session.scalars(select(TaskEvent).where(TaskEvent.task_id == task.id)
                                                 .order_by(TaskEvent.id))]
    assert kinds == ["opened", "joined", "joined"]


def test_churn_risk_from_a_support_ticket_opens_a_task_without_a_score(db_session: Session, run_worker: Any) -> None:
    """A churn-risk verbatim from a support ticket opens a task for the account owner even with no survey score."""
    csm, account, contact = _customer(db_session)
    ticket = Verbatim(text="Third outage this month. We are cancelling our contract and moving to Gong at renewal.",
                      source="support_ticket", external_id="ZD-4711", contact_id=contact.id, account_id=account.id)
    db_session.add(ticket)
    db_session.commit()
    enqueue.enqueue_analysis(ticket.id)
    run_worker()
    db_session.expire_all()
    task = db_session.scalar(select(RecoveryTask))
    assert task is not None, db_session.scalar(select(Verbatim.analysis_status))
    assert task.reason == "churn_risk" and task.score is None and task.churn_risk
    assert task.owner_id == csm.id and task.contact_id == contact.id
    opened = db_session.scalar(select(TaskEvent).where(TaskEvent.task_id == task.id))
    assert opened.body == "Opened from a support ticket: churn risk"


def test_after_closing_a_new_verbatim_opens_a_new_task(client: Any, db_session: Session, run_worker: Any) -> None:
    """Closing frees the contact's open key, so their next complaint starts a fresh task."""
    from survey.database import utcnow
    from survey.services.recovery_workflow import close

    csm, _account, contact = _customer(db_session)
    client.post("/s/pipe-nps/responses", json={"score": 3, "email": contact.email, "comment": "Too expensive."})
    run_worker()
    db_session.expire_all()
    first = db_session.scalar(select(RecoveryTask))
    close(db_session, first, "resolved", "explained", "Walked through pricing.", csm, utcnow(), 30)
    db_session.commit()
    client.post("/s/pipe-nps/responses", json={"score": 4, "email": contact.email, "comment": "Exports time out."})
    run_worker()
    db_session.expire_all()
    tasks = db_session.scalars(select(RecoveryTask).order_by(RecoveryTask.id)).all()
    assert [t.status for t in tasks] == ["resolved", "open"]
    assert tasks[0].open_key is None and tasks[1].open_key == f"contact:{contact.id}"
