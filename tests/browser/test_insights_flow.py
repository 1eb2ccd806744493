"""A product manager in a real browser: filter the feedback (htmx, URL kept), open a verbatim, fix its labels."""

from __future__ import annotations

from typing import Any

import pytest

from tests.insights_helpers import build_history, label

pytestmark = [pytest.mark.browser]

ANSWERS = [
    (2, "Exports to Excel time out every single time.", "Enterprise", 3),
    (9, "Support is fantastic, Maya solved our issue within an hour.", "Growth", 5),
    (1, "Billing charged us twice and nobody answers.", "Starter", 9),
]


def test_product_manager_filters_and_opens_a_verbatim(live_server: str, page: Any, client: Any, db_session: Any,
                                                       run_worker: Any) -> None:
    """Choosing "Detractors" updates the list in place and the URL; opening a row shows the verbatim; labels save."""
    data = build_history(client, db_session, run_worker, ANSWERS)
    for rid, cats in zip(data["response_ids"], (["performance"], ["support_service"], ["pricing_value"]),
                         strict=True):
        label(db_session, rid, cats, "negative")
    db_session.commit()
    page.goto(f"{live_server}/login")
    page.get_by_label("Email").fill("product@example.com")
    page.get_by_label("Password").fill("password123")
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"{live_server}/insights")
    rows = page.locator("#insight-results tbody tr")
    assert rows.count() == 3
    page.get_by_label("NPS bucket").select_option("detractor")
    page.wait_for_url("**/insights?bucket=detractor")
    page.wait_for_function("document.querySelectorAll('#insight-results tbody tr').length === 2")
    assert "Support is fantastic" not in page.locator("#insight-results").inner_text()
    assert page.get_by_label("NPS bucket").input_value() == "detractor"  # the form was not replaced
    page.locator("a.verbatim-link", has_text="Billing charged").click()
    page.wait_for_url("**/insights/v/*")
    assert page.locator("blockquote.verbatim-text").inner_text().startswith("Billing charged us twice")
    page.get_by_role("button", name="Fix labels").click()
    page.get_by_label("Support & service").check()
    page.get_by_role("button", name="Save labels").click()
    page.get_by_text("Saved").wait_for()
    assert "support service" in page.locator(".labels-cell").inner_text()
    page.go_back()
    page.wait_for_url("**/insights?bucket=detractor")
