"""The customer's side of an invite: signed, expiring, single-use accept and decline links (no login).

GET only shows a page (mail scanners prefetch links); the answer is a CSRF-protected POST, recorded by a
conditional UPDATE so a second click or a replayed form changes nothing.
"""

from __future__ import annotations

from typing import Any

from flask import abort, current_app, redirect, render_template, request, url_for

from survey.database import utcnow
from survey.models import AdvocacyInvite
from survey.services import invites as invite_service
from survey.services.invites import LinkExpired, LinkInvalid, read_token
from webapp.advocacy import bp
from webapp.extensions import db, limiter

ANSWERS = {"accept": "accepted", "decline": "declined"}


def _read(token: str) -> tuple[AdvocacyInvite | None, str | None, str | None]:
    """(invite, nonce, problem): problem is 'invalid' or 'expired' when the link cannot be used at all."""
    max_age = int(current_app.config["INVITE_LINK_MAX_AGE_DAYS"])
    try:
        invite_id, nonce = read_token(current_app.config["SECRET_KEY"], token, max_age)
    except LinkExpired:
        return None, None, "expired"
    except LinkInvalid:
        return None, None, "invalid"
    invite = db.session.get(AdvocacyInvite, invite_id)
    if invite is None:
        return None, None, "invalid"
    return invite, nonce, None


def _page(
    invite: AdvocacyInvite | None, token: str, *, state: str, answer: str | None = None, status: int = 200
) -> Any:
    context = invite_service.invite_context(invite) if invite else {}
    site_url = (current_app.config.get("REVIEW_SITE_URLS") or {}).get(invite.site or "") if invite else None
    return render_template(
        "advocacy/public.html",
        invite=invite,
        token=token,
        state=state,
        answer=answer,
        site_url=site_url,
        first_name=((invite.contact.name or "").split(" ")[0] if invite else ""),
        paragraphs=[p for p in (invite.body.split("\n\n") if invite else []) if p.strip()],
        **context,
    ), status


def _state(invite: AdvocacyInvite, nonce: str) -> str:
    """open, answered (used), or expired."""
    if invite_service.link_is_live(invite, nonce):
        return "open"
    if invite.status in ("accepted", "declined", "completed"):
        return "answered"
    if invite.status == "expired" or (invite.expires_at is not None and invite.expires_at <= utcnow()):
        return "expired"
    return "invalid"


@bp.get("/a/<token>")
def public_invite(token: str) -> Any:
    """The invite as the customer received it, with both answers."""
    invite, nonce, problem = _read(token)
    if problem or invite is None or nonce is None:
        return _page(None, token, state=problem or "invalid", status=410 if problem == "expired" else 404)
    return _page(invite, token, state=_state(invite, nonce))


@bp.route("/a/<token>/<answer>", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["PUBLIC_RATE_LIMIT"])
def public_answer(token: str, answer: str) -> Any:
    """GET: confirm the answer with one button. POST: record it, once."""
    if answer not in ANSWERS:
        abort(404)
    invite, nonce, problem = _read(token)
    if problem or invite is None or nonce is None:
        return _page(None, token, state=problem or "invalid", status=410 if problem == "expired" else 404)
    state = _state(invite, nonce)
    if request.method == "GET" or state != "open":
        return _page(
            invite,
            token,
            state=state if state != "open" else "confirm",
            answer=answer,
            status=200 if state in ("open", "answered") else 410,
        )
    recorded = invite_service.respond(db.session, invite.id, nonce, ANSWERS[answer], request.form.get("note"))
    db.session.commit()
    if not recorded:  # a parallel click won the race
        db.session.refresh(invite)
        return _page(invite, token, state=_state(invite, nonce), answer=answer, status=409)
    return redirect(url_for("advocacy.public_done", token=token), code=303)


@bp.get("/a/<token>/done")
def public_done(token: str) -> Any:
    """Thank-you page after an answer (the link itself is spent)."""
    invite, _nonce, problem = _read(token)
    if problem or invite is None:
        return _page(None, token, state=problem or "invalid", status=404)
    return _page(
        invite,
        token,
        state="thanks",
        answer="accept" if invite.status in ("accepted", "completed") else "decline",
    )


@bp.route("/a/<token>/unsubscribe", methods=["GET", "POST"])
def public_unsubscribe(token: str) -> Any:
    """Stop every email to this contact (works even after the invite was answered or expired)."""
    try:
        invite_id, _nonce = read_token(current_app.config["SECRET_KEY"], token, 10 * 365)
    except (LinkExpired, LinkInvalid):
        return _page(None, token, state="invalid", status=404)
    invite = db.session.get(AdvocacyInvite, invite_id)
    if invite is None:
        return _page(None, token, state="invalid", status=404)
    if request.method == "POST":
        invite_service.unsubscribe_via_link(db.session, invite)
        db.session.commit()
        return _page(invite, token, state="unsubscribed")
    return _page(
        invite, token, state="unsubscribed" if invite.contact.unsubscribed else "confirm_unsubscribe"
    )
