"""The metrics page: did recovery work, how fast, for whom and for which root causes."""

from __future__ import annotations

from typing import Any

from flask import abort, make_response, render_template, request

from survey.database import utcnow
from survey.services.recovery_metrics import PERIODS, PeriodError, Stats, parse_period, recovery_metrics
from webapp.auth import roles_required
from webapp.extensions import db
from webapp.recovery import bp
from webapp.recovery.common import fragment, wants_fragment


def _pct(value: float | None) -> float | None:
    return round(value * 100, 1) if value is not None else None


def _chart(kind: str, title: str, labels: list[str], datasets: list[dict[str, Any]], **options: Any) -> dict[str, Any]:
    """A chart description for static/js/charts.js (rendered from a JSON data block; no inline script)."""
    return {"type": kind, "title": title, "labels": labels, "datasets": datasets, **options}


def charts_for(by_csm: list[Stats], by_cause: list[Stats], weeks: list[dict[str, object]]) -> dict[str, Any]:
    """The four charts of the page, each also shown as a table."""
    csm_labels = [s.label for s in by_csm]
    cause_rows = [s for s in by_cause if s.opened]
    return {
        "recovery_by_csm": _chart("bar", "Recovery rate by CSM (%)", csm_labels, [
            {"label": "Recovery rate %", "data": [_pct(s.recovery_rate) for s in by_csm]},
        ], yMin=0, yMax=100, unit="%"),
        "speed_by_csm": _chart("bar", "Median time by CSM", csm_labels, [
            {"label": "First contact (hours)", "data": [s.median_first_contact_hours for s in by_csm]},
            {"label": "Resolution (days)", "data": [s.median_resolution_days for s in by_csm]},
        ], yMin=0),
        "recovery_by_cause": _chart("bar", "Recovery rate by root cause (%)", [s.label for s in cause_rows], [
            {"label": "Recovery rate %", "data": [_pct(s.recovery_rate) for s in cause_rows]},
        ], horizontal=True, yMin=0, yMax=100, unit="%"),
        "weekly": _chart("bar", "Tasks opened and resolved per week", [str(w["week"]) for w in weeks], [
            {"label": "Opened", "data": [w["opened"] for w in weeks]},
            {"label": "Resolved", "data": [w["resolved"] for w in weeks]},
        ], yMin=0, integer=True),
    }


@bp.get("/recovery/metrics")
@roles_required("csm")
def metrics() -> Any:
    """Time to first contact, time to resolution and recovery rate over a chosen period, with charts."""
    now = utcnow()
    try:
        period = parse_period(request.args.get("period"), request.args.get("start"), request.args.get("end"),
                              now.date())
    except PeriodError as exc:
        abort(400, description=str(exc))
    data = recovery_metrics(db.session, period, now)
    context = {"m": data, "periods": PERIODS, "charts": charts_for(data.by_csm, data.by_cause, data.weeks),
               "pct": _pct}
    if wants_fragment("metrics-results"):
        return fragment("recovery/_metrics_results.html", **context)
    resp = make_response(render_template("recovery/metrics.html", **context))
    resp.vary.add("HX-Request")
    return resp
