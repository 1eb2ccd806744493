"""The product team's insights: browse and search feedback, trends and drivers, emerging themes, label fixes,
and "we fixed it" messages. Views parse, call survey.services.insights*, render; the owner commits, then enqueues."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_login import current_user
from sqlalchemy import select

from survey.database import utcnow
from survey.models import Category, FixMessage, FixNote, ReanalysisRun, Theme, ThemeMember, ThemeRun, Verbatim
from survey.services import insights, insights_facts, insights_loop, search, themes
from survey.services.insights import FilterError, InsightFilters
from survey.services.learning import SENTIMENTS, CorrectionError, record_correction
from webapp.auth import roles_required
from webapp.extensions import db

bp = Blueprint("insights", __name__)
RESULTS_TARGET = "insight-results"


def _filters() -> InsightFilters:
    try:
        return InsightFilters.from_args(request.args)
    except FilterError as exc:
        abort(400, description=str(exc))


def _catch_up() -> None:
    """Bring the read model up to date with what arrived since the last request (a few PK range reads)."""
    result = insights_facts.catch_up(db.session, limit=500)
    db.session.commit()
    if result["more"]:
        from workers import enqueue

        enqueue.enqueue_insights_sync()


def _fragment_requested(target: str) -> bool:
    return bool(request.headers.get("HX-Request")) and request.headers.get("HX-Target") == target


@bp.app_template_filter("insights_url")
def _insights_url(filters: InsightFilters, endpoint: str = "insights.feedback", **overrides: Any) -> str:
    return url_for(endpoint, **filters.to_args(**overrides))


def _search_ids(f: InsightFilters) -> list[search.SearchHit]:
    filtered = None
    if insights.conditions(f):
        filtered = insights.summary(db.session, f).verbatims  # sampled (an estimate) when it is very large
    return search.search(current_app._get_current_object(), db.session, f, filtered_count=filtered)


# ---------------------------------------------------------------- browse and search


@bp.get("/insights")
@roles_required("product")
def feedback() -> Any:
    """Every verbatim with its categories and flags; filters in the URL; `q` ranks by meaning and keywords."""
    f = _filters()
    after = request.args.get("after") or None
    _catch_up()
    hits: list[search.SearchHit] = []
    source = None
    if f.searching:
        hits = _search_ids(f)
        page = int(request.args.get("page", "1")) if request.args.get("page", "1").isdigit() else 1
        window = hits[(page - 1) * insights.PAGE_SIZE: page * insights.PAGE_SIZE]
        rows = insights.load_rows(db.session, [h.verbatim_id for h in window])
        by_id = {h.verbatim_id: h for h in window}
        for row in rows:
            hit = by_id[row.verbatim.id]
            row.similarity, row.keyword = hit.similarity, hit.keyword > 0
        next_cursor = None
        stats = insights.summary(db.session, f, [h.verbatim_id for h in hits])
        more_pages = len(hits) > page * insights.PAGE_SIZE
    else:
        try:
            rows, next_cursor = insights.feedback_page(db.session, f, after)
        except FilterError as exc:
            abort(400, description=str(exc))
        source = insights.fact_source(db.session, f)
        stats = insights.summary(db.session, f, source=source)
        page, more_pages = 1, False
    context = {
        "f": f, "rows": rows, "next_cursor": next_cursor, "after": after, "stats": stats,
        "top_categories": stats.categories[:12] if not f.searching else [],
        "names": insights.category_names(db.session), "searching": f.searching, "page": page,
        "more_pages": more_pages, "result_count": len(hits), "show_contacts": current_user.role == "admin",
        "like_verbatim": db.session.get(Verbatim, f.like) if f.like else None,
    }
    if _fragment_requested(RESULTS_TARGET):
        return render_template("insights/_results.html", **context)
    return render_template("insights/feedback.html", options=insights.filter_options(db.session),
                           account=insights.account_choice(db.session, f.account),
                           theme=db.session.get(Theme, f.theme) if f.theme else None, **context)


def _export_iter(f: InsightFilters) -> Iterator[dict[str, Any]]:
    if f.searching:
        hits = _search_ids(f)
        sims = {h.verbatim_id: h.similarity for h in hits}
        for row in insights.export_rows(db.session, f, [h.verbatim_id for h in hits]):
            row["similarity"] = round(sims.get(row["verbatim_id"], 0.0), 4)
            yield row
    else:
        yield from insights.export_rows(db.session, f)


def _export_name(ext: str) -> str:
    return f"feedback-{utcnow():%Y%m%d-%H%M}.{ext}"


@bp.get("/insights/export.csv")
@roles_required("product")
def export_csv() -> Response:
    """The filtered verbatims as CSV (newest first, or in search order), streamed."""
    f = _filters()
    _catch_up()
    _audit_export("csv", f)
    columns = ["verbatim_id", "date", "channel", "score", "nps_bucket", "account", "plan", "segment", "text",
               "categories", "sentiment", "praise", "churn_risk", "similarity"]

    def generate() -> Iterator[str]:
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=columns)
        writer.writeheader()
        for row in _export_iter(f):
            row["categories"] = ";".join(row["categories"])
            row["text"] = _csv_safe(row["text"])
            row["account"] = _csv_safe(row["account"])
            writer.writerow(row)
            if buffer.tell() > 64_000:
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
        yield buffer.getvalue()

    return Response(stream_with_context(generate()), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{_export_name("csv")}"'})


def _csv_safe(value: Any) -> Any:
    """Spreadsheet formula injection: a cell starting with = + - @ is shown as text."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


