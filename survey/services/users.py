"""Staff accounts and API tokens: hashed secrets only."""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from survey.database import utcnow
from survey.models import ApiToken, User
from survey.models.users import ROLES

TOKEN_PREFIX = "fl_"


class UserError(ValueError):
    """A specific reason a user or token could not be created."""


def hash_password(password: str) -> str:
    """scrypt via werkzeug: slow to brute-force, salted."""
    return generate_password_hash(password, method="scrypt")


def verify_password(password_hash: str, password: str) -> bool:
    """Constant-time check of a password against its hash."""
    return check_password_hash(password_hash, password)


def create_user(session: Session, email: str, role: str, password: str, name: str | None = None) -> User:
    """Add a staff user after checking the role, the email and the password length."""
    email = email.strip().lower()
    if role not in ROLES:
        raise UserError(f"role must be one of {', '.join(ROLES)} (got {role!r}).")
    if "@" not in email or len(email) > 254:
        raise UserError(f"{email!r} is not a valid email address.")
    if len(password) < 8:
        raise UserError("password must be at least 8 characters.")
    if session.scalar(select(User.id).where(User.email == email)) is not None:
        raise UserError(f"a user with email {email} already exists.")
    user = User(email=email, role=role, name=name or email.split("@")[0].title(), password_hash=hash_password(password))
    session.add(user)
    session.flush()
    return user


def hash_token(token: str) -> str:
    """Tokens are random, so a plain SHA-256 is enough to store them safely."""
    return hashlib.sha256(token.encode()).hexdigest()


def create_api_token(session: Session, name: str, role: str, user: User | None = None) -> tuple[ApiToken, str]:
    """A new bearer token; the plain token is returned once and never stored."""
    if role not in ROLES:
        raise UserError(f"role must be one of {', '.join(ROLES)} (got {role!r}).")
    if not name.strip() or len(name) > 100:
        raise UserError("name must be 1-100 characters.")
    plain = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(name=name.strip(), role=role, token_hash=hash_token(plain), prefix=plain[:10],
                     created_by_id=user.id if user else None)
    session.add(token)
    session.flush()
    return token, plain


def authenticate_token(session: Session, plain: str) -> ApiToken | None:
    """The live token matching a bearer value, touching its last-used time."""
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(plain)))
    if token is None or token.revoked_at is not None:
        return None
    token.last_used_at = utcnow()
    return token
