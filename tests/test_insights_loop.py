"""People fix labels in place (they feed learning); "we fixed it" drafts messages owners review and send."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from survey.models import FixMessage, HumanLabel, OutboxEmail
from tests.insights_helpers import build_history, label, login, row_ids, verbatim_of

ANSWERS = [
    (1, "Reports are so slow that the team stopped using them.", "Enterprise", 5),
    (3, "Dashboards take a minute to load.", "Growth", 12),
    (9, "Fast and reliable, love it.", "Starter", 8),
    (2, "Everything is slow since the last release.", "Starter", 400),
]


@pytest.fixture
def history(app: Flask, client: Any, db_session: Any, run_worker: Any) -> dict[str, Any]:
    data = build_history(client, db_session, run_worker, ANSWERS)
    data["v"] = [verbatim_of(db_session, rid).id for rid in data["response_ids"]]
    return data


def _csrf(client: Any, path: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).get_data(as_text=True)).group(1)


def test_label_fix_in_place_updates_the_list_and_feeds_learning(history: dict[str, Any], client: Any,
                                                                  db_session: Any) -> None:
    """Saving the in-place form stores human labels, returns the updated chips, and the filters follow."""
    login(client, "product@example.com")
    vid = history["v"][2]
    form = client.get(f"/insights/v/{vid}/labels", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert 'name="categories"' in form and "<html" not in form
    token = _csrf(client, "/insights")
    resp = client.post(f"/insights/v/{vid}/labels", headers={"HX-Request": "true"}, data={
        "csrf_token": token, "categories": ["performance", "reliability_bugs"], "sentiment": "positive",
        "praise": "on"})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and f'id="labels-{vid}"' in html and "Saved" in html and "corrected" in html
    labels = {lb.field: lb.value for lb in db_session.scalars(select(HumanLabel).where(HumanLabel.verbatim_id == vid))}
    assert labels["categories"] == ["performance", "reliability_bugs"] and labels.get("praise", True) is True
    assert vid in row_ids(client.get("/insights?category=reliability_bugs").get_data(as_text=True))
    page = client.get("/insights/labels").get_data(as_text=True)
    assert "reliability_bugs" in page and "Zero-shot" in page
    from survey.services.learning import labelled_examples

    [example] = labelled_examples(db_session)
    assert example.categories == ["performance", "reliability_bugs"]


def test_invalid_label_is_refused_with_the_reason(history: dict[str, Any], client: Any, db_session: Any) -> None:
    """An unknown category answers 422 with the form and its error; nothing is stored."""
    login(client, "product@example.com")
    token = _csrf(client, "/insights")
    resp = client.post(f"/insights/v/{history['v'][0]}/labels", data={"csrf_token": token,
                                                                      "categories": ["teleportation"]})
    assert resp.status_code == 422 and "unknown categories: teleportation" in resp.get_data(as_text=True)
    assert db_session.scalar(select(HumanLabel.id)) is None


def test_we_fixed_it_drafts_messages_for_owners_to_send(history: dict[str, Any], client: Any, db_session: Any,
                                                         run_worker: Any) -> None:
    """Marking a category fixed drafts one message per detractor tagged with it in the period; the owner sends."""
    for rid, cats in zip(history["response_ids"], (["performance"], ["performance"], ["performance"],
                                                   ["performance"]), strict=True):
        label(db_session, rid, cats, "negative")
    db_session.commit()
    login(client, "product@example.com")
    token = _csrf(client, "/insights/fixes")
    resp = client.post("/insights/fixes", data={
        "csrf_token": token, "category": "performance", "title": "Reports load in seconds",
        "release_note": "Reports and dashboards now load up to ten times faster.",
        "from": (date.today() - timedelta(days=90)).isoformat(), "to": date.today().isoformat()})
    assert resp.status_code == 303
    run_worker()
    db_session.expire_all()
    messages = db_session.scalars(select(FixMessage)).all()
    # detractors in the period: the first two (the promoter and the 400-day-old answer are left out)
    assert {m.verbatim_id for m in messages} == {history["v"][0], history["v"][1]}
    assert all(m.owner_id == history["owner"].id and m.status == "drafted" for m in messages)
    assert "Reports and dashboards now load" in messages[0].body and "you told us" in messages[0].body
    page = client.get("/insights/fixes").get_data(as_text=True)
    assert "Reports load in seconds" in page and "Casey Contact" not in page  # product: accounts only
    first = messages[0]
    assert client.post(f"/insights/fixes/messages/{first.id}/send", data={"csrf_token": token}).status_code == 403
    client.post("/logout", data={"csrf_token": token})
    login(client, "owner@example.com")
    page = client.get("/insights/fixes").get_data(as_text=True)
    assert "Casey Contact" in page and page.count('class="draft"') == 2
    token = _csrf(client, "/insights/fixes")
    resp = client.post(f"/insights/fixes/messages/{first.id}/send", data={
        "csrf_token": token, "subject": first.subject, "body": first.body + "\nOlivia"})
    assert resp.status_code == 303
    run_worker()
    db_session.expire_all()
    email = db_session.scalar(select(OutboxEmail).where(OutboxEmail.event_key == f"fix-message:{first.id}"))
    assert email.status == "sent" and email.text_body.endswith("Olivia")
    assert db_session.get(FixMessage, first.id).status == "sent"
