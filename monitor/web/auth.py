"""Who may write: one token, given as ``Authorization: Bearer`` by programs or once by a person, who then gets a
signed session cookie and a CSRF token bound to it.

- Programs send ``Authorization: Bearer <token>``: no cookie is involved, so no CSRF check is needed.
- People enter the token (and their name, recorded as the reviewer) on the login form once. The session cookie
  is ``nonce.name.signature`` (HMAC-SHA256 under a key derived from the token: a new token ends every session), and
  ``HttpOnly; SameSite=Strict``. Each form carries the session's CSRF token, ``HMAC(key, "csrf", nonce)``; a
  write authenticated by the cookie without it is refused (signed double submit, OWASP).
- The login form itself carries ``HMAC(key, "login", nonce)`` for a nonce kept in a short-lived cookie, so a
  third-party page cannot log a browser in under someone else's name.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass

SESSION_COOKIE = "sw_session"
LOGIN_COOKIE = "sw_login"
CSRF_FIELD = "csrf"
CSRF_HEADER = "X-CSRF-Token"
SESSION_SECONDS = 30 * 24 * 3600
MAX_REVIEWER = 80


@dataclass(frozen=True)
class Session:
    nonce: str
    reviewer: str


def _b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode("utf-8")).decode("ascii").rstrip("=")


def _unb64(text: str) -> str:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode("utf-8")


class Auth:
    """The write token and everything signed with it."""

    def __init__(self, token: str) -> None:
        if not token or len(token) < 8:
            raise ValueError("the write token must have at least 8 characters")
        self.token = token
        self._key = hashlib.sha256(b"speechwatch-web\0" + token.encode("utf-8")).digest()

    @staticmethod
    def generate_token() -> str:
        return secrets.token_urlsafe(24)

    def _sign(self, *parts: str) -> str:
        message = "\0".join(parts).encode("utf-8")
        return base64.urlsafe_b64encode(hmac.new(self._key, message, hashlib.sha256).digest()).decode().rstrip("=")

    def token_ok(self, given: str | None) -> bool:
        return bool(given) and hmac.compare_digest(given.encode("utf-8"), self.token.encode("utf-8"))

    def bearer_ok(self, header: str | None) -> bool:
        """An ``Authorization: Bearer <token>`` header with the right token."""
        if not header:
            return False
        scheme, _, value = header.partition(" ")
        return scheme.lower() == "bearer" and self.token_ok(value.strip())

    # sessions (people) ---------------------------------------------------------------------------------------

    def new_session(self, reviewer: str) -> str:
        nonce = secrets.token_urlsafe(16)
        name = _b64(reviewer)
        return f"{nonce}.{name}.{self._sign('session', nonce, name)}"

    def read_session(self, cookie: str | None) -> Session | None:
        if not cookie or cookie.count(".") != 2:
            return None
        nonce, name, signature = cookie.split(".")
        if not hmac.compare_digest(signature, self._sign("session", nonce, name)):
            return None
        try:
            return Session(nonce, _unb64(name))
        except (ValueError, UnicodeDecodeError):
            return None

    def csrf_token(self, session: Session) -> str:
        return self._sign("csrf", session.nonce)

    def csrf_ok(self, session: Session, given: str | None) -> bool:
        return bool(given) and hmac.compare_digest(given, self.csrf_token(session))

    # the login form ------------------------------------------------------------------------------------------

    @staticmethod
    def new_login_nonce() -> str:
        return secrets.token_urlsafe(16)

    def login_csrf(self, nonce: str) -> str:
        return self._sign("login", nonce)

    def login_csrf_ok(self, nonce: str | None, given: str | None) -> bool:
        return bool(nonce) and bool(given) and hmac.compare_digest(given, self.login_csrf(nonce))


def clean_reviewer(name: str | None) -> str | None:
    """A reviewer name as recorded: printable, trimmed, at most :data:`MAX_REVIEWER` characters; ``None`` if empty."""
    from monitor.web.text import clean

    value = " ".join(clean(name).split())[:MAX_REVIEWER]
    return value or None
