"""Drafting advocacy invites that quote the customer's own words back to them."""

from __future__ import annotations

from sqlalchemy.orm import Session

from survey.models import AdvocacyInvite, Analysis, Contact, Verbatim


def choose_ask(analysis: Analysis | None) -> str:
    """A first guess at the right ask; the advocate hub refines it from history and lets marketing override."""
    if analysis is None:
        return "review"
    if analysis.referral_signal:
        return "referral"
    targets = set(analysis.praise_targets or [])
    if "person" in targets or "support" in targets:
        return "reference_call"
    return "review"


def quote_of(verbatim: Verbatim, limit: int = 240) -> str:
    """The customer's words, trimmed at a word boundary for an email."""
    text = " ".join(verbatim.text.split())
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0] + "…"


def draft_invite(session: Session, contact: Contact, verbatim: Verbatim, analysis: Analysis | None) -> AdvocacyInvite:
    """A drafted invite for marketing to edit and approve."""
    ask = choose_ask(analysis)
    first_name = (contact.name or "there").split(" ")[0]
    asks = {
        "review": "share that experience in a short review",
        "referral": "introduce us to a peer who could use the same",
        "reference_call": "take a short reference call with a company like yours",
    }
    invite = AdvocacyInvite(
        contact_id=contact.id,
        account_id=contact.account_id,
        verbatim_id=verbatim.id,
        ask_type=ask,
        status="drafted",
        subject="Thank you for your kind words",
        body=(
            f"Hi {first_name},\n\nYou told us: \u201c{quote_of(verbatim)}\u201d\n\n"
            f"That made our day. Would you be willing to {asks[ask]}?\n\nThank you!"
        ),
    )
    session.add(invite)
    session.flush()
    return invite
