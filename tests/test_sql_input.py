"""SQL-looking input in searches and filters does nothing: no error, no widened result, no changed data."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from survey.models import Account, Response, Verbatim
from tests.insights_helpers import build_history, login, row_ids

CORPUS = [
    (2, "Exporting the pipeline report to Excel always times out after a minute.", "Enterprise", 2),
    (3, "Our invoices doubled after the renewal, far too expensive.", "Growth", 4),
    (10, "Onboarding was smooth and the training videos are excellent.", "Starter", 10),
]

INJECTIONS = [
    "' OR '1'='1",
    "Growth' OR '1'='1' --",
    "'; DROP TABLE verbatims; --",
    "\" OR \"\"=\"",
    "1; DELETE FROM responses",
    "%' UNION SELECT password_hash FROM users --",
    "Starter') OR 1=1 --",
    "%",
    "_",
    "\\",
]


@pytest.fixture
def corpus(app: Any, client: Any, db_session: Any, run_worker: Any) -> dict[str, Any]:
    data = build_history(client, db_session, run_worker, CORPUS)
    login(client, "product@example.com")
    return data


def _counts(db_session: Any) -> tuple[int, int, int]:
    db_session.expire_all()
    return (db_session.scalar(select(func.count(Verbatim.id))), db_session.scalar(select(func.count(Response.id))),
            db_session.scalar(select(func.count(Account.id))))


@pytest.mark.parametrize("payload", INJECTIONS)
def test_insights_filters_compare_literally(corpus: dict[str, Any], client: Any, db_session: Any,
                                            payload: str) -> None:
    """A plan, segment or category with SQL in it matches nothing instead of everything."""
    before = _counts(db_session)
    assert len(row_ids(client.get("/insights", query_string={"plan": "Growth"}).get_data(as_text=True))) == 1
    for param in ("plan", "segment", "category"):
        resp = client.get("/insights", query_string={param: payload})
        assert resp.status_code in (200, 400), (param, resp.status_code)
        if resp.status_code == 200:
            assert row_ids(resp.get_data(as_text=True)) == [], (param, payload)
    assert _counts(db_session) == before


@pytest.mark.parametrize("payload", INJECTIONS)
def test_search_text_is_only_text(corpus: dict[str, Any], client: Any, db_session: Any, payload: str) -> None:
    """Search (meaning and full text), export and the API filters take the payload as words, never as SQL."""
    before = _counts(db_session)
    resp = client.get("/insights", query_string={"q": payload})
    assert resp.status_code == 200
    assert "syntax error" not in resp.get_data(as_text=True).lower()
    resp = client.get("/insights/export.csv", query_string={"q": payload, "plan": payload})
    assert resp.status_code in (200, 400)
    if resp.status_code == 200:
        assert resp.get_data(as_text=True).count("\n") <= 1  # the header only: the plan matches nothing
    assert _counts(db_session) == before


def test_recovery_queue_filters_refuse_or_ignore_sql(corpus: dict[str, Any], client: Any, db_session: Any) -> None:
    """The CSM queue's filters answer 200 or a 4xx for every payload, and change nothing."""
    login(client, "owner@example.com")
    before = _counts(db_session)
    for payload in INJECTIONS:
        for param in ("owner", "priority", "status", "reason", "account", "q", "sort"):
            resp = client.get("/recovery", query_string={param: payload})
            assert resp.status_code in (200, 400, 404), (param, payload, resp.status_code)
    assert _counts(db_session) == before
