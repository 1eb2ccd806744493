"""The hosted survey /s/<key>: score first, a bucket-worded follow-up, thanks; without JS and with htmx."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from survey.models import Response, Verbatim
from tests.factories import make_account, make_contact, make_survey, make_user
from tests.surveys_helpers import field, login


@pytest.fixture
def survey(db_session: Any) -> Any:
    s = make_survey(db_session, key="host-nps", product_name="Acme Analytics")
    db_session.commit()
    return s


def _start(client: Any, key: str = "host-nps", **headers: str) -> tuple[str, str, str]:
    html = client.get(f"/s/{key}", headers=headers).get_data(as_text=True)
    return html, field(html, "csrf_token"), field(html, "submission_id")


def test_score_then_comment_then_thanks_without_javascript(client: Any, survey: Any, db_session: Any) -> None:
    """Plain forms: a score button stores the answer at once, the follow-up adds a comment, then thanks."""
    html, token, sid = _start(client)
    assert 'name="score" value="0"' in html and 'name="score" value="10"' in html
    resp = client.post(
        "/s/host-nps/responses", data={"csrf_token": token, "submission_id": sid, "score": "9"}
    )
    assert resp.status_code == 303 and "/s/host-nps/c/" in resp.headers["Location"]
    assert db_session.scalar(select(Response.score)) == 9  # the score alone is already an answer
    step = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "What do you value most about Acme Analytics?" in step
    action = resp.headers["Location"].split("?")[0]
    done = client.post(action, data={"csrf_token": token, "comment": "The dashboards <b>rock</b>"})
    assert done.status_code == 303 and done.headers["Location"].startswith("/s/host-nps/thanks")
    db_session.expire_all()
    assert db_session.scalar(select(func.count(Response.id))) == 1
    assert db_session.scalar(select(Verbatim.text)) == "The dashboards <b>rock</b>"


@pytest.mark.parametrize(
    ("score", "wording"),
    [
        (10, "What do you value most about Acme Analytics?"),
        (8, "What would make Acme Analytics a 10 for you?"),
        (3, "What disappointed you?"),
    ],
)
def test_follow_up_is_worded_for_the_bucket(client: Any, survey: Any, score: int, wording: str) -> None:
    """Promoters, passives and detractors each get their own follow-up question."""
    _html, token, sid = _start(client)
    resp = client.post(
        "/s/host-nps/responses",
        data={"csrf_token": token, "submission_id": sid, "score": str(score)},
        headers={"HX-Request": "true"},
    )
    assert resp.status_code == 200 and wording in resp.get_data(as_text=True)


def test_htmx_gets_fragments_with_vary(client: Any, survey: Any) -> None:
    """htmx requests get the next step only (no <html>), marked Vary: HX-Request."""
    _html, token, sid = _start(client)
    step = client.post(
        "/s/host-nps/responses",
        data={"csrf_token": token, "submission_id": sid, "score": "7"},
        headers={"HX-Request": "true"},
    )
    body = step.get_data(as_text=True)
    assert "<html" not in body and 'data-step="comment"' in body and "HX-Request" in step.headers["Vary"]
    action = field(body, "lang") and body.split('action="')[1].split('"')[0]
    thanks = client.post(action, data={"csrf_token": token, "comment": "ok"}, headers={"HX-Request": "true"})
    assert "<html" not in thanks.get_data(as_text=True) and 'data-step="thanks"' in thanks.get_data(
        as_text=True
    )


def test_double_click_and_retry_do_not_duplicate(client: Any, survey: Any, db_session: Any) -> None:
    """The same form posted twice (double click, network retry) is one response."""
    _html, token, sid = _start(client)
    for _ in range(3):
        client.post("/s/host-nps/responses", data={"csrf_token": token, "submission_id": sid, "score": "6"})
    assert db_session.scalar(select(func.count(Response.id))) == 1


def test_json_contract_keeps_its_statuses_and_updates_on_repeat(
    client: Any, survey: Any, db_session: Any
) -> None:
    """201 then 200 with the same id; the repeat's comment lands on the first response's verbatim."""
    first = client.post("/s/host-nps/responses", json={"score": 9, "submission_id": "sub-1"})
    assert first.status_code == 201
    again = client.post("/s/host-nps/responses", json={"submission_id": "sub-1", "comment": "Later thought"})
    assert again.status_code == 200
    assert again.get_json()["response_id"] == first.get_json()["response_id"] and again.get_json()["updated"]
    assert db_session.scalar(select(Verbatim.text)) == "Later thought"
    assert db_session.scalar(select(func.count(Response.id))) == 1


def test_german_from_accept_language_and_english_fallback(client: Any, survey: Any) -> None:
    """Accept-Language picks German; an unsupported language falls back to the survey's main language."""
    german = client.get("/s/host-nps", headers={"Accept-Language": "de-DE,de;q=0.9"}).get_data(as_text=True)
    assert "Wie wahrscheinlich ist es, dass Sie Acme Analytics" in german and '<html lang="de"' in german
    french = client.get("/s/host-nps", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert "How likely are you to recommend Acme?" in french


def test_language_switch_overrides_the_browser(client: Any, survey: Any) -> None:
    """?lang=de wins over an English browser."""
    html = client.get("/s/host-nps?lang=de", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Überhaupt nicht wahrscheinlich" in html


def test_english_only_survey_stays_english(client: Any, db_session: Any) -> None:
    """A survey offered only in English never mixes in German UI text."""
    make_survey(db_session, key="en-only", languages=["en"])
    db_session.commit()
    html = client.get("/s/en-only", headers={"Accept-Language": "de"}).get_data(as_text=True)
    assert "Not at all likely" in html and "Überhaupt" not in html


def test_comment_too_long_is_capped_and_said(client: Any, survey: Any, db_session: Any) -> None:
    """An oversize comment gets a 413 naming both lengths; the score stays saved, the text is not stored."""
    _html, token, sid = _start(client)
    resp = client.post(
        "/s/host-nps/responses", data={"csrf_token": token, "submission_id": sid, "score": "2"}
    )
    action = resp.headers["Location"].split("?")[0]
    too_long = client.post(action, data={"csrf_token": token, "comment": "x" * 5001})
    assert too_long.status_code == 413
    assert "5001 characters long; the limit is 5000" in too_long.get_data(as_text=True)
    assert db_session.scalar(select(Verbatim.text)) == ""  # the detractor's empty verbatim, untouched


def test_comment_step_needs_csrf_token(client: Any, survey: Any) -> None:
    """The follow-up form refuses a post without its CSRF token, saying how to recover."""
    _html, token, sid = _start(client)
    resp = client.post(
        "/s/host-nps/responses", data={"csrf_token": token, "submission_id": sid, "score": "9"}
    )
    refused = client.post(resp.headers["Location"].split("?")[0], data={"comment": "hi"})
    assert refused.status_code == 400 and "security token" in refused.get_data(as_text=True)


def test_tampered_comment_link_is_refused(client: Any, survey: Any) -> None:
    """An altered comment-step token is a 400 with the reason, never a 500."""
    resp = client.get("/s/host-nps/c/eyJyIjoxLCJzIjoxfQ.forged.signature")
    assert resp.status_code == 400 and "not valid" in resp.get_data(as_text=True)


def test_honeypot_on_the_form(client: Any, survey: Any, db_session: Any) -> None:
    """A filled honeypot is refused with a specific message and nothing is stored."""
    _html, token, sid = _start(client)
    resp = client.post(
        "/s/host-nps/responses",
        data={"csrf_token": token, "submission_id": sid, "score": "9", "website": "x"},
    )
    assert resp.status_code == 400 and "meant to stay empty" in resp.get_data(as_text=True)
    assert db_session.scalar(select(func.count(Response.id))) == 0


def test_closed_and_draft_surveys_say_so(client: Any, db_session: Any) -> None:
    """A closed survey's page is a 409 in the customer's language; a draft is previewable by staff only."""
    make_survey(db_session, key="closed-one", status="closed")
    make_survey(db_session, key="draft-one", status="draft")
    make_user(db_session, role="csm", email="casey@example.com")
    db_session.commit()
    closed = client.get("/s/closed-one", headers={"Accept-Language": "de"})
    assert closed.status_code == 409 and "Diese Umfrage ist beendet" in closed.get_data(as_text=True)
    assert client.get("/s/draft-one").status_code == 409
    login(client, "casey@example.com")
    preview = client.get("/s/draft-one")
    assert preview.status_code == 200 and "Preview" in preview.get_data(as_text=True)


def test_unknown_survey_page_is_a_translated_404(client: Any, db_session: Any) -> None:
    """An unknown key is a 404 naming it, in German for a German browser."""
    resp = client.get("/s/no-such-survey", headers={"Accept-Language": "de"})
    assert resp.status_code == 404 and "Es gibt keine Umfrage" in resp.get_data(as_text=True)


def test_link_channel_switched_off(client: Any, db_session: Any) -> None:
    """A survey whose hosted-link channel is off refuses the page with a 403."""
    make_survey(db_session, key="widget-only", channels=["widget"])
    db_session.commit()
    assert client.get("/s/widget-only").status_code == 403


def test_anonymous_answer_can_leave_an_email_later(client: Any, survey: Any, db_session: Any) -> None:
    """The follow-up's optional email links the answer to the known contact and their account."""
    account = make_account(db_session)
    contact = make_contact(db_session, account, email="robin@customer.example")
    db_session.commit()
    _html, token, sid = _start(client)
    resp = client.post(
        "/s/host-nps/responses", data={"csrf_token": token, "submission_id": sid, "score": "9"}
    )
    client.post(
        resp.headers["Location"].split("?")[0],
        data={"csrf_token": token, "comment": "Great", "email": "Robin@Customer.example"},
    )
    db_session.expire_all()
    response = db_session.scalar(select(Response))
    assert response.contact_id == contact.id and response.account_id == account.id


def test_rate_limit_answers_429_in_the_customers_language(app: Any, client: Any, survey: Any) -> None:
    """Past the per-IP limit the anonymous endpoints answer 429 with Retry-After, translated."""
    old = app.config["PUBLIC_RATE_LIMIT"]
    app.config["PUBLIC_RATE_LIMIT"] = "3 per minute"
    try:
        statuses = [
            client.get("/s/host-nps", headers={"Accept-Language": "de"}).status_code for _ in range(4)
        ]
        last = client.get("/s/host-nps", headers={"Accept-Language": "de"})
    finally:
        app.config["PUBLIC_RATE_LIMIT"] = old
    assert statuses[:3] == [200, 200, 200] and last.status_code == 429
    assert "Zu viele Anfragen" in last.get_data(as_text=True) and last.headers["Retry-After"] == "60"
