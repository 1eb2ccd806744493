"""The survey channels in a real browser: widget on a vendor's page, one-click email links, hosted page."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from sqlalchemy import select

from survey.models import Contact, Response, Verbatim
from survey.services.surveys import identity_signature
from tests.factories import make_account, make_contact, make_survey
from webapp.public.emails import queue_survey_email

pytestmark = [pytest.mark.browser]
SECRET = "browser-widget-secret"
VENDOR_CSS = """
  body { font-family: Georgia, serif; background: #0f172a; color: #e2e8f0; }
  iframe { border: 6px dashed hotpink !important; width: 50px; height: 50px; position: static; }
  button { background: orange; } h1 { font-size: 40px; }
"""


@pytest.fixture
def vendor_site() -> Iterator[Callable[[str], str]]:
    """A second origin playing the vendor's app: serves whatever page the test sets, with its own loud CSS."""
    pages: dict[str, str] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
            body = pages.get(self.path.split("?")[0], "not found").encode()
            self.send_response(200 if self.path in pages else 404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    origin = f"http://127.0.0.1:{server.server_port}"

    def publish(snippet: str) -> str:
        pages["/app"] = (
            f"<!doctype html><html><head><title>Vendor app</title><style>{VENDOR_CSS}</style></head>"
            f"<body><h1>Vendor dashboard</h1><p id='host-text'>Revenue is up.</p>{snippet}</body></html>"
        )
        return f"{origin}/app"

    publish.origin = origin  # type: ignore[attr-defined]
    yield publish
    server.shutdown()


def _snippet(live_server: str, key: str, email: str | None = None, secret: str = SECRET) -> str:
    identity = f' data-email="{email}" data-signature="{identity_signature(secret, email)}"' if email else ""
    return f'<script src="{live_server}/embed.js" data-survey="{key}"{identity} async></script>'


def test_widget_on_a_vendor_page_is_answered_and_lands(
    live_server: str, page: Any, db_session: Any, vendor_site: Any
) -> None:
    """Embedded by the snippet on another origin: score, bucket follow-up, thanks; the response is stored."""
    account = make_account(db_session, domain="customer.example")
    make_survey(
        db_session,
        key="widget-nps",
        product_name="Acme Analytics",
        anonymous=False,
        allowed_origins=[vendor_site.origin],
        widget_secret=SECRET,
    )
    db_session.commit()
    url = vendor_site(_snippet(live_server, "widget-nps", "pat@customer.example"))
    page.goto(url)
    frame_element = page.locator("iframe[data-feedloop-widget]")
    frame_element.wait_for()
    widget = page.frame_locator("iframe[data-feedloop-widget]")
    widget.get_by_role("heading", name=re.compile("How likely are you to recommend")).wait_for()
    widget.get_by_role("button", name=re.compile(r"^4$")).click()
    widget.get_by_label(re.compile("What disappointed you?")).fill("The <b>export</b> keeps failing")
    widget.get_by_role("button", name="Send").click()
    widget.get_by_role("heading", name="Thank you!").wait_for()
    # Isolation: the vendor's CSS did not restyle the widget's frame, and the widget did not restyle the page.
    styles = frame_element.evaluate("f => [getComputedStyle(f).position, getComputedStyle(f).borderTopStyle]")
    assert styles == ["fixed", "none"]
    assert page.evaluate("getComputedStyle(document.querySelector('h1')).fontFamily").startswith("Georgia")
    assert frame_element.evaluate("f => f.getBoundingClientRect().height") < 400  # resized by postMessage
    db_session.expire_all()
    response = db_session.scalar(select(Response))
    assert response.score == 4 and response.channel == "widget"
    contact = db_session.get(Contact, response.contact_id)
    assert contact.email == "pat@customer.example" and contact.account_id == account.id
    assert db_session.scalar(select(Verbatim.text)) == "The <b>export</b> keeps failing"


def test_dismissed_widget_counts_as_asked(
    live_server: str, page: Any, db_session: Any, vendor_site: Any
) -> None:
    """Closing the widget removes it and records the ask: on the next page view it stays away."""
    make_survey(
        db_session,
        key="dismiss-nps",
        anonymous=False,
        allowed_origins=[vendor_site.origin],
        widget_secret=SECRET,
    )
    make_contact(db_session, email="sam@customer.example")
    db_session.commit()
    url = vendor_site(_snippet(live_server, "dismiss-nps", "sam@customer.example"))
    page.goto(url)
    widget = page.frame_locator("iframe[data-feedloop-widget]")
    widget.get_by_role("button", name="Close survey").click()
    page.locator("iframe[data-feedloop-widget]").wait_for(state="detached")
    asked_at = None
    for _ in range(50):  # the dismissal is a keepalive request that outlives the removed frame
        db_session.expire_all()
        asked_at = db_session.scalar(
            select(Contact.last_asked_at).where(Contact.email == "sam@customer.example")
        )
        if asked_at is not None:
            break
        page.wait_for_timeout(100)
    assert asked_at is not None
    with page.expect_response(re.compile(r"/w/dismiss-nps/check")) as check:
        page.reload()
    assert check.value.json()["show"] is False
    assert page.locator("iframe[data-feedloop-widget]").count() == 0


def test_widget_on_a_foreign_origin_does_not_show(
    live_server: str, page: Any, db_session: Any, vendor_site: Any
) -> None:
    """A site that is not on the survey's list gets no widget and a console message saying why."""
    make_survey(db_session, key="private-nps", allowed_origins=["https://app.vendor.example"])
    db_session.commit()
    url = vendor_site(_snippet(live_server, "private-nps"))
    with page.expect_console_message(lambda m: "Feedloop:" in m.text) as message:
        page.goto(url)
    assert "not on the survey's list" in message.value.text
    assert page.locator("iframe[data-feedloop-widget]").count() == 0


def test_one_click_email_link_records_and_comment_page_updates(
    live_server: str, page: Any, db_session: Any, app: Any
) -> None:
    """Clicking 6 in the email stores it; the comment page adds text; clicking 10 later updates it."""
    survey = make_survey(db_session, key="mail-nps", product_name="Acme Analytics")
    contact = make_contact(db_session, name="Morgan Lee")
    with app.test_request_context():
        email = queue_survey_email(db_session, survey, contact, trigger="manual", base_url=live_server)
    db_session.commit()
    links = dict(re.findall(r'href="([^"]+/r/[^"]+/(\d+))"', email.html_body)[i][::-1] for i in range(11))
    page.goto(links["6"])
    page.get_by_text("your score of 6 is saved").wait_for()
    page.get_by_label(re.compile("What disappointed you?")).fill("Reports are slow on Mondays.")
    page.get_by_role("button", name="Send").click()
    page.get_by_role("heading", name="Thank you!").wait_for()
    db_session.expire_all()
    response = db_session.scalar(select(Response))
    assert response.score == 6 and response.channel == "email"
    assert db_session.scalar(select(Verbatim.text)) == "Reports are slow on Mondays."
    page.goto(links["10"])
    page.get_by_label(re.compile("What do you value most")).wait_for()
    assert (
        page.get_by_label(re.compile("What do you value most")).input_value()
        == "Reports are slow on Mondays."
    )
    db_session.expire_all()
    assert db_session.scalar(select(Response.score)) == 10
    assert len(db_session.scalars(select(Response)).all()) == 1


def test_hosted_page_without_javascript(live_server: str, page_no_js: Any, db_session: Any) -> None:
    """With JavaScript off: a score button posts the form, the comment page follows, then thanks."""
    make_survey(db_session, key="nojs-nps", product_name="Acme Analytics")
    db_session.commit()
    page = page_no_js
    page.goto(f"{live_server}/s/nojs-nps")
    page.get_by_role("button", name=re.compile(r"^9$")).click()
    page.wait_for_url(re.compile(r"/s/nojs-nps/c/"))
    page.get_by_label(re.compile("What do you value most about Acme Analytics?")).fill("The <i>alerts</i>")
    page.get_by_role("button", name="Send").click()
    page.wait_for_url(re.compile(r"/s/nojs-nps/thanks"))
    assert page.get_by_role("heading", name="Thank you!").is_visible()
    db_session.expire_all()
    assert db_session.scalar(select(Response.score)) == 9
    assert db_session.scalar(select(Verbatim.text)) == "The <i>alerts</i>"


def test_hosted_page_with_htmx_swaps_steps_in_place(live_server: str, page: Any, db_session: Any) -> None:
    """With JavaScript: a score click swaps the follow-up in without leaving the page; German by browser."""
    make_survey(db_session, key="htmx-nps", product_name="Acme Analytics")
    db_session.commit()
    page.context.set_extra_http_headers({"Accept-Language": "de-DE,de;q=0.9"})
    page.goto(f"{live_server}/s/htmx-nps")
    page.get_by_role("button", name=re.compile(r"^8$")).click()
    follow_up = page.get_by_label(re.compile("Was müsste Acme Analytics tun"))
    follow_up.wait_for()
    assert page.url.endswith("/s/htmx-nps")
    assert page.evaluate("document.activeElement.id") == "comment"
    follow_up.fill("Mehr Integrationen")
    page.get_by_role("button", name="Senden").click()
    page.get_by_role("heading", name="Vielen Dank!").wait_for()
    assert page.url.endswith("/s/htmx-nps")
    db_session.expire_all()
    assert db_session.scalar(select(Verbatim.text)) == "Mehr Integrationen"
