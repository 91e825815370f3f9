"""The expert pool (definitions section, §8.3) through the use cases on a real database: editions holding
the whole list, the return loop, every refusal, a concurrent edition, the queries the media inquiry uses, and
the worker's flag of terms ending within a month."""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import func, select

from processes import worker
from processes.expert_pool import pool
from processes.expert_pool.kind import KIND
from processes.usecases import instances, queries
from processes.usecases.errors import Conflict, Forbidden, Invalid
from storage.models import AuditEvent, ExpertPoolEdition, ExpertPoolMember, Instance, Notification, User

KEY = "expert_pool"
NOW = datetime(2026, 11, 20, 5, 0, tzinfo=UTC)  # Friday 20 Nov 2026, 10:00 in Almaty
TODAY = date(2026, 11, 20)
TERM = "2027-11-20"


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def row(person, action="add", topics="цифрландыру, жасанды интеллект", languages=("kk", "ru"),
        formats=("press", "online"), term=TERM):
    return {"action": action, "person": person, "topics": topics, "languages": list(languages),
            "formats": list(formats), "term_until": term}


def task_of(act, user, iid):
    rows = [t for t in act(user, queries.inbox) if t.instance_id == iid]
    assert len(rows) == 1, [(t.name, t.role) for t in rows]
    return rows[0]


def complete(act, user, iid, data):
    return act(user, instances.complete_task, task_of(act, user, iid).id, data)


def propose(act, changes, user="mcd.specialist", note="") -> int:
    iid = act(user, instances.start_instance, KEY).id
    complete(act, user, iid, {"changes": changes, "note": note})
    return iid


def approve(act, iid):
    return act("rector", instances.complete_task, task_of(act, "rector", iid).id, {"decision": "approve"},
               confirmed=True)


def members(act, number=None) -> dict[str, ExpertPoolMember]:
    def get(c):
        ed = pool.current_edition(c.session) if number is None else pool.edition(c, number)
        return {m.user.username: m for m in pool.members_of(c.session, ed)}
    return act(None, get)


def seeded(act) -> None:
    assert act(None, KIND.seed_demo)
    assert set(members(act)) == {"unit.head", "vr.academic"}


def test_seed_makes_edition_one_once(act, factory):
    seeded(act)
    assert act(None, KIND.seed_demo) is None  # idempotent
    with factory() as s:
        ed = s.execute(select(ExpertPoolEdition)).scalar_one()
        assert (ed.number, ed.instance_id, ed.approved_by.username) == (1, None, "rector")


def test_approval_makes_the_next_edition_with_the_whole_list(act, factory):
    seeded(act)
    iid = propose(act, [row("employee"), row("vr.academic", "remove"),
                        row("unit.head", "change", topics="ақпараттық жүйелер", languages=["kk"], formats=["tv"])],
                  note="Жаңа сарапшы")
    with factory() as s:
        assert s.get(Instance, iid).title == ("Әсел Нұрланқызы Қанатова, Сергей Викторович Петров, "
                                              "Ғалым Серікұлы Жақсыбеков · Жаңа сарапшы")
    approve(act, iid)
    now = members(act)
    assert set(now) == {"unit.head", "employee"}
    assert now["unit.head"].topics == ["ақпараттық жүйелер"] and now["unit.head"].formats == ["tv"]
    assert now["employee"].topics == ["цифрландыру", "жасанды интеллект"]
    assert set(members(act, 1)) == {"unit.head", "vr.academic"}  # edition 1 is kept as it was
    with factory() as s:
        ed = s.execute(select(ExpertPoolEdition).where(ExpertPoolEdition.number == 2)).scalar_one()
        assert ed.instance_id == iid and ed.approved_by.username == "rector"
        assert [c["action"] for c in ed.changes] == ["add", "remove", "change"]
        assert s.get(Instance, iid).outcome == "approved"
        made = s.execute(select(AuditEvent).where(AuditEvent.action == "expert_pool_edition_created",
                                                  AuditEvent.instance_id == iid)).scalar_one()
        assert made.clause == "§8.3" and made.data["edition"] == 2 and made.data["members"] == 2
        done = s.execute(select(AuditEvent).where(AuditEvent.action == "task_completed",
                                                  AuditEvent.instance_id == iid)).scalars().all()
        assert {e.clause for e in done} == {"§8.3"}


def test_unchanged_rows_keep_their_flag_a_new_term_clears_it(act, factory):
    seeded(act)
    with factory.begin() as s:
        for m in s.execute(select(ExpertPoolMember)).scalars():
            m.expiry_flagged_at = NOW
    approve(act, propose(act, [row("unit.head", "change", term="2028-01-31")]))
    now = members(act)
    assert now["unit.head"].expiry_flagged_at is None
    assert now["vr.academic"].expiry_flagged_at is not None


