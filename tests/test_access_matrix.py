"""Role by endpoint: every route of the app, requested by every role, gets the access the policy below says."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask

from tests.factories import make_user
from tests.test_web import _csrf, login

ROLES = ("admin", "csm", "product", "marketing")
# Reached without a staff session: customers' pages, the API (bearer tokens, tested in test_api), health, sign-in.
PUBLIC = re.compile(r"^/(s|w|r|a|demo|api)/|^/(embed\.js|healthz|ping|login|login/code|forgot|reset/.*)$")
# The policy: path prefix -> roles allowed (admin is allowed everywhere). First match wins.
POLICY: list[tuple[str | None, str, set[str]]] = [
    (None, "/advocacy/praise", {"csm"}),  # CSMs see praise of their own customers
    (None, "/advocacy/contacts/", {"marketing", "csm"}),  # either can correct a champion's company
    (None, "/advocacy", {"marketing"}),
    (None, "/insights/fixes/messages/", {"csm"}),  # "we fixed it" messages are sent by account owners
    ("GET", "/insights/fixes", {"product", "csm"}),
    (None, "/insights", {"product"}),
    (None, "/recovery", {"csm"}),
    (None, "/admin", set()),
    (None, "/", set(ROLES)),  # home, security settings, sign-out
]


def _allowed(path: str, role: str, method: str = "GET") -> bool:
    if role == "admin":
        return True
    for only, prefix, roles in POLICY:
        if only and only != method:
            continue
        if path == prefix or path.startswith(prefix.rstrip("/") + "/") or prefix == "/":
            return role in roles
    raise AssertionError(f"no policy for {path}")


def _routes(app: Flask) -> list[tuple[str, str, str]]:
    """(method, concrete path, rule) for every staff route; path arguments filled with 1 or 'x'."""
    out = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint in ("static",) or rule.endpoint.startswith(("rq_dashboard", "openapi")):
            continue
        path = re.sub(r"<int:[^>]+>", "1", rule.rule)
        path = re.sub(r"<[^>]+>", "x", path)
        if PUBLIC.search(path):
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            out.append((method, path, rule.rule))
    return sorted(out)


def test_every_staff_route_has_a_policy(app: Flask) -> None:
    """A new route cannot slip in without this matrix saying who may use it."""
    routes = _routes(app)
    assert len(routes) > 60
    for _method, path, _rule in routes:
        _allowed(path, "csm")


def test_anonymous_visitors_are_sent_to_sign_in(app: Flask, client: Any, db_session: Any) -> None:
    """Without a session every staff route redirects to /login (pages) or answers 401/400, never content."""
    for method, path, rule in _routes(app):
        if rule == "/logout":
            continue
        resp = client.open(path, method=method)
        assert resp.status_code in (302, 400, 401), (method, path, resp.status_code)
        if resp.status_code == 302:
            assert "/login" in resp.headers["Location"], (method, path)


@pytest.mark.parametrize("role", ROLES)
def test_role_by_endpoint(app: Flask, client: Any, db_session: Any, role: str) -> None:
    """Each role gets 403 exactly where the policy forbids it, and never a 5xx anywhere."""
    make_user(db_session, role=role, email=f"{role}@example.com")
    db_session.commit()
    login(client, f"{role}@example.com")
    token = _csrf(client.get("/").get_data(as_text=True))
    problems = []
    for method, path, rule in _routes(app):
        if rule in ("/logout",):
            continue
        resp = client.open(path, method=method, headers={"X-CSRFToken": token}, data={"csrf_token": token})
        allowed = _allowed(path, role, method)
        if resp.status_code >= 500:
            problems.append(f"{method} {path}: {resp.status_code}")
        elif allowed and resp.status_code == 403:
            problems.append(f"{method} {path}: 403 but {role} is allowed")
        elif not allowed and resp.status_code != 403:
            problems.append(f"{method} {path}: {resp.status_code} but {role} is not allowed")
    assert problems == []
