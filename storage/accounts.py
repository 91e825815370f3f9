"""Accounts: Argon2id passwords, server-side login sessions, hashed API tokens, throttling."""
from __future__ import annotations

import hashlib
import math
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session, joinedload

from storage.models import (
    ApiToken,
    LoginFailure,
    LoginSession,
    PasswordLink,
    User,
    UserRole,
    pick_language,
    utcnow,
)

_hasher = PasswordHasher()  # Argon2id with the library's (RFC 9106 low-memory) defaults
_DUMMY_HASH = _hasher.hash("kelisim-timing-equaliser")

COMMON_PASSWORDS = frozenset("""
password password1 password123 12345678 123456789 1234567890 qwerty123 qwertyuiop 11111111
00000000 iloveyou admin123 administrator welcome1 letmein1 abc12345 passw0rd p@ssw0rd
football baseball sunshine princess 1q2w3e4r 1qaz2wsx zaq12wsx qazwsxedc asdfghjkl
superman trustno1 monkey123 dragon123 master123 changeme default1 kostanay kelisim
parol123 qwerty12 87654321 12341234 computer internet starwars whatever
""".split())


class PasswordRejected(ValueError):
    """A new password does not meet the policy; the message says why."""


def check_password_policy(password: str) -> None:
    """Refuse short, overlong or common passwords (ASVS 6.2.1, 6.2.4, 6.2.9)."""
    if len(password) < 8:
        raise PasswordRejected("password must have at least 8 characters")
    if len(password) > 256:
        raise PasswordRejected("password must have at most 256 characters")
    if password.lower() in COMMON_PASSWORDS:
        raise PasswordRejected("password is too common")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(user: User | None, password: str) -> bool:
    """Check a password in constant-ish time whether or not the user exists."""
    try:
        return _hasher.verify(user.password_hash if user else _DUMMY_HASH, password) and user is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def find_user(session: Session, username: str) -> User | None:
    return session.execute(select(User).where(User.username == username)).scalar_one_or_none()


def position_fields(position: object) -> dict[str, str]:
    """The position columns from {"kk", "ru", "en"} (each a text, up to 200 characters; a missing language
    takes another's) or from one text for all three; ValueError for anything else."""
    if isinstance(position, str):
        position = {"kk": position, "ru": position, "en": position}
    if not isinstance(position, dict) or set(position) - {"kk", "ru", "en"} or not all(
            isinstance(v, str) and len(v) <= 200 for v in position.values()):
        raise ValueError('position must be {"kk", "ru", "en"}, texts of up to 200 characters')
    texts = {lang: str(position.get(lang) or "").strip() for lang in ("kk", "ru", "en")}
    return {f"position_{lang}": pick_language(texts, lang) for lang in texts}


def create_user(session: Session, username: str, full_name: str, password: str | None,
                roles: list[str], **fields) -> User:
    """Add an account; without a password (None) it cannot log in until its owner sets one through a
    one-time link (`issue_password_link`): its hash is then of a random secret nobody knows."""
    if password is not None:
        check_password_policy(password)
    if "position" in fields:  # {"kk", "ru", "en"}, or one text for all three
        fields.update(position_fields(fields.pop("position")))
    secret = password if password is not None else secrets.token_urlsafe(32)
    user = User(username=username, full_name=full_name, password_hash=hash_password(secret), **fields)
    user.roles = [UserRole(role=r) for r in roles]
    session.add(user)
    session.flush()
    return user


# --- throttling -----------------------------------------------------------------------------

@dataclass(frozen=True)
class Throttle:
    """Log-in back-off: slows guessing down without ever locking an account's owner out.

    Failures are counted within `window`, per (username, address) pair and per address, never per
    username alone: failing against an account from one address does not slow its owner down at
    another. Past its free failures, a key waits `first_delay`, doubled with each further failure up
    to its cap, counted from its latest failure. A successful log-in clears its pair's failures."""

    window: timedelta = timedelta(hours=1)  # how long a failure counts (and is kept)
    per_pair: int = 5  # free failures of one username from one address
    per_addr: int = 30  # free failures from one address, whatever the username
    first_delay: timedelta = timedelta(seconds=2)
    pair_max_delay: timedelta = timedelta(minutes=5)
    addr_max_delay: timedelta = timedelta(minutes=1)

    def delay(self, failures: int, free: int, cap: timedelta) -> timedelta:
        """The wait after the latest of `failures` recent failures of one key (zero while free)."""
        over = failures - free
        if over < 0:
            return timedelta(0)
        return min(cap, self.first_delay * (2 ** min(over, 32)))


def retry_after(session: Session, username: str, addr: str, policy: Throttle, now: datetime) -> int:
    """Seconds to wait before this username may try again from this address, 0 when allowed.

    The longer of the pair's and the address's back-off; never longer than the larger cap."""
    since = now - policy.window
    wait = timedelta(0)
    for condition, free, cap in (
            ((LoginFailure.remote_addr == addr) & (LoginFailure.username == username),
             policy.per_pair, policy.pair_max_delay),
            (LoginFailure.remote_addr == addr, policy.per_addr, policy.addr_max_delay)):
        count, latest = session.execute(
            select(func.count(), func.max(LoginFailure.at)).where(LoginFailure.at > since, condition)
        ).one()
        if count >= free:
            latest = latest if latest.tzinfo else latest.replace(tzinfo=now.tzinfo)
            wait = max(wait, latest + policy.delay(count, free, cap) - now)
    return math.ceil(wait.total_seconds()) if wait > timedelta(0) else 0


