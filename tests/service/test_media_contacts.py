"""Units' media contacts (§7.10.4) through the use cases: the head keeps them, an edit supersedes (nothing is
deleted), another unit's head is refused, MCD and auditors read all, and the worker's yearly flag."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import select

from processes import worker
from processes.usecases import media_contacts as mc
from processes.usecases.errors import Conflict, Forbidden, Invalid, NotFound
from storage.models import AuditEvent, Notification, Unit, UnitMediaContact, User

NOW = datetime(2026, 11, 20, 5, 0, tzinfo=UTC)
GOOD = {"name": "Дмитрий Ковалёв", "position": "Оқытушы", "phone": "+7 714 255 10 21",
        "email": "d.kovalev@kineu.example", "user": "employee2"}


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def test_add_edit_remove_confirm_keep_every_row(act, factory, frozen):
    first = act("unit.head", mc.add, "FE-IS", GOOD)
    frozen.shift(timedelta(days=3))
    second = act("unit.head", mc.edit, "FE-IS", first.id, {"phone": "+7 714 255 99 99"})
    assert second.id != first.id and second.phone == "+7 714 255 99 99" and second.name == GOOD["name"]
    assert second.user.username == "employee2"  # what the edit did not name is kept
    with pytest.raises(Conflict):  # the superseded row is no longer current
        act("unit.head", mc.edit, "FE-IS", first.id, {"phone": "+7 714 000 00 00"})
    frozen.shift(timedelta(days=3))
    confirmed = act("unit.head", mc.confirm, "FE-IS", second.id)
    assert confirmed.confirmed_at == NOW + timedelta(days=6)
    act("unit.head", mc.remove, "FE-IS", second.id)
    with factory() as s:
        unit = s.execute(select(Unit).where(Unit.code == "FE-IS")).scalar_one()
        rows = s.execute(select(UnitMediaContact).order_by(UnitMediaContact.id)).scalars().all()
        assert len(rows) == 2  # never deleted
        assert rows[0].ended_at == NOW + timedelta(days=3) and rows[0].superseded_by_id == rows[1].id
        assert rows[1].ended_at == NOW + timedelta(days=6)
        assert mc.current_contacts(s, unit.id) == []
        events = s.execute(select(AuditEvent).where(AuditEvent.action.like("media_contact_%"))
                           .order_by(AuditEvent.seq)).scalars().all()
        assert [e.action for e in events] == ["media_contact_added", "media_contact_changed",
                                              "media_contact_confirmed", "media_contact_removed"]
        assert {e.clause for e in events} == {"§7.10.4"}
        assert events[1].data["before"]["phone"] == GOOD["phone"]


def test_current_contacts_lists_the_open_rows(act, factory):
    a = act("unit.head", mc.add, "FE-IS", GOOD)
    act("unit.head", mc.add, "FE-IS", {"name": "Екінші", "email": "second@kineu.example"})
    act("unit.head", mc.remove, "FE-IS", a.id)
    with factory() as s:
        unit = s.execute(select(Unit).where(Unit.code == "FE-IS")).scalar_one()
        assert [c.name for c in mc.current_contacts(s, unit.id)] == ["Екінші"]


@pytest.mark.parametrize("body, field", [
    ({**GOOD, "name": "  "}, "name"),
    ({"name": "X"}, "phone"),  # neither a phone nor an e-mail
    ({**GOOD, "email": "not-an-address"}, "email"),
    ({**GOOD, "phone": "call me"}, "phone"),
    ({**GOOD, "name": "x" * 301}, "name"),
    ({**GOOD, "user": "nobody.here"}, "user"),
    ({**GOOD, "colour": "red"}, "colour"),
    ({**GOOD, "name": 5}, "name"),
])
def test_bad_input_is_a_422_at_its_field(act, factory, body, field):
    with pytest.raises(Invalid) as refused:
        act("unit.head", mc.add, "FE-IS", body)
    assert field in refused.value.errors
    with factory() as s:
        assert s.execute(select(UnitMediaContact)).first() is None


def test_only_the_units_head_edits(act):
    row = act("unit.head", mc.add, "FE-IS", GOOD)
    for user in ("mcd.head", "mcd.specialist", "employee2", "auditor", "dean.engineering", "admin"):
        with pytest.raises(Forbidden):
            act(user, mc.add, "FE-IS", GOOD)
        with pytest.raises(Forbidden):
            act(user, mc.edit, "FE-IS", row.id, {"phone": "+7 700 000 00 00"})
        with pytest.raises(Forbidden):
            act(user, mc.remove, "FE-IS", row.id)
    with pytest.raises(Forbidden):  # the head of MCD heads MCD, not FE-IS
        act("mcd.head", mc.confirm, "FE-IS", row.id)
    assert act("mcd.head", lambda c: mc.add(c, "MCD", {"name": "МКБ", "email": "mcd@kineu.example"}).unit.code) == "MCD"
    with pytest.raises(NotFound):  # a contact of another unit is not found under this one
        act("mcd.head", mc.remove, "MCD", row.id)


def test_who_reads(act):
    act("unit.head", mc.add, "FE-IS", GOOD)
    for user in ("mcd.head", "mcd.specialist", "auditor", "unit.head"):
        unit, contacts = act(user, mc.unit_contacts, "FE-IS")
        assert [c.name for c in contacts] == [GOOD["name"]]
    for user in ("employee", "employee2", "rector", "admin", "dean.engineering"):
        with pytest.raises(Forbidden):
            act(user, mc.unit_contacts, "FE-IS")
    assert any(r.contacts for r in act("auditor", mc.overview))
    with pytest.raises(Forbidden):
        act("unit.head", mc.overview)


def test_a_year_old_entry_is_flagged_to_its_head_once(act, factory, services, frozen):
    row = act("unit.head", mc.add, "FE-IS", GOOD)
    fresh = act("mcd.head", mc.add, "MCD", {"name": "МКБ", "email": "mcd@kineu.example"})
    almost = NOW + timedelta(days=364)
    assert worker.flag_reviews(factory, services, now=almost) == 0
    with factory.begin() as s:  # the MCD entry was confirmed later: not due yet
        s.get(UnitMediaContact, fresh.id).confirmed_at = NOW + timedelta(days=30)
    year = NOW + timedelta(days=365)
    assert worker.flag_reviews(factory, services, now=year) == 1
    assert worker.flag_reviews(factory, services, now=year + timedelta(days=1)) == 0  # once
    with factory() as s:
        note = s.execute(select(Notification).where(Notification.kind == "media_contact_stale")).scalar_one()
        assert s.get(User, note.user_id).username == "unit.head" and note.params["unit"] == "FE-IS"
        flagged = s.execute(select(AuditEvent).where(AuditEvent.action == "media_contact_flagged")).scalar_one()
        assert flagged.clause == "§7.10.4" and flagged.data["told"] == "unit.head"
    frozen.move_to(year + timedelta(days=2))
    act("unit.head", mc.confirm, "FE-IS", row.id)  # a confirmation starts a new year
    assert worker.flag_reviews(factory, services, now=year + timedelta(days=300)) == 1  # MCD's, only now due
    assert worker.flag_reviews(factory, services, now=year + timedelta(days=366)) == 0
    assert worker.flag_reviews(factory, services, now=year + timedelta(days=367)) == 1  # FE-IS's, a year on


def test_seed_demo_is_idempotent(act, factory):
    assert act(None, mc.seed_demo) == "media contacts for FE-IS, MCD"
    assert act(None, mc.seed_demo) is None
    with factory() as s:
        rows = s.execute(select(UnitMediaContact)).scalars().all()
        assert {(r.unit.code, r.user.username) for r in rows} == {("FE-IS", "employee2"), ("MCD", "mcd.specialist")}
