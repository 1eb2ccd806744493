"""Property-based bad input (Hypothesis): the survey endpoints, one-click links and the CSV parser never crash."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from survey.services.importer import ImportFileError, plan_import
from tests.factories import make_survey

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck), database=None)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=50),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=10), inner, max_size=3),
    max_leaves=8,
)


def test_submission_endpoint_answers_4xx_or_stores(client: Any, db_session: Any) -> None:
    """Any JSON body gets 200/201 (stored) or a specific 4xx with an error message; never a 5xx."""
    make_survey(db_session, key="prop-nps")
    db_session.commit()

    @SETTINGS
    @given(body=st.dictionaries(st.sampled_from(["score", "comment", "email", "submission_id", "website", "x"]),
                                json_values, max_size=5) | json_values)
    def check(body: Any) -> None:
        resp = client.post("/s/prop-nps/responses", json=body)
        assert resp.status_code in (200, 201, 400, 409, 413, 422), (body, resp.status_code)
        if resp.status_code >= 400 and body is not None:  # None sends no body at all: a bare form post
            assert resp.get_json()["error"]

    check()


def test_form_posts_and_keys_never_crash(client: Any, db_session: Any) -> None:
    """Arbitrary survey keys and form fields are refused cleanly."""
    make_survey(db_session, key="prop-nps")
    db_session.commit()

    @SETTINGS
    @given(key=st.text(min_size=1, max_size=80).filter(lambda k: "/" not in k and "\\x00" not in k),
           fields=st.dictionaries(st.text(max_size=12), st.text(max_size=40), max_size=4))
    def check(key: str, fields: dict[str, str]) -> None:
        resp = client.post(f"/s/{key}/responses", data=fields)
        assert resp.status_code < 500, (key, fields, resp.status_code)

    check()


def test_one_click_links_never_crash(client: Any, db_session: Any) -> None:
    """Tampered, truncated or random tokens and scores answer 4xx, never 5xx."""
    make_survey(db_session, key="prop-nps")
    db_session.commit()

    @SETTINGS
    @given(token=st.text(alphabet=st.characters(blacklist_categories=["Cs"], blacklist_characters="/?#%\\x00"),
                         min_size=1, max_size=120),
           score=st.text(alphabet="0123456789-+x.", min_size=1, max_size=6))
    def check(token: str, score: str) -> None:
        resp = client.get(f"/r/{token}/{score}")
        assert 400 <= resp.status_code < 500, (token, score, resp.status_code)

    check()


def test_csv_parser_refuses_or_reports_never_crashes(app_ctx: Any, db_session: Any) -> None:
    """Any bytes as accounts, contacts or responses: a file-level refusal or a row report, nothing else."""

    @SETTINGS
    @given(kind=st.sampled_from(["accounts", "contacts", "responses"]),
           raw=st.binary(max_size=400) | st.text(max_size=400).map(lambda t: ("external_id,name,email,survey_key,"
                                                                          "score\n" + t).encode()))
    def check(kind: str, raw: bytes) -> None:
        try:
            plan = plan_import(db_session, kind, raw)
        except ImportFileError as exc:
            assert str(exc)
            return
        assert plan.total == len(plan.rows) + len(plan.errors)

    check()