def record_failure(session: Session, username: str, addr: str, now: datetime, policy: Throttle) -> None:
    """Count a failed log-in. Failures older than the window no longer count and are dropped, a batch
    at a time; rows another transaction is dropping are skipped, so concurrent failures never wait on
    (or deadlock over) each other's clean-up."""
    stale = (select(LoginFailure.id).where(LoginFailure.at <= now - policy.window).limit(500)
             .with_for_update(skip_locked=True))
    session.execute(delete(LoginFailure).where(LoginFailure.id.in_(stale)))
    session.add(LoginFailure(username=username, remote_addr=addr, at=now))
    session.flush()


def clear_failures(session: Session, username: str, addr: str, now: datetime, policy: Throttle) -> None:
    """A successful log-in: this username's recent failures from this address no longer slow it down
    (the address's count keeps everyone else's)."""
    session.execute(delete(LoginFailure).where(LoginFailure.username == username, LoginFailure.remote_addr == addr,
                                               LoginFailure.at > now - policy.window))


# --- server-side sessions -------------------------------------------------------------------

def open_session(session: Session, user: User) -> str:
    sid = secrets.token_urlsafe(32)
    session.add(LoginSession(id=sid, user_id=user.id))
    session.flush()
    return sid


def end_session(session: Session, sid: str) -> None:
    session.execute(update(LoginSession).where(LoginSession.id == sid, LoginSession.ended_at.is_(None))
                    .values(ended_at=utcnow()))


def end_all_sessions(session: Session, user_id: int) -> None:
    now = utcnow()
    session.execute(update(LoginSession).where(LoginSession.user_id == user_id,
                                               LoginSession.ended_at.is_(None)).values(ended_at=now))
    session.execute(update(ApiToken).where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))
                    .values(revoked_at=now))


def live_session_user(session: Session, sid: str, idle: timedelta, absolute: timedelta,
                      now: datetime) -> User | None:
    """Return the session's user while the session is open, active and within both timeouts."""
    row = session.get(LoginSession, sid)
    if row is None or row.ended_at is not None:
        return None
    if now - row.last_seen_at > idle or now - row.created_at > absolute:
        row.ended_at = now
        return None
    user = session.get(User, row.user_id)
    if user is None or not user.is_active:
        return None
    if now - row.last_seen_at > timedelta(minutes=1):
        row.last_seen_at = now
    return user


def end_other_sessions(session: Session, user_id: int, keep_sid: str | None) -> None:
    """End every session of the user but `keep_sid` (the one changing the password), and every API token."""
    now = utcnow()
    session.execute(update(LoginSession).where(LoginSession.user_id == user_id, LoginSession.id != (keep_sid or ""),
                                               LoginSession.ended_at.is_(None)).values(ended_at=now))
    session.execute(update(ApiToken).where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))
                    .values(revoked_at=now))


def set_password(session: Session, user: User, password: str, keep_sid: str | None = None) -> None:
    """Give the user a new password (the policy checked: PasswordRejected) and end their other sessions and
    API tokens (all of them unless `keep_sid`)."""
    check_password_policy(password)
    user.password_hash = hash_password(password)
    end_other_sessions(session, user.id, keep_sid)


# --- one-time password links ------------------------------------------------------------------

PASSWORD_LINK_LIFETIME = timedelta(hours=24)


def issue_password_link(session: Session, user: User, created_by: str | None, now: datetime,
                        lifetime: timedelta = PASSWORD_LINK_LIFETIME) -> str:
    """A new one-time token for the user to set a password (returned once; only its SHA-256 is kept);
    the user's older unused links stop working."""
    session.execute(update(PasswordLink).where(PasswordLink.user_id == user.id, PasswordLink.used_at.is_(None),
                                               PasswordLink.revoked_at.is_(None)).values(revoked_at=now))
    token = secrets.token_urlsafe(32)
    session.add(PasswordLink(user_id=user.id, token_hash=_token_digest(token), created_by=created_by,
                             created_at=now, expires_at=now + lifetime))
    session.flush()
    return token


def find_password_link(session: Session, token: str, *, lock: bool = False) -> PasswordLink | None:
    """The link of a token, whatever its state (None when no link has this token)."""
    query = select(PasswordLink).where(PasswordLink.token_hash == _token_digest(token))
    if lock:
        query = query.with_for_update(of=PasswordLink)
    return session.execute(query).unique().scalar_one_or_none()


def password_link_usable(link: PasswordLink, now: datetime) -> bool:
    return link.used_at is None and link.revoked_at is None and link.expires_at > now


def disable_user(session: Session, user: User) -> None:
    user.is_active = False
    end_all_sessions(session, user.id)


# --- API tokens -----------------------------------------------------------------------------

def _token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue_token(session: Session, user: User, lifetime: timedelta) -> tuple[str, datetime]:
    token = "ksm_" + secrets.token_urlsafe(32)
    expires = utcnow() + lifetime
    session.add(ApiToken(user_id=user.id, token_hash=_token_digest(token), expires_at=expires))
    session.flush()
    return token, expires


def token_user(session: Session, token: str, now: datetime) -> User | None:
    """The active user a valid (known, unrevoked, unexpired) API token belongs to; None otherwise. One query:
    the token with its user and the user's roles (every request reads them)."""
    row = session.execute(
        select(ApiToken, User).join(User, User.id == ApiToken.user_id)
        .where(ApiToken.token_hash == _token_digest(token)).options(joinedload(User.roles))
    ).unique().one_or_none()
    if row is None:
        return None
    token_row, user = row
    if token_row.revoked_at is not None or token_row.expires_at <= now:
        return None
    return user if user.is_active else None