@bp.get("/insights/export.json")
@roles_required("product")
def export_json() -> Response:
    """The filtered verbatims as JSON: {"filters": ..., "count": n, "verbatims": [...]}."""
    f = _filters()
    _catch_up()
    _audit_export("json", f)
    rows = list(_export_iter(f))
    body = json.dumps({"filters": f.to_args(), "count": len(rows), "verbatims": rows}, ensure_ascii=False)
    return Response(body, mimetype="application/json",
                    headers={"Content-Disposition": f'attachment; filename="{_export_name("json")}"'})


def _audit_export(fmt: str, f: Any) -> None:
    """Exports of customer feedback are sensitive: who exported what, with which filters."""
    from flask_login import current_user

    from survey.services.audit import record

    record(db.session, "feedback_exported", actor=current_user, target_type="export", target_id=fmt,
           ip=request.remote_addr, details={"filters": f.to_args()})
    db.session.commit()


# ---------------------------------------------------------------- one verbatim and its labels


def _verbatim_or_404(verbatim_id: int) -> Verbatim:
    verbatim = db.session.get(Verbatim, verbatim_id)
    if verbatim is None:
        abort(404, description=f"There is no verbatim {verbatim_id}.")
    return verbatim


def _row(verbatim_id: int) -> insights.FeedbackRow:
    rows = insights.load_rows(db.session, [verbatim_id])
    if not rows:
        abort(404, description=f"There is no verbatim {verbatim_id}.")
    return rows[0]


@bp.get("/insights/v/<int:verbatim_id>")
@roles_required("product")
def verbatim(verbatim_id: int) -> Any:
    """One verbatim: the whole text with its evidence, labels to fix, similar feedback and its themes."""
    _verbatim_or_404(verbatim_id)
    _catch_up()
    row = _row(verbatim_id)
    f = InsightFilters(like=verbatim_id)
    similar = []
    try:
        hits = search.search(current_app._get_current_object(), db.session, f, limit=6)
        similar = insights.load_rows(db.session, [h.verbatim_id for h in hits])
        sims = {h.verbatim_id: h.similarity for h in hits}
        for s in similar:
            s.similarity = sims.get(s.verbatim.id)
    except Exception:  # the page is still useful without similar feedback
        current_app.logger.exception("similar verbatims unavailable")
    member_of = db.session.scalars(
        select(Theme).join(Theme.run).where(Theme.id.in_(
            select(ThemeMember.theme_id).where(ThemeMember.verbatim_id == verbatim_id)))
        .order_by(ThemeRun.period_end.desc()).limit(3)).all()
    return render_template("insights/verbatim.html", row=row, similar=similar, member_of=member_of,
                           names=insights.category_names(db.session), back=request.args.get("back"),
                           show_contacts=current_user.role == "admin")


