"""The Engine interface the workers call."""

from __future__ import annotations

import numpy as np
import pytest

from nlp.engine import Engine, EngineLoadError, EngineSettings
from nlp.taxonomy import Taxonomy, TaxonomyCategory
from nlp.types import VerbatimInput


def test_analyze_fills_every_field(engine: Engine) -> None:
    """A mixed comment gets categories with evidence, clauses, people, praise and a 384-d embedding."""
    text = "Priya has been an amazing CSM, but the mobile app crashes every week."
    [result] = engine.analyze([VerbatimInput(text=text, channel="nps", score=6)])
    assert result.sentiment == "mixed"
    assert result.people == ["Priya"]
    assert result.praise and "person" in result.praise_targets
    keys = {c.key for c in result.categories}
    assert {"reliability_bugs", "account_relationship"} <= keys
    for hit in result.categories:
        assert hit.evidence is not None and text[hit.evidence.start:hit.evidence.end] == hit.evidence.text
    assert len(result.clauses) == 2 and result.clauses[1].polarity == "negative"
    assert result.embedding is not None and len(result.embedding) == 384
    assert abs(float(np.linalg.norm(result.embedding)) - 1.0) < 1e-4
    assert result.model_version == engine.model_version


def test_blank_and_short_texts(engine: Engine) -> None:
    """Empty or punctuation-only verbatims are neutral with no categories."""
    results = engine.analyze([VerbatimInput(text=""), VerbatimInput(text="-"), VerbatimInput(text="n/a")])
    assert [r.sentiment for r in results] == ["neutral", "neutral", "neutral"]
    assert all(not r.categories for r in results)


def test_score_mismatch_flag(engine: Engine) -> None:
    """A 10 with a clearly negative comment is flagged as a probable scale misread."""
    [r] = engine.analyze([VerbatimInput(text="Terrible. Crashes all the time and support ignores us.", score=10)])
    assert r.score_mismatch
    [r] = engine.analyze([VerbatimInput(text="Terrible. Crashes all the time and support ignores us.", score=1)])
    assert not r.score_mismatch


def test_churn_referral_and_competitors(engine: Engine) -> None:
    """Churn and referral evidence spans point into the text; competitors are named."""
    text = "We are evaluating Gong because exports keep failing."
    [r] = engine.analyze([VerbatimInput(text=text, score=3)])
    assert r.churn_risk and r.competitors == ["Gong"]
    assert all(text[e.start:e.end] == e.text for e in r.churn_evidence)
    [r] = engine.analyze([VerbatimInput(text="Already recommended you to three friends.", score=10)])
    assert r.referral_signal and not r.churn_risk


def test_set_known_people(engine: Engine) -> None:
    """Names from the database are recognised after set_known_people."""
    text = "thanks to zed and Xiomarq for the quick help"
    assert engine.analyze([VerbatimInput(text=text)])[0].people == []
    engine.set_known_people(["Xiomarq Vell"])
    try:
        assert engine.analyze([VerbatimInput(text=text)])[0].people == ["Xiomarq"]
    finally:
        engine.set_known_people([])


def test_model_version_tracks_taxonomy_and_training(engine: Engine, trained_blob: bytes) -> None:
    """Changing the taxonomy or the trained model changes the version; same inputs keep it."""
    other = engine.with_taxonomy(Taxonomy([TaxonomyCategory("billing", "Billing", "Invoices", ["double charged"])]))
    trained = engine.with_trained(trained_blob)
    versions = {engine.model_version, other.model_version, trained.model_version}
    assert len(versions) == 3
    assert engine.with_trained(None).model_version == engine.model_version
    assert engine.model_version.endswith("+zs")


def test_custom_taxonomy_zero_shot(engine: Engine) -> None:
    """A user taxonomy with no keyword rules still categorises by prototype similarity."""
    taxonomy = Taxonomy([
        TaxonomyCategory("shipping", "Shipping and delivery", "Late, lost or damaged deliveries.",
                         ["My parcel arrived two weeks late.", "The package was damaged."]),
        TaxonomyCategory("food_quality", "Food quality", "Taste, freshness and portions.",
                         ["The pasta was cold and bland."]),
    ])
    [r] = engine.with_taxonomy(taxonomy).analyze([VerbatimInput(text="The delivery was late and the box arrived damaged.")])
    assert [c.key for c in r.categories] == ["shipping"]


def test_embed_is_normalized(engine: Engine) -> None:
    """embed() returns unit vectors, one row per text."""
    vectors = engine.embed(["great", "n/a", "great"])
    assert vectors.shape == (3, 384)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_bad_model_path_names_the_setting() -> None:
    """A wrong model path fails clearly, naming FEEDLOOP_NLP_MODEL_PATH."""
    with pytest.raises(EngineLoadError, match="FEEDLOOP_NLP_MODEL_PATH"):
        Engine.load(EngineSettings(model_path="/nonexistent/model"))


def test_bad_trained_blob_is_refused(engine: Engine) -> None:
    """A corrupt trained blob raises EngineLoadError instead of loading silently."""
    with pytest.raises(EngineLoadError):
        engine.with_trained(b"not a model")


@pytest.mark.skipif(not hasattr(__import__("os"), "fork"), reason="needs fork")
def test_forked_child_can_analyze(engine: Engine) -> None:
    """An RQ-style forked work-horse analyses with the parent's loaded model instead of hanging."""
    import os
    import signal

    engine.analyze([VerbatimInput(text="warm the thread pool in the parent")])
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the child
        signal.alarm(60)
        ok = engine.analyze([VerbatimInput(text="child analysis of a great product")])[0].sentiment == "positive"
        os._exit(0 if ok else 1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
