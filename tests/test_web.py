"""Staff side: login with CSRF, role checks, pages, health."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import select

from survey.models import AuditEvent
from tests.factories import make_user


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no csrf token in page"
    return match.group(1)


def login(client: Any, email: str, password: str = "password123") -> Any:
    token = _csrf(client.get("/login").get_data(as_text=True))
    return client.post("/login", data={"email": email, "password": password, "csrf_token": token})


def test_login_requires_csrf(client: Any, db_session: Any) -> None:
    """A login POST without its CSRF token is refused."""
    make_user(db_session, role="admin", email="a@example.com")
    db_session.commit()
    resp = client.post("/login", data={"email": "a@example.com", "password": "password123"})
    assert resp.status_code == 400


def test_login_with_wrong_password_is_refused(client: Any, db_session: Any) -> None:
    """Wrong password: 401 and one generic message."""
    make_user(db_session, role="admin", email="a@example.com")
    db_session.commit()
    resp = login(client, "a@example.com", "wrong-password")
    assert resp.status_code == 401 and b"Email or password is not correct" in resp.data


def test_login_records_audit_and_redirects(client: Any, db_session: Any) -> None:
    """A good login redirects home and is audited."""
    make_user(db_session, role="csm", email="c@example.com")
    db_session.commit()
    resp = login(client, "c@example.com")
    assert resp.status_code == 303
    assert client.get("/").status_code == 200
    assert db_session.scalar(select(AuditEvent.action)) == "login"


@pytest.mark.parametrize(
    ("role", "allowed", "denied"),
    [
        ("csm", ["/recovery"], ["/insights", "/advocacy", "/admin/rq/"]),
        ("product", ["/insights"], ["/recovery", "/advocacy", "/admin/rq/"]),
        ("marketing", ["/advocacy"], ["/recovery", "/insights", "/admin/rq/"]),
        ("admin", ["/recovery", "/insights", "/advocacy", "/admin/rq/"], []),
    ],
)
def test_roles_see_only_their_pages(client: Any, db_session: Any, role: str, allowed: list[str],
                                    denied: list[str]) -> None:
    """Each role reaches its own lists and gets 403 elsewhere."""
    make_user(db_session, role=role, email=f"{role}@example.com")
    db_session.commit()
    login(client, f"{role}@example.com")
    for path in allowed:
        assert client.get(path).status_code == 200, path
    for path in denied:
        assert client.get(path).status_code == 403, path


def test_anonymous_staff_page_redirects_to_login(client: Any, db_session: Any) -> None:
    """Signed-out visitors are sent to /login with next=."""
    resp = client.get("/recovery")
    assert resp.status_code == 302 and "/login?next=" in resp.headers["Location"]


def test_open_redirect_is_blocked(client: Any, db_session: Any) -> None:
    """next= pointing off-site is ignored."""
    make_user(db_session, role="admin", email="a@example.com")
    db_session.commit()
    token = _csrf(client.get("/login").get_data(as_text=True))
    resp = client.post("/login?next=//evil.example/x", data={"email": "a@example.com", "password": "password123",
                                                             "csrf_token": token})
    assert resp.headers["Location"] == "/"


def test_healthz_reports_database_redis_and_workers(client: Any, db_session: Any) -> None:
    """/healthz answers JSON with each dependency's state."""
    resp = client.get("/healthz")
    body = resp.get_json()
    assert resp.status_code == 200
    assert body["database"]["ok"] is True and body["redis"]["ok"] is True
    assert "count" in body["workers"] and "nlp" in body["queues"]


def test_security_headers(client: Any, db_session: Any) -> None:
    """CSP allows only our own scripts and forbids framing of staff pages."""
    resp = client.get("/login")
    csp = resp.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert resp.headers["X-Content-Type-Options"] == "nosniff"


def test_htmx_requests_vary(client: Any, db_session: Any) -> None:
    """Responses to htmx requests carry Vary: HX-Request so caches keep fragments apart."""
    resp = client.get("/login", headers={"HX-Request": "true"})
    assert "HX-Request" in resp.headers.get("Vary", "")


def test_unknown_page_is_a_friendly_404(client: Any, db_session: Any) -> None:
    """404 renders a page, JSON clients get JSON."""
    assert client.get("/no-such-page").status_code == 404
    resp = client.get("/no-such-page", headers={"Accept": "application/json"})
    assert resp.status_code == 404 and resp.get_json()["status"] == 404
