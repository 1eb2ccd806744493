"""The feedback browser: filters in the URL, counts, keyset pages, htmx fragments, privacy, exports."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

import pytest
from flask import Flask

from tests.factories import make_user
from tests.insights_helpers import build_history, label, login, row_ids

# score, comment, plan, days ago; then the labels a person pinned (categories, sentiment, praise)
HISTORY = [
    (2, "Exports to Excel time out every single time, we cannot get our data out.", "Enterprise", 3),
    (3, "The reports take forever to load, dashboards freeze constantly.", "Enterprise", 10),
    (9, "Support is fantastic, Maya solved our issue within an hour.", "Growth", 5),
    (10, "Love the product, the team is great and onboarding was smooth.", "Starter", 40),
    (6, "Too expensive for what we get, the price increase is hard to justify.", "Growth", 70),
    (8, "Solid tool, does the job.", "Starter", 100),
    (1, "Billing charged us twice and nobody answers our tickets.", "Starter", 200),
]
LABELS = [
    (["performance"], "negative", False), (["performance"], "negative", False),
    (["support_service"], "positive", True), (["onboarding_training"], "positive", True),
    (["pricing_value"], "negative", False), ([], "neutral", False),
    (["pricing_value", "support_service"], "negative", False),
]
EXCEL, REPORTS, SUPPORT, LOVE, PRICE, SOLID, BILLING = range(7)


@pytest.fixture
def history(app: Flask, client: Any, db_session: Any, run_worker: Any) -> dict[str, Any]:
    data = build_history(client, db_session, run_worker, HISTORY)
    data["v"] = [label(db_session, rid, *labels) for rid, labels in zip(data["response_ids"], LABELS, strict=True)]
    db_session.commit()
    login(client, "product@example.com")
    return data


def shown(client: Any, history: dict[str, Any], query: dict[str, Any] | None = None) -> set[int]:
    """Which of the history's rows (by index) a list request shows."""
    ids = row_ids(client.get("/insights", query_string=query or {}).get_data(as_text=True))
    return {i for i, vid in enumerate(history["v"]) if vid in ids}


def test_list_shows_every_verbatim_with_counts_and_nps(history: dict[str, Any], client: Any) -> None:
    """Unfiltered: all verbatims newest first, the verbatim count and the NPS of the answers."""
    html = client.get("/insights").get_data(as_text=True)
    v = history["v"]
    assert row_ids(html) == [v[i] for i in (EXCEL, SUPPORT, REPORTS, LOVE, PRICE, SOLID, BILLING)]
    # 2 promoters (9, 10), 1 passive (8), 4 detractors: NPS = (2 - 4) / 7 = -28.6
    assert "-29</strong>NPS" in html and "7</strong>verbatims" in html


@pytest.mark.parametrize(("query", "expected"), [
    ({"bucket": "promoter"}, {SUPPORT, LOVE}),
    ({"bucket": "detractor"}, {EXCEL, REPORTS, PRICE, BILLING}),
    ({"plan": "Enterprise"}, {EXCEL, REPORTS}),
    ({"arr": "lt10k"}, {LOVE, SOLID, BILLING}),
    ({"arr": "250k+"}, {EXCEL, REPORTS}),
    ({"segment": "Mid-market"}, {SUPPORT, PRICE}),
    ({"category": "performance"}, {EXCEL, REPORTS}),
    ({"category": "support_service"}, {SUPPORT, BILLING}),
    ({"sentiment": "positive"}, {SUPPORT, LOVE}),
    ({"channel": "survey"}, set(range(7))),
    ({"channel": "support_ticket"}, set()),
    ({"flag": "praise"}, {SUPPORT, LOVE}),
    ({"flag": "corrected"}, set(range(7))),
    ({"category": "pricing_value", "bucket": "detractor", "plan": "Starter"}, {BILLING}),
])
def test_filters_narrow_the_list(history: dict[str, Any], client: Any, query: dict[str, str],
                                 expected: set[int]) -> None:
    """Each filter, passed as a query parameter, keeps exactly the matching verbatims; filters combine."""
    assert shown(client, history, query) == expected


def test_survey_filter(history: dict[str, Any], client: Any) -> None:
    """survey= keeps that survey's answers only."""
    assert shown(client, history, {"survey": history["survey"].id}) == set(range(7))
    assert shown(client, history, {"survey": history["survey"].id + 99}) == set()


