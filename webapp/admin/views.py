"""Admin pages: staff users and roles, the audit log, webhooks, and data-protection requests."""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, or_, select

from survey.models import AuditEvent, Contact, User, WebhookDelivery, WebhookEndpoint
from survey.models.integrations import WEBHOOK_EVENTS
from survey.models.users import ROLES
from survey.services.audit import record
from survey.services.privacy import ERASE_MODES, PrivacyError, audit_erasure, erase_contact, export_contact
from survey.services.users import UserError, create_user
from survey.services.webhooks import WebhookError, register_endpoint, replay
from webapp.auth import roles_required
from webapp.extensions import db
from workers.enqueue import enqueue_analysis_many

bp = Blueprint("admin", __name__, url_prefix="/admin")
AUDIT_PAGE = 100


@bp.get("/users")
@roles_required()
def users() -> Any:
    """Every staff user with role and state; the form below adds one."""
    rows = db.session.scalars(select(User).order_by(User.role, User.name)).all()
    return render_template("admin/users.html", users=rows, roles=ROLES, form={})


@bp.post("/users")
@roles_required()
def create_staff_user() -> Any:
    """Add a staff user."""
    form = request.form
    try:
        user = create_user(db.session, form.get("email", ""), form.get("role", ""), form.get("password", ""),
                           form.get("name") or None)
    except UserError as exc:
        rows = db.session.scalars(select(User).order_by(User.role, User.name)).all()
        flash(str(exc), "error")
        return render_template("admin/users.html", users=rows, roles=ROLES, form=form), 400
    record(db.session, "user_created", actor=current_user, target_type="user", target_id=user.id,
           ip=request.remote_addr, details={"role": user.role})
    db.session.commit()
    flash(f"{user.email} can now sign in as {user.role}.", "info")
    return redirect(url_for("admin.users"), code=303)


@bp.post("/users/<int:user_id>")
@roles_required()
def update_staff_user(user_id: int) -> Any:
    """Change a user's role or switch them off; both are audited."""
    user = db.session.get(User, user_id) or abort(404, description=f"There is no user {user_id}.")
    role = request.form.get("role")
    active = request.form.get("active")
    if role is not None:
        if role not in ROLES:
            abort(400, description=f"role must be one of {', '.join(ROLES)}.")
        if user.id == current_user.id and role != "admin":
            abort(400, description="You cannot remove your own admin role.")
        if role != user.role:
            record(db.session, "role_changed", actor=current_user, target_type="user", target_id=user.id,
                   ip=request.remote_addr, details={"from": user.role, "to": role})
            user.role = role
    if active is not None:
        want = active == "1"
        if user.id == current_user.id and not want:
            abort(400, description="You cannot deactivate yourself.")
        if want != user.active:
            record(db.session, "user_activated" if want else "user_deactivated", actor=current_user,
                   target_type="user", target_id=user.id, ip=request.remote_addr)
            user.active = want
    db.session.commit()
    flash(f"{user.email} updated.", "info")
    return redirect(url_for("admin.users"), code=303)


@bp.get("/audit")
@roles_required()
def audit() -> Any:
    """The audit log, newest first, filterable by action."""
    action = request.args.get("action") or None
    before = request.args.get("before", type=int)
    query = select(AuditEvent).order_by(AuditEvent.id.desc()).limit(AUDIT_PAGE)
    if action:
        query = query.where(AuditEvent.action == action)
    if before:
        query = query.where(AuditEvent.id < before)
    events = db.session.scalars(query).all()
    actions = db.session.scalars(select(AuditEvent.action).distinct().order_by(AuditEvent.action)).all()
    return render_template("admin/audit.html", events=events, actions=actions, action=action,
                           next_before=events[-1].id if len(events) == AUDIT_PAGE else None)


@bp.get("/webhooks")
@roles_required()
def webhooks() -> Any:
    """Registered endpoints with their secrets and the latest deliveries."""
    endpoints = db.session.scalars(select(WebhookEndpoint).order_by(WebhookEndpoint.id)).all()
    deliveries = db.session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id.desc()).limit(50)).all()
    return render_template("admin/webhooks.html", endpoints=endpoints, deliveries=deliveries, events=WEBHOOK_EVENTS,
                           form={})


@bp.post("/webhooks")
@roles_required()
def add_webhook() -> Any:
    """Register an endpoint for some events."""
    form = request.form
    try:
        endpoint = register_endpoint(db.session, form.get("url", ""), form.getlist("events"),
                                     form.get("format", "json"), form.get("description", ""))
    except WebhookError as exc:
        flash(str(exc), "error")
        endpoints = db.session.scalars(select(WebhookEndpoint).order_by(WebhookEndpoint.id)).all()
        return render_template("admin/webhooks.html", endpoints=endpoints, deliveries=[], events=WEBHOOK_EVENTS,
                               form=form), 400
    record(db.session, "webhook_registered", actor=current_user, target_type="webhook", target_id=endpoint.id,
           ip=request.remote_addr, details={"events": endpoint.events})
    db.session.commit()
    flash("Webhook registered. Verify deliveries with the secret shown.", "info")
    return redirect(url_for("admin.webhooks"), code=303)


