"""Human corrections as labels, training examples from them, and model versions with rollback."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from nlp.training import LabelledExample
from nlp.types import PRAISE_TARGETS
from survey.database import utcnow
from survey.models import Analysis, Category, HumanLabel, ModelVersion, Response, Survey, User, Verbatim
from survey.models.learning import LABEL_FIELDS
from survey.services.analysis import CHANNEL_BY_SOURCE, latest_analysis

SENTIMENTS = ("positive", "negative", "neutral", "mixed")


class CorrectionError(ValueError):
    """A correction that cannot be stored, with the reason."""


def _validate(session: Session, field: str, value: Any) -> Any:
    """Normalise a corrected value or say why it is invalid."""
    if field not in LABEL_FIELDS:
        raise CorrectionError(f"field must be one of {', '.join(LABEL_FIELDS)}.")
    if field == "categories":
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise CorrectionError("categories must be a list of category keys.")
        known = set(session.scalars(select(Category.key)).all())
        unknown = sorted(set(value) - known) if known else []
        if unknown:
            raise CorrectionError(f"unknown categories: {', '.join(unknown)}.")
        return sorted(set(value))
    if field == "praise_targets":
        if not isinstance(value, list) or not set(value) <= set(PRAISE_TARGETS):
            raise CorrectionError(f"praise_targets must be a subset of {', '.join(PRAISE_TARGETS)}.")
        return sorted(set(value))
    if field == "sentiment":
        if value not in SENTIMENTS:
            raise CorrectionError(f"sentiment must be one of {', '.join(SENTIMENTS)}.")
        return value
    if not isinstance(value, bool):
        raise CorrectionError(f"{field} must be true or false.")
    return value


def record_correction(
    session: Session, verbatim: Verbatim, field: str, value: Any, user: User | None, context: str = "insights"
) -> HumanLabel:
    """Store a person's correction and show it at once on the current analysis."""
    value = _validate(session, field, value)
    analysis = latest_analysis(session, verbatim.id)
    previous = _current_value(analysis, field) if analysis else None
    label = HumanLabel(verbatim_id=verbatim.id, user_id=user.id if user else None, field=field, value=value,
                       previous=previous, context=context)
    session.add(label)
    session.flush()
    if analysis is not None:
        apply_human_labels(session, analysis)
    return label


def _current_value(analysis: Analysis, field: str) -> Any:
    if field == "categories":
        return list(analysis.category_keys)
    return getattr(analysis, field)


def latest_labels(session: Session, verbatim_ids: Sequence[int] | None = None) -> dict[int, dict[str, Any]]:
    """The newest corrected value of each field, per verbatim."""
    query = select(HumanLabel).order_by(HumanLabel.id)
    if verbatim_ids is not None:
        query = query.where(HumanLabel.verbatim_id.in_(list(verbatim_ids)))
    out: dict[int, dict[str, Any]] = {}
    for label in session.scalars(query):
        out.setdefault(label.verbatim_id, {})[label.field] = label.value
    return out


def apply_human_labels(session: Session, analysis: Analysis) -> None:
    """People outrank the model: corrected fields override what any model version concluded."""
    apply_human_labels_to(session, [analysis])


def apply_human_labels_to(session: Session, analyses: Sequence[Analysis]) -> None:
    """The same for a batch of analyses, with one query for all their labels."""
    labels = latest_labels(session, sorted({a.verbatim_id for a in analyses})) if analyses else {}
    changed = False
    for analysis in analyses:
        if analysis.verbatim_id in labels:
            _override(analysis, labels[analysis.verbatim_id])
            changed = True
    if changed:
        session.flush()


def _override(analysis: Analysis, labels: dict[str, Any]) -> None:
    for field, value in labels.items():
        if field == "categories":
            kept = {c["key"]: c for c in analysis.categories if c.get("key") in value}
            analysis.categories = [
                kept.get(key, {"key": key, "confidence": 1.0, "polarity": "neutral", "evidence": None,
                               "source": "human"})
                for key in value
            ]
            analysis.category_keys = list(value)
        else:
            setattr(analysis, field, value)
    analysis.corrected = True


def labelled_examples(session: Session) -> list[LabelledExample]:
    """Every corrected verbatim as a training example (fields nobody corrected stay None)."""
    labels = latest_labels(session)
    if not labels:
        return []
    rows = session.execute(
        select(Verbatim.id, Verbatim.text, Verbatim.source, Response.score, Survey.kind)
        .outerjoin(Response, Response.id == Verbatim.response_id)
        .outerjoin(Survey, Survey.id == Response.survey_id)
        .where(Verbatim.id.in_(list(labels)), Verbatim.text != "")
    ).all()
    examples = []
    for vid, text, source, score, kind in rows:
        fields = labels[vid]
        channel = CHANNEL_BY_SOURCE.get(source, "feedback_form")
        examples.append(
            LabelledExample(
                text=text,
                channel=channel if (source != "survey" or kind in (None, "nps")) else "feedback_form",
                score=score if kind == "nps" else None,
                categories=fields.get("categories"),
                sentiment=fields.get("sentiment"),
                praise=fields.get("praise"),
                praise_targets=fields.get("praise_targets"),
                referral_signal=fields.get("referral_signal"),
                churn_risk=fields.get("churn_risk"),
            )
        )
    return examples


def active_model(session: Session) -> ModelVersion | None:
    """The trained model workers should use (None: zero-shot)."""
    return session.scalar(select(ModelVersion).where(ModelVersion.active.is_(True)).limit(1))


def store_model(session: Session, version: str, blob: bytes, n_examples: int, metrics: dict[str, Any],
                user: User | None = None) -> ModelVersion:
    """Keep a new trained model and make it the active one (older ones stay for rollback)."""
    existing = session.scalar(select(ModelVersion).where(ModelVersion.version == version))
    if existing is not None:
        activate(session, existing)
        return existing
    model = ModelVersion(version=version, blob=blob, n_examples=n_examples, metrics=metrics,
                         created_by_id=user.id if user else None)
    session.add(model)
    session.flush()
    activate(session, model)
    return model


def activate(session: Session, model: ModelVersion | None) -> None:
    """Make this model (or zero-shot, for None) the one workers use."""
    session.execute(update(ModelVersion).where(ModelVersion.active.is_(True)).values(active=False))
    if model is not None:
        model.active = True
        model.activated_at = utcnow()
    session.flush()


def mark_stale_for_reanalysis(session: Session, current_model_version: str, limit: int = 10_000) -> list[int]:
    """Verbatims whose newest analysis came from another model version go back to pending (in chunks)."""
    latest = (
        select(Analysis.verbatim_id, Analysis.model_version)
        .where(Analysis.id.in_(_max_analysis_ids()))
        .subquery()
    )
    ids = session.scalars(
        select(Verbatim.id)
        .join(latest, latest.c.verbatim_id == Verbatim.id)
        .where(Verbatim.analysis_status == "done", latest.c.model_version != current_model_version)
        .order_by(Verbatim.id)
        .limit(limit)
    ).all()
    if ids:
        session.execute(
            update(Verbatim).where(Verbatim.id.in_(ids), Verbatim.analysis_status == "done")
            # a new reading: no tries yet
            .values(analysis_status="pending", claim_token=None, analysis_attempts=0)
        )
        session.flush()
    return list(ids)


def _max_analysis_ids() -> Any:
    """The newest analysis id of every verbatim."""
    return select(func.max(Analysis.id)).group_by(Analysis.verbatim_id)
