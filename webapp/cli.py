"""The `feedloop` command: run the product, run a worker, migrate, seed, manage users and tokens."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext

from webapp import create_app
from webapp.insights.cli import insights_cli
from webapp.migrate import alembic_config


def _make_app() -> Flask:
    return create_app()


@click.group(cls=FlaskGroup, create_app=_make_app, add_default_commands=False, add_version_option=False)
def main() -> None:
    """Feedloop: surveys in, recovery tasks and advocacy invites out."""


# ---------------------------------------------------------------- database
@main.group()
def db() -> None:
    """Database migrations (Alembic)."""


@db.command("upgrade")
@click.argument("revision", default="heads")
@with_appcontext
def db_upgrade(revision: str) -> None:
    """Upgrade the database schema (a release step; never done by the app itself)."""
    from alembic import command

    command.upgrade(alembic_config(current_app), revision)
    click.echo(f"database at {revision}")


@db.command("downgrade")
@click.argument("revision")
@with_appcontext
def db_downgrade(revision: str) -> None:
    """Downgrade the schema to REVISION (e.g. base)."""
    from alembic import command

    command.downgrade(alembic_config(current_app), revision)
    click.echo(f"database at {revision}")


@db.command("current")
@with_appcontext
def db_current() -> None:
    """Show the current revision."""
    from alembic import command

    command.current(alembic_config(current_app))


# ---------------------------------------------------------------- users and tokens
@main.group()
def user() -> None:
    """Staff users."""


@user.command("create")
@click.option("--email", required=True)
@click.option("--role", required=True, type=click.Choice(["admin", "csm", "product", "marketing"]))
@click.option("--name", default=None)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@with_appcontext
def user_create(email: str, role: str, name: str | None, password: str) -> None:
    """Create a staff user."""
    from survey.services.users import UserError, create_user
    from webapp.extensions import db as database

    try:
        created = create_user(database.session, email, role, password, name)
    except UserError as exc:
        raise click.UsageError(str(exc)) from None
    database.session.commit()
    click.echo(f"created {created.role} {created.email} (id {created.id})")


@main.group("api-token")
def api_token() -> None:
    """API bearer tokens."""


@api_token.command("create")
@click.option("--name", required=True)
@click.option("--role", required=True, type=click.Choice(["admin", "csm", "product", "marketing"]))
@click.option("--user", "user_email", default=None, help="Staff user the token acts for (csm tokens see that user's tasks).")
@with_appcontext
def api_token_create(name: str, role: str, user_email: str | None) -> None:
    """Create a token; it is printed once, as the last line, and only its hash is stored."""
    from sqlalchemy import select

    from survey.models import User
    from survey.services.users import UserError, create_api_token
    from webapp.extensions import db as database

    acting = None
    if user_email:
        acting = database.session.scalar(select(User).where(User.email == user_email.strip().lower()))
        if acting is None:
            raise click.BadParameter(f"there is no staff user {user_email}", param_hint="--user")
    try:
        token, plain = create_api_token(database.session, name, role, acting)
    except UserError as exc:
        raise click.UsageError(str(exc)) from None
    database.session.commit()
    click.echo(f"token {token.id} ({token.role}) created; store it now, it is not shown again:", err=True)
    click.echo(plain)


# ---------------------------------------------------------------- demo data
@main.command("seed-demo")
@click.option("--if-empty", is_flag=True, help="Do nothing when the database already has surveys.")
@with_appcontext
def seed_demo(if_empty: bool) -> None:
    """Load realistic demo accounts, contacts, staff and responses, analysed, with their follow-ups."""
    from survey.demo import seed
    from webapp.extensions import db as database

    result = seed(database.session, only_if_empty=if_empty)
    if result is None:
        click.echo("database already has data; demo not loaded")
        return
    from survey.services.demo_channels import seed_channels_demo
    from webapp.public.emails import public_base_url

    seed_channels_demo(database.session, public_base_url())
    database.session.commit()
    _analyse_demo_now(result.verbatim_ids)
    _seed_feature_demos()
    click.echo(
        f"demo loaded: {result.accounts} accounts, {result.contacts} contacts, {result.responses} responses, "
        f"{len(result.verbatim_ids)} verbatims analysed"
    )


def _analyse_demo_now(verbatim_ids: list[int]) -> None:
    """Run the real analysis and follow-up jobs in this process, so the demo opens with full queues."""
    from workers import jobs

    app = current_app._get_current_object()
    with click.progressbar(verbatim_ids, label="analysing demo verbatims", file=sys.stderr) as ids:
        for vid in ids:
            with app.app_context():
                jobs.analyze_verbatim(vid)  # claims a batch; later ids of that batch are skipped quickly
    with click.progressbar(verbatim_ids, label="creating follow-ups", file=sys.stderr) as ids:
        for vid in ids:
            with app.app_context():
                jobs.act_on_verbatim(vid)


def _seed_feature_demos() -> None:
    """Each area's demo data that builds on analysed verbatims (queues, invites, themes)."""
    from survey.services.advocacy_demo import seed_advocacy_demo
    from survey.services.recovery_demo import seed_recovery_demo
    from webapp.extensions import db as database

    seed_recovery_demo(database.session)
    database.session.commit()
    seed_advocacy_demo(database.session)
    database.session.commit()