def test_return_loops_back_to_mcd_with_the_rows(act, factory):
    seeded(act)
    iid = propose(act, [row("employee")], note="n")
    complete(act, "rector", iid, {"decision": "return", "comment": "Тақырыптарды нақтылаңыз"})
    task = task_of(act, "mcd.specialist", iid)
    assert task.name == "Task_Propose"
    prefill = act("mcd.specialist", instances.prefill, task)
    assert prefill["changes"][0]["person"] == "employee" and prefill["note"] == "n"
    with factory() as s:
        note = s.execute(select(Notification).where(Notification.instance_id == iid,
                                                    Notification.kind == "revision_requested")).scalar_one()
        assert s.get(User, note.user_id).username == "mcd.specialist"
        assert note.params["comment"] == "Тақырыптарды нақтылаңыз"
    complete(act, "mcd.specialist", iid, {"changes": [row("employee", topics="қабылдау")]})
    approve(act, iid)
    assert members(act)["employee"].topics == ["қабылдау"]


def test_reject_ends_without_an_edition(act, factory):
    seeded(act)
    iid = propose(act, [row("employee")])
    act("rector", instances.complete_task, task_of(act, "rector", iid).id,
        {"decision": "reject", "comment": "Жоқ"}, confirmed=True)
    with factory() as s:
        assert s.get(Instance, iid).outcome == "rejected"
        assert s.execute(select(func.count()).select_from(ExpertPoolEdition)).scalar_one() == 1


@pytest.mark.parametrize("changes, field, words", [
    ([row("nobody.here")], "changes.0.person", "No account"),
    ([row("unit.head")], "changes.0.person", "already in the pool"),
    ([row("employee", "change")], "changes.0.person", "not in the pool"),
    ([row("employee", "remove")], "changes.0.person", "not in the pool"),
    ([row("employee"), row("employee")], "changes.1.person", "one change per person"),
    ([row("employee", term="2026-11-19")], "changes.0.term_until", "past"),
    ([row("employee", languages=())], "changes.0.languages", "language"),
    ([row("employee", formats=())], "changes.0.formats", "format"),
    ([row("employee", topics=" , \n")], "changes.0.topics", "topic"),
])
def test_bad_rows_are_refused_at_their_field(act, factory, changes, field, words):
    seeded(act)
    iid = act("mcd.specialist", instances.start_instance, KEY).id
    with pytest.raises(Invalid) as refused:
        complete(act, "mcd.specialist", iid, {"changes": changes})
    assert field in refused.value.errors, refused.value.errors
    assert words in refused.value.errors[field].render()
    assert task_of(act, "mcd.specialist", iid).name == "Task_Propose"  # nothing changed


def test_a_disabled_account_is_refused(act, factory):
    seeded(act)
    with factory.begin() as s:
        s.execute(select(User).where(User.username == "employee2")).scalar_one().is_active = False
    iid = act("mcd.specialist", instances.start_instance, KEY).id
    with pytest.raises(Invalid) as refused:
        complete(act, "mcd.specialist", iid, {"changes": [row("employee2")]})
    assert "disabled" in refused.value.errors["changes.0.person"].render()


def test_a_concurrent_edition_that_makes_the_changes_unfit_is_a_409(act, factory):
    seeded(act)
    first = propose(act, [row("employee")])
    second = propose(act, [row("employee", topics="қабылдау")], user="mcd.head")
    approve(act, first)
    with pytest.raises(Conflict) as refused:
        approve(act, second)
    text = refused.value.message.render()
    assert "Edition 2" in text and "already in the pool" in text
    assert task_of(act, "rector", second).name == "Task_Approve"  # nothing changed: the rector returns it
    assert act(None, lambda c: pool.current_edition(c.session).number) == 2


def test_a_concurrent_edition_that_still_fits_is_applied_to_it(act):
    seeded(act)
    first = propose(act, [row("employee")])
    second = propose(act, [row("employee2")], user="mcd.head")
    approve(act, first)
    approve(act, second)
    assert set(members(act)) == {"unit.head", "vr.academic", "employee", "employee2"}
    assert act(None, lambda c: pool.current_edition(c.session).number) == 3


def test_who_starts_and_who_approves(act):
    for user in ("employee", "unit.head", "rector"):
        with pytest.raises(Forbidden):
            act(user, instances.start_instance, KEY)
    seeded(act)
    iid = propose(act, [row("employee")], user="mcd.head")
    assert task_of(act, "rector", iid).name == "Task_Approve"


