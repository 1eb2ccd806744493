"""Script in customers' comments never runs in any staff page (real browser)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from survey.models import RecoveryTask, Verbatim
from tests.factories import make_account, make_contact, make_survey, make_user

pytestmark = [pytest.mark.browser]
PAYLOADS = [
    "<script>window.__xss=1;alert(1)</script> the export is broken",
    "<img src=x onerror=\"window.__xss=2;alert(2)\"> Maya was brilliant",
    "\"><svg onload=alert(3)> we will cancel at renewal",
    "javascript:alert(4) <a href=\"javascript:alert(5)\">click</a> dashboards are slow",
    "{{7*7}} ${alert(6)} <iframe srcdoc=\"<script>parent.__xss=3</script>\"></iframe> great support",
]


def test_script_in_comments_never_executes(live_server: str, page: Any, client: Any, db_session: Any,
                                           run_worker: Any) -> None:
    """Payloads in verbatims render as text on the queue, task, feedback and advocacy pages."""
    make_user(db_session, role="admin", email="root@example.com")
    csm = make_user(db_session, role="csm")
    account = make_account(db_session, owner=csm)
    make_survey(db_session, key="xss-nps")
    db_session.commit()
    for i, payload in enumerate(PAYLOADS):
        contact = make_contact(db_session, account, marketing_consent=True)
        db_session.commit()
        client.post("/s/xss-nps/responses", json={"score": (1, 10)[i % 2], "email": contact.email, "comment": payload})
    run_worker()
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(f"{live_server}/login")
    page.get_by_label("Email").fill("root@example.com")
    page.get_by_label("Password").fill("password123")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
    db_session.expire_all()
    task_ids = db_session.scalars(select(RecoveryTask.id)).all()
    verbatim_ids = db_session.scalars(select(Verbatim.id)).all()
    paths = ["/recovery?scope=all", "/insights", "/advocacy", "/advocacy/invites"]
    paths += [f"/recovery/{t}" for t in task_ids] + [f"/insights/v/{v}" for v in verbatim_ids]
    for path in paths:
        page.goto(live_server + path)
        page.wait_for_load_state("networkidle")
        assert page.evaluate("window.__xss") is None, path
    assert dialogs == []
    # ...and the payload is shown to the CSM as the text the customer typed.
    page.goto(f"{live_server}/recovery/{task_ids[0]}")
    assert "<script>window.__xss=1;alert(1)</script>" in page.locator("main").inner_text().replace("\n", "")
