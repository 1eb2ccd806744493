"""The JSON API for other systems, authenticated by bearer tokens and documented at /api/v1/openapi.json."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Blueprint, Flask, abort, g, jsonify, request

from survey.services.users import authenticate_token
from webapp.api.spec import spec
from webapp.extensions import csrf, db

bp = Blueprint("api", __name__)
csrf.exempt(bp)  # bearer tokens, not cookies: nothing for CSRF to ride on


def init_app(app: Flask) -> None:
    """Register the routes and the generated OpenAPI document."""
    from webapp.api import crm, reads  # noqa: F401  (routes register on bp)

    app.register_blueprint(bp, url_prefix="/api/v1")
    spec.register(app)


@bp.get("/openapi.json")
def openapi_document() -> Any:
    """The OpenAPI 3 document generated from the routes' pydantic models."""
    return jsonify(spec.spec)


def token_required(*roles: str) -> Callable[..., Any]:
    """Require a live bearer token whose role is admin or one of these; every use is audited."""

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            header = request.headers.get("Authorization", "")
            scheme, _, value = header.partition(" ")
            if scheme.lower() != "bearer" or not value.strip():
                return _unauthorized("Send an API token as 'Authorization: Bearer <token>'.")
            token = authenticate_token(db.session, value.strip())
            if token is None:
                return _unauthorized("The API token is unknown or revoked.")
            if token.role != "admin" and token.role not in roles:
                return jsonify(error=f"A {token.role} token may not use this endpoint.", status=403), 403
            g.api_token = token
            from survey.services.audit import record

            record(db.session, "api_token_used", actor=token.created_by, actor_label=f"token:{token.prefix}",
                   target_type="endpoint", target_id=request.endpoint, ip=request.remote_addr,
                   details={"method": request.method, "path": request.path})
            db.session.commit()
            return view(*args, **kwargs)

        return wrapped

    return decorator


def _unauthorized(message: str) -> Any:
    resp = jsonify(error=message, status=401)
    resp.status_code = 401
    resp.headers["WWW-Authenticate"] = 'Bearer realm="feedloop"'
    return resp


def not_found(message: str) -> Any:
    """A 404 in the API's error shape."""
    abort(404, description=message)