@bp.get("/insights/v/<int:verbatim_id>/labels")
@roles_required("product")
def labels_form(verbatim_id: int) -> Any:
    """The in-place editor of a verbatim's categories, sentiment and praise."""
    _verbatim_or_404(verbatim_id)
    if request.args.get("view"):
        return render_template("insights/_labels.html", row=_row(verbatim_id))
    return render_template("insights/_labels_form.html", row=_row(verbatim_id), categories=_categories(),
                           sentiments=SENTIMENTS, error=None)


def _categories() -> list[Category]:
    return list(db.session.scalars(select(Category).where(Category.active.is_(True)).order_by(Category.name)))


@bp.post("/insights/v/<int:verbatim_id>/labels")
@roles_required("product")
def save_labels(verbatim_id: int) -> Any:
    """Store a person's labels for the verbatim (overriding the analysis at once); they feed the next retraining."""
    verbatim = _verbatim_or_404(verbatim_id)
    row = _row(verbatim_id)
    analysis = row.analysis
    wanted = {
        "categories": sorted(set(request.form.getlist("categories"))),
        "sentiment": request.form.get("sentiment") or (analysis.sentiment if analysis else "neutral"),
        "praise": request.form.get("praise") == "on",
    }
    changed = 0
    try:
        # every field is recorded, changed or not: a person's confirmation is a training label too
        for field, value in wanted.items():
            record_correction(db.session, verbatim, field, value, current_user, context="insights")
            changed += 1
    except CorrectionError as exc:
        db.session.rollback()
        return render_template("insights/_labels_form.html", row=row, categories=_categories(),
                               sentiments=SENTIMENTS, error=str(exc)), 422
    insights_facts.refresh(db.session, [verbatim_id])
    db.session.commit()
    _maybe_retrain()
    if request.headers.get("HX-Request"):
        return render_template("insights/_labels.html", row=_row(verbatim_id), saved=changed,
                               names=insights.category_names(db.session))
    flash("Labels saved.", "info")
    return redirect(url_for("insights.verbatim", verbatim_id=verbatim_id), code=303)


def _maybe_retrain() -> None:
    """Enough new corrections since the active model: queue a retraining (one at a time)."""
    stats = insights_loop.label_stats(db.session)
    if stats["since_active"] >= int(current_app.config.get("INSIGHTS_RETRAIN_EVERY", 25)):
        from workers import enqueue

        enqueue.enqueue_retrain(current_user.id)


# ---------------------------------------------------------------- trends and drivers


@bp.get("/insights/trends")
@roles_required("product")
def trends() -> Any:
    """NPS over time with its interval, bucket shares, category trends and the driver table."""
    f = _filters()
    period = request.args.get("period", "week")
    if period not in insights.PERIODS:
        abort(400, description="period must be week or month.")
    _catch_up()
    source = insights.fact_source(db.session, f)
    overall, driver_rows = insights.drivers(db.session, f, source=source)
    context = {
        "f": f, "period": period, "overall": overall, "drivers": driver_rows, "source": source,
        "nps_series": insights.nps_over_time(db.session, f, period, source=source),
        "category_series": insights.category_trends(db.session, f, period,
                                                    keys=[d.key for d in driver_rows][:8] or None, source=source),
    }
    if _fragment_requested("trend-results"):
        return render_template("insights/_trends.html", **context)
    return render_template("insights/trends.html", options=insights.filter_options(db.session),
                           account=insights.account_choice(db.session, f.account), theme=None, **context)


# ---------------------------------------------------------------- themes


