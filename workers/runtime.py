"""The NLP engine of this process: loaded once per worker, never at import time, never per job."""

from __future__ import annotations

import threading

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from nlp.engine import Engine, EngineSettings
from nlp.taxonomy import Taxonomy, TaxonomyCategory
from survey.models import Category, Contact, User

_lock = threading.Lock()
_engine: Engine | None = None  # the loaded base engine (model + spaCy), zero-shot
_derived: dict[tuple[int | None, str], Engine] = {}  # siblings per (trained model id, taxonomy fingerprint)
_people_signature: tuple[int, int, int, int] | None = None


def taxonomy_from_db(session: Session) -> Taxonomy | None:
    """The user's taxonomy from the categories table (None until it is seeded: the default applies)."""
    rows = session.scalars(select(Category).where(Category.active.is_(True)).order_by(Category.id)).all()
    if not rows:
        return None
    return Taxonomy(
        categories=[
            TaxonomyCategory(key=r.key, name=r.name, description=r.description, seed_examples=list(r.seed_examples))
            for r in rows
        ]
    )


def known_people(session: Session) -> list[str]:
    """Names of staff and contacts, so the engine recognises them as people."""
    names = list(session.scalars(select(User.name)).all())
    names += [n for n in session.scalars(select(Contact.name).where(Contact.name.is_not(None))).all() if n]
    return names


def settings_for(app: Flask, session: Session) -> EngineSettings:
    """Engine settings from the app config and the database."""
    return EngineSettings(model_path=app.config.get("NLP_MODEL_PATH") or None, taxonomy=taxonomy_from_db(session))


def load_engine(app: Flask, session: Session) -> Engine:
    """Load (once) and return this process's engine; raises EngineLoadError naming the bad setting."""
    global _engine
    with _lock:
        if _engine is None:
            _engine = Engine.load(settings_for(app, session))
            _engine.set_known_people(known_people(session))
        return _engine


def engine_for_batch(app: Flask, session: Session) -> Engine:
    """The engine jobs should use now: the active trained model and the current taxonomy and names.

    The heavy model is loaded once; switching trained model or taxonomy builds a cheap sibling engine.
    """
    from survey.services.learning import active_model

    base = load_engine(app, session)
    model = active_model(session)
    taxonomy = taxonomy_from_db(session)
    key = (model.id if model else None, taxonomy.fingerprint() if taxonomy else "default")
    with _lock:
        engine = _derived.get(key)
        if engine is None:
            engine = base if taxonomy is None else base.with_taxonomy(taxonomy)
            if model is not None:
                engine = engine.with_trained(model.blob)
            _derived.clear()  # only the current combination is worth keeping
            _derived[key] = engine
    _refresh_people(session, engine)
    return engine


def _refresh_people(session: Session, engine: Engine) -> None:
    """Rebuild the people ruler when staff or contacts changed (a cheap count/max query per batch)."""
    global _people_signature
    from sqlalchemy import func

    sig = (
        *session.execute(select(func.count(User.id), func.coalesce(func.max(User.id), 0))).one(),
        *session.execute(select(func.count(Contact.id), func.coalesce(func.max(Contact.id), 0))).one(),
    )
    if sig != _people_signature or getattr(engine, "_feedloop_people_sig", None) != sig:
        engine.set_known_people(known_people(session))
        engine._feedloop_people_sig = sig  # type: ignore[attr-defined]
        _people_signature = sig


def install_engine(engine: Engine | None) -> None:
    """Use an already loaded engine (tests share one across the session; None forgets it)."""
    global _engine
    with _lock:
        _engine = engine
        _derived.clear()


def current_engine() -> Engine | None:
    """The loaded engine, if any."""
    return _engine
