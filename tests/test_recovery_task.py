"""A task's page: analysis and account context, notes, corrections into the label store, replies, resolving."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from nlp.taxonomy import Taxonomy
from survey.database import utcnow
from survey.models import Analysis, Category, HumanLabel, OutboxEmail, RecoveryTask, Response, TaskEvent
from survey.services.learning import labelled_examples
from tests.factories import make_account, make_contact, make_survey, make_user
from tests.test_recovery_queue import make_task, signed_in

COMMENT = ("Support is great but the Salesforce sync breaks every week. "
           "We are evaluating Clari before our renewal.")


def _setup(db_session: Session) -> tuple[Any, Any, RecoveryTask]:
    for c in Taxonomy.default().categories:
        db_session.add(Category(key=c.key, name=c.name, description=c.description, seed_examples=[]))
    csm = make_user(db_session, role="csm", email="casey@example.com", name="Casey Morgan")
    account = make_account(db_session, owner=csm, name="Northwind Freight", plan="Enterprise", arr=312_000,
                           renewal_date=date.today() + timedelta(days=40))
    contact = make_contact(db_session, account, name="Robin Diaz", email="robin@northwind.example")
    colleague = make_contact(db_session, account, name="Mei Chen", title="CRO")
    survey = make_survey(db_session, key="ctx-nps")
    db_session.add(Response(survey_id=survey.id, contact_id=colleague.id, account_id=account.id, score=9,
                            answered_at=utcnow() - timedelta(days=40)))
    task = make_task(db_session, account=account, contact=contact, score=3, text=COMMENT,
                     causes=(("integrations", "the Salesforce sync breaks every week"),),
                     praise=(("support_service", "Support is great"),), churn="evaluating Clari")
    db_session.commit()
    return csm, account, task


def _panel(task_id: int, csrf: dict[str, str]) -> dict[str, str]:
    return {"HX-Request": "true", "HX-Target": "task-panel", **csrf}


def test_task_page_shows_analysis_and_account_context(client: Any, db_session: Session) -> None:
    """The verbatim with root causes, praise and churn evidence; plan, ARR, renewal, owner, people, NPS trend."""
    _csm, _account, task = _setup(db_session)
    signed_in(client, "casey@example.com")
    html = client.get(f"/recovery/{task.id}").get_data(as_text=True)
    assert '<mark class="ev ev-cause" title="Root cause: integrations">' in html
    assert 'class="ev ev-praise"' in html and 'class="ev ev-churn"' in html
    assert "Root cause</span> integrations" in html and "Praise</span> support service" in html
    assert "Enterprise" in html and "$312,000" in html and "in 40 days" in html and "Casey Morgan" in html
    assert "Mei Chen" in html and "CRO" in html  # another contact at the account, with their answer
    assert 'data-chart="trend-data"' in html and '"type": "line"' in html  # the account's NPS trend
    assert "Opened from a survey answer" in html  # the timeline


def test_note_is_added_in_place_to_the_timeline(client: Any, db_session: Session) -> None:
    """Posting a note with htmx returns the refreshed panel with the note, who wrote it and when."""
    _csm, _account, task = _setup(db_session)
    csrf = signed_in(client, "casey@example.com")
    resp = client.post(f"/recovery/{task.id}/notes", data={"note": "Called Robin, sync fix due Friday."},
                       headers=_panel(task.id, csrf))
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "<html" not in html and "HX-Request" in resp.headers["Vary"]
    assert "Called Robin, sync fix due Friday." in html and "Note added to the timeline." in html
    event = db_session.scalar(select(TaskEvent).where(TaskEvent.kind == "note"))
    assert event.actor.name == "Casey Morgan"
    empty = client.post(f"/recovery/{task.id}/notes", data={"note": "  "}, headers=_panel(task.id, csrf))
    assert "Write the note first." in empty.get_data(as_text=True)


def test_correction_is_stored_as_a_human_label_the_engine_learns_from(client: Any, db_session: Session) -> None:
    """Fixing root causes and sentiment stores recovery-context labels, updates the analysis and the training set."""
    csm, _account, task = _setup(db_session)
    verbatim_id = task.links[0].verbatim_id
    csrf = signed_in(client, "casey@example.com")
    resp = client.post(f"/recovery/{task.id}/verbatims/{verbatim_id}/correction",
                       data={"categories": ["integrations", "reliability_bugs"], "sentiment": "mixed"},
                       headers=_panel(task.id, csrf))
    assert "Correction saved" in resp.get_data(as_text=True)
    labels = db_session.scalars(select(HumanLabel).order_by(HumanLabel.id)).all()
    assert [(lb.field, lb.value, lb.context, lb.user_id) for lb in labels] == [
        ("categories", ["integrations", "reliability_bugs"], "recovery", csm.id),
        ("sentiment", "mixed", "recovery", csm.id),
    ]
    db_session.expire_all()
    analysis = db_session.scalar(select(Analysis).where(Analysis.verbatim_id == verbatim_id))
    assert analysis.category_keys == ["integrations", "reliability_bugs"] and analysis.corrected
    [example] = labelled_examples(db_session)
    assert example.categories == ["integrations", "reliability_bugs"] and example.sentiment == "mixed"
    corrected = db_session.scalar(select(TaskEvent).where(TaskEvent.kind == "corrected"))
    assert "root causes integrations, support service → integrations, reliability bugs" in corrected.body
    bad = client.post(f"/recovery/{task.id}/verbatims/{verbatim_id}/correction",
                      data={"categories": ["vibes"], "sentiment": "mixed"}, headers=_panel(task.id, csrf))
    assert "unknown categories: vibes" in bad.get_data(as_text=True)


def test_reply_quotes_the_customer_and_goes_out_through_the_email_job(client: Any, db_session: Session,
                                                                       run_worker: Any) -> None:
    """The drafted reply quotes their words and root cause; sending queues it, the worker sends it, once."""
    _csm, _account, task = _setup(db_session)
    csrf = signed_in(client, "casey@example.com")
    page = client.get(f"/recovery/{task.id}").get_data(as_text=True)
    body = re.search(r'<textarea id="reply-body" name="body"[^>]*>(.*?)</textarea>', page, re.S).group(1)
    assert "Hi Robin," in body and "the Salesforce sync breaks every week." in body
    assert "the trouble with the integration" in body and "our support team has been helpful" in body
    token = re.search(r'name="token" value="([0-9a-f]+)"', page).group(1)
    form = {"subject": "Your feedback on Acme", "body": "Hi Robin,\n\nWe are fixing the sync.\n\nCasey",
            "token": token}
    resp = client.post(f"/recovery/{task.id}/reply", data=form, headers=_panel(task.id, csrf))
    html = resp.get_data(as_text=True)
    assert "Reply to robin@northwind.example is on its way." in html and "Your feedback on Acme" in html
    client.post(f"/recovery/{task.id}/reply", data=form, headers=_panel(task.id, csrf))  # a double click
    [email] = db_session.scalars(select(OutboxEmail)).all()
    assert email.to_email == "robin@northwind.example" and email.status == "queued" and email.trigger == "manual"
    assert run_worker()
    db_session.expire_all()
    email = db_session.get(OutboxEmail, email.id)
    assert email.status == "sent" and "<p>We are fixing the sync.</p>" in email.html_body
    task = db_session.get(RecoveryTask, task.id)
    assert task.status == "contacted" and task.first_contacted_at is not None
    reply = db_session.scalar(select(TaskEvent).where(TaskEvent.kind == "reply"))
    assert reply.details["email_id"] == email.id and reply.actor.name == "Casey Morgan"
    timeline = client.get(f"/recovery/{task.id}").get_data(as_text=True)
    assert "Email “Your feedback on Acme”" in timeline and ">sent</span>" in timeline


def test_resolving_needs_an_outcome_and_schedules_the_follow_up(client: Any, db_session: Session) -> None:
    """Resolve without an outcome is refused; with one, the task closes and a follow-up is due N days later."""
    _csm, _account, task = _setup(db_session)
    csrf = signed_in(client, "casey@example.com")
    refused = client.post(f"/recovery/{task.id}/close", data={"status": "resolved"}, headers=_panel(task.id, csrf))
    assert "Choose what the outcome was." in refused.get_data(as_text=True)
    resp = client.post(f"/recovery/{task.id}/close",
                       data={"status": "resolved", "outcome_code": "fixed", "close_note": "Sync fixed in 4.2"},
                       headers=_panel(task.id, csrf))
    html = resp.get_data(as_text=True)
    assert "A follow-up survey goes to the customer on" in html and "Issue fixed" in html
    db_session.expire_all()
    task = db_session.get(RecoveryTask, task.id)
    assert task.status == "resolved" and task.outcome_code == "fixed" and task.open_key is None
    assert task.outcome == "Sync fixed in 4.2"
    assert abs((task.followup_due_at - task.resolved_at) - timedelta(days=30)) < timedelta(seconds=1)
    later = client.post(f"/recovery/{task.id}/notes", data={"note": "Robin confirmed the fix."},
                        headers=_panel(task.id, csrf))
    assert "Robin confirmed the fix." in later.get_data(as_text=True)  # notes go on after closing


def test_unresolvable_closes_without_a_follow_up(client: Any, db_session: Session) -> None:
    """Closing as unresolvable records the reason and schedules no survey; a no-JS POST redirects with 303."""
    _csm, _account, task = _setup(db_session)
    csrf = signed_in(client, "casey@example.com")
    resp = client.post(f"/recovery/{task.id}/close", data={"status": "unresolvable", "outcome_code": "churned"},
                       headers=csrf)
    assert resp.status_code == 303 and resp.headers["Location"] == f"/recovery/{task.id}"
    db_session.expire_all()
    task = db_session.get(RecoveryTask, task.id)
    assert task.status == "unresolvable" and task.followup_due_at is None and task.outcome_code == "churned"
