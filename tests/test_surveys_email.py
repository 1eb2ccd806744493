"""Survey emails: one-click score links (signed, expiring), the comment step after them, outbox and SMTP."""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import func, select

from survey.models import OutboxEmail, Response, Verbatim
from survey.services.oneclick import EDIT_SALT, ONE_CLICK_SALT
from tests.factories import make_account, make_contact, make_survey, make_user
from tests.surveys_helpers import aged_token, field, login
from webapp.public.emails import queue_survey_email


@pytest.fixture
def sent(app: Any, db_session: Any) -> OutboxEmail:
    """A queued survey email to a German-speaking contact."""
    survey = make_survey(db_session, key="mail-nps", product_name="Acme Analytics")
    contact = make_contact(db_session, make_account(db_session), name="Lena Schmidt", locale="de-DE")
    email = queue_survey_email(db_session, survey, contact, trigger="manual", base_url="http://localhost")
    db_session.commit()
    assert email is not None
    return email


def _links(email: OutboxEmail) -> list[str]:
    return re.findall(r'href="http://localhost(/r/[^"]+/\d+)"', email.html_body)


def test_email_has_eleven_one_click_links_in_the_contacts_language(sent: OutboxEmail) -> None:
    """The NPS email carries 0..10 as signed links, is written in German, has a text part and unsubscribe."""
    links = _links(sent)
    assert [int(link.rsplit("/", 1)[1]) for link in links] == list(range(11))
    assert sent.locale == "de" and sent.subject == "Eine kurze Frage zu Acme Analytics"
    assert "Wie wahrscheinlich ist es" in sent.html_body and "Hallo Lena," in sent.text_body
    assert "/unsubscribe" in sent.text_body and sent.status == "queued"


def test_one_click_records_and_a_second_click_updates(
    client: Any, sent: OutboxEmail, db_session: Any
) -> None:
    """The first click creates the response; a later click within the window changes its score only."""
    links = _links(sent)
    first = client.get(links[3])
    assert first.status_code == 303 and "/s/mail-nps/c/" in first.headers["Location"]
    assert "lang=de" in first.headers["Location"]
    second = client.get(links[9])
    assert second.status_code == 303
    client.get(links[9])  # the same link again (reload)
    db_session.expire_all()
    assert db_session.scalar(select(func.count(Response.id))) == 1
    response = db_session.scalar(select(Response))
    assert response.score == 9 and response.channel == "email" and response.outbox_email_id == sent.id


def test_comment_page_after_one_click_updates_the_response(
    client: Any, sent: OutboxEmail, db_session: Any
) -> None:
    """The comment step opened by the click adds the comment to that response (worded for a detractor)."""
    step_url = client.get(_links(sent)[2]).headers["Location"]
    page = client.get(step_url)
    html = page.get_data(as_text=True)
    assert "Das tut uns leid. Was hat Sie enttäuscht?" in html
    done = client.post(
        step_url.split("?")[0],
        data={"csrf_token": field(html, "csrf_token"), "comment": "Die Exporte brechen ab"},
    )
    assert done.status_code == 303
    db_session.expire_all()
    assert db_session.scalar(select(func.count(Response.id))) == 1
    verbatim = db_session.scalar(select(Verbatim))
    assert verbatim.text == "Die Exporte brechen ab" and verbatim.analysis_status == "pending"


def test_expired_link_is_410_and_records_nothing(
    app: Any, client: Any, sent: OutboxEmail, db_session: Any
) -> None:
    """A link older than ONE_CLICK_MAX_AGE_DAYS says it expired (in German here)."""
    days = int(app.config["ONE_CLICK_MAX_AGE_DAYS"])
    token = aged_token(
        app.config["SECRET_KEY"],
        ONE_CLICK_SALT,
        {"m": sent.id, "s": sent.survey_id, "c": sent.contact_id},
        age_seconds=(days + 1) * 86400,
    )
    resp = client.get(f"/r/{token}/9", headers={"Accept-Language": "de"})
    assert resp.status_code == 410 and f"{days} Tage" in resp.get_data(as_text=True)
    assert db_session.scalar(select(func.count(Response.id))) == 0


def test_link_within_its_lifetime_still_works(app: Any, client: Any, sent: OutboxEmail) -> None:
    """A 29-day-old link is still valid."""
    token = aged_token(
        app.config["SECRET_KEY"],
        ONE_CLICK_SALT,
        {"m": sent.id, "s": sent.survey_id, "c": sent.contact_id},
        age_seconds=29 * 86400,
    )
    assert client.get(f"/r/{token}/9").status_code == 303


