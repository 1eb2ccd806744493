"""NPS interval maths, NPS over time, and the driver table (how many points each category costs)."""

from __future__ import annotations

import math
from typing import Any

import pytest
from flask import Flask

from survey.services import insights
from survey.services.insights import InsightFilters, nps_interval
from tests.insights_helpers import build_history, label, login


def test_nps_interval_matches_the_adjusted_wald_formula() -> None:
    """50 promoters, 30 passives, 20 detractors: NPS 30 with the adjusted-Wald 95% interval 14.1 to 44.2."""
    est = nps_interval(50, 30, 20)
    assert est.nps == pytest.approx(30.0) and est.n == 100
    n = 103
    p, d = 50.75 / n, 20.75 / n
    se = math.sqrt((p + d - (p - d) ** 2) / n)
    assert est.low == pytest.approx(100 * (p - d - 1.959964 * se), abs=1e-3)
    assert est.high == pytest.approx(100 * (p - d + 1.959964 * se), abs=1e-3)
    assert est.low == pytest.approx(14.05, abs=0.01) and est.high == pytest.approx(44.20, abs=0.01)


def test_nps_interval_narrows_with_more_answers_and_stays_in_range() -> None:
    """Ten times the answers: a narrower interval; unanimous answers stay within -100..100; none: no NPS."""
    small, large = nps_interval(5, 3, 2), nps_interval(500, 300, 200)
    assert small.nps == large.nps == pytest.approx(30.0)
    assert (large.high - large.low) < (small.high - small.low) / 3
    unanimous = nps_interval(10, 0, 0)
    assert unanimous.nps == 100 and unanimous.high == 100 and 0 < unanimous.low < 100
    assert nps_interval(0, 0, 0).nps is None


DRIVER_HISTORY = [
    (0, "The app is painfully slow every morning.", "Starter", 0),
    (2, "Slow reports and the price keeps going up.", "Growth", 0),
    (10, "Support answered in minutes, brilliant.", "Growth", 0),
    (9, "Great product overall.", "Enterprise", 0),
    (7, "Decent, but expensive for a small team.", "Enterprise", 0),
]
DRIVER_LABELS = [(["performance"], "negative"), (["performance", "pricing_value"], "negative"),
                 (["support_service"], "positive"), ([], "positive"), (["pricing_value"], "mixed")]


@pytest.fixture
def driver_history(app: Flask, client: Any, db_session: Any, run_worker: Any) -> dict[str, Any]:
    data = build_history(client, db_session, run_worker, DRIVER_HISTORY)
    for rid, (cats, sentiment) in zip(data["response_ids"], DRIVER_LABELS, strict=True):
        label(db_session, rid, cats, sentiment)
    db_session.commit()
    from survey.services import insights_facts

    insights_facts.catch_up(db_session)
    db_session.commit()
    return data


def test_driver_table_sorts_categories_by_the_points_they_cost(driver_history: dict[str, Any],
                                                                db_session: Any) -> None:
    """NPS 0 overall; without performance 66.7 (costs 66.7), without pricing 33.3, without support -25 (adds 25)."""
    overall, rows = insights.drivers(db_session, InsightFilters())
    assert overall.nps == pytest.approx(0.0) and overall.n == 5
    assert [d.key for d in rows] == ["performance", "pricing_value", "support_service"]
    by_key = {d.key: d for d in rows}
    assert by_key["performance"].impact == pytest.approx(200 / 3) and by_key["performance"].tagged == 2
    assert by_key["performance"].nps_tagged == pytest.approx(-100.0)
    assert by_key["pricing_value"].nps_without == pytest.approx(100 / 3)
    assert by_key["support_service"].impact == pytest.approx(-25.0)
    assert by_key["support_service"].direction == "adds"


def test_trends_page_shows_nps_series_drivers_and_category_trends(driver_history: dict[str, Any],
                                                                   client: Any, db_session: Any) -> None:
    """The trends page renders NPS over time with its interval, the drivers and data for the charts."""
    series = insights.nps_over_time(db_session, InsightFilters(), "week")
    assert series[-1]["n"] == 5 and series[-1]["nps"] == 0.0 and series[-1]["low"] < 0 < series[-1]["high"]
    cats = insights.category_trends(db_session, InsightFilters(), "month")
    perf = next(c for c in cats["categories"] if c["key"] == "performance")
    assert perf["volume"][-1] == 2 and perf["detractor_share"][-1] == 100.0 and perf["net_sentiment"][-1] == -100.0
    login(client, "product@example.com")
    html = client.get("/insights/trends?period=month").get_data(as_text=True)
    assert 'data-chart="nps"' in html and 'data-chart="categories"' in html
    assert "costs 66.7 pts" in html and "adds 25.0 pts" in html
    fragment = client.get("/insights/trends?bucket=detractor", headers={"HX-Request": "true",
                                                                      "HX-Target": "trend-results"})
    assert "<html" not in fragment.get_data(as_text=True)
    assert client.get("/insights/trends?period=year").status_code == 400


def test_nps_over_time_fills_empty_weeks(app: Flask, client: Any, db_session: Any, run_worker: Any) -> None:
    """Weeks without answers appear as gaps (n = 0, no NPS) rather than being dropped."""
    build_history(client, db_session, run_worker, [(10, "Great.", "Starter", 1), (0, "Awful.", "Starter", 22)])
    series = insights.nps_over_time(db_session, InsightFilters(), "week")
    assert len(series) >= 4 and series[0]["nps"] == -100 and series[-1]["nps"] == 100
    assert any(p["n"] == 0 and p["nps"] is None for p in series[1:-1])
