"""Advocate types inferred from what customers wrote and did, their asks, marketing's override."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from survey.models import AdvocacyInvite, Advocate
from survey.services.advocacy import DEFAULT_ASK, ensure_advocate, suggested_ask, type_from_evidence
from survey.services.invites import AskRefused, draft_invite, record_activity
from tests.advocacy_helpers import sign_in
from tests.factories import make_account, make_contact, make_user


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Great tool. I showed our whole team how we use the pipeline views to run weekly forecasts.",
            "educator",
        ),
        ("Superb. We cut reporting time by 40% and the forecasts are finally accurate.", "validator"),
        ("Love it. I'd love to help shape the roadmap and happy to beta test new features.", "collaborator"),
        ("So proud of what my team achieved with it, our success story got us an award.", "status_seeker"),
    ],
)
def test_type_follows_what_the_customer_wrote(text: str, expected: str) -> None:
    """Educators explain use, validators cite results, collaborators shape it, status seekers tell stories."""
    advocate_type, reasons = type_from_evidence([text], [], None)
    assert advocate_type == expected
    assert reasons


def test_history_and_title_count_towards_the_type() -> None:
    """Past acts and a senior title tip a bare compliment towards the matching type."""
    assert (
        type_from_evidence(["Great product!"], ["conference_talk", "case_study"], None)[0] == "status_seeker"
    )
    assert type_from_evidence(["Great product!"], [], "VP Sales")[0] == "status_seeker"
    advocate_type, reasons = type_from_evidence(["Great product!"], [], "Analyst")
    assert advocate_type == "validator" and "natural first ask" in reasons[0]


def test_each_type_gets_its_ask_and_referral_signals_get_a_referral_ask() -> None:
    """Webinar for educators, reference call for validators, case study, advisory board; referral for all."""
    assert DEFAULT_ASK == {
        "educator": "webinar",
        "validator": "reference_call",
        "status_seeker": "case_study",
        "collaborator": "advisory_board",
    }
    assert {suggested_ask(t, False) for t in DEFAULT_ASK} == set(DEFAULT_ASK.values())
    assert {suggested_ask(t, True) for t in DEFAULT_ASK} == {"referral"}


def test_activity_history_updates_the_inferred_type(db_session: Any) -> None:
    """After an advocate speaks at a webinar and a panel, they are re-inferred as an educator."""
    contact = make_contact(db_session, make_account(db_session), marketing_consent=True)
    advocate = ensure_advocate(db_session, contact)
    assert advocate.inferred_type == "validator"
    from datetime import date

    for kind in ("webinar", "panel"):
        record_activity(
            db_session, contact=contact, activity_type=kind, occurred_on=date(2025, 5, 1), user=None
        )
    assert ensure_advocate(db_session, contact).inferred_type == "educator"


def test_marketing_overrides_the_type_in_place(client: Any, db_session: Any) -> None:
    """The hub's type select saves an override (htmx fragment back); 'auto' returns to the inference."""
    contact = make_contact(db_session, make_account(db_session), marketing_consent=True, name="Ana Silva")
    advocate = ensure_advocate(db_session, contact)
    db_session.commit()
    csrf = sign_in(client, db_session)
    resp = client.post(
        f"/advocacy/advocates/{advocate.id}/type",
        data={"advocate_type": "collaborator"},
        headers={"HX-Request": "true", **csrf},
    )
    assert resp.status_code == 200 and "<html" not in resp.get_data(as_text=True)
    db_session.expire_all()
    advocate = db_session.get(Advocate, advocate.id)
    assert advocate.type_override == "collaborator" and advocate.advocate_type == "collaborator"
    draft = draft_invite(db_session, contact, None, None)
    assert draft.ask_type == "advisory_board" and draft.advocate_type == "collaborator"
    client.post(f"/advocacy/advocates/{advocate.id}/type", data={"advocate_type": "auto"}, headers=csrf)
    db_session.expire_all()
    assert db_session.get(Advocate, advocate.id).type_override is None


def test_template_edits_shape_new_drafts_and_reject_unknown_placeholders(
    client: Any, db_session: Any
) -> None:
    """Marketing's template is used for the next draft, with the customer's name and quote filled in."""
    contact = make_contact(
        db_session,
        make_account(db_session, name="Fernhill Legal"),
        marketing_consent=True,
        name="Grace Okafor",
    )
    db_session.commit()
    csrf = sign_in(client, db_session)
    bad = client.post(
        "/advocacy/templates/reference_call", data={"subject": "Hi {nickname}", "body": "x"}, headers=csrf
    )
    assert bad.status_code == 303
    resp = client.post(
        "/advocacy/templates/reference_call",
        data={
            "subject": "A favour, {first_name}?",
            "body": "You said \u201c{quote}\u201d. Call with a peer at {company}?",
        },
        headers=csrf,
    )
    assert resp.status_code == 303
    invite = draft_invite(db_session, contact, None, None, ask_type="reference_call")
    assert invite.subject == "A favour, Grace?" and "Fernhill Legal" in invite.body
    assert db_session.scalar(select(AdvocacyInvite.id)) == invite.id


def test_individual_review_site_asks_are_refused(db_session: Any) -> None:
    """A review-site ask can't be drafted for one happy customer: it goes to everyone alike via a campaign."""
    contact = make_contact(
        db_session, make_account(db_session, owner=make_user(db_session)), marketing_consent=True
    )
    with pytest.raises(AskRefused) as refused:
        draft_invite(db_session, contact, None, None, ask_type="review_site")
    assert refused.value.code == "review_rule" and "every eligible customer alike" in refused.value.reasons[0]


def test_praise_is_cut_from_the_complaint_around_it() -> None:
    """The quote sent back keeps the praising side of a 'but', never the complaint."""
    from survey.models import Analysis
    from survey.services.advocacy import praise_spans

    text = "Setup was painful and slow, but Casey has been fantastic."
    cue = text.index("fantastic")
    analysis = Analysis(
        clauses=[{"start": 0, "end": len(text), "polarity": "positive", "praise_targets": ["person"]}],
        evidence={"praise": [{"start": cue, "end": cue + 9, "text": "fantastic"}]},
    )
    [(start, end)] = praise_spans(analysis, text)
    assert text[start:end] == "Casey has been fantastic."


def test_a_turn_after_praise_is_not_quoted_as_praise() -> None:
    """'Good value... but setting up needs a degree': only the praise before the 'but' is quoted."""
    from survey.models import Analysis, Verbatim
    from survey.services.advocacy import praise_quote

    text = "Good value for a team our size... but setting up a metric feels like it needs a degree."
    cut = text.index("but")
    analysis = Analysis(
        praise=True,
        clauses=[
            {"start": 0, "end": cut - 1, "text": text[: cut - 1], "polarity": "positive",
             "praise_targets": ["product"]},
            {"start": cut, "end": len(text), "text": text[cut:], "polarity": "positive",
             "praise_targets": ["product"]},
        ],
        evidence={"praise": [{"start": 0, "end": 10, "text": "Good value"}]},
    )
    assert praise_quote(Verbatim(text=text), analysis) == "Good value for a team our size..."
