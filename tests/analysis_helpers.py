"""What the analysis tests count: verbatims done, analyses, and verbatims with at least one analysis."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from survey.models import Analysis, Verbatim


def analysed_counts(db_session: Any) -> tuple[int, int, int]:
    """(verbatims done, analyses, distinct analysed verbatims): all equal when each was analysed once."""
    db_session.expire_all()
    done = db_session.scalar(select(func.count(Verbatim.id)).where(Verbatim.analysis_status == "done"))
    return done, db_session.scalar(select(func.count(Analysis.id))), db_session.scalar(
        select(func.count(func.distinct(Analysis.verbatim_id))))
