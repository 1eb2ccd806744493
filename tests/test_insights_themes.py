"""Emerging themes: a planted cluster is found, named from its lemmas, flagged, notified, promoted and re-analysed."""

from __future__ import annotations

import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import numpy as np
import pytest
from flask import Flask
from sqlalchemy import select

from survey.database import utcnow
from survey.models import Category, OutboxEmail, ReanalysisRun, Theme, ThemeMember, ThemeRun
from survey.services.themes import class_tfidf
from tests.insights_helpers import build_history, login, verbatim_of

GANTT = [
    "The Gantt chart crashes whenever I drag a task to another week.",
    "Dragging tasks on the Gantt chart freezes the whole page.",
    "Gantt view crashes when moving a task, we lost an afternoon of planning.",
    "Every time we drag a bar in the Gantt chart the browser tab crashes.",
    "The new Gantt chart is unusable: moving tasks makes it crash.",
    "Gantt chart froze again after I dragged a milestone.",
    "Moving a task in the Gantt timeline crashes the app for our whole team.",
    "Please fix the Gantt chart, dragging anything crashes it.",
]
BACKGROUND = [
    "Support answered quickly and solved our billing question.",
    "The price went up again at renewal, hard to justify.",
    "Onboarding sessions were really helpful for the new hires.",
    "We would love a native HubSpot integration.",
    "The mobile app is fine for quick checks.",
    "Documentation for the API is out of date.",
]


@pytest.fixture
def planted(app: Flask, client: Any, db_session: Any, run_worker: Any) -> dict[str, Any]:
    """Recent period: the Gantt complaints and some background; the period before: background only."""
    answers = [(2, t, "Growth", 2 + i % 5) for i, t in enumerate(GANTT)]
    answers += [(7, t, "Starter", 3 + i) for i, t in enumerate(BACKGROUND)]
    answers += [(7, t, "Enterprise", 16 + i) for i, t in enumerate(BACKGROUND)]
    data = build_history(client, db_session, run_worker, answers)
    data["gantt"] = {verbatim_of(db_session, rid).id for rid in data["response_ids"][:len(GANTT)]}
    return data


def test_class_tfidf_prefers_words_distinctive_of_a_cluster() -> None:
    """Terms frequent in one cluster and rare elsewhere rank first; shared words do not."""
    docs = [["gantt", "crash", "task"], ["gantt", "crash", "drag"], ["price", "task"], ["price", "renewal", "task"]]
    names = class_tfidf(docs, np.array([0, 0, 1, 1]), top=2)
    assert names[0] == ["crash", "gantt"] and names[1] == ["price", "task"]


def test_planted_cluster_is_detected_named_and_flagged(planted: dict[str, Any], app: Flask, db_session: Any,
                                                       run_worker: Any) -> None:
    """The worker's theme job finds the Gantt cluster, names it from lemmas, and flags it as emerging (new)."""
    from workers import enqueue

    received: list[dict[str, Any]] = []

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    app.config["INSIGHTS_WEBHOOK_URL"] = f"http://127.0.0.1:{server.server_port}/hook"
    try:
        with app.app_context():
            enqueue.enqueue_theme_detection((utcnow() + timedelta(hours=1)).isoformat(timespec="hours"))
        run_worker()
    finally:
        app.config.pop("INSIGHTS_WEBHOOK_URL")
        server.shutdown()
    db_session.expire_all()
    run = db_session.scalar(select(ThemeRun))
    assert run.status == "done" and run.n_verbatims == len(GANTT) + len(BACKGROUND)
    themes = db_session.scalars(select(Theme)).all()
    gantt = max(themes, key=lambda t: len(planted["gantt"] & _members(db_session, t)))
    members = _members(db_session, gantt)
    assert len(members & planted["gantt"]) >= len(GANTT) - 3 and not members - planted["gantt"]
    assert "gantt" in " ".join(gantt.terms) and "gantt" in gantt.label
    assert gantt.emerging and gantt.status == "emerging" and gantt.previous_size == 0
    assert any(r.startswith("new") for r in gantt.reasons)
    assert set(gantt.example_ids) <= planted["gantt"]
    # notified once: an email to the product user and a Slack-compatible webhook message
    emails = db_session.scalars(select(OutboxEmail).where(OutboxEmail.event_key.like("themes-digest:%"))).all()
    assert [e.to_email for e in emails] == ["product@example.com"] and "gantt" in emails[0].text_body.lower()
    assert len(received) == 1 and "gantt" in received[0]["text"].lower()


def _members(session: Any, theme: Theme) -> set[int]:
    return set(session.scalars(select(ThemeMember.verbatim_id).where(ThemeMember.theme_id == theme.id)))


def test_theme_page_promote_and_reanalysis_progress(planted: dict[str, Any], app: Flask, client: Any,
                                                     db_session: Any, run_worker: Any) -> None:
    """Promoting a theme creates a seeded category, re-analyses the history as a job, and the progress ends done."""
    from survey.services import themes
    from workers import runtime

    with app.app_context():
        from webapp.extensions import db

        engine = runtime.engine_for_batch(app, db.session)
        run = themes.detect_themes(db.session, engine.nlp, themes.ThemeSettings())
        db.session.commit()
        theme_id = max(run.themes, key=lambda t: t.size).id
    login(client, "product@example.com")
    html = client.get("/insights/themes").get_data(as_text=True)
    assert "Emerging" in html and "Make it a category" in html
    token = html.split('name="csrf_token" value="')[1].split('"')[0]
    resp = client.post(f"/insights/themes/{theme_id}/promote", data={
        "csrf_token": token, "name": "Gantt chart crashes", "description": "The Gantt view crashing or freezing"})
    assert resp.status_code == 303
    db_session.expire_all()
    category = db_session.scalar(select(Category).where(Category.key == "gantt_chart_crashes"))
    assert category is not None and len(category.seed_examples) >= 3
    reanalysis = db_session.scalar(select(ReanalysisRun))
    html = client.get(f"/insights/reanalysis/{reanalysis.id}").get_data(as_text=True)
    assert 'hx-trigger="every 2s"' in html  # polls while it runs
    run_worker()
    html = client.get(f"/insights/reanalysis/{reanalysis.id}").get_data(as_text=True)
    db_session.rollback()  # end this session's read snapshot: the worker and the view wrote since
    reanalysis = db_session.get(ReanalysisRun, reanalysis.id, populate_existing=True)
    assert reanalysis.status == "done" and reanalysis.total == len(planted["response_ids"])
    assert "every 2s" not in html and "done" in html
    tagged = client.get("/insights/export.json?category=gantt_chart_crashes").get_json()
    assert {v["verbatim_id"] for v in tagged["verbatims"]} & planted["gantt"]


def test_detect_themes_command_prints_themes(planted: dict[str, Any], app_config: dict[str, Any]) -> None:
    """`feedloop insights detect-themes` clusters the period and prints the emerging theme first."""
    import os

    from tests.conftest import run_cli

    env = {"FEEDLOOP_DATABASE_URL": app_config["DATABASE_URL"], "FEEDLOOP_REDIS_URL": app_config["REDIS_URL"],
           "FEEDLOOP_INSTANCE_PATH": app_config["INSTANCE_PATH"], "FEEDLOOP_SECRET_KEY": "x",
           "HF_HUB_OFFLINE": "1", **{k: v for k, v in os.environ.items() if k == "PATH"}}
    result = run_cli("insights", "detect-themes", env=env, timeout=300)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert "themes in" in lines[0] and "EMERGING" in lines[1] and "gantt" in lines[1].lower()
