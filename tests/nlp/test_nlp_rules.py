"""Rule components: polarity, praise, referral and churn cues, category keywords."""

from __future__ import annotations

from nlp.rules import DocRules


def _rules(nlp: object, annotator: object, text: str, channel: str = "nps") -> DocRules:
    return annotator.annotate(nlp(text), channel)  # type: ignore[attr-defined, operator]


def test_overall_sentiment_follows_guidelines(nlp_pipeline: object, annotator: object) -> None:
    """Praise plus complaint is mixed, a lone 'ok' neutral, a wish alone neutral, a bug report negative."""
    assert _rules(nlp_pipeline, annotator, "Support is great but the app is slow.").sentiment == "mixed"
    assert _rules(nlp_pipeline, annotator, "ok").sentiment == "neutral"
    assert _rules(nlp_pipeline, annotator, "Would love a Teams integration.").sentiment == "neutral"
    assert _rules(nlp_pipeline, annotator, "Export fails with an error every time.").sentiment == "negative"


def test_negation_flips_praise(nlp_pipeline: object, annotator: object) -> None:
    """'not great' is not praise; 'great' is."""
    assert not any(c.praise for c in _rules(nlp_pipeline, annotator, "The app is not great.").clauses)
    assert any(c.praise for c in _rules(nlp_pipeline, annotator, "The app is great.").clauses)


def test_lukewarm_words_are_not_praise(nlp_pipeline: object, annotator: object) -> None:
    """'fine', 'does the job' and 'happy' evaluate but do not praise."""
    for text in ("It's fine.", "Does the job.", "We are happy with it."):
        assert not any(c.praise for c in _rules(nlp_pipeline, annotator, text).clauses), text


def test_praise_targets_person_and_support(nlp_pipeline: object, annotator: object) -> None:
    """A named support agent praised is both person and support."""
    rules = _rules(nlp_pipeline, annotator, "Kevin from support was brilliant.")
    targets = {t for c in rules.clauses for t in c.praise_targets("nps")}
    assert targets == {"person", "support"}


def test_referral_cues_and_negation(nlp_pipeline: object, annotator: object) -> None:
    """Recommending and reference offers count; 'would not recommend' does not."""
    assert _rules(nlp_pipeline, annotator, "Happy to be a reference for prospects.").referral
    assert _rules(nlp_pipeline, annotator, "Already told my old boss about you.").referral
    assert not _rules(nlp_pipeline, annotator, "Would not recommend.").referral


def test_churn_cues_and_exclusions(nlp_pipeline: object, annotator: object) -> None:
    """Cancelling and moving to a competitor are churn; having switched from one is not."""
    assert _rules(nlp_pipeline, annotator, "We're cancelling at the end of the month.").churn
    assert _rules(nlp_pipeline, annotator, "Evaluating Gong right now.").churn
    assert not _rules(nlp_pipeline, annotator, "We switched from Pipedrive last year.").churn
    assert not _rules(nlp_pipeline, annotator, "Switching would be painful.").churn


def test_competitors_are_listed(nlp_pipeline: object, annotator: object) -> None:
    """Configured competitor names are reported once each."""
    assert _rules(nlp_pipeline, annotator, "Clari is cheaper than you, Clari!").competitors == ["Clari"]


def test_category_keywords_match_inflections(nlp_pipeline: object, annotator: object) -> None:
    """Lemma patterns catch 'crashed' for reliability and SSO couples security with integrations."""
    rules = _rules(nlp_pipeline, annotator, "The app crashed twice. Our SSO login is broken.")
    found = {k for c in rules.clauses for k in c.categories}
    assert {"reliability_bugs", "security_compliance", "integrations"} <= found


def test_imperative_add_is_a_feature_request(nlp_pipeline: object, annotator: object) -> None:
    """'Add bulk upload please' is a wish (missing_features), not an evaluation."""
    rules = _rules(nlp_pipeline, annotator, "Add bulk upload of documents please.")
    assert rules.sentiment == "neutral"
    assert any("missing_features" in c.categories for c in rules.clauses)


def test_requests_do_not_praise(nlp_pipeline: object, annotator: object) -> None:
    """'would love' and 'would appreciate' ask for something; they are not praise."""
    for text in ("Would love a Gantt view.", "I would appreciate a call this week."):
        assert not any(c.praise for c in _rules(nlp_pipeline, annotator, text).clauses), text
