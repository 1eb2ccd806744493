"""Bad input on the public submission endpoint gets a specific 4xx, never a 500."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from survey.models import Response
from tests.factories import make_survey


@pytest.fixture
def survey(db_session: Any) -> Any:
    s = make_survey(db_session, key="val-nps")
    db_session.commit()
    return s


@pytest.mark.parametrize(
    ("body", "status", "needle"),
    [
        ({"score": 11}, 400, "0 to 10"),
        ({"score": -1}, 400, "0 to 10"),
        ({"score": 7.5}, 400, "whole number"),
        ({"score": "seven"}, 400, "whole number"),
        ({"score": True}, 400, "whole number"),
        ({"comment": "no score"}, 400, "score is required"),
        ({"score": 5, "email": "not-an-email"}, 400, "email"),
        ({"score": 5, "submission_id": "bad id with spaces"}, 400, "submission_id"),
        ({"score": 5, "comment": "x" * 100_000}, 413, "limit is"),
        ({"score": 5, "comment": ["list"]}, 400, "comment must be text"),
    ],
)
def test_bad_submissions_are_refused_with_reason(client: Any, survey: Any, db_session: Any, body: dict[str, Any],
                                                  status: int, needle: str) -> None:
    """Each invalid field is named in the error and nothing is stored."""
    resp = client.post("/s/val-nps/responses", json=body)
    assert resp.status_code == status
    assert needle in resp.get_json()["error"]
    assert db_session.scalar(select(func.count(Response.id))) == 0


def test_unknown_survey_is_404(client: Any, db_session: Any) -> None:
    """An unknown survey key says so."""
    resp = client.post("/s/nope/responses", json={"score": 5})
    assert resp.status_code == 404 and "nope" in resp.get_json()["error"]


def test_non_object_json_is_refused(client: Any, survey: Any) -> None:
    """A JSON array or malformed body is a 400, not a crash."""
    assert client.post("/s/val-nps/responses", json=[1, 2]).status_code == 400
    resp = client.post("/s/val-nps/responses", data="{oops", content_type="application/json")
    assert resp.status_code == 400


def test_closed_survey_refuses_answers(client: Any, db_session: Any) -> None:
    """A closed survey answers 409 with its state."""
    make_survey(db_session, key="closed-nps", status="closed")
    db_session.commit()
    resp = client.post("/s/closed-nps/responses", json={"score": 9})
    assert resp.status_code == 409 and "closed" in resp.get_json()["error"]


def test_form_post_without_csrf_token_is_refused(client: Any, survey: Any, db_session: Any) -> None:
    """The hosted form needs its CSRF token; the error page says how to recover."""
    resp = client.post("/s/val-nps/responses", data={"score": "9"})
    assert resp.status_code == 400 and b"security token" in resp.data
    assert db_session.scalar(select(func.count(Response.id))) == 0


def test_honeypot_field_rejects_bots(client: Any, survey: Any, db_session: Any) -> None:
    """A filled honeypot field is refused."""
    resp = client.post("/s/val-nps/responses", json={"score": 9, "website": "http://spam.example"})
    assert resp.status_code == 400
    assert db_session.scalar(select(func.count(Response.id))) == 0


def test_comment_is_escaped_on_the_error_page(client: Any, survey: Any) -> None:
    """User text echoed back into the form is escaped."""
    page = client.get("/s/val-nps")
    token = page.get_data(as_text=True).split('name="csrf_token" value="')[1].split('"')[0]
    resp = client.post("/s/val-nps/responses", data={"csrf_token": token, "score": "99",
                                                     "comment": "<script>alert(1)</script>"})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 400
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html


def test_hosted_form_submission_without_javascript(client: Any, survey: Any, db_session: Any) -> None:
    """The plain HTML form stores the answer and redirects to the thank-you page."""
    page = client.get("/s/val-nps")
    assert page.status_code == 200
    token = page.get_data(as_text=True).split('name="csrf_token" value="')[1].split('"')[0]
    resp = client.post("/s/val-nps/responses", data={"csrf_token": token, "score": "9", "comment": "Great"})
    assert resp.status_code == 303 and resp.headers["Location"].endswith("/s/val-nps/thanks")
    assert db_session.scalar(select(func.count(Response.id))) == 1
