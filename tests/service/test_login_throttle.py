"""The log-in throttle slows guessing down per (username, address) and per address, and never keeps
an account's owner out; how long a failed log-in takes does not tell which usernames exist."""
from __future__ import annotations

import statistics
import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from processes.usecases import sessions
from processes.usecases.context import Ctx
from processes.usecases.errors import TooManyAttempts, Unauthenticated
from storage.models import AuditEvent, LoginFailure, User, utcnow
from tests.conftest import DEMO_PASSWORD

ATTACKER, OWNER, ELSEWHERE = "203.0.113.66", "198.51.100.7", "192.0.2.10"
DEFAULTS = sessions.Throttle()  # 5 free failures per pair, 30 per address; 2 s doubling to 5 min / 1 min


class Clock:
    def __init__(self):
        self.now = utcnow()

    def __call__(self):
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def attempt(factory, services):
    """One log-in in its own transaction, committed as the web layer does (a refusal's record too):
    "ok", "wrong", or the seconds the throttle asks to wait."""
    clock = Clock()

    def run(username: str, password: str, addr: str, throttle: sessions.Throttle = DEFAULTS):
        with factory() as session:
            c = Ctx(session=session, services=services, clock=clock)
            try:
                sessions.log_in(c, username, password, remote_addr=addr, throttle=throttle)
                outcome: str | int = "ok"
            except Unauthenticated:
                outcome = "wrong"
            except TooManyAttempts as exc:
                return exc.retry_after
            session.commit()
            return outcome

    run.clock = clock
    return run


def test_owner_logs_in_from_another_address_while_an_attacker_keeps_failing(attempt):
    """Before: five failures from anyone locked the account for 15 minutes, the owner included."""
    waits: list[int] = []
    failures = 0
    while True:  # about half an hour of guessing, retried as soon as the throttle allows
        outcome = attempt("employee2", "guess-guess", ATTACKER)
        if isinstance(outcome, int):
            waits.append(outcome)
            if waits.count(300) == 3:
                break
            attempt.clock.advance(outcome)
            continue
        assert outcome == "wrong"
        failures += 1
        if failures in (5, 6, 10):
            assert attempt("employee2", DEMO_PASSWORD, OWNER) == "ok"  # the owner, elsewhere, is never held up
    assert waits == [2, 4, 8, 16, 32, 64, 128, 256, 300, 300, 300]  # doubling up to a 5-minute cap, never a lock
    assert attempt("employee2", DEMO_PASSWORD, ATTACKER) == 300  # even the right password waits there
    assert attempt("employee2", DEMO_PASSWORD, OWNER) == "ok"


def test_pair_back_off_ends_and_a_success_clears_it(attempt):
    for _ in range(5):
        assert attempt("employee", "wrong-password", OWNER) == "wrong"
    assert attempt("employee", DEMO_PASSWORD, OWNER) == 2
    attempt.clock.advance(2)
    assert attempt("employee", DEMO_PASSWORD, OWNER) == "ok"  # a mistyping owner waits seconds, not minutes
    assert attempt("employee", "wrong-password", OWNER) == "wrong"  # the success cleared the pair's count
    assert attempt("employee", "wrong-password", OWNER) == "wrong"


def test_an_address_that_keeps_failing_keeps_being_slowed(attempt, factory, monkeypatch):
    from argon2 import PasswordHasher

    from storage import accounts

    # unknown usernames only: a cheap dummy hash keeps ~200 failures fast (the timing test below uses the real one)
    monkeypatch.setattr(accounts, "_DUMMY_HASH", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash("x"))
    for i in range(30):  # a different username each time: only the address's count grows
        assert attempt(f"user{i}", "guess-guess", ATTACKER) == "wrong"
    assert attempt("employee", DEMO_PASSWORD, ATTACKER) == 2  # everyone at that address is slowed...
    assert attempt("employee", DEMO_PASSWORD, ELSEWHERE) == "ok"  # ...nobody elsewhere
    let_through, waits = 0, []
    start = attempt.clock.now
    while attempt.clock.now - start < timedelta(hours=3):  # hammering, as fast as allowed
        outcome = attempt(f"user{let_through % 7}x", "guess-guess", ATTACKER)
        if isinstance(outcome, int):
            waits.append(outcome)
            attempt.clock.advance(outcome)
        else:
            let_through += 1
            attempt.clock.advance(0.2)
    assert waits[:5] == [2, 4, 8, 16, 32] and max(waits) == 60  # doubling, capped at one minute
    assert let_through <= 3 * 65  # about a guess a minute: refused, with a wait, the rest of the time
    assert len(waits) >= let_through - 3
    assert attempt("employee", DEMO_PASSWORD, ELSEWHERE) == "ok"
    with factory() as session:  # failures older than the window are dropped
        oldest = session.execute(select(func.min(LoginFailure.at))).scalar_one()
        assert attempt.clock.now - oldest <= timedelta(hours=1, seconds=61)


def test_failures_are_audited_with_the_address(attempt, factory):
    assert attempt("employee", "wrong-password", OWNER) == "wrong"
    assert attempt("nobody-such", "wrong-password", OWNER) == "wrong"
    with factory() as session:
        rows = session.execute(select(AuditEvent).where(AuditEvent.action == "login_failed")).scalars().all()
    assert [(r.actor, r.data) for r in rows] == [("employee", {"remote_addr": OWNER}),
                                                 ("nobody-such", {"remote_addr": OWNER})]


def test_unknown_disabled_and_existing_users_take_the_same_time(factory, services):
    """Before: a wrong password for an existing user verified an Argon2 hash (~165 ms here), an unknown
    user verified nothing (~2 ms), so the time told which usernames exist."""
    throttle = sessions.Throttle(per_pair=10_000, per_addr=10_000)
    timings: dict[str, list[float]] = {"unknown": [], "wrong password": [], "disabled": []}
    with factory() as session:
        session.execute(select(User).where(User.username == "employee2")).scalar_one().is_active = False
        c = Ctx(session=session, services=services)
        for i in range(20):  # interleaved, so a change of load on the machine touches all alike
            for kind, username in (("unknown", "no.such.user"), ("wrong password", "employee"),
                                   ("disabled", "employee2")):
                if kind == "disabled" and i % 2:
                    continue  # 10 are enough for the third kind; the whole test stays near 10 s
                started = time.perf_counter()
                with pytest.raises(Unauthenticated):
                    sessions.log_in(c, username, "not-the-password", remote_addr=OWNER, throttle=throttle)
                timings[kind].append(time.perf_counter() - started)
        session.rollback()
    medians = {kind: statistics.median(values) for kind, values in timings.items()}
    reference = medians["wrong password"]
    for median in medians.values():
        assert abs(median - reference) <= 0.2 * reference, medians
