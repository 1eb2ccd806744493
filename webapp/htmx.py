"""Page-or-fragment rendering: htmx asks for the fragment, browsers get the whole page."""

from __future__ import annotations

from typing import Any

from flask import make_response, render_template, request


def render_page_or_fragment(page: str, fragment: str, **context: Any) -> Any:
    """Render the fragment for an htmx request (Vary: HX-Request is added for caches), the page otherwise."""
    is_htmx = request.headers.get("HX-Request") == "true" and not request.headers.get("HX-Boosted")
    resp = make_response(render_template(fragment if is_htmx else page, **context))
    resp.vary.add("HX-Request")
    return resp
