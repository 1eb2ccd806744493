"""Learning from people: corrections are stored, override the model, and train a rollback-able version."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from survey.models import Analysis, Category, HumanLabel, ModelVersion, Verbatim
from survey.services.learning import (
    CorrectionError,
    activate,
    labelled_examples,
    mark_stale_for_reanalysis,
    record_correction,
)
from tests.factories import make_survey, make_user
from workers import jobs

TEXTS_BY_CATEGORY = {
    "performance": ["Reports take ages to load", "Dashboards are painfully slow", "Exports time out every time",
                    "The app freezes when filtering", "Loading a forecast takes minutes"],
    "pricing_value": ["Too expensive for what we get", "The price increase is hard to justify",
                      "Seats cost far too much", "Billing charged us twice", "Not worth the money anymore"],
}


def _seed_taxonomy(db_session: Any) -> None:
    from nlp.taxonomy import Taxonomy

    for c in Taxonomy.default().categories:
        db_session.add(Category(key=c.key, name=c.name, description=c.description, seed_examples=c.seed_examples))
    db_session.flush()


def _analysed(app: Flask, client: Any, db_session: Any, run_worker: Any, texts: list[str]) -> list[Verbatim]:
    make_survey(db_session, key="learn-nps")
    db_session.commit()
    for text in texts:
        client.post("/s/learn-nps/responses", json={"score": 5, "comment": text})
    run_worker()
    db_session.expire_all()
    return list(db_session.scalars(select(Verbatim).order_by(Verbatim.id)).all())


def test_correction_is_stored_and_overrides_analysis(app: Flask, client: Any, db_session: Any,
                                                      run_worker: Any) -> None:
    """A CSM's category fix is kept as a human label and shown on the analysis at once."""
    _seed_taxonomy(db_session)
    user = make_user(db_session, role="csm")
    [verbatim] = _analysed(app, client, db_session, run_worker, ["Billing charged us twice this month"])
    label = record_correction(db_session, verbatim, "categories", ["pricing_value"], user, context="recovery")
    record_correction(db_session, verbatim, "sentiment", "negative", user)
    db_session.commit()
    analysis = db_session.scalar(select(Analysis).where(Analysis.verbatim_id == verbatim.id))
    assert analysis.category_keys == ["pricing_value"] and analysis.corrected is True
    assert analysis.sentiment == "negative"
    assert label.previous is not None and label.context == "recovery"
    [example] = labelled_examples(db_session)
    assert example.categories == ["pricing_value"] and example.sentiment == "negative" and example.praise is None


@pytest.mark.parametrize(
    ("field", "value", "needle"),
    [("categories", ["nonsense"], "unknown categories"), ("sentiment", "angry", "sentiment must be"),
     ("praise", "yes", "true or false"), ("praise_targets", ["ceo"], "subset"), ("colour", 1, "field must be")],
)
def test_invalid_corrections_are_refused(app: Flask, client: Any, db_session: Any, run_worker: Any,
                                         field: str, value: Any, needle: str) -> None:
    """Corrections are validated and refused with a specific reason."""
    _seed_taxonomy(db_session)
    [verbatim] = _analysed(app, client, db_session, run_worker, ["Fine"])
    with pytest.raises(CorrectionError, match=needle):
        record_correction(db_session, verbatim, field, value, None)
    assert db_session.scalar(select(func.count(HumanLabel.id))) == 0


def test_retrain_creates_active_version_and_rollback_restores_zero_shot(
    app: Flask, client: Any, db_session: Any, run_worker: Any
) -> None:
    """Retraining from corrections makes a new active version; analyses carry its version; rollback works."""
    _seed_taxonomy(db_session)
    texts = [t for group in TEXTS_BY_CATEGORY.values() for t in group]
    verbatims = _analysed(app, client, db_session, run_worker, texts)
    zero_shot_version = db_session.scalar(select(Analysis.model_version))
    for v in verbatims:
        key = next(k for k, group in TEXTS_BY_CATEGORY.items() if v.text in group)
        record_correction(db_session, v, "categories", [key], None)
        record_correction(db_session, v, "sentiment", "negative", None)
    db_session.commit()
    with app.app_context():
        result = jobs.retrain_model()
    assert result["trained"] is True and result["examples"] == len(texts)
    db_session.expire_all()
    model = db_session.scalar(select(ModelVersion))
    assert model.active and model.version != zero_shot_version and model.version == result["version"]
    run_worker()  # the queued re-analysis runs every verbatim through the trained model
    db_session.expire_all()
    versions = set(db_session.scalars(select(Analysis.model_version)).all())
    assert model.version in versions
    # Human labels still win over the new model's output.
    assert all(a.sentiment == "negative" for a in db_session.scalars(
        select(Analysis).where(Analysis.model_version == model.version)))
    activate(db_session, None)
    db_session.commit()
    requeued = mark_stale_for_reanalysis(db_session, zero_shot_version)
    assert len(requeued) == len(texts)


def test_retrain_without_corrections_does_nothing(app: Flask, db_session: Any, nlp_engine: Any) -> None:
    """No corrections, no new version."""
    with app.app_context():
        assert jobs.retrain_model()["trained"] is False
    assert db_session.scalar(select(func.count(ModelVersion.id))) == 0
