"""A person's first steps, in a real browser: answering the hosted survey, signing in, seeing the queue."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from survey.models import Response, Verbatim
from tests.factories import make_account, make_contact, make_survey, make_user

pytestmark = [__import__("pytest").mark.browser]


def test_hosted_survey_works_without_javascript(live_server: str, page_no_js: Any, db_session: Any) -> None:
    """With JavaScript off, a customer picks a score, writes a comment and reaches the thank-you page."""
    make_survey(db_session, key="browser-nps")
    db_session.commit()
    page = page_no_js
    page.goto(f"{live_server}/s/browser-nps")
    page.get_by_text("9", exact=True).click()
    page.get_by_label("What is the main reason for your answer?").fill("Support is <b>great</b>")
    page.get_by_role("button", name="Send").click()
    page.wait_for_url("**/s/browser-nps/thanks")
    assert page.get_by_role("heading", name="Thank you!").is_visible()
    db_session.expire_all()
    response = db_session.scalar(select(Response))
    assert response.score == 9 and response.channel == "link"
    assert db_session.scalar(select(Verbatim.text)) == "Support is <b>great</b>"


def test_csm_signs_in_and_sees_the_task_in_the_queue(live_server: str, page: Any, db_session: Any,
                                                       run_worker: Any, client: Any) -> None:
    """A detractor's answer shows up, analysed, in the signed-in CSM's recovery queue."""
    csm = make_user(db_session, role="csm", email="casey@example.com", name="Casey Morgan")
    account = make_account(db_session, owner=csm, name="Northwind Traders")
    contact = make_contact(db_session, account, name="Robin Diaz")
    make_survey(db_session, key="browser-nps")
    db_session.commit()
    client.post("/s/browser-nps/responses", json={
        "score": 2, "email": contact.email, "comment": "Dashboards take forever to load and exports time out."})
    run_worker()
    page.goto(f"{live_server}/login")
    page.get_by_label("Email").fill("casey@example.com")
    page.get_by_label("Password").fill("password123")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("link", name="Recovery").first.click()
    page.get_by_role("link", name="Northwind Traders").click()
    assert page.get_by_text("Robin Diaz").first.is_visible()
    assert page.locator("blockquote").first.inner_text().startswith("Dashboards take forever")
