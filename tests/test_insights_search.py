"""Semantic search: embeddings through the ANN index (and its exact tail), keyword match, filters, more like this."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask

from survey.services import search
from tests.insights_helpers import answer, build_history, login, row_ids, verbatim_of

CORPUS = [
    (2, "Exporting the pipeline report to Excel always times out after a minute.", "Enterprise", 2),
    (3, "Our invoices doubled after the renewal, far too expensive.", "Growth", 4),
    (9, "Maya in support sorted out our SSO problem the same afternoon.", "Growth", 6),
    (4, "The Kubernetes operator keeps restarting the sync pods.", "Starter", 8),
    (10, "Onboarding was smooth and the training videos are excellent.", "Starter", 10),
    (1, "Downloading data as a spreadsheet fails, the CSV download never finishes.", "Enterprise", 12),
]


@pytest.fixture
def corpus(app: Flask, client: Any, db_session: Any, run_worker: Any) -> dict[str, Any]:
    data = build_history(client, db_session, run_worker, CORPUS)
    data["v"] = [verbatim_of(db_session, rid).id for rid in data["response_ids"]]
    login(client, "product@example.com")
    return data


def _rebuild_index(run_worker: Any, app: Flask) -> dict[str, Any]:
    from workers import enqueue

    with app.app_context():
        enqueue.enqueue_index_rebuild()
    run_worker()
    meta = search.read_meta(search.index_path(app))
    assert meta is not None
    return meta


def test_search_ranks_by_meaning_through_the_index(corpus: dict[str, Any], client: Any, app: Flask,
                                                   run_worker: Any, db_session: Any) -> None:
    """After the worker builds the index, "export to excel times out" finds both export complaints first."""
    meta = _rebuild_index(run_worker, app)
    assert meta["count"] == len(CORPUS)
    html = client.get("/insights", query_string={"q": "export to excel times out"}).get_data(as_text=True)
    ids = row_ids(html)
    assert set(ids[:2]) == {corpus["v"][0], corpus["v"][5]}
    assert "% similar" in html and "Best matches for" in html


def test_new_verbatims_are_searchable_before_the_index_catches_up(corpus: dict[str, Any], client: Any,
                                                                   app: Flask, run_worker: Any) -> None:
    """A verbatim analysed after the index was built is found through the exact tail search."""
    _rebuild_index(run_worker, app)
    rid = answer(client, "ins-nps", 0, "The XLSX export button spins forever and then errors out.")
    from survey.models import Verbatim
    from sqlalchemy import select

    run_worker()  # analyses it; also folds it into the index (sync job) only if enough is waiting
    with app.app_context():
        from webapp.extensions import db

        vid = db.session.scalar(select(Verbatim.id).where(Verbatim.response_id == rid))
    ids = row_ids(client.get("/insights", query_string={"q": "excel export fails"}).get_data(as_text=True))
    assert vid in ids[:3]


def test_keyword_match_lifts_rare_terms(corpus: dict[str, Any], client: Any) -> None:
    """A rare product word ranks its verbatim first, flagged as a keyword match (full-text search)."""
    html = client.get("/insights", query_string={"q": "kubernetes"}).get_data(as_text=True)
    assert row_ids(html)[0] == corpus["v"][3]
    assert "keyword match" in html


def test_search_applies_the_filters(corpus: dict[str, Any], client: Any) -> None:
    """Filters narrow search results: only Starter accounts' verbatims are returned."""
    ids = row_ids(client.get("/insights", query_string={"q": "export to excel times out", "plan": "Starter"})
                  .get_data(as_text=True))
    assert ids and set(ids) <= {corpus["v"][3], corpus["v"][4]}


def test_more_like_this(corpus: dict[str, Any], client: Any) -> None:
    """"More like this" on the Excel complaint puts the spreadsheet-download complaint first, not itself."""
    ids = row_ids(client.get("/insights", query_string={"like": corpus["v"][0]}).get_data(as_text=True))
    assert ids[0] == corpus["v"][5] and corpus["v"][0] not in ids


def test_search_export_keeps_the_ranking(corpus: dict[str, Any], client: Any) -> None:
    """The JSON export of a search lists the results in ranked order with their similarity."""
    body = client.get("/insights/export.json", query_string={"q": "export to excel times out"}).get_json()
    assert body["verbatims"][0]["verbatim_id"] in (corpus["v"][0], corpus["v"][5])
    sims = [v["similarity"] for v in body["verbatims"]]
    assert sims[0] >= sims[-1] and body["filters"] == {"q": "export to excel times out"}


def test_verbatim_page_lists_similar_feedback(corpus: dict[str, Any], client: Any) -> None:
    """Opening a verbatim shows its whole text and similar feedback."""
    html = client.get(f"/insights/v/{corpus['v'][0]}").get_data(as_text=True)
    assert "Similar feedback" in html
    similar = [int(x) for x in re.findall(r'href="/insights/v/(\d+)"', html)]
    assert corpus["v"][5] in similar[:2]


def test_index_from_another_database_is_ignored(corpus: dict[str, Any], client: Any, app: Flask,
                                                run_worker: Any, db_session: Any) -> None:
    """An index whose token does not match this database is not trusted: search falls back to exact."""
    _rebuild_index(run_worker, app)
    from survey.services.insights_facts import sync_state

    sync_state(db_session).token = "another-database"
    db_session.commit()
    ids = row_ids(client.get("/insights", query_string={"q": "invoice price too high"}).get_data(as_text=True))
    assert ids[0] == corpus["v"][1]
