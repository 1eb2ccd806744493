"""In a real browser: marketing approves and sends an invite in place; the customer accepts by its link."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select

from survey.models import AdvocacyInvite, OutboxEmail
from survey.services.invites import draft_invite
from tests.factories import make_account, make_contact, make_survey, make_user

pytestmark = [__import__("pytest").mark.browser]


def test_marketing_sends_an_invite_and_the_customer_accepts(
    live_server: str, page: Any, db_session: Any, run_worker: Any
) -> None:
    """Approve and Send swap the row in place; the emailed accept link confirms, records once, says thanks."""
    make_user(db_session, role="marketing", email="marketing@example.com", name="Sam Rivera")
    csm = make_user(db_session, role="csm", name="Casey Morgan")
    account = make_account(db_session, owner=csm, name="Northwind Freight")
    contact = make_contact(db_session, account, name="Robin Diaz", marketing_consent=True)
    make_survey(db_session, key="browser-nps", product_name="Pipewise")
    invite = draft_invite(db_session, contact, None, None, ask_type="case_study")
    db_session.commit()

    page.goto(f"{live_server}/login")
    page.get_by_label("Email").fill("marketing@example.com")
    page.get_by_label("Password").fill("password123")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("link", name="Advocacy").first.click()
    page.get_by_role("link", name="Invites").first.click()
    row = page.locator(f"#invite-{invite.id}")
    row.get_by_role("button", name="Approve the invite to Robin Diaz").click()
    row.get_by_text("Approved.").wait_for()
    assert page.url.endswith("/advocacy/invites")  # swapped in place, no navigation
    row.get_by_role("button", name="Send the invite to Robin Diaz").click()
    row.get_by_text(f"Sent to {contact.email}.").wait_for()

    run_worker()
    db_session.expire_all()
    email = db_session.scalar(select(OutboxEmail))
    assert email.status == "sent"
    accept_url = re.search(r"Yes, count me in: (\S+)", email.text_body).group(1)  # type: ignore[union-attr]
    customer = page.context.browser.new_context().new_page()
    customer.goto(accept_url)
    assert customer.get_by_role("heading", name="Let's tell Northwind Freight's story").is_visible()
    customer.get_by_label("A note for us").fill("Mornings are best")
    customer.get_by_role("button", name="Yes, count me in").click()
    customer.get_by_role("heading", name="Thank you, Robin!").wait_for()
    db_session.expire_all()
    accepted = db_session.get(AdvocacyInvite, invite.id)
    assert accepted.status == "accepted" and accepted.response_note == "Mornings are best"
    customer.goto(accept_url)
    assert customer.get_by_role("heading", name="You've already answered").is_visible()
    customer.context.close()

    page.goto(f"{live_server}/advocacy/invites?tab=accepted")
    assert page.locator(f"#invite-{invite.id}").get_by_text("Accepted").first.is_visible()
