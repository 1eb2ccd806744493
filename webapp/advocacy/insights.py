"""Measures: CS-qualified advocates per CSM and segment, conversion, referral revenue, leaderboards."""

from __future__ import annotations

from typing import Any

from flask import render_template

from survey.services import advocacy_metrics as metrics
from webapp.advocacy import bp
from webapp.advocacy.hub import labels
from webapp.auth import roles_required
from webapp.extensions import db

PALETTE = ["#1f6feb", "#126b3a", "#b35900", "#7c3aed", "#a4161a", "#0f766e", "#6b7280"]


def _bar_chart(
    title: str, labels_: list[str], series: list[dict[str, Any]], stacked: bool = True
) -> dict[str, Any]:
    """Chart.js config (data only; advocacy.js adds the options) for a stacked bar chart."""
    return {
        "type": "bar",
        "title": title,
        "stacked": stacked,
        "labels": labels_,
        "datasets": [{**s, "backgroundColor": PALETTE[i % len(PALETTE)]} for i, s in enumerate(series)],
    }


@bp.get("/advocacy/insights")
@roles_required("marketing")
def insights() -> Any:
    """What the programme brought, as charts and leaderboards."""
    session = db.session
    over_time = metrics.csqa_over_time(session)
    conversion = metrics.conversion(session)
    by_ask = conversion["by_ask"]
    charts = {
        "csm": _bar_chart(
            "CS-qualified advocates per month, by CSM", over_time["labels"], over_time["by_csm"]
        ),
        "segment": _bar_chart(
            "CS-qualified advocates per month, by segment", over_time["labels"], over_time["by_segment"]
        ),
        "conversion": _bar_chart(
            "Invites by ask type",
            [r.label for r in by_ask],
            [
                {"label": "Sent", "data": [r.sent for r in by_ask]},
                {"label": "Accepted", "data": [r.accepted for r in by_ask]},
                {"label": "Completed", "data": [r.completed for r in by_ask]},
            ],
            stacked=False,
        ),
    }
    return render_template(
        "advocacy/insights.html",
        charts=charts,
        over_time=over_time,
        conversion=conversion,
        leaderboard=metrics.csm_leaderboard(session),
        segments=metrics.segment_totals(session),
        referrals=metrics.referral_totals(session),
        advocates=metrics.advocate_leaderboard(session),
        second=metrics.second_order(session),
        stats=metrics.hub_stats(session),
        **labels(),
    )
