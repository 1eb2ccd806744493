"""`feedloop insights …`: rebuild the read model and the vector index, run theme detection by hand."""

from __future__ import annotations

import sys
import time

import click
from flask import current_app
from flask.cli import with_appcontext

insights_cli = click.Group("insights", help="Product insights: read model, vector search index, themes.")


@insights_cli.command("sync")
@with_appcontext
def sync() -> None:
    """Catch the read model up with new verbatims, responses, analyses and corrections."""
    from survey.services import insights_facts
    from webapp.extensions import db

    total = 0
    while True:
        result = insights_facts.catch_up(db.session, limit=5000)
        db.session.commit()
        total += result["refreshed"]
        if not result["more"]:
            break
    click.echo(f"read model up to date ({total} rows refreshed)")


@insights_cli.command("rebuild-facts")
@with_appcontext
def rebuild_facts() -> None:
    """Recreate the read model from the source tables."""
    from survey.services import insights_facts
    from webapp.extensions import db

    started = time.perf_counter()
    written = insights_facts.rebuild(db.session, progress=lambda n: click.echo(f"  {n} facts", err=True)
                                     if n % 100_000 < 5000 else None)
    db.session.commit()
    click.echo(f"read model rebuilt: {written} rows in {time.perf_counter() - started:.1f} s")


@insights_cli.command("rebuild-index")
@click.option("--threads", default=0, show_default=True, help="Indexing threads (0: every core).")
@with_appcontext
def rebuild_index(threads: int) -> None:
    """Rebuild the vector search index from every stored embedding (run on each machine that serves search)."""
    from survey.services import insights_facts, search
    from webapp.extensions import db

    started = time.perf_counter()
    while insights_facts.catch_up(db.session, limit=50_000)["more"]:
        db.session.commit()
    db.session.commit()
    path = search.index_path(current_app)
    meta = search.build_index(db.session, path, threads=threads,
                              progress=lambda n: click.echo(f"  {n} vectors", err=True) if n % 100_000 < 20_000
                              else None)
    db.session.commit()
    click.echo(f"index of {meta['count']} vectors written to {path} in {time.perf_counter() - started:.1f} s")


@insights_cli.command("detect-themes")
@click.option("--period-end", default=None, help="ISO date or time the period ends at (default: now).")
@click.option("--force", is_flag=True, help="Detect again even if this period was done.")
@with_appcontext
def detect_themes(period_end: str | None, force: bool) -> None:
    """Cluster the recent period's verbatims into themes and print them, emerging first."""
    from datetime import datetime

    from nlp.engine import EngineLoadError
    from survey.services import insights_facts, themes
    from webapp.extensions import db
    from workers import runtime

    while insights_facts.catch_up(db.session, limit=50_000)["more"]:
        db.session.commit()
    try:
        engine = runtime.engine_for_batch(current_app._get_current_object(), db.session)
    except EngineLoadError as exc:
        click.echo(f"cannot load the NLP engine: {exc}", err=True)
        sys.exit(3)
    end = datetime.fromisoformat(period_end) if period_end else None
    run = themes.detect_themes(db.session, engine.nlp, themes.ThemeSettings.from_config(current_app.config), end,
                               force=force)
    db.session.commit()
    click.echo(f"{run.n_themes} themes in {run.n_verbatims} verbatims, {run.period_start:%Y-%m-%d} – "
               f"{run.period_end:%Y-%m-%d}")
    for theme in sorted(run.themes, key=lambda t: (not t.emerging, -t.size)):
        flag = "EMERGING " if theme.emerging else ""
        click.echo(f"  {flag}{theme.label} ({theme.size}, before {theme.previous_size}): "
                   f"{'; '.join(theme.reasons) or theme.status}")