# ---------------------------------------------------------------- background work
@main.command("worker")
@click.option("--burst", is_flag=True, help="Stop when the queues are empty.")
@click.option("--queues", default="nlp,actions,email,default", show_default=True)
@click.option("--name", default=None)
@with_appcontext
def worker(burst: bool, queues: str, name: str | None) -> None:
    """Run an RQ worker (with the scheduler); the NLP model is loaded once, before the first job."""
    from nlp.engine import EngineLoadError
    from webapp.extensions import db as database
    from webapp.extensions import get_redis
    from workers import runtime
    from workers.queues import get_queue
    from workers.worker import work_until_stopped

    app = current_app._get_current_object()
    try:
        engine = runtime.load_engine(app, database.session)
    except EngineLoadError as exc:
        click.echo(f"worker not started: {exc}", err=True)
        sys.exit(3)
    finally:
        database.session.close()
    click.echo(f"NLP engine {engine.model_version} loaded", err=True)
    names = [q.strip() for q in queues.split(",") if q.strip()]
    try:
        queue_objs = [get_queue(n) for n in names]
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    work_until_stopped(app, queue_objs, get_redis(), name=name, burst=burst)


@main.command("sweep")
@click.option("--pending-after", default=None, type=click.IntRange(min=0),
              help="Seconds a verbatim must have waited (default from config).")
@with_appcontext
def sweep(pending_after: int | None) -> None:
    """Re-enqueue accepted work that has no live job (after a Redis outage or a dead worker)."""
    from workers.sweeper import sweep_once

    counts = sweep_once(current_app._get_current_object(), pending_after=pending_after)
    click.echo(" ".join(f"{k}={v}" for k, v in counts.items()))


# ---------------------------------------------------------------- learning from corrections
@main.group()
def model() -> None:
    """Trained NLP model versions (made from human corrections)."""


@model.command("list")
@with_appcontext
def model_list() -> None:
    """List trained versions, newest first; * marks the active one."""
    from sqlalchemy import select

    from survey.models import ModelVersion
    from webapp.extensions import db as database

    rows = database.session.scalars(select(ModelVersion).order_by(ModelVersion.id.desc())).all()
    if not rows:
        click.echo("no trained model yet: the engine runs zero-shot")
    for row in rows:
        click.echo(f"{'*' if row.active else ' '} {row.id:>4}  {row.version}  {row.n_examples} examples  "
                   f"{row.created_at:%Y-%m-%d %H:%M}")


@model.command("retrain")
@click.option("--wait", is_flag=True, help="Train in this process instead of queueing a job.")
@with_appcontext
def model_retrain(wait: bool) -> None:
    """Train a new version from every correction so far and make it active."""
    from workers import enqueue, jobs

    if wait:
        click.echo(jobs.retrain_model())
    else:
        job = enqueue.enqueue_retrain()
        click.echo(f"queued {job.id}" if job else "Redis unavailable: run again, or use --wait")


