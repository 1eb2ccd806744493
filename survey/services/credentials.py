"""Password reset tokens and TOTP second factors for staff."""

from __future__ import annotations

import hashlib

import pyotp
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy.orm import Session

from survey.models import User
from survey.services.users import hash_password

RESET_SALT = "feedloop-password-reset"
RESET_MAX_AGE = 3600
ISSUER = "Feedloop"


class CredentialError(ValueError):
    """A reset or second-factor step that failed, with a message safe to show."""


def _fingerprint(user: User) -> str:
    """Changes whenever the password does, so a used (or stale) reset link stops working."""
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:16]


def reset_token(secret_key: str, user: User) -> str:
    """A signed, expiring, single-use password-reset token."""
    return URLSafeTimedSerializer(secret_key, salt=RESET_SALT).dumps({"u": user.id, "f": _fingerprint(user)})


def user_for_reset(session: Session, secret_key: str, token: str, max_age: int = RESET_MAX_AGE) -> User:
    """The user a valid token resets, or CredentialError saying why not."""
    try:
        data = URLSafeTimedSerializer(secret_key, salt=RESET_SALT).loads(token, max_age=max_age)
    except SignatureExpired:
        raise CredentialError("This reset link has expired; ask for a new one.") from None
    except BadSignature:
        raise CredentialError("This reset link is not valid.") from None
    user = session.get(User, data.get("u")) if isinstance(data, dict) else None
    if user is None or not user.active or data.get("f") != _fingerprint(user):
        raise CredentialError("This reset link has already been used or is no longer valid.")
    return user


def set_password(user: User, password: str) -> None:
    """Replace the password (which also invalidates every reset link)."""
    if len(password) < 8:
        raise CredentialError("The password must be at least 8 characters.")
    user.password_hash = hash_password(password)


def start_totp(user: User) -> str:
    """A new secret for the authenticator app (not active until a code is confirmed)."""
    user.totp_secret = pyotp.random_base32()
    user.totp_enabled = False
    return user.totp_secret


def provisioning_uri(user: User) -> str:
    """The otpauth:// URI that authenticator apps scan."""
    return pyotp.TOTP(user.totp_secret or "").provisioning_uri(name=user.email, issuer_name=ISSUER)


def check_totp(user: User, code: str) -> bool:
    """Accept the current code, or the one either side of it (clock drift)."""
    if not user.totp_secret:
        return False
    return pyotp.TOTP(user.totp_secret).verify((code or "").replace(" ", ""), valid_window=1)


def confirm_totp(user: User, code: str) -> None:
    """Switch the second factor on once the user proves their app produces valid codes."""
    if not check_totp(user, code):
        raise CredentialError("That code is not valid; check the time on your phone and try again.")
    user.totp_enabled = True


def disable_totp(user: User) -> None:
    user.totp_secret = None
    user.totp_enabled = False
