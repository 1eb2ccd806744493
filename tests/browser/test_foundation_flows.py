"""A CSM's first steps in a real browser: signing in and finding an analysed detractor in the queue."""

from __future__ import annotations

from typing import Any

from tests.factories import make_account, make_contact, make_survey, make_user

pytestmark = [__import__("pytest").mark.browser]


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
    quote = page.locator("blockquote").first.inner_text()
    assert "Dashboards" in quote and "to load and exports time out" in quote