@bp.post("/webhooks/<int:endpoint_id>/delete")
@roles_required()
def delete_webhook(endpoint_id: int) -> Any:
    """Remove an endpoint and its delivery log."""
    endpoint = db.session.get(WebhookEndpoint, endpoint_id) or abort(404, description="No such webhook.")
    db.session.delete(endpoint)
    record(db.session, "webhook_deleted", actor=current_user, target_type="webhook", target_id=endpoint_id,
           ip=request.remote_addr)
    db.session.commit()
    return redirect(url_for("admin.webhooks"), code=303)


@bp.post("/webhooks/deliveries/<int:delivery_id>/replay")
@roles_required()
def replay_delivery(delivery_id: int) -> Any:
    """Send a logged delivery again."""
    delivery = db.session.get(WebhookDelivery, delivery_id) or abort(404, description="No such delivery.")
    copy = replay(db.session, delivery)
    db.session.commit()  # the after-commit hook enqueues it
    flash(f"Delivery {delivery_id} replayed as {copy.id}.", "info")
    return redirect(url_for("admin.webhooks"), code=303)


@bp.get("/contacts")
@roles_required()
def contacts() -> Any:
    """Find a contact for a data-protection request."""
    q = (request.args.get("q") or "").strip()
    rows: list[Contact] = []
    if q:
        like = f"%{q.lower()}%"
        rows = list(db.session.scalars(select(Contact).where(
            or_(func.lower(Contact.email).like(like), func.lower(Contact.name).like(like))).limit(50)))
    return render_template("admin/contacts.html", contacts=rows, q=q, modes=ERASE_MODES,
                           default_mode=current_app.config["ERASURE_MODE"])


@bp.get("/contacts/<int:contact_id>/export.json")
@roles_required()
def export(contact_id: int) -> Any:
    """Download everything held about a contact (audited)."""
    contact = db.session.get(Contact, contact_id) or abort(404, description=f"There is no contact {contact_id}.")
    doc = export_contact(db.session, contact)
    record(db.session, "contact_exported", actor=current_user, target_type="contact", target_id=contact_id,
           ip=request.remote_addr)
    db.session.commit()
    return Response(json.dumps(doc, indent=2, default=str), mimetype="application/json",
                    headers={"Content-Disposition": f"attachment; filename=contact-{contact_id}.json"})


@bp.post("/contacts/<int:contact_id>/erase")
@roles_required()
def erase(contact_id: int) -> Any:
    """Erase a contact after the admin retypes their email."""
    contact = db.session.get(Contact, contact_id) or abort(404, description=f"There is no contact {contact_id}.")
    if (request.form.get("confirm_email") or "").strip().lower() != contact.email:
        abort(400, description="Type the contact's email exactly to confirm the erasure.")
    mode = request.form.get("mode") or current_app.config["ERASURE_MODE"]
    try:
        report = erase_contact(db.session, contact, mode)
    except PrivacyError as exc:
        abort(400, description=str(exc))
    audit_erasure(db.session, contact_id, report, current_user, mode)
    db.session.commit()
    enqueue_analysis_many(report.requeue_verbatim_ids)
    flash(f"Contact {contact_id} erased ({report.verbatims_deleted} verbatims deleted, "
          f"{report.verbatims_anonymised} anonymised).", "info")
    return redirect(url_for("admin.contacts"), code=303)


@bp.get("/import")
@roles_required()
def imports() -> Any:
    """Upload a CSV of accounts, contacts or historical responses; recent imports below."""
    from survey.models import ImportJob
    from survey.services.importer import COLUMNS

    recent = db.session.scalars(select(ImportJob).order_by(ImportJob.id.desc()).limit(20)).all()
    return render_template("admin/imports.html", recent=recent, columns=COLUMNS)


@bp.post("/import")
@roles_required()
def upload_import() -> Any:
    """Store the upload and queue it; the next page shows its progress."""
    from survey.models import ImportJob
    from survey.services.importer import KINDS
    from workers.enqueue import enqueue_import

    kind = request.form.get("kind", "")
    upload = request.files.get("file")
    if kind not in KINDS:
        abort(400, description=f"Choose what the file contains: {', '.join(KINDS)}.")
    if upload is None or not upload.filename:
        abort(400, description="Choose a CSV file to upload.")
    content = upload.read()
    if not content:
        abort(400, description="The uploaded file is empty.")
    job = ImportJob(kind=kind, filename=upload.filename[:255], content=content,
                    partial=request.form.get("partial") == "1", created_by_id=current_user.id)
    db.session.add(job)
    db.session.commit()
    enqueue_import(job.id)
    return redirect(url_for("admin.import_status", import_id=job.id), code=303)


@bp.get("/import/<int:import_id>")
@roles_required()
def import_status(import_id: int) -> Any:
    """The import's progress (an htmx widget that polls while it runs) and its report of rejected rows."""
    from survey.models import ImportJob
    from webapp.htmx import render_page_or_fragment

    job = db.session.get(ImportJob, import_id) or abort(404, description=f"There is no import {import_id}.")
    return render_page_or_fragment("admin/import_status.html", "admin/_import_progress.html", job=job)
