"""spaCy pipeline: clauses and people."""

from __future__ import annotations

from nlp.pipeline import build_pipeline, clause_spans, set_known_people


def _people(nlp: object, text: str) -> list[str]:
    return [e.text for e in nlp(text).ents if e.label_ == "PERSON"]  # type: ignore[operator]


def test_but_separates_clauses(nlp_pipeline: object) -> None:
    """'X is great but Y is buggy' gives two clauses, one per aspect."""
    doc = nlp_pipeline("Priya is great but the product is buggy.")  # type: ignore[operator]
    assert [c.text for c in clause_spans(doc)] == ["Priya is great", "but the product is buggy."]


def test_semicolon_and_however_split_but_trailing_though_does_not(nlp_pipeline: object) -> None:
    """Contrast words and semicolons open clauses; a sentence-final 'though' does not."""
    doc = nlp_pipeline("Fast app; however, support is slow. Pricey, though.")  # type: ignore[operator]
    assert len(clause_spans(doc)) == 3


def test_greeting_and_signature_names_are_people(nlp_pipeline: object) -> None:
    """Names in greetings and sign-offs are found, tools and companies are not."""
    assert _people(nlp_pipeline, "Hi Marcus, the Salesforce sync broke again. Best, Dana") == ["Marcus", "Dana"]
    assert _people(nlp_pipeline, "We moved to Pipedrive and Zendesk last year.") == []


def test_unusual_names_found_from_context(nlp_pipeline: object) -> None:
    """Names outside the gazetteer are found from context ('shoutout to', 'from support', coordination)."""
    assert _people(nlp_pipeline, "Big thanks to Oluwaseun and Chidinma!") == ["Oluwaseun", "Chidinma"]
    assert _people(nlp_pipeline, "Kwabena from support fixed it.") == ["Kwabena"]


def test_known_people_entity_ruler() -> None:
    """Names from the database are recognised even where the heuristics would miss them."""
    nlp = build_pipeline()
    assert _people(nlp, "we talked with Zbyszko yesterday") == []
    set_known_people(nlp, ["Zbyszko Kowalczyk"])
    assert _people(nlp, "we talked with Zbyszko yesterday") == ["Zbyszko"]
    set_known_people(nlp, [])
    assert _people(nlp, "we talked with Zbyszko yesterday") == []


def test_hyphenated_names_stay_whole(nlp_pipeline: object) -> None:
    """'Hyun-woo' in a signature is one person, not 'Hyun'."""
    assert _people(nlp_pipeline, "Is SAML possible on our plan? Thanks, Hyun-woo") == ["Hyun-woo"]
