"""Admins create and edit surveys: wording per language, channels, identity, widget origins, programmes."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from survey.models import Survey
from tests.factories import make_survey, make_user
from tests.surveys_helpers import field, login


def _admin(client: Any, db_session: Any, role: str = "admin") -> None:
    make_user(db_session, role=role, email=f"{role}@example.com")
    db_session.commit()
    login(client, f"{role}@example.com")


def _form(token: str, **overrides: Any) -> dict[str, Any]:
    data = {
        "csrf_token": token,
        "name": "Onboarding CES",
        "public_key": "onboarding-ces",
        "kind": "ces",
        "product_name": "Acme",
        "status": "active",
        "identity": "identified",
        "channels": ["link", "widget"],
        "languages": ["en", "de"],
        "primary_language": "en",
        "text_en_question": "How easy was onboarding?",
        "text_de_question": "Wie einfach war das Onboarding?",
        "text_en_detractor": "What got in your way?",
        "allowed_origins": "https://App.Example.com/\nhttps://app.example.com",
        "programme": "none",
    }
    data.update(overrides)
    return data


def test_admin_creates_a_survey_with_translations_and_origins(client: Any, db_session: Any) -> None:
    """The form stores wording per language, normalised origins, a widget secret and the identity mode."""
    _admin(client, db_session)
    token = field(client.get("/admin/surveys/new").get_data(as_text=True), "csrf_token")
    resp = client.post("/admin/surveys/new", data=_form(token))
    assert resp.status_code == 303
    survey = db_session.scalar(select(Survey).where(Survey.public_key == "onboarding-ces"))
    assert survey.question == "How easy was onboarding?" and survey.anonymous is False
    assert survey.translations["de"]["question"] == "Wie einfach war das Onboarding?"
    assert survey.allowed_origins == ["https://app.example.com"] and len(survey.widget_secret) == 64
    german = client.get("/s/onboarding-ces", headers={"Accept-Language": "de"}).get_data(as_text=True)
    assert "Wie einfach war das Onboarding?" in german and "Sehr schwierig" in german


def test_invalid_form_names_each_field(client: Any, db_session: Any) -> None:
    """Bad key, bad origin, no language and a relationship without a period: 400 with each reason shown."""
    _admin(client, db_session)
    make_survey(db_session, key="taken-key")
    db_session.commit()
    token = field(client.get("/admin/surveys/new").get_data(as_text=True), "csrf_token")
    resp = client.post(
        "/admin/surveys/new",
        data=_form(
            token,
            public_key="Bad Key!",
            languages=[],
            allowed_origins="javascript:alert(1)",
            programme="relationship",
            recurrence_days="0",
        ),
    )
    html = resp.get_data(as_text=True)
    assert resp.status_code == 400
    for needle in ("lowercase letters", "is not an origin", "at least one language", "every 1 to 730 days"):
        assert needle in html
    taken = client.post("/admin/surveys/new", data=_form(token, public_key="taken-key"))
    assert taken.status_code == 400 and "already used" in taken.get_data(as_text=True)


def test_edit_starts_a_relationship_programme(client: Any, db_session: Any) -> None:
    """Switching to a relationship programme records when its first cycle started."""
    _admin(client, db_session)
    survey = make_survey(db_session, key="edit-nps")
    db_session.commit()
    token = field(client.get(f"/admin/surveys/{survey.id}/edit").get_data(as_text=True), "csrf_token")
    form = _form(token, kind="nps", programme="relationship", recurrence_days="90", status="closed")
    form.pop("public_key")
    assert client.post(f"/admin/surveys/{survey.id}/edit", data=form).status_code == 303
    db_session.expire_all()
    survey = db_session.get(Survey, survey.id)
    assert survey.programme == "relationship" and survey.recurrence_days == 90
    assert (
        survey.programme_started_at is not None
        and survey.status == "closed"
        and survey.public_key == "edit-nps"
    )


def test_survey_pages_are_admin_only(client: Any, db_session: Any) -> None:
    """A CSM cannot open survey management."""
    _admin(client, db_session, role="csm")
    assert client.get("/admin/surveys").status_code == 403
    assert client.get("/admin/surveys/new").status_code == 403


def test_detail_shows_snippet_and_rotating_the_secret_changes_it(client: Any, db_session: Any) -> None:
    """The detail page shows the embed snippet; rotating the secret replaces it."""
    _admin(client, db_session)
    survey = make_survey(db_session, key="snip-nps", widget_secret="old", anonymous=False)
    db_session.commit()
    html = client.get(f"/admin/surveys/{survey.id}").get_data(as_text=True)
    assert "/embed.js" in html and 'data-survey="snip-nps"' in html and "data-signature" in html
    client.post(f"/admin/surveys/{survey.id}/secret", data={"csrf_token": field(html, "csrf_token")})
    db_session.expire_all()
    assert db_session.get(Survey, survey.id).widget_secret not in ("old", None)
