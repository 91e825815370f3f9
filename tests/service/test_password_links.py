"""One-time password links (issue 12, point 1): stored hashed, 24 hours, single use, a newer one revokes the
older; using one ends every session and API token of the person; a user changes their own password."""
from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import select

from processes.usecases import people
from processes.usecases.errors import Conflict, Forbidden, Invalid, NotFound
from storage import accounts
from storage.models import ApiToken, AuditEvent, LoginSession, PasswordLink, User, utcnow

NEW = {"username": "a.nurlanova", "full_name": {"kk": "Айжан Нұрланова", "ru": "Айжан Нурланова", "en": ""},
       "email": "a.nurlanova@kineu.example", "unit": "FE-IS",
       "position": {"kk": "Оқытушы", "ru": "Преподаватель", "en": "Lecturer"}, "roles": ["employee"]}


def _user(factory, username: str) -> User:
    with factory() as s:
        return s.execute(select(User).where(User.username == username)).unique().scalar_one()


def _audit(factory, action: str) -> list[AuditEvent]:
    with factory() as s:
        return list(s.execute(select(AuditEvent).where(AuditEvent.action == action)
                              .order_by(AuditEvent.seq)).scalars())


def test_a_new_account_has_no_password_until_its_link_is_used(act, factory):
    user, token = act("admin", people.create_user, NEW)
    assert token and len(token) >= 40
    with factory() as s:
        link = s.execute(select(PasswordLink)).scalar_one()
        assert link.token_hash == hashlib.sha256(token.encode()).hexdigest() and token not in link.token_hash
        assert timedelta(hours=23, minutes=59) < link.expires_at - link.created_at <= timedelta(hours=24)
        assert link.created_by == "admin"
        fresh = s.get(User, user.id)
        assert fresh.name_in("ru") == "Айжан Нурланова" and fresh.name_in("en") == "Айжан Нұрланова"  # falls back
        assert fresh.unit.code == "FE-IS" and fresh.position_in("en") == "Lecturer"
        for guess in ("", "kelisim-demo", token):
            assert not accounts.verify_password(fresh, guess)
    act(None, people.set_password_by_link, token, "a sound passphrase", "a sound passphrase")
    with factory() as s:
        assert accounts.verify_password(s.get(User, user.id), "a sound passphrase")
        assert s.execute(select(PasswordLink.used_at)).scalar_one() is not None
    with pytest.raises(people.LinkGone):  # single use
        act(None, people.set_password_by_link, token, "another passphrase", "another passphrase")
    # the token is never in the audit trail; who set the password is
    for event in _audit(factory, "password_link_issued") + _audit(factory, "user_created"):
        assert token not in str(event.data)
    assert [(e.actor, e.object) for e in _audit(factory, "password_set")] == [("a.nurlanova", "user:a.nurlanova")]
    created = _audit(factory, "user_created")[0].data["after"]
    assert created["full_name"]["kk"] == "Айжан Нұрланова" and created["unit"] == "FE-IS"


def test_links_expire_after_24_hours_and_a_newer_one_revokes_the_older(act, factory):
    _user_row, first = act("admin", people.create_user, NEW)
    second = act("admin", people.issue_password_link, "a.nurlanova")
    with pytest.raises(people.LinkGone):
        act(None, people.link_user, first)
    assert act(None, people.link_user, second)[0].username == "a.nurlanova"
    with time_machine.travel(utcnow() + timedelta(hours=24, minutes=1), tick=False):
        with pytest.raises(people.LinkGone):
            act(None, people.set_password_by_link, second, "a sound passphrase", "a sound passphrase")
    with pytest.raises(NotFound):
        act(None, people.link_user, "no-such-token")


def test_using_a_link_ends_every_session_and_token(act, factory):
    third = act("admin", people.issue_password_link, "employee")
    with factory() as s, s.begin():
        emp = s.execute(select(User).where(User.username == "employee")).unique().scalar_one()
        sid = accounts.open_session(s, emp)
        accounts.issue_token(s, emp, timedelta(hours=1))
    with pytest.raises(Invalid) as refused:  # the policy, and both entries must agree; nothing changes
        act(None, people.set_password_by_link, third, "password123", "password124")
    assert set(refused.value.errors) == {"password", "password2"}
    with factory() as s:
        assert s.get(LoginSession, sid).ended_at is None
    act(None, people.set_password_by_link, third, "a sound passphrase", "a sound passphrase")
    with factory() as s:
        assert s.get(LoginSession, sid).ended_at is not None
        assert all(t.revoked_at is not None for t in s.execute(select(ApiToken)).scalars())


def test_a_disabled_accounts_link_does_not_work(act):
    token = act("admin", people.issue_password_link, "employee2")
    act("admin", people.disable_user, "employee2", "left the university")
    with pytest.raises(people.LinkGone):
        act(None, people.link_user, token)
    with pytest.raises(Conflict):
        act("admin", people.issue_password_link, "employee2")


def test_only_administrators_issue_links(act):
    for who in ("employee", "auditor", "unit.head"):
        with pytest.raises(Forbidden):
            act(who, people.issue_password_link, "employee2")
        with pytest.raises(Forbidden):
            act(who, people.create_user, NEW)


def test_a_user_changes_their_own_password(act, factory):
    with factory() as s, s.begin():
        emp = s.execute(select(User).where(User.username == "employee")).unique().scalar_one()
        mine, other = accounts.open_session(s, emp), accounts.open_session(s, emp)
    with pytest.raises(Invalid) as refused:
        act("employee", people.change_password, "wrong", "a sound passphrase", "a sound passphrase", keep_sid=mine)
    assert set(refused.value.errors) == {"current"}
    act("employee", people.change_password, "kelisim-demo", "a sound passphrase", "a sound passphrase",
        keep_sid=mine)
    with factory() as s:
        assert accounts.verify_password(s.get(User, _user(factory, "employee").id), "a sound passphrase")
        assert s.get(LoginSession, mine).ended_at is None and s.get(LoginSession, other).ended_at is not None
    assert [e.actor for e in _audit(factory, "password_changed")] == ["employee"]
