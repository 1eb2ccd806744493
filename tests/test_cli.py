"""The `feedloop` command as a user runs it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from survey.models import ApiToken, User
from survey.services.users import hash_token
from tests.conftest import run_cli


def _env(app_config: dict[str, Any]) -> dict[str, str]:
    return {
        "FEEDLOOP_DATABASE_URL": app_config["DATABASE_URL"],
        "FEEDLOOP_REDIS_URL": app_config["REDIS_URL"],
        "FEEDLOOP_SECRET_KEY": "test-secret",
        "FEEDLOOP_INSTANCE_PATH": app_config["INSTANCE_PATH"],
    }


def test_api_token_create_prints_token_last_and_stores_hash(app_config: dict[str, Any], db_session: Any) -> None:
    """The token is the last line of output; the database holds only its hash."""
    result = run_cli("api-token", "create", "--name", "crm", "--role", "admin", env=_env(app_config))
    assert result.returncode == 0, result.stderr
    token = result.stdout.strip().splitlines()[-1]
    assert token.startswith("fl_")
    row = db_session.scalar(select(ApiToken))
    assert row.token_hash == hash_token(token) and token not in row.token_hash


def test_user_create_validates_role(app_config: dict[str, Any], db_session: Any) -> None:
    """An unknown role is refused with the list of valid ones, exit code 2."""
    result = run_cli("user", "create", "--email", "x@example.com", "--role", "boss", "--password", "longenough",
                     env=_env(app_config))
    assert result.returncode == 2 and "admin" in result.stderr
    result = run_cli("user", "create", "--email", "x@example.com", "--role", "csm", "--password", "longenough",
                     env=_env(app_config))
    assert result.returncode == 0, result.stderr
    assert db_session.scalar(select(User.role).where(User.email == "x@example.com")) == "csm"


def test_short_password_is_refused(app_config: dict[str, Any], db_session: Any) -> None:
    """Passwords under 8 characters are refused with a message."""
    result = run_cli("user", "create", "--email", "y@example.com", "--role", "csm", "--password", "short",
                     env=_env(app_config))
    assert result.returncode == 2 and "at least 8" in result.stderr


def test_worker_with_bad_model_path_stops_naming_the_setting(app_config: dict[str, Any], db_session: Any) -> None:
    """A model that cannot load stops the worker at start-up with the setting's name."""
    env = {**_env(app_config), "FEEDLOOP_NLP_MODEL_PATH": "/nonexistent/model"}
    result = run_cli("worker", "--burst", env=env)
    assert result.returncode == 3
    assert "FEEDLOOP_NLP_MODEL_PATH" in result.stderr