@bp.get("/insights/themes")
@roles_required("product")
def themes_page() -> Any:
    """The latest period's themes, emerging first, with example quotes and what to do about them."""
    run = themes.latest_run(db.session)
    found = list(run.themes) if run else []
    found.sort(key=lambda t: (t.status != "emerging", t.status == "dismissed", -t.size))
    examples: dict[int, list[Verbatim]] = {}
    ids = [vid for t in found for vid in t.example_ids[:3]]
    by_id = {v.id: v for v in db.session.scalars(select(Verbatim).where(Verbatim.id.in_(ids)))} if ids else {}
    for t in found:
        examples[t.id] = [by_id[v] for v in t.example_ids[:3] if v in by_id]
    return render_template("insights/themes.html", run=run, themes=found, examples=examples,
                           names=insights.category_names(db.session),
                           reanalysis=_progress_or_none(), period_days=themes.ThemeSettings.from_config(
                               current_app.config).period_days)


def _progress_or_none() -> insights_loop.Progress | None:
    run = insights_loop.current_run(db.session)
    if run is None:
        return None
    progress = insights_loop.progress(db.session, run)
    db.session.commit()
    return progress


@bp.post("/insights/themes/detect")
@roles_required("product")
def detect_now() -> Any:
    """Queue theme detection for the period ending now."""
    from workers import enqueue

    end = utcnow().replace(minute=0, second=0, microsecond=0)
    job = enqueue.enqueue_theme_detection(end.isoformat())
    flash("Looking for themes in the last period; refresh in a minute." if job else
          "The job queue is unavailable; try again shortly.", "info" if job else "error")
    return redirect(url_for("insights.themes_page"), code=303)


def _theme_or_404(theme_id: int) -> Theme:
    theme = db.session.get(Theme, theme_id)
    if theme is None:
        abort(404, description=f"There is no theme {theme_id}.")
    return theme


@bp.post("/insights/themes/<int:theme_id>/promote")
@roles_required("product")
def promote_theme(theme_id: int) -> Any:
    """Make the theme a taxonomy category (its central verbatims as seeds) and re-analyse the history."""
    theme = _theme_or_404(theme_id)
    if theme.status == "promoted":
        flash("This theme is already a category.", "info")
        return redirect(url_for("insights.themes_page"), code=303)
    category = themes.promote(db.session, theme, request.form.get("name") or theme.label,
                              request.form.get("description") or "")
    run = insights_loop.start_reanalysis(db.session, f"new category “{category.name}”", current_user)
    db.session.commit()
    from workers import enqueue

    enqueue.enqueue_reanalysis_run(run.id)
    flash(f"“{category.name}” is now a category; the history is being re-analysed.", "info")
    return redirect(url_for("insights.themes_page"), code=303)


@bp.post("/insights/themes/<int:theme_id>/dismiss")
@roles_required("product")
def dismiss_theme(theme_id: int) -> Any:
    """Hide a theme that is not worth acting on."""
    theme = _theme_or_404(theme_id)
    theme.status = "dismissed"
    db.session.commit()
    return redirect(url_for("insights.themes_page"), code=303)


@bp.get("/insights/reanalysis/<int:run_id>")
@roles_required("product")
def reanalysis_progress(run_id: int) -> Any:
    """The progress widget: it replaces itself every two seconds while the run is going."""
    run = db.session.get(ReanalysisRun, run_id)
    if run is None:
        abort(404, description=f"There is no re-analysis {run_id}.")
    _catch_up()
    db.session.refresh(run)  # a worker moves it along
    progress = insights_loop.progress(db.session, run)
    db.session.commit()
    return render_template("insights/_progress.html", progress=progress)


# ---------------------------------------------------------------- labels


@bp.get("/insights/labels")
@roles_required("product")
def labels_page() -> Any:
    """Recent corrections, and the current model's version and evaluation figures."""
    return render_template("insights/labels.html", corrections=insights_loop.recent_corrections(db.session),
                           stats=insights_loop.label_stats(db.session),
                           retrain_every=int(current_app.config.get("INSIGHTS_RETRAIN_EVERY", 25)))


