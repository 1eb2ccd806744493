"""Security headers on every response."""

from __future__ import annotations

from flask import Flask, Response, request

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; base-uri 'self'; object-src 'none'; frame-ancestors 'none'"
)
# rq-dashboard ships inline scripts and styles; it is admin-only.
CSP_RQ_DASHBOARD = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; frame-ancestors 'none'"
)


def init_app(app: Flask) -> None:
    """Add CSP, framing, sniffing and referrer headers."""

    @app.after_request
    def headers(resp: Response) -> Response:
        resp.headers.setdefault(
            "Content-Security-Policy", CSP_RQ_DASHBOARD if request.path.startswith("/admin/rq") else CSP
        )
        resp.headers.setdefault("X-Content-Type-Options", "nosniff")
        resp.headers.setdefault("Referrer-Policy", "same-origin")
        if "frame-ancestors 'none'" in resp.headers.get("Content-Security-Policy", ""):
            resp.headers.setdefault("X-Frame-Options", "DENY")
        if request.headers.get("HX-Request"):
            resp.vary.add("HX-Request")
        return resp
