"""Outgoing webhooks against a real HTTP receiver on loopback: signed, retried, logged, replayable."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from survey.models import WebhookDelivery
from survey.services.webhooks import WebhookError, register_endpoint, replay, sign, verify
from tests.factories import make_survey


class Receiver:
    """A loopback HTTP server that records requests and answers with scripted status codes."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.statuses: list[int] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append({"headers": dict(self.headers), "body": body})
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.server.shutdown()


def test_response_created_is_delivered_signed(client: Any, db_session: Any, receiver: Receiver,
                                              run_worker: Any) -> None:
    """A new answer reaches the subscriber with a verifiable HMAC signature and timestamp."""
    make_survey(db_session, key="hook-nps")
    endpoint = register_endpoint(db_session, receiver.url, ["response.created"])
    db_session.commit()
    client.post("/s/hook-nps/responses", json={"score": 9, "comment": "Great onboarding"})
    run_worker()
    assert len(receiver.requests) == 1
    req = receiver.requests[0]
    assert req["headers"]["X-Feedloop-Event"] == "response.created"
    assert verify(endpoint.secret, req["headers"]["X-Feedloop-Signature"], req["body"])
    assert not verify("wrong-secret", req["headers"]["X-Feedloop-Signature"], req["body"])
    assert json.loads(req["body"])["data"]["score"] == 9
    db_session.expire_all()
    assert db_session.scalar(select(WebhookDelivery.status)) == "delivered"


def test_signature_refuses_stale_or_tampered_requests() -> None:
    """Receivers can reject an old timestamp or a changed body."""
    header = sign("s3cret", int(time.time()) - 3600, b"{}")
    assert not verify("s3cret", header, b"{}")
    fresh = sign("s3cret", int(time.time()), b'{"a": 1}')
    assert verify("s3cret", fresh, b'{"a": 1}') and not verify("s3cret", fresh, b'{"a": 2}')


def test_failed_delivery_is_retried_then_succeeds(app: Flask, client: Any, db_session: Any, receiver: Receiver,
                                                  run_worker: Any) -> None:
    """A 500 from the receiver is logged and retried with backoff until it is accepted."""
    make_survey(db_session, key="hook-nps")
    register_endpoint(db_session, receiver.url, ["response.created"])
    db_session.commit()
    receiver.statuses = [500]
    client.post("/s/hook-nps/responses", json={"score": 3})
    run_worker()
    db_session.expire_all()
    delivery = db_session.scalar(select(WebhookDelivery))
    assert delivery.status == "failed" and delivery.last_status_code == 500 and delivery.attempts == 1
    for _ in range(5):  # the retry is due one second later (test config); a loaded machine may need another pass
        time.sleep(1.2)
        run_worker(with_scheduler=True)
        db_session.expire_all()
        delivery = db_session.get(WebhookDelivery, delivery.id)
        if delivery.status == "delivered":
            break
    assert delivery.status == "delivered" and delivery.attempts == 2 and len(receiver.requests) == 2


def test_replay_sends_the_same_payload_again(client: Any, db_session: Any, receiver: Receiver,
                                             run_worker: Any) -> None:
    """An admin can replay a logged delivery; the original stays in the log."""
    make_survey(db_session, key="hook-nps")
    register_endpoint(db_session, receiver.url, ["response.created"])
    db_session.commit()
    client.post("/s/hook-nps/responses", json={"score": 10})
    run_worker()
    db_session.expire_all()
    original = db_session.scalar(select(WebhookDelivery))
    copy = replay(db_session, original)
    db_session.commit()
    run_worker()
    assert len(receiver.requests) == 2
    assert json.loads(receiver.requests[0]["body"])["data"] == json.loads(receiver.requests[1]["body"])["data"]
    assert copy.replay_of_id == original.id


def test_slack_format(client: Any, db_session: Any, receiver: Receiver, run_worker: Any) -> None:
    """A Slack-format endpoint gets a {"text": ...} message."""
    make_survey(db_session, key="hook-nps")
    register_endpoint(db_session, receiver.url, ["response.created"], fmt="slack")
    db_session.commit()
    client.post("/s/hook-nps/responses", json={"score": 2, "comment": "Slow exports"})
    run_worker()
    body = json.loads(receiver.requests[0]["body"])
    assert set(body) == {"text"} and "response.created" in body["text"]


@pytest.mark.parametrize(("url", "events", "fmt", "needle"), [
    ("ftp://x.example/h", ["response.created"], "json", "absolute http"),
    ("https://x.example/h", ["nope"], "json", "unknown"),
    ("https://x.example/h", [], "json", "choose events"),
    ("https://x.example/h", ["response.created"], "xml", "format"),
])
def test_registration_is_validated(db_session: Any, url: str, events: list[str], fmt: str, needle: str) -> None:
    """Bad endpoint registrations are refused with the reason."""
    with pytest.raises(WebhookError, match=needle):
        register_endpoint(db_session, url, events, fmt)


def test_redis_down_delivery_is_swept_later(app: Flask, app_config: dict[str, Any], db_session: Any,
                                            receiver: Receiver, run_worker: Any) -> None:
    """Deliveries emitted while Redis is down stay pending and the sweeper sends them."""
    from webapp import create_app
    from workers.sweeper import sweep_once

    make_survey(db_session, key="hook-nps")
    register_endpoint(db_session, receiver.url, ["response.created"])
    db_session.commit()
    no_redis = create_app({**app_config, "REDIS_URL": "redis://127.0.0.1:1/0"})
    assert no_redis.test_client().post("/s/hook-nps/responses", json={"score": 6}).status_code == 201
    assert receiver.requests == []
    sweep_once(app)
    run_worker()
    assert len(receiver.requests) == 1


def test_loop_events_reach_subscribers_once(client: Any, db_session: Any, receiver: Receiver, run_worker: Any) -> None:
    """A detractor opens a task (recovery_task.opened), praise flags an advocate; re-running jobs sends nothing new."""
    from flask import current_app

    from tests.factories import make_account, make_contact, make_user
    from workers import jobs

    csm = make_user(db_session, role="csm")
    contact = make_contact(db_session, make_account(db_session, owner=csm))
    make_survey(db_session, key="hook-nps")
    register_endpoint(db_session, receiver.url, ["recovery_task.opened", "advocate.flagged",
                                                 "recovery_task.resolved"])
    db_session.commit()
    client.post("/s/hook-nps/responses", json={"score": 1, "email": contact.email,
                                               "comment": "Exports fail constantly. Maya from support was brilliant though."})
    run_worker()
    events = sorted(json.loads(r["body"])["event"] for r in receiver.requests)
    assert events == ["advocate.flagged", "recovery_task.opened"]
    vid = db_session.scalar(select(WebhookDelivery.payload)).get("verbatim_id")
    with current_app.app_context():
        jobs.act_on_verbatim(vid)
    run_worker()
    assert len(receiver.requests) == 2