@model.command("activate")
@click.argument("version_id", type=int)
@with_appcontext
def model_activate(version_id: int) -> None:
    """Roll back (or forward) to a stored version; 0 returns to zero-shot. Re-analysis is queued."""
    from survey.models import ModelVersion
    from survey.services.learning import activate
    from webapp.extensions import db as database
    from workers import enqueue

    row = database.session.get(ModelVersion, version_id) if version_id else None
    if version_id and row is None:
        raise click.BadParameter(f"there is no model version {version_id} (see `feedloop model list`)")
    activate(database.session, row)
    database.session.commit()
    enqueue.enqueue_reanalysis()
    click.echo(f"active: {row.version if row else 'zero-shot'}; re-analysis queued")


# ---------------------------------------------------------------- import
@main.command("import")
@click.argument("kind", type=click.Choice(["accounts", "contacts", "responses"]))
@click.argument("file", type=click.Path(exists=True, dir_okay=False, readable=True))
@click.option("--partial", is_flag=True, help="Import the valid rows even when some are rejected.")
@with_appcontext
def import_csv(kind: str, file: str, partial: bool) -> None:
    """Import a CSV of accounts, contacts or historical responses; every rejected row is reported."""
    from survey.models import ImportJob
    from webapp.extensions import db as database
    from workers.import_jobs import run_import

    path = Path(file)
    job = ImportJob(kind=kind, filename=path.name[:255], content=path.read_bytes(), partial=partial)
    database.session.add(job)
    database.session.commit()
    bar: Any = None

    def progress(stage: str, done: int, total: int) -> None:
        nonlocal bar
        if stage == "importing" and bar is None and total:
            bar = click.progressbar(length=total, label="importing", file=sys.stderr)
            bar.__enter__()
        if bar is not None:
            bar.update(done - bar.pos)
        elif stage == "validating":
            click.echo(f"\rvalidated {done} rows", nl=False, err=True)

    result = run_import(job.id, progress)
    if bar is not None:
        bar.__exit__(None, None, None)
    database.session.refresh(job)
    for error in job.errors:
        click.echo(f"line {error['line']}: {error['message']}", err=True)
    click.echo(f"{result['status']}: {result['imported']} rows imported, {result['rejected']} rejected"
               + (f", {result.get('verbatims_queued', 0)} verbatims queued for analysis" if kind == "responses" else ""))
    if result["status"] == "rejected":
        sys.exit(1)


# ---------------------------------------------------------------- data protection
@main.group()
def privacy() -> None:
    """Data-protection requests: export or erase everything about a contact."""


def _contact_by_email(email: str) -> Any:
    from sqlalchemy import select

    from survey.models import Contact
    from webapp.extensions import db as database

    contact = database.session.scalar(select(Contact).where(Contact.email == email.strip().lower()))
    if contact is None:
        raise click.BadParameter(f"there is no contact with email {email}", param_hint="--email")
    return contact


@privacy.command("export")
@click.option("--email", required=True)
@click.option("--out", type=click.File("w"), default="-", show_default=True)
@with_appcontext
def privacy_export(email: str, out: Any) -> None:
    """Write everything held about a contact as one JSON document."""
    import json

    from survey.services.audit import record
    from survey.services.privacy import export_contact
    from webapp.extensions import db as database

    contact = _contact_by_email(email)
    out.write(json.dumps(export_contact(database.session, contact), indent=2, default=str) + "\n")
    record(database.session, "contact_exported", actor_label="cli", target_type="contact", target_id=contact.id)
    database.session.commit()


@privacy.command("erase")
@click.option("--email", required=True)
@click.option("--mode", type=click.Choice(["anonymise", "delete"]), default=None,
              help="What happens to their verbatims (default: FEEDLOOP_ERASURE_MODE).")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@with_appcontext
def privacy_erase(email: str, mode: str | None, yes: bool) -> None:
    """Erase a contact: personal data removed, their text deleted or anonymised, derived data deleted."""
    from survey.services.privacy import audit_erasure, erase_contact
    from webapp.extensions import db as database
    from workers.enqueue import enqueue_analysis_many

    contact = _contact_by_email(email)
    mode = mode or current_app.config["ERASURE_MODE"]
    if not yes:
        click.confirm(f"Erase contact {contact.id} ({mode} their verbatims)? This cannot be undone", abort=True)
    contact_id = contact.id
    report = erase_contact(database.session, contact, mode)
    audit_erasure(database.session, contact_id, report, None, mode)
    database.session.commit()
    enqueue_analysis_many(report.requeue_verbatim_ids)
    click.echo(f"contact {contact_id} erased: {report.verbatims_deleted} verbatims deleted, "
               f"{report.verbatims_anonymised} anonymised, {report.responses_detached} responses detached")


