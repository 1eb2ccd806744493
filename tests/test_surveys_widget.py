"""The in-app widget: /embed.js, the show/skip check, the framed survey, identity verification, origins."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlencode

import pytest
from sqlalchemy import func, select

from survey.models import Contact, Response, Verbatim
from survey.services.surveys import identity_signature
from tests.factories import make_account, make_contact, make_survey
from tests.surveys_helpers import field

HOST = "https://app.vendor.example"
SECRET = "s3cret-for-tests"


@pytest.fixture
def survey(db_session: Any) -> Any:
    s = make_survey(
        db_session,
        key="w-nps",
        product_name="Acme Analytics",
        allowed_origins=[HOST],
        widget_secret=SECRET,
        anonymous=False,
    )
    db_session.commit()
    return s


def _params(
    email: str | None = "pat@customer.example", sig: str | None = None, origin: str = HOST, **extra: str
) -> str:
    params = {"origin": origin, **extra}
    if email is not None:
        params["email"] = email
        params["sig"] = sig if sig is not None else identity_signature(SECRET, email)
    return urlencode(params)


def _open(client: Any, **kw: Any) -> Any:
    return client.get(f"/w/w-nps?{_params(**kw)}")


def test_embed_js_is_served_as_javascript_with_cache_headers(client: Any) -> None:
    """/embed.js is the widget script, cacheable for a short while and loadable from any site."""
    resp = client.get("/embed.js")
    assert resp.status_code == 200 and resp.headers["Content-Type"] == "text/javascript; charset=utf-8"
    assert resp.headers["Cache-Control"] == "public, max-age=300"
    assert resp.headers["Cross-Origin-Resource-Policy"] == "cross-origin"
    assert b"data-survey" in resp.data and b"/check?" in resp.data


def test_check_says_show_to_a_verified_user_on_an_allowed_origin(client: Any, survey: Any) -> None:
    """An allowed origin and a valid signature: show, with CORS for the host page."""
    resp = client.get(f"/w/w-nps/check?{_params()}", headers={"Origin": HOST})
    assert resp.status_code == 200 and resp.get_json()["show"] is True
    assert resp.headers["Access-Control-Allow-Origin"] == HOST and "Origin" in resp.headers["Vary"]


def test_check_refuses_a_foreign_origin_with_the_reason(client: Any, survey: Any) -> None:
    """Another site gets a 403 that names it, in the visitor's language."""
    resp = client.get(
        f"/w/w-nps/check?{_params(origin='https://evil.example')}",
        headers={"Origin": "https://evil.example", "Accept-Language": "de"},
    )
    assert resp.status_code == 403 and "https://evil.example" in resp.get_json()["error"]
    assert "nicht angezeigt" in resp.get_json()["error"]


def test_check_without_any_origin_is_a_400(client: Any, survey: Any) -> None:
    """No Origin header and no origin parameter: 400 saying so."""
    resp = client.get("/w/w-nps/check?" + urlencode({"email": "a@b.example", "sig": "x"}))
    assert resp.status_code == 400 and "which website" in resp.get_json()["error"]


@pytest.mark.parametrize(
    ("email", "sig", "needle"),
    [
        (None, None, "only for signed-in users"),
        ("pat@customer.example", "0" * 64, "could not verify who you are"),
        (
            "pat@customer.example",
            identity_signature("other-secret", "pat@customer.example"),
            "could not verify",
        ),
        ("mallory@customer.example", identity_signature(SECRET, "pat@customer.example"), "could not verify"),
    ],
)
def test_identity_must_be_signed_with_the_survey_secret(
    client: Any, survey: Any, email: str | None, sig: str | None, needle: str
) -> None:
    """Missing, forged, wrong-key or borrowed signatures are all refused: nobody answers as someone else."""
    check = client.get(f"/w/w-nps/check?{_params(email=email, sig=sig)}", headers={"Origin": HOST})
    assert check.status_code == 403 and needle in check.get_json()["error"]
    page = _open(client, email=email, sig=sig)
    assert page.status_code == 403 and needle in page.get_data(as_text=True)


def test_signature_ignores_email_case(client: Any, survey: Any) -> None:
    """The vendor may sign 'Pat@Customer.example'; it is the same person."""
    sig = identity_signature(SECRET, "Pat@Customer.example")
    resp = client.get(
        f"/w/w-nps/check?{_params(email='pat@customer.example', sig=sig)}", headers={"Origin": HOST}
    )
    assert resp.get_json()["show"] is True


def test_widget_page_may_be_framed_only_by_allowed_origins(client: Any, survey: Any) -> None:
    """The iframe page carries frame-ancestors with the survey's origins; other pages keep 'none'."""
    page = _open(client)
    assert page.status_code == 200
    assert f"frame-ancestors {HOST}" in page.headers["Content-Security-Policy"]
    assert "X-Frame-Options" not in page.headers
    hosted = client.get("/s/w-nps")
    assert "frame-ancestors 'none'" in hosted.headers["Content-Security-Policy"]


def test_widget_close_button_waits_for_its_script(client: Any, survey: Any) -> None:
    """The close button is rendered hidden: widget.js shows it once a click on it does something."""
    html = _open(client).get_data(as_text=True)
    assert re.search(r"<button[^>]*data-widget-close[^>]*\bhidden\b", html)


def test_widget_page_for_a_foreign_origin_is_a_403_page(client: Any, survey: Any) -> None:
    """Opened for a site that is not allowed, the page explains instead of showing the survey."""
    page = _open(client, origin="https://evil.example")
    assert page.status_code == 403 and "not on the survey" in page.get_data(as_text=True)


