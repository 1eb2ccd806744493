"""Staff sign-in, sessions and role checks."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import Blueprint, Flask, abort, flash, redirect, render_template, request, url_for
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
        else:
            login_user(user)
            user.last_login_at = utcnow()
            from survey.services.audit import record

            record(db.session, "login", actor=user, ip=request.remote_addr)
            db.session.commit()
            return redirect(_safe_next(request.args.get("next")), code=303)
    status = 401 if error else 200
    return render_template("auth/login.html", error=error, email=email), status


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
