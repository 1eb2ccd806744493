"""The per-process row cache on the submission path: fresh where it must be, bounded staleness elsewhere."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import func, select, text

from survey import cache
from survey.models import Response, WebhookDelivery
from survey.services.webhooks import register_endpoint
from tests.factories import make_survey


@pytest.fixture
def short_ttl() -> Iterator[float]:
    """A TTL short enough to wait out in a test; the default comes back afterwards."""
    cache.configure(0.3)
    yield 0.3
    cache.configure(5.0)


def _submit(client: Any, key: str = "cache-nps") -> Any:
    return client.post(f"/s/{key}/responses", json={"score": 4, "submission_id": uuid.uuid4().hex,
                                                    "comment": "Exports keep timing out."})


def test_survey_closed_in_this_process_is_refused_at_once(client: Any, db_session: Any) -> None:
    """A status change flushed by this process drops the cached survey: the very next answer sees it."""
    survey = make_survey(db_session, key="cache-nps")
    db_session.commit()
    assert _submit(client).status_code == 201  # now cached
    survey.status = "closed"
    db_session.commit()
    resp = _submit(client)
    assert resp.status_code == 409, resp.get_json()


def test_survey_closed_elsewhere_is_refused_after_the_ttl(client: Any, db_session: Any, app: Any,
                                                          short_ttl: float) -> None:
    """Another process's change (raw SQL here, invisible to this process's sessions) shows within the TTL."""
    make_survey(db_session, key="cache-nps")
    db_session.commit()
    assert _submit(client).status_code == 201
    with db_session.get_bind().begin() as conn:
        conn.execute(text("UPDATE surveys SET status = 'closed' WHERE public_key = 'cache-nps'"))
    assert _submit(client).status_code == 201  # still cached: bounded staleness, by design
    time.sleep(short_ttl + 0.1)
    assert _submit(client).status_code == 409


def test_webhook_endpoint_added_in_this_process_receives_the_next_answer(client: Any, db_session: Any) -> None:
    """'No endpoints' is cached, but registering one drops that at once."""
    make_survey(db_session, key="cache-nps")
    db_session.commit()
    assert _submit(client).status_code == 201  # caches "no active endpoint"
    register_endpoint(db_session, "https://hooks.example/x", ["response.created"])
    db_session.commit()
    assert _submit(client).status_code == 201
    assert db_session.scalar(select(func.count(WebhookDelivery.id))) == 1


def test_endpoint_deleted_elsewhere_never_breaks_a_submission(client: Any, db_session: Any) -> None:
    """With endpoints cached as present, the rows are still read: a vanished endpoint costs nothing."""
    make_survey(db_session, key="cache-nps")
    register_endpoint(db_session, "https://hooks.example/x", ["response.created"])
    db_session.commit()
    assert _submit(client).status_code == 201  # caches "some endpoint is active"
    with db_session.get_bind().begin() as conn:
        conn.execute(text("DELETE FROM webhook_deliveries"))
        conn.execute(text("DELETE FROM webhook_endpoints"))
    resp = _submit(client)
    assert resp.status_code == 201, resp.get_json()
    assert db_session.scalar(select(func.count(Response.id))) == 2
    assert db_session.scalar(select(func.count(WebhookDelivery.id))) == 0


def test_ttl_zero_turns_caching_off(client: Any, db_session: Any) -> None:
    """FEEDLOOP_ROW_CACHE_SECONDS=0: every request reads the survey row."""
    make_survey(db_session, key="cache-nps")
    db_session.commit()
    cache.configure(0)
    try:
        assert _submit(client).status_code == 201
        with db_session.get_bind().begin() as conn:
            conn.execute(text("UPDATE surveys SET status = 'closed' WHERE public_key = 'cache-nps'"))
        assert _submit(client).status_code == 409
    finally:
        cache.configure(5.0)
