"""Marketing's advocate hub, the CSM's praise inbox, and the customer's accept/decline pages.

One blueprint, split by job: hub.py (flags, advocates), invites.py (drafts to sends), records.py (activities,
champion moves, contact edits), insights.py (measures), setup.py (templates, review campaigns), public.py
(signed links, no login).
"""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("advocacy", __name__)

from webapp.advocacy import hub, insights, invites, public, records, setup  # noqa: E402,F401  (routes)