@pytest.mark.parametrize(
    "mangle",
    [
        lambda t: t[:-2] + ("AA" if not t.endswith("AA") else "BB"),  # altered signature
        lambda t: t[: len(t) // 2],  # truncated by a mail client
        lambda t: "eyJtIjo5OTksInMiOjEsImMiOjF9" + t[t.index(".") :],  # payload swapped for another email's
    ],
)
def test_tampered_links_are_refused(client: Any, sent: OutboxEmail, db_session: Any, mangle: Any) -> None:
    """Altered, truncated or re-targeted tokens are a 400 with the reason, and record nothing."""
    token = _links(sent)[9].split("/")[2]
    resp = client.get(f"/r/{mangle(token)}/9")
    assert resp.status_code == 400 and "not valid" in resp.get_data(as_text=True)
    assert db_session.scalar(select(func.count(Response.id))) == 0


def test_token_for_another_purpose_is_refused(app: Any, client: Any, sent: OutboxEmail) -> None:
    """A comment-step token is signed with another salt and cannot be used as a score link."""
    token = aged_token(app.config["SECRET_KEY"], EDIT_SALT, {"m": sent.id, "s": sent.survey_id, "c": None}, 0)
    assert client.get(f"/r/{token}/9").status_code == 400


@pytest.mark.parametrize("score", ["11", "-1", "abc", "9999"])
def test_out_of_range_one_click_score(client: Any, sent: OutboxEmail, score: str) -> None:
    """A score outside 0..10 in the path is a 400 naming the range."""
    token = _links(sent)[0].split("/")[2]
    resp = client.get(f"/r/{token}/{score}", headers={"Accept-Language": "en"})
    assert resp.status_code == 400


def test_closed_survey_link_says_closed(client: Any, sent: OutboxEmail, db_session: Any) -> None:
    """Once the survey is closed, its email links answer 409."""
    sent.survey.status = "closed"
    db_session.commit()
    assert client.get(_links(sent)[9]).status_code == 409


def test_head_requests_from_link_scanners_record_nothing(
    client: Any, sent: OutboxEmail, db_session: Any
) -> None:
    """Mail security scanners probing with HEAD do not answer the survey."""
    assert client.head(_links(sent)[0]).status_code == 200
    assert db_session.scalar(select(func.count(Response.id))) == 0


def test_unsubscribe_needs_a_confirmation(client: Any, sent: OutboxEmail, db_session: Any) -> None:
    """GET asks, POST (with CSRF) unsubscribes; later emails are not written."""
    url = re.search(r"http://localhost(/r/[^\s]+/unsubscribe)", sent.text_body).group(1)
    page = client.get(url)
    assert page.status_code == 200 and not sent.contact.unsubscribed
    client.post(url, data={"csrf_token": field(page.get_data(as_text=True), "csrf_token")})
    db_session.expire_all()
    assert sent.contact.unsubscribed
    again = queue_survey_email(
        db_session,
        sent.survey,
        sent.contact,
        trigger="manual",
        base_url="http://localhost",
        check_fatigue=False,
    )
    assert again is None


def test_send_job_in_development_marks_the_outbox_delivery(
    sent: OutboxEmail, run_worker: Any, db_session: Any, app: Any
) -> None:
    """Without FEEDLOOP_SMTP_HOST the job delivers to the outbox page only (no network)."""
    from workers.enqueue import enqueue_send_email

    enqueue_send_email(sent.id)
    run_worker()
    db_session.expire_all()
    email = db_session.get(OutboxEmail, sent.id)
    assert email.status == "sent" and email.transport == "outbox" and email.sent_at is not None


@pytest.fixture
def smtp_server() -> Iterator[tuple[int, list[Any]]]:
    """A real SMTP server (aiosmtpd) on a free loopback port, collecting what it receives."""
    from aiosmtpd.controller import Controller

    received: list[Any] = []

    class Collect:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            received.append(envelope)
            return "250 OK"

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(Collect(), hostname="127.0.0.1", port=port)
    controller.start()
    yield port, received
    controller.stop()


def test_send_job_delivers_over_smtp(
    app: Any, sent: OutboxEmail, run_worker: Any, db_session: Any, smtp_server: tuple[int, list[Any]]
) -> None:
    """With an SMTP host the job hands a multipart message to it, once, and records its Message-ID."""
    from workers.enqueue import enqueue_send_email

    port, received = smtp_server
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=port)
    try:
        enqueue_send_email(sent.id)
        run_worker()
        enqueue_send_email(sent.id)  # a repeated request sends nothing more
        run_worker()
    finally:
        app.config.update(SMTP_HOST=None, SMTP_PORT=None)
    assert len(received) == 1 and received[0].rcpt_tos == [sent.to_email]
    raw = received[0].content.decode()
    assert "multipart/alternative" in raw and "Subject: Eine kurze Frage" in raw.replace("=?utf-8?q?", "")
    db_session.expire_all()
    email = db_session.get(OutboxEmail, sent.id)
    assert email.status == "sent" and email.transport == "smtp" and email.message_id


def test_smtp_refusal_is_recorded_and_retried(app: Any, sent: OutboxEmail, db_session: Any) -> None:
    """An unreachable SMTP server raises (so RQ retries) and the outbox keeps the reason."""
    from workers.email_jobs import send_survey_email

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=closed_port, SMTP_TIMEOUT=2)
    try:
        with app.app_context(), pytest.raises(OSError):
            send_survey_email(sent.id)
    finally:
        app.config.update(SMTP_HOST=None, SMTP_PORT=None, SMTP_TIMEOUT=15)
    db_session.expire_all()
    email = db_session.get(OutboxEmail, sent.id)
    assert email.status == "queued" and email.attempts == 1 and "ConnectionRefused" in email.last_error


def test_outbox_page_is_admin_only_and_previews_the_email(
    client: Any, sent: OutboxEmail, db_session: Any
) -> None:
    """Admins see the outbox and the email in a sandboxed frame; other staff get 403."""
    make_user(db_session, role="csm", email="csm@example.com")
    make_user(db_session, role="admin", email="admin@example.com")
    db_session.commit()
    login(client, "csm@example.com")
    assert client.get("/admin/outbox").status_code == 403
    client.post("/logout", data={"csrf_token": field(client.get("/").get_data(as_text=True), "csrf_token")})
    login(client, "admin@example.com")
    page = client.get("/admin/outbox").get_data(as_text=True)
    assert sent.to_email in page and "Development mode" in page
    detail = client.get(f"/admin/outbox/{sent.id}").get_data(as_text=True)
    assert 'sandbox="allow-popups' in detail
    body = client.get(f"/admin/outbox/{sent.id}/body")
    assert "frame-ancestors 'self'" in body.headers["Content-Security-Policy"]
    assert '<base target="_blank">' in body.get_data(as_text=True)