# ---------------------------------------------------------------- the whole product
@main.command("run")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--web-workers", default=2, show_default=True, type=click.IntRange(1, 32))
@click.option("--workers", "rq_workers", default=1, show_default=True, type=click.IntRange(0, 16))
@click.option("--demo/--no-demo", default=True, show_default=True, help="Seed demo data into an empty database.")
def run(host: str, port: int, web_workers: int, rq_workers: int, demo: bool) -> None:
    """Start everything: embedded Redis (unless FEEDLOOP_REDIS_URL is set), migrations, demo data, workers, web."""
    from workers import embedded_redis

    app = create_app()
    instance = Path(app.instance_path)
    env = dict(os.environ)
    children: list[tuple[str, subprocess.Popen[bytes]]] = []

    def stop_all(*_: Any) -> None:
        for label, proc in reversed(children):
            if proc.poll() is None:
                click.echo(f"stopping {label}", err=True)
                proc.terminate()
        for _label, proc in reversed(children):
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()

    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    try:
        if not os.environ.get("FEEDLOOP_REDIS_URL"):
            proc, url = embedded_redis.start(instance)
            children.append(("embedded redis", proc))
            env["FEEDLOOP_REDIS_URL"] = url
        env.setdefault("FEEDLOOP_PUBLIC_BASE_URL", f"http://{host}:{port}")
        feedloop = [sys.executable, "-m", "webapp.cli"]
        subprocess.run([*feedloop, "db", "upgrade"], env=env, check=True)
        if demo:
            subprocess.run([*feedloop, "seed-demo", "--if-empty"], env=env, check=True)
        for i in range(rq_workers):
            children.append((f"worker {i + 1}", subprocess.Popen([*feedloop, "worker"], env=env)))
        children.append((
            "web",
            subprocess.Popen(
                # Threaded workers: a slow or idle client waits in the worker's poller instead of holding a
                # whole process, and a request's database and Redis waits overlap (bench/README.md).
                [sys.executable, "-m", "gunicorn", "--worker-class", "gthread", "--workers", str(web_workers),
                 "--threads", "4", "--bind", f"{host}:{port}",
                 "--access-logfile", "-", "--graceful-timeout", "5", "webapp.wsgi:app"],
                env=env,
            ),
        ))
        _print_banner(host, port, demo)
        while True:
            for label, proc in children:
                if proc.poll() is not None:
                    raise click.ClickException(f"{label} exited with code {proc.returncode}")
            time.sleep(1)
    except KeyboardInterrupt:
        click.echo("\nshutting down", err=True)
    finally:
        stop_all()


def _print_banner(host: str, port: int, demo: bool) -> None:
    base = f"http://{host}:{port}"
    lines = [
        "",
        "Feedloop is running.",
        f"  Staff app:         {base}/login",
        f"  Demo survey:       {base}/s/demo-nps",
        f"  Widget demo:       {base}/demo/widget-host",
        f"  Email outbox:      {base}/admin/outbox  (admin)",
        f"  Health:            {base}/healthz",
        f"  Jobs (admin):      {base}/admin/rq",
    ]
    if demo:
        lines += [
            "  Demo logins (password demo1234):",
            "    admin@example.com  csm@example.com  product@example.com  marketing@example.com",
        ]
    lines.append("Press Ctrl-C to stop everything.")
    click.echo("\n".join(lines), err=True)


class _LazyNlpGroup(click.Group):
    """`feedloop nlp …`, imported only when used: spaCy and torch make every other command slow otherwise."""

    def _real(self) -> click.Group:
        from nlp.cli import nlp_cli

        return nlp_cli

    def list_commands(self, ctx: click.Context) -> list[str]:
        return self._real().list_commands(ctx)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        return self._real().get_command(ctx, cmd_name)


main.add_command(_LazyNlpGroup("nlp", help="Analyse verbatims and measure the NLP engine (evaluate, analyze, fewshot, bench)."))
main.add_command(insights_cli)  # `feedloop insights …` (issue 6)

if __name__ == "__main__":
    main()
