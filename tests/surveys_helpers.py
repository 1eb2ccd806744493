"""Helpers shared by the survey-channel tests (issue 4): form tokens, sign-in, old tokens."""

from __future__ import annotations

import re
import time
from typing import Any

from itsdangerous import TimestampSigner, URLSafeTimedSerializer


def field(html: str, name: str) -> str:
    """The value of a hidden input in a rendered form."""
    match = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert match, f"no {name} field in page"
    return match.group(1)


def login(client: Any, email: str, password: str = "password123") -> Any:
    """Sign in through the real login form."""
    token = field(client.get("/login").get_data(as_text=True), "csrf_token")
    return client.post("/login", data={"email": email, "password": password, "csrf_token": token})


def aged_token(secret: str, salt: str, payload: Any, age_seconds: int) -> str:
    """A genuinely signed token whose timestamp lies in the past (itsdangerous' own format)."""

    class PastSigner(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time()) - age_seconds

    return URLSafeTimedSerializer(secret, salt=salt, signer=PastSigner).dumps(payload)
