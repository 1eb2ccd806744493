"""A CSM's recovery flow in a real browser: claim from the queue, note, reply, resolve, all without a reload."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from survey.models import OutboxEmail, RecoveryTask, TaskEvent
from tests.factories import make_account, make_contact, make_survey, make_user

pytestmark = [pytest.mark.browser]


def test_csm_claims_notes_replies_and_resolves(live_server: str, page: Any, db_session: Any, run_worker: Any,
                                               client: Any) -> None:
    """Casey claims an unassigned detractor in place, adds a note, sends the drafted reply and resolves it."""
    casey = make_user(db_session, role="csm", email="casey@example.com", name="Casey Morgan")
    account = make_account(db_session, owner=None, name="Copperleaf Analytics", arr=140_000)
    contact = make_contact(db_session, account, name="Robin Diaz", email="robin@copperleaf.example")
    make_survey(db_session, key="flow-nps", product_name="Pipewise")
    db_session.commit()
    client.post("/s/flow-nps/responses", json={
        "score": 2, "email": contact.email,
        "comment": "Dashboards take forever to load and exports time out. Support was friendly though."})
    run_worker()
    task = db_session.scalar(select(RecoveryTask))
    assert task is not None and task.owner_id is None

    page.goto(f"{live_server}/login")
    page.get_by_label("Email").fill("casey@example.com")
    page.get_by_label("Password").fill("password123")
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"{live_server}/recovery?scope=unassigned")
    page.evaluate("window.__sameDocument = true")  # survives only if nothing reloads the page
    row = page.locator(f"#task-row-{task.id}")
    row.get_by_role("button", name="Claim Copperleaf Analytics").click()
    page.get_by_role("status").filter(has_text="You claimed Copperleaf Analytics.").wait_for()
    assert row.get_by_text("You", exact=True).is_visible()
    assert page.evaluate("window.__sameDocument") is True

    row.get_by_role("link", name="Copperleaf Analytics").click()
    page.wait_for_url(f"**/recovery/{task.id}")
    assert page.locator("blockquote").first.inner_text().startswith("Dashboards take forever")
    page.evaluate("window.__sameDocument = true")
    page.get_by_label("Add a note").fill("Called Robin: exports fail above 5,000 rows. Engineering is on it.")
    page.get_by_role("button", name="Add note").click()
    page.get_by_text("Note added to the timeline.").wait_for()
    assert page.locator(".timeline").get_by_text("exports fail above 5,000 rows").is_visible()

    body = page.get_by_label("Message")
    assert "Hi Robin," in body.input_value() and "Dashboards take forever to load" in body.input_value()
    body.fill(body.input_value().replace("[what you are doing]", "we are fixing exports this week"))
    page.get_by_role("button", name="Send reply").click()
    page.get_by_text("Reply to robin@copperleaf.example is on its way.").wait_for()
    assert page.locator(".timeline").get_by_text("Email “Your feedback on Pipewise”").is_visible()

    page.get_by_label("Issue fixed").check()
    page.get_by_label("What happened").fill("Export limit raised to 100k rows.")
    page.get_by_role("button", name="Resolve", exact=True).click()
    page.get_by_text("A follow-up survey goes to the customer on").wait_for()
    assert page.locator(".task-badges").get_by_text("Resolved").is_visible()
    assert page.evaluate("window.__sameDocument") is True

    db_session.expire_all()
    task = db_session.get(RecoveryTask, task.id)
    assert task.owner_id == casey.id and task.status == "resolved" and task.followup_due_at is not None
    kinds = [e.kind for e in db_session.scalars(select(TaskEvent).where(TaskEvent.task_id == task.id)
                                                 .order_by(TaskEvent.id))]
    assert kinds == ["opened", "claimed", "note", "reply", "resolved"]
    email = db_session.scalar(select(OutboxEmail))
    assert "we are fixing exports this week" in email.text_body
