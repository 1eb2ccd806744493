"""The customer's accept and decline links: signed, expiring, single use, and safe from link scanners."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import select

from survey.database import utcnow
from survey.models import AdvocacyInvite, OutboxEmail
from survey.services.invites import LINK_SALT, draft_invite, expire_invites
from tests.advocacy_helpers import csrf_of, customer, sign_in


def _sent_invite(client: Any, db_session: Any, run_worker: Any) -> tuple[AdvocacyInvite, str]:
    """Marketing sends a drafted invite over HTTP; returns it and the accept link from the delivered email."""
    _csm, _account, contact = customer(db_session, name="Robin Diaz")
    invite = draft_invite(db_session, contact, None, None, ask_type="case_study")
    db_session.commit()
    csrf = sign_in(client, db_session)
    resp = client.post(
        f"/advocacy/invites/{invite.id}/send",
        headers={**csrf, "HX-Request": "true", "HX-Target": f"invite-{invite.id}"},
    )
    assert resp.status_code == 200 and "Sent to" in resp.get_data(as_text=True)
    run_worker()
    db_session.expire_all()
    email = db_session.scalar(select(OutboxEmail))
    assert email.status == "sent" and email.to_email == contact.email
    accept = re.search(r"Yes, count me in: (\S+)", email.text_body).group(1)  # type: ignore[union-attr]
    client.post("/logout", headers=csrf)
    return db_session.get(AdvocacyInvite, invite.id), accept.replace("http://localhost", "")


def test_accept_link_is_confirmed_then_recorded_once(client: Any, db_session: Any, run_worker: Any) -> None:
    """GET only shows the confirmation (scanners change nothing); POST accepts; a second POST is refused."""
    invite, accept = _sent_invite(client, db_session, run_worker)
    page = client.get(accept)
    assert page.status_code == 200 and "Yes, count me in" in page.get_data(as_text=True)
    db_session.expire_all()
    assert db_session.get(AdvocacyInvite, invite.id).status == "sent"
    token = csrf_of(page.get_data(as_text=True))
    resp = client.post(accept, data={"csrf_token": token, "note": "Tuesdays work best"})
    assert resp.status_code == 303
    thanks = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "Thank you, Robin!" in thanks
    db_session.expire_all()
    answered = db_session.get(AdvocacyInvite, invite.id)
    assert answered.status == "accepted" and answered.response_note == "Tuesdays work best"
    assert answered.link_nonce is None and answered.responded_at is not None
    again = client.post(accept, data={"csrf_token": token})
    assert again.status_code == 200 and "already answered" in again.get_data(as_text=True)
    decline = client.post(accept.replace("/accept", "/decline"), data={"csrf_token": token})
    assert "already answered" in decline.get_data(as_text=True)
    db_session.expire_all()
    assert db_session.get(AdvocacyInvite, invite.id).status == "accepted"


def test_answer_needs_the_csrf_token(client: Any, db_session: Any, run_worker: Any) -> None:
    """A cross-site form posting to the link is refused."""
    invite, accept = _sent_invite(client, db_session, run_worker)
    assert client.post(accept).status_code == 400
    db_session.expire_all()
    assert db_session.get(AdvocacyInvite, invite.id).status == "sent"


def test_decline_link_records_a_decline(client: Any, db_session: Any, run_worker: Any) -> None:
    """'Not this time' declines the invite."""
    invite, accept = _sent_invite(client, db_session, run_worker)
    decline = accept.replace("/accept", "/decline")
    token = csrf_of(client.get(decline).get_data(as_text=True))
    assert client.post(decline, data={"csrf_token": token}).status_code == 303
    db_session.expire_all()
    assert db_session.get(AdvocacyInvite, invite.id).status == "declined"


def test_tampered_and_foreign_tokens_are_refused(
    app: Any, client: Any, db_session: Any, run_worker: Any
) -> None:
    """A changed character or another key's signature is a 404, and nothing is recorded."""
    invite, accept = _sent_invite(client, db_session, run_worker)
    token = accept.split("/")[2]
    tampered = accept.replace(token, token[:-2] + ("AA" if not token.endswith("AA") else "BB"))
    assert client.get(tampered).status_code == 404
    forged = URLSafeTimedSerializer("not-our-key", salt=LINK_SALT).dumps(
        {"i": invite.id, "n": invite.link_nonce}
    )
    assert client.get(f"/a/{forged}/accept").status_code == 404
    db_session.expire_all()
    assert db_session.get(AdvocacyInvite, invite.id).status == "sent"


def test_links_expire(app: Any, client: Any, db_session: Any, run_worker: Any) -> None:
    """Past its expiry the invite is expired and its link says so; an old signature is refused outright."""
    invite, accept = _sent_invite(client, db_session, run_worker)
    invite.expires_at = utcnow() - timedelta(minutes=1)
    db_session.commit()
    page = client.get(accept)
    assert page.status_code == 410 and "expired" in page.get_data(as_text=True)
    assert expire_invites(db_session) == 1
    db_session.commit()
    assert db_session.get(AdvocacyInvite, invite.id).status == "expired"
    invite.status, invite.expires_at = (
        "sent",
        utcnow() + timedelta(days=5),
    )  # only the signature is too old now
    db_session.commit()
    app.config["INVITE_LINK_MAX_AGE_DAYS"] = -1
    try:
        assert client.get(accept).status_code == 410
    finally:
        app.config["INVITE_LINK_MAX_AGE_DAYS"] = 21


def test_unsubscribe_link_stops_every_ask(client: Any, db_session: Any, run_worker: Any) -> None:
    """The invite's unsubscribe link unsubscribes the contact from everything and closes the invite."""
    invite, accept = _sent_invite(client, db_session, run_worker)
    url = accept.replace("/accept", "/unsubscribe")
    token = csrf_of(client.get(url).get_data(as_text=True))
    assert "You are unsubscribed" in client.post(url, data={"csrf_token": token}).get_data(as_text=True)
    db_session.expire_all()
    answered = db_session.get(AdvocacyInvite, invite.id)
    assert answered.contact.unsubscribed and answered.status == "declined"
