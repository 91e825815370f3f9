"""Log-in, log-out, the language switch and API bearer tokens: credentials checked with throttling,
every session and token opened or closed audited in the same transaction.

The caller passes what it knows of the request (the remote address, through `ctx` the request id)
and the limits it is configured with; it commits. A failed log-in raises `Unauthenticated` AFTER
recording the failure and its `login_failed` entry: the caller commits them before answering 401.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from forms.validate import N_
from processes.usecases.context import Ctx
from processes.usecases.errors import TooManyAttempts, Unauthenticated
from storage import accounts, audit
from storage.accounts import Throttle
from storage.models import User

__all__ = ["Throttle", "change_language", "issue_token", "log_in", "log_out", "session_user", "token_user"]


def _check_credentials(ctx: Ctx, username: str, password: str, remote_addr: str | None,
                       throttle: Throttle) -> User:
    """The active user with this username and password, throttled per (username, address) pair and
    per address (`Throttle`), so failures elsewhere never keep an account's owner out.

    Raises TooManyAttempts (nothing recorded) while the throttle holds, and Unauthenticated after
    recording the failure and auditing `login_failed` (the caller commits both). An unknown or
    disabled user costs the same Argon2 verification as a wrong password, so the time taken does
    not tell which usernames exist."""
    addr = (remote_addr or "?")[:64]  # as stored: the throttle's counts compare like with like
    username = (username or "").strip()[:80]
    now = ctx.now()
    wait = accounts.retry_after(ctx.session, username, addr, throttle, now)
    if wait:
        raise TooManyAttempts(wait)
    user = accounts.find_user(ctx.session, username)
    candidate = user if user is not None and user.is_active else None  # None: the dummy hash is verified
    if accounts.verify_password(candidate, password or "") and candidate is not None:
        accounts.clear_failures(ctx.session, username, addr, now, throttle)
        return candidate
    accounts.record_failure(ctx.session, username, addr, now, throttle)
    audit.append(ctx.session, audit.Actor(username or None, "anonymous"), "login_failed",
                 data={"remote_addr": addr}, request_id=ctx.request_id)
    raise Unauthenticated(N_("Wrong username or password."))


def _actor(user: User) -> audit.Actor:
    return audit.Actor(user.username, ",".join(sorted(user.role_names)))


def log_in(ctx: Ctx, username: str, password: str, *, remote_addr: str | None, throttle: Throttle,
           locale: str | None = None) -> tuple[User, str]:
    """Check the credentials and open a server-side session; return the user and the session id.

    `locale` is the language chosen before logging in (already checked by the caller): it becomes the
    user's when they have none yet. Audited as `login` with the remote address (and `locale_set`)."""
    user = _check_credentials(ctx, username, password, remote_addr, throttle)
    details = {"remote_addr": remote_addr}
    if locale and not user.locale:
        user.locale = details["locale_set"] = locale
    sid = accounts.open_session(ctx.session, user)
    audit.append(ctx.session, _actor(user), "login", data=details, request_id=ctx.request_id)
    return user, sid


def log_out(ctx: Ctx, sid: str) -> None:
    """End the acting user's server-side session `sid` (audited as `logout`)."""
    accounts.end_session(ctx.session, sid)
    audit.append(ctx.session, audit.Actor(ctx.me.username), "logout", request_id=ctx.request_id)


def session_user(ctx: Ctx, sid: str, idle: timedelta, absolute: timedelta) -> User | None:
    """The user of an open session within both timeouts (a session past either is ended), else None."""
    return accounts.live_session_user(ctx.session, sid, idle, absolute, ctx.now())


def change_language(ctx: Ctx, locale: str) -> bool:
    """Remember the acting user's language (already checked by the caller); audited as
    `language_changed`. False, and nothing recorded, when it is already theirs."""
    user = ctx.me
    if user.locale == locale:
        return False
    audit.append(ctx.session, _actor(user), "language_changed", object=f"user:{user.username}",
                 data={"from": user.locale, "to": locale}, request_id=ctx.request_id)
    user.locale = locale
    return True


def issue_token(ctx: Ctx, username: str, password: str, *, remote_addr: str | None, throttle: Throttle,
                lifetime: timedelta) -> tuple[str, datetime]:
    """Check the credentials and issue an API bearer token valid for `lifetime`; return the token
    (shown once, only its hash is stored) and when it expires. Audited as `token_issued`."""
    user = _check_credentials(ctx, username, password, remote_addr, throttle)
    token, expires = accounts.issue_token(ctx.session, user, lifetime)
    audit.append(ctx.session, _actor(user), "token_issued", data={"expires_at": expires.isoformat()},
                 request_id=ctx.request_id)
    return token, expires


def token_user(ctx: Ctx, token: str) -> User | None:
    """The active user a valid (unexpired, unrevoked) API token belongs to, else None."""
    return accounts.token_user(ctx.session, token, ctx.now())