def test_membership_and_experts_for(act, factory):
    seeded(act)
    approve(act, propose(act, [row("employee", topics="Қабылдау науқаны, студенттер", term="2026-12-31")]))

    def ask(c):
        uid = {u.username: u.id for u in c.session.execute(select(User)).scalars()}
        return {
            "member": pool.membership(c.session, uid["employee"], date(2026, 12, 31)) is not None,
            "expired": pool.membership(c.session, uid["employee"], date(2027, 1, 1)),
            "outsider": pool.membership(c.session, uid["employee2"], TODAY),
            "ai": [m.user.username for m in pool.experts_for(c.session, "Жасанды ИНТЕЛЛЕКТ туралы сұрақ", TODAY)],
            "accr": [m.user.username for m in pool.experts_for(c.session, "Аккредитация программ", TODAY)],
            "ru stem": [m.user.username for m in pool.experts_for(c.session, "вопросы аккредитации", TODAY)],
            "short": pool.experts_for(c.session, "ИИ и ИС", TODAY),
            "nothing": pool.experts_for(c.session, "футбол чемпионаты", TODAY),
            "late": [m.user.username for m in pool.experts_for(c.session, "қабылдау", date(2027, 1, 1))],
            "best": [m.user.username for m in pool.experts_for(c.session, "қабылдау студенттер", TODAY)],
            "limit": len(pool.experts_for(c.session, "accreditation admission қабылдау", TODAY, limit=1)),
            "current": len(pool.current_members(c.session)),
        }
    got = act(None, ask)
    assert got["member"] and got["expired"] is None and got["outsider"] is None
    assert got["ai"] == ["unit.head"]  # the demo's topics name each in kk, ru and en
    assert got["accr"] == ["vr.academic"]
    assert got["ru stem"] == ["vr.academic"]  # "аккредитации" by its stem
    assert got["short"] == [] and got["nothing"] == []
    assert got["late"] == ["vr.academic"]  # employee's term ended
    assert got["best"][0] == "employee" and "vr.academic" in got["best"]
    assert got["limit"] == 1 and got["current"] == 3


def test_experts_for_matches_stems(act):
    seeded(act)
    approve(act, propose(act, [row("employee", topics="цифровизация образования")]))
    found = act(None, lambda c: [m.user.username for m in pool.experts_for(c.session, "Вопрос о цифровизации", TODAY)])
    assert sorted(found) == ["employee", "unit.head"]  # "цифровизации" finds both "цифровизация"s


def _flags(factory, services, at):
    with time_machine.travel(at, tick=False):
        return worker.flag_reviews(factory, services, now=at)


def test_a_term_ending_within_a_month_is_flagged_to_mcd_once(act, factory, services):
    seeded(act)
    approve(act, propose(act, [row("employee", term="2026-12-20"), row("employee2", term="2026-12-21")]))
    assert _flags(factory, services, NOW) == 1  # 20 Dec is within a month of 20 Nov; 21 Dec is not yet
    assert _flags(factory, services, NOW + timedelta(hours=1)) == 0  # once only
    with factory() as s:
        notes = s.execute(select(Notification).where(Notification.kind == "pool_term_ending")).scalars().all()
        told = {s.get(User, n.user_id).username for n in notes}
        assert told == {"mcd.head", "mcd.specialist"}
        assert all(n.params["user"] == "employee" and n.params["process"] == KEY for n in notes)
        flagged = s.execute(select(AuditEvent).where(AuditEvent.action == "expert_pool_term_flagged")
                            ).scalars().all()
        assert [(e.clause, e.data["user"]) for e in flagged] == [("§8.3", "employee")]
    assert _flags(factory, services, NOW + timedelta(days=1)) == 1  # 21 Dec's turn, a day later
    # a new term (an approved change) starts a new cycle
    approve(act, propose(act, [row("employee", "change", term="2026-12-21")]))
    assert members(act)["employee"].expiry_flagged_at is None
    assert _flags(factory, services, NOW + timedelta(days=1)) == 1


def test_two_editions_with_one_number_are_a_409(act, factory):
    """The edition number is unique: an approval that lost the race to the same number is refused, not a 500."""
    seeded(act)

    def clash(c):
        c.session.add(ExpertPoolEdition(number=2, approved_at=NOW, changes=[]))  # another approval, same moment
        c.session.flush()
        original = pool.current_edition
        pool.current_edition = lambda s: s.execute(select(ExpertPoolEdition).where(ExpertPoolEdition.number == 1)
                                                   ).scalar_one()
        try:
            pool.apply_changes(c, [], None, None)
        finally:
            pool.current_edition = original
    with pytest.raises(Conflict):
        act("rector", clash)
