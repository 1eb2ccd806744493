"""Schemathesis fuzzes the running API from its own OpenAPI document: no 5xx, no response off the schema."""

from __future__ import annotations

from typing import Any

import schemathesis
from hypothesis import HealthCheck, given, settings

from survey.services.users import create_api_token


def test_api_conforms_to_its_schema(live_server: str, db_session: Any) -> None:
    """Generated requests to every operation never produce a 5xx or a response the schema does not describe."""
    _t, plain = create_api_token(db_session, "fuzz", "admin")
    db_session.commit()
    headers = {"Authorization": f"Bearer {plain}"}
    schema = schemathesis.openapi.from_url(f"{live_server}/api/v1/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 7

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def check(case: Any) -> None:
            case.call_and_validate(headers=headers)

        check()