@bp.post("/insights/labels/retrain")
@roles_required("product")
def retrain() -> Any:
    """Queue a retraining from every correction so far."""
    from workers import enqueue

    job = enqueue.enqueue_retrain(current_user.id)
    flash("Retraining queued: the new model version appears here when it is ready." if job else
          "The job queue is unavailable; try again shortly.", "info" if job else "error")
    return redirect(url_for("insights.labels_page"), code=303)


# ---------------------------------------------------------------- "we fixed it"


@bp.get("/insights/fixes")
@roles_required("product", "csm")
def fixes() -> Any:
    """Fix notes with their drafted messages; account owners review and send theirs."""
    notes = db.session.scalars(select(FixNote).order_by(FixNote.id.desc()).limit(50)).all()
    drafts = insights_loop.visible_messages(db.session, current_user)
    return render_template("insights/fixes.html", notes=notes, drafts=drafts, categories=_categories(),
                           theme=db.session.get(Theme, int(request.args["theme"]))
                           if request.args.get("theme", "").isdigit() else None,
                           preset_category=request.args.get("category") or "",
                           today=utcnow().date(), default_start=(utcnow() - timedelta(days=90)).date(),
                           show_contacts=current_user.role in ("csm", "admin"))


@bp.post("/insights/fixes")
@roles_required("product")
def create_fix() -> Any:
    """Mark a category or theme as addressed; the drafting job writes a message per affected detractor."""
    form = request.form
    theme = db.session.get(Theme, int(form["theme_id"])) if form.get("theme_id", "").isdigit() else None
    try:
        start = datetime.fromisoformat(form.get("from") or "")
        end = datetime.fromisoformat(form.get("to") or "") + timedelta(days=1) - timedelta(microseconds=1)
    except ValueError:
        flash("Choose the period as two dates.", "error")
        return redirect(url_for("insights.fixes"), code=303)
    try:
        note = insights_loop.create_fix_note(
            db.session, category_key=form.get("category") or None, theme=theme, title=form.get("title", ""),
            release_note=form.get("release_note", ""), period_start=start, period_end=end, user=current_user)
    except insights_loop.LoopError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("insights.fixes"), code=303)
    db.session.commit()
    from workers import enqueue

    enqueue.enqueue_fix_drafts(note.id)
    flash(f"“{note.title}” marked as fixed: messages to the affected detractors are being drafted for their "
          "account owners.", "info")
    return redirect(url_for("insights.fixes"), code=303)


def _message_or_404(message_id: int) -> FixMessage:
    message = db.session.get(FixMessage, message_id)
    if message is None or (current_user.role == "csm" and message.owner_id != current_user.id):
        abort(404, description=f"There is no message {message_id} for you.")
    return message


@bp.post("/insights/fixes/messages/<int:message_id>/send")
@roles_required("csm")
def send_fix_message(message_id: int) -> Any:
    """The account owner sends the reviewed message (through the email outbox)."""
    message = _message_or_404(message_id)
    try:
        email = insights_loop.send_message(db.session, message, current_user, request.form.get("subject", ""),
                                           request.form.get("body", ""))
    except insights_loop.LoopError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("insights.fixes"), code=303)
    db.session.commit()
    from workers import enqueue

    enqueue.enqueue_send_email(email.id)
    flash(f"Sent to {message.contact.name or message.contact.email}.", "info")
    return redirect(url_for("insights.fixes"), code=303)


@bp.post("/insights/fixes/messages/<int:message_id>/discard")
@roles_required("csm")
def discard_fix_message(message_id: int) -> Any:
    """The owner decides this customer should not get the message."""
    message = _message_or_404(message_id)
    if message.status == "drafted":
        message.status = "discarded"
        db.session.commit()
    return redirect(url_for("insights.fixes"), code=303)