def test_date_range_and_account_filters_combine(history: dict[str, Any], client: Any) -> None:
    """from/to bound the date and account= keeps one company; the counts follow the filters."""
    from datetime import date, timedelta

    start = (date.today() - timedelta(days=60)).isoformat()
    html = client.get("/insights", query_string={"from": start}).get_data(as_text=True)
    assert "4</strong>verbatims" in html
    assert shown(client, history, {"from": start}) == {EXCEL, REPORTS, SUPPORT, LOVE}
    end = (date.today() - timedelta(days=50)).isoformat()
    assert shown(client, history, {"to": end}) == {PRICE, SOLID, BILLING}
    account = history["accounts"]["Enterprise"]
    html = client.get("/insights", query_string={"account": account.id, "from": start}).get_data(as_text=True)
    assert "2</strong>verbatims" in html and "Account: Enterprise Co" in html
    assert set(row_ids(html)) == {history["v"][EXCEL], history["v"][REPORTS]}


def test_htmx_gets_only_the_results_fragment(history: dict[str, Any], client: Any) -> None:
    """A filter change from htmx returns the results fragment, with Vary: HX-Request."""
    resp = client.get("/insights?bucket=detractor", headers={"HX-Request": "true", "HX-Target": "insight-results"})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "<html" not in html and 'id="insight-results"' in html
    assert "HX-Request" in resp.headers.get("Vary", "")
    assert set(row_ids(html)) == {history["v"][i] for i in (EXCEL, REPORTS, PRICE, BILLING)}


def test_keyset_pages_walk_the_whole_history(history: dict[str, Any], client: Any, db_session: Any) -> None:
    """Pages follow an after= cursor: no verbatim is repeated or skipped."""
    from survey.services import insights

    seen: list[int] = []
    after = None
    f = insights.InsightFilters()
    while True:
        rows, after = insights.feedback_page(db_session, f, after, limit=3)
        seen += [r.verbatim.id for r in rows]
        if after is None:
            break
    assert len(seen) == len(HISTORY) == len(set(seen))
    html = client.get("/insights").get_data(as_text=True)
    assert "Older →" not in html  # one page of 50 holds them all


def test_bad_filters_are_refused(history: dict[str, Any], client: Any) -> None:
    """Invalid filter values answer 400 with the reason."""
    assert client.get("/insights?bucket=angry").status_code == 400
    assert client.get("/insights?from=yesterday").status_code == 400
    assert client.get("/insights?after=nonsense").status_code == 400


def test_product_sees_accounts_not_contacts(history: dict[str, Any], client: Any, db_session: Any) -> None:
    """The product role sees the account but never the contact's name or email; admins see both."""
    html = client.get("/insights").get_data(as_text=True)
    assert "Enterprise Co" in html and "Casey Contact" not in html and "@enterprise.example" not in html
    make_user(db_session, role="admin", email="boss@example.com")
    db_session.commit()
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    client.post("/logout", data={"csrf_token": token})
    login(client, "boss@example.com")
    assert "Casey Contact" in client.get("/insights").get_data(as_text=True)


def test_csv_and_json_exports_follow_the_filters(history: dict[str, Any], client: Any) -> None:
    """Both exports contain exactly the filtered verbatims with their analysis."""
    resp = client.get("/insights/export.csv?bucket=detractor")
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(resp.get_data(as_text=True))))
    assert len(rows) == 4 and {r["nps_bucket"] for r in rows} == {"detractor"}
    assert sorted(r["categories"] for r in rows) == ["performance", "performance", "pricing_value",
                                                      "pricing_value;support_service"]
    body = client.get("/insights/export.json?plan=Enterprise").get_json()
    assert body["count"] == 2 and body["filters"] == {"plan": "Enterprise"}
    assert {v["account"] for v in body["verbatims"]} == {"Enterprise Co"}
    assert all("contact" not in v for v in body["verbatims"])


def test_csv_export_neutralises_formulas(app: Flask, client: Any, db_session: Any, run_worker: Any) -> None:
    """A verbatim starting with = is exported as text, not as a spreadsheet formula."""
    build_history(client, db_session, run_worker, [(5, "=HYPERLINK(\"http://x\")", "Starter", 0)])
    login(client, "product@example.com")
    rows = list(csv.DictReader(io.StringIO(client.get("/insights/export.csv").get_data(as_text=True))))
    assert rows[0]["text"].startswith("'=")


def test_new_answers_appear_without_a_rebuild(history: dict[str, Any], client: Any, run_worker: Any,
                                              db_session: Any) -> None:
    """The read model catches up on the next request: a new analysed answer and a score-only answer count."""
    from tests.insights_helpers import answer

    answer(client, "ins-nps", 0, "Sync with Salesforce broke again and we lost data.")
    client.post("/s/ins-nps/responses", json={"score": 10})
    run_worker()
    html = client.get("/insights").get_data(as_text=True)
    assert "8</strong>verbatims" in html and len(row_ids(html)) == 8
    assert "9 answers" in html  # the score-only promoter counts in NPS but is not listed
