"""Staff sign-in, sessions and role checks."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import Blueprint, Flask, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import select

from survey.database import utcnow
from survey.models import User
from survey.services.users import verify_password
from webapp.extensions import db, limiter, login_manager

bp = Blueprint("auth", __name__)
F = TypeVar("F", bound=Callable[..., Any])


def init_app(app: Flask) -> None:
    """Wire Flask-Login to our users table."""
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please sign in to continue."
    login_manager.login_message_category = "info"


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """Reload the signed-in user on each request; deactivated users are signed out."""
    if not user_id.isdigit():
        return None
    user = db.session.get(User, int(user_id))
    return user if user and user.active else None


def roles_required(*roles: str) -> Callable[[F], F]:
    """Allow only signed-in staff with one of these roles (admin always passes)."""

    def decorator(view: F) -> F:
        @wraps(view)
        @login_required
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if current_user.role != "admin" and current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorator


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: __import__("flask").current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"])
def login() -> Any:
    """Email and password sign-in; the same message for unknown email and wrong password."""
    error = None
    email = ""
    if request.method == "POST":
        email = (request.form.get("email") or "").strip().lower()
        password = request.form.get("password") or ""
        user = db.session.scalar(select(User).where(User.email == email)) if email else None
        if user is None or not user.active or not verify_password(user.password_hash, password):
            error = "Email or password is not correct."
            from survey.services.audit import record

            record(db.session, "login_failed", actor_label=email[:120] or "unknown", ip=request.remote_addr)
            db.session.commit()
        elif user.totp_enabled:
            session["totp_user_id"] = user.id  # password checked; the second factor is next
            return redirect(url_for("auth.login_totp", next=request.args.get("next")), code=303)
        else:
            return _complete_login(user)
    status = 401 if error else 200
    return render_template("auth/login.html", error=error, email=email), status


def _complete_login(user: User) -> Any:
    login_user(user)
    user.last_login_at = utcnow()
    from survey.services.audit import record

    record(db.session, "login", actor=user, ip=request.remote_addr)
    db.session.commit()
    return redirect(_safe_next(request.args.get("next")), code=303)


@bp.route("/login/code", methods=["GET", "POST"])
@limiter.limit(lambda: __import__("flask").current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"])
def login_totp() -> Any:
    """Second step for staff with an authenticator app."""
    from survey.services.credentials import check_totp

    user_id = session.get("totp_user_id")
    user = db.session.get(User, user_id) if user_id else None
    if user is None:
        return redirect(url_for("auth.login"), code=303)
    error = None
    if request.method == "POST":
        if check_totp(user, request.form.get("code", "")):
            session.pop("totp_user_id", None)
            return _complete_login(user)
        error = "That code is not valid."
    return render_template("auth/totp.html", error=error), 401 if error else 200


@bp.route("/forgot", methods=["GET", "POST"])
@limiter.limit("5 per minute", methods=["POST"])
def forgot() -> Any:
    """Ask for a reset link; the answer is the same whether or not the email is known."""
    sent = False
    if request.method == "POST":
        email = (request.form.get("email") or "").strip().lower()
        user = db.session.scalar(select(User).where(User.email == email)) if email else None
        if user is not None and user.active:
            _send_reset_email(user)
        sent = True
    return render_template("auth/forgot.html", sent=sent)


def _send_reset_email(user: User) -> None:
    from survey.models.outbox import OutboxEmail
    from survey.services.audit import record
    from survey.services.credentials import reset_token
    from workers.enqueue import enqueue_send_email

    link = url_for("auth.reset", token=reset_token(current_app.config["SECRET_KEY"], user), _external=True)
    email = OutboxEmail(to_email=user.email, subject="Reset your Feedloop password", trigger="manual",
                        text_body=f"Hi {user.name},\n\nSet a new password here (the link works once, for an hour):\n"
                                  f"{link}\n\nIf you did not ask for this, ignore this email.")
    db.session.add(email)
    record(db.session, "password_reset_requested", actor=user, ip=request.remote_addr)
    db.session.commit()
    enqueue_send_email(email.id)


@bp.route("/reset/<token>", methods=["GET", "POST"])
def reset(token: str) -> Any:
    """Set a new password from a signed, expiring, single-use link."""
    from survey.services.audit import record
    from survey.services.credentials import CredentialError, set_password, user_for_reset

    try:
        user = user_for_reset(db.session, current_app.config["SECRET_KEY"], token)
    except CredentialError as exc:
        return render_template("auth/reset.html", invalid=str(exc), error=None), 400
    error = None
    if request.method == "POST":
        password = request.form.get("password") or ""
        if password != request.form.get("confirm"):
            error = "The two passwords differ."
        else:
            try:
                set_password(user, password)
            except CredentialError as exc:
                error = str(exc)
            else:
                record(db.session, "password_reset", actor=user, ip=request.remote_addr)
                db.session.commit()
                flash("Your password is changed; sign in with it now.", "info")
                return redirect(url_for("auth.login"), code=303)
    return render_template("auth/reset.html", invalid=None, error=error), 400 if error else 200


@bp.route("/account/security", methods=["GET", "POST"])
@login_required
def security() -> Any:
    """Turn the authenticator-app second factor on or off (offered to every role, advised for admins)."""
    import segno

    from survey.services.audit import record
    from survey.services.credentials import CredentialError, confirm_totp, disable_totp, provisioning_uri, start_totp

    user: User = current_user  # type: ignore[assignment]
    error = None
    if request.method == "POST":
        action = request.form.get("action")
        if action == "start":
            start_totp(user)
        elif action == "confirm":
            try:
                confirm_totp(user, request.form.get("code", ""))
                record(db.session, "totp_enabled", actor=user, ip=request.remote_addr)
            except CredentialError as exc:
                error = str(exc)
        elif action == "disable":
            if not verify_password(user.password_hash, request.form.get("password", "")):
                error = "Password is not correct."
            else:
                disable_totp(user)
                record(db.session, "totp_disabled", actor=user, ip=request.remote_addr)
        else:
            abort(400, description="Unknown action.")
        db.session.commit()
    qr = None
    if user.totp_secret and not user.totp_enabled:
        qr = segno.make(provisioning_uri(user), error="m").svg_data_uri(scale=5)
    return render_template("auth/security.html", qr=qr, error=error), 400 if error else 200


@bp.post("/logout")
@login_required
def logout() -> Any:
    """Sign out (POST, so a link on another site cannot do it)."""
    logout_user()
    flash("You are signed out.", "info")
    return redirect(url_for("auth.login"), code=303)


def _safe_next(target: str | None) -> str:
    """Only follow a relative next= so the login form cannot redirect off-site."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return url_for("staff.home")
