"""Anonymous rate limits: counted per address and endpoint in Redis, in this process while Redis is down."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from survey.models import Response
from tests.factories import make_survey
from tests.test_web import login
from webapp import create_app
from webapp.ratelimit import Rule, parse_rule


@pytest.mark.parametrize(
    ("text", "amount", "seconds"),
    [("120 per minute", 120, 60), ("10/second", 10, 1), ("1000 per 5 minutes", 1000, 300), (" 3 PER HOUR ", 3, 3600),
     ("2 per day", 2, 86400)],
)
def test_rules_are_read_from_config_text(text: str, amount: int, seconds: int) -> None:
    rule = parse_rule(text)
    assert (rule.amount, rule.seconds) == (amount, seconds)


@pytest.mark.parametrize("text", ["", "many", "120 per fortnight", "0 per minute", "12 per 0 minutes", "-1/second"])
def test_a_bad_rule_names_the_expected_form(text: str) -> None:
    with pytest.raises(ValueError, match="120 per minute|at least one"):
        parse_rule(text)


@pytest.fixture
def tight(app: Flask) -> Iterator[Flask]:
    """The shared app with a public limit small enough to reach."""
    old = app.config["PUBLIC_RATE_LIMIT"]
    app.config["PUBLIC_RATE_LIMIT"] = "3 per minute"
    yield app
    app.config["PUBLIC_RATE_LIMIT"] = old


def _post(client: Any, addr: str, **json: Any) -> Any:
    return client.post("/s/rl-nps/responses", json={"score": 9, **json}, environ_base={"REMOTE_ADDR": addr})


def test_headers_count_down_and_the_fourth_answer_is_refused(tight: Flask, client: Any, db_session: Any) -> None:
    """Each answer says how many are left; past the limit a 429 says when to retry, and nothing is stored."""
    make_survey(db_session, key="rl-nps")
    db_session.commit()
    replies = [_post(client, "203.0.113.7") for _ in range(4)]
    assert [r.status_code for r in replies] == [201, 201, 201, 429]
    assert [r.headers["X-RateLimit-Remaining"] for r in replies] == ["2", "1", "0", "0"]
    assert all(r.headers["X-RateLimit-Limit"] == "3" for r in replies)
    refused = replies[-1]
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert int(refused.headers["X-RateLimit-Reset"]) - time.time() <= 61
    assert refused.get_json()["error"].startswith("Too many requests from your network")
    assert db_session.scalar(select(func.count(Response.id))) == 3


def test_addresses_and_endpoints_have_separate_budgets(tight: Flask, client: Any, db_session: Any) -> None:
    """One busy office does not lock out another, and reading the page does not use up the answers."""
    make_survey(db_session, key="rl-nps")
    db_session.commit()
    assert [_post(client, "198.51.100.1").status_code for _ in range(3)] == [201] * 3
    assert _post(client, "198.51.100.2").status_code == 201
    page = client.get("/s/rl-nps", environ_base={"REMOTE_ADDR": "198.51.100.1"})
    assert page.status_code == 200 and page.headers["X-RateLimit-Remaining"] == "2"


def test_the_window_ends_and_answers_are_taken_again(app: Flask, client: Any, db_session: Any) -> None:
    make_survey(db_session, key="rl-nps")
    db_session.commit()
    old = app.config["PUBLIC_RATE_LIMIT"]
    app.config["PUBLIC_RATE_LIMIT"] = "2 per second"
    try:
        first = [_post(client, "192.0.2.9").status_code for _ in range(3)]
        time.sleep(1.2)
        after = _post(client, "192.0.2.9").status_code
    finally:
        app.config["PUBLIC_RATE_LIMIT"] = old
    assert first == [201, 201, 429] and after == 201


def test_login_counts_only_attempts(app: Flask, client: Any) -> None:
    """Showing the sign-in form is free; posting to it is limited."""
    app.config["LOGIN_RATE_LIMIT"] = "2 per minute"
    try:
        shown = [client.get("/login").status_code for _ in range(5)]
        posts = [login(client, "x@example.com", "wrong-password").status_code for _ in range(3)]
    finally:
        app.config["LOGIN_RATE_LIMIT"] = "1000 per minute"
    assert shown == [200] * 5 and posts[-1] == 429 and 429 not in posts[:2]


def test_with_redis_unreachable_limits_hold_in_memory_and_answers_are_kept(
    app_config: dict[str, Any], db_session: Any
) -> None:
    """No Redis: answers below the limit are stored (analysis waits for the sweeper), the limit still applies."""
    make_survey(db_session, key="rl-nps")
    db_session.commit()
    dead = create_app({**app_config, "REDIS_URL": "redis://127.0.0.1:1/0", "PUBLIC_RATE_LIMIT": "3 per minute"})
    client = dead.test_client()
    replies = [_post(client, "203.0.113.50") for _ in range(4)]
    assert [r.status_code for r in replies] == [201, 201, 201, 429]
    assert replies[0].headers["X-RateLimit-Remaining"] == "2"
    assert db_session.scalar(select(func.count(Response.id))) == 3


def test_counts_live_in_redis_so_every_web_process_shares_them(
    tight: Flask, app_config: dict[str, Any], client: Any, db_session: Any
) -> None:
    """Two app instances (two gunicorn workers) draw on one budget per address."""
    make_survey(db_session, key="rl-nps")
    db_session.commit()
    other = create_app({**app_config, "PUBLIC_RATE_LIMIT": "3 per minute"}).test_client()
    statuses = [_post(c, "203.0.113.80").status_code for c in (client, other, client, other)]
    assert statuses == [201, 201, 201, 429]


def test_rule_objects_are_plain_values() -> None:
    assert parse_rule("5 per minute") == Rule(amount=5, seconds=60, text="5 per minute")