def test_widget_answer_lands_with_comment_on_one_response(client: Any, survey: Any, db_session: Any) -> None:
    """Score then comment inside the widget: one response, channel widget, linked to the verified contact."""
    account = make_account(db_session, domain="customer.example")
    db_session.commit()
    html = _open(client).get_data(as_text=True)
    token, sid = field(html, "widget_token"), field(html, "submission_id")
    step = client.post(
        "/w/w-nps/responses",
        data={"widget_token": token, "submission_id": sid, "score": "4"},
        headers={"HX-Request": "true"},
    )
    body = step.get_data(as_text=True)
    assert step.status_code == 200 and "What disappointed you?" in body
    assert f"frame-ancestors {HOST}" in step.headers["Content-Security-Policy"]
    action = body.split('action="')[1].split('"')[0]
    thanks = client.post(
        action,
        data={"widget_token": token, "comment": "Too many clicks <script>x</script>"},
        headers={"HX-Request": "true"},
    )
    assert 'data-step="thanks"' in thanks.get_data(as_text=True)
    response = db_session.scalar(select(Response))
    assert response.channel == "widget" and response.score == 4
    contact = db_session.get(Contact, response.contact_id)
    assert contact.email == "pat@customer.example" and contact.account_id == account.id  # matched by domain
    assert db_session.scalar(select(Verbatim.text)) == "Too many clicks <script>x</script>"
    assert contact.last_asked_at is not None


def test_widget_post_without_its_token_is_refused(client: Any, survey: Any, db_session: Any) -> None:
    """No widget token (the widget's CSRF stand-in): 400 with a reason, nothing stored."""
    resp = client.post("/w/w-nps/responses", data={"score": "9"})
    assert resp.status_code == 400 and "reload" in resp.get_data(as_text=True)
    assert db_session.scalar(select(func.count(Response.id))) == 0


def test_widget_token_of_another_survey_is_refused(client: Any, survey: Any, db_session: Any) -> None:
    """A token minted for one survey cannot post to another."""
    make_survey(db_session, key="w-other", allowed_origins=[HOST], widget_secret=SECRET)
    db_session.commit()
    token = field(client.get(f"/w/w-other?{_params(email=None)}").get_data(as_text=True), "widget_token")
    resp = client.post("/w/w-nps/responses", data={"widget_token": token, "score": "9"})
    assert resp.status_code == 400


def test_widget_double_submit_is_one_response(client: Any, survey: Any, db_session: Any) -> None:
    """The same widget form posted twice stores one answer."""
    html = _open(client).get_data(as_text=True)
    data = {
        "widget_token": field(html, "widget_token"),
        "submission_id": field(html, "submission_id"),
        "score": "10",
    }
    client.post("/w/w-nps/responses", data=data)
    client.post("/w/w-nps/responses", data=data)
    assert db_session.scalar(select(func.count(Response.id))) == 1


def test_out_of_range_score_in_the_widget(client: Any, survey: Any) -> None:
    """A tampered score gets the valid range, in German for a German visitor."""
    html = _open(client, lang="de").get_data(as_text=True)
    resp = client.post(
        "/w/w-nps/responses", data={"widget_token": field(html, "widget_token"), "score": "12", "lang": "de"}
    )
    assert resp.status_code == 400 and "ganze Zahl von 0 bis 10" in resp.get_data(as_text=True)


def test_dismissal_counts_as_asked(client: Any, survey: Any, db_session: Any) -> None:
    """Closing the widget records an ask: the next check says not to show, with when to ask again."""
    html = _open(client).get_data(as_text=True)
    resp = client.post("/w/w-nps/dismiss", data={"widget_token": field(html, "widget_token")})
    assert resp.status_code == 204
    check = client.get(f"/w/w-nps/check?{_params()}", headers={"Origin": HOST}).get_json()
    assert check["show"] is False and check["reason"] == "asked_recently" and check["next_ask_at"]


def test_fatigue_hides_the_widget_from_recently_asked_contacts(
    client: Any, survey: Any, db_session: Any
) -> None:
    """A contact emailed last week is not shown the widget of any survey."""
    from datetime import timedelta

    from survey.database import utcnow

    make_contact(db_session, email="pat@customer.example", last_asked_at=utcnow() - timedelta(days=7))
    db_session.commit()
    check = client.get(f"/w/w-nps/check?{_params()}", headers={"Origin": HOST}).get_json()
    assert check == {**check, "show": False, "reason": "asked_recently"}


def test_anonymous_survey_shows_to_visitors(client: Any, db_session: Any) -> None:
    """An anonymous survey needs no identity; the visitor's answer has no contact."""
    make_survey(db_session, key="w-anon", allowed_origins=[HOST], anonymous=True)
    db_session.commit()
    html = client.get(f"/w/w-anon?{_params(email=None)}").get_data(as_text=True)
    client.post(
        "/w/w-anon/responses",
        data={
            "widget_token": field(html, "widget_token"),
            "score": "9",
            "submission_id": field(html, "submission_id"),
        },
    )
    assert db_session.scalar(select(Response.contact_id)) is None


def test_closed_or_widget_off_surveys_do_not_show(client: Any, db_session: Any) -> None:
    """Closed survey: 409; widget channel off: 403; each with its message."""
    make_survey(db_session, key="w-closed", allowed_origins=[HOST], status="closed")
    make_survey(db_session, key="w-off", allowed_origins=[HOST], channels=["link"])
    db_session.commit()
    closed = client.get(f"/w/w-closed/check?{_params(email=None)}", headers={"Origin": HOST})
    assert closed.status_code == 409 and "closed" in closed.get_json()["error"]
    off = client.get(f"/w/w-off/check?{_params(email=None)}", headers={"Origin": HOST})
    assert off.status_code == 403 and "cannot be answered this way" in off.get_json()["error"]
