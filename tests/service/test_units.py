"""Units (issue 12, point 2): the tree with kinds and heads, changes audited before/after, moves that keep
the history of who belonged where and when, heads named by the unit, and the 0014 migration's backfill."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, text

from processes.university_time import today_local
from processes.usecases import absences, access, people, units
from processes.usecases.context import Ctx
from processes.usecases.errors import Conflict, Forbidden, Invalid, NotFound
from storage import accounts, audit
from storage.db import make_engine, transaction
from storage.models import Absence, AuditEvent, Unit, UnitMembership, UnitParentHistory, User, utcnow

T0 = datetime(2026, 9, 1, 4, 0, tzinfo=UTC)


def as_user(factory, services, username, fn, *args, at: datetime | None = None, **kwargs):
    """Run a use case as `username` (None: nobody) in its own transaction, the clock at `at`."""
    with transaction(factory) as session:
        user = accounts.find_user(session, username) if username else None
        c = Ctx(session=session, services=services, user=user, clock=(lambda: at) if at else utcnow)
        return fn(c, *args, **kwargs)


def last_entry(factory, action: str):
    with factory() as session:
        found = audit.entries(session, AuditEvent.action == action, newest_first=True, limit=1)
        return found[0] if found else None


def unit_row(factory, code: str) -> Unit:
    with factory() as session:
        unit = session.execute(select(Unit).where(Unit.code == code)).scalar_one()
        session.expunge(unit)
        return unit


def parent_rows(factory, code: str) -> list[tuple[str | None, datetime | None, datetime | None, str | None]]:
    with factory() as session:
        unit = session.execute(select(Unit).where(Unit.code == code)).scalar_one()
        codes = dict(session.execute(select(Unit.id, Unit.code)).tuples().all())
        rows = session.execute(select(UnitParentHistory).where(UnitParentHistory.unit_id == unit.id)
                               .order_by(UnitParentHistory.id)).scalars().unique()
        return [(codes.get(r.parent_id) if r.parent_id else None, r.started_at, r.ended_at, r.recorded_by)
                for r in rows]


def memberships(factory, username: str) -> list[tuple[str, datetime, datetime | None, str | None]]:
    with factory() as session:
        user = accounts.find_user(session, username)
        assert user is not None
        codes = dict(session.execute(select(Unit.id, Unit.code)).tuples().all())
        rows = session.execute(select(UnitMembership).where(UnitMembership.user_id == user.id)
                               .order_by(UnitMembership.id)).scalars().unique()
        return [(codes[r.unit_id], r.started_at, r.ended_at, r.recorded_by) for r in rows]


NEW = {"code": "fe-cs", "name": {"kk": "Компьютерлік ғылымдар кафедрасы", "ru": "Кафедра компьютерных наук",
                                 "en": "Department of Computer Science"},
       "kind": "department", "parent": "FE", "head": "employee2"}


def test_the_demo_tree_has_kinds_heads_and_history(factory, services):
    rows = as_user(factory, services, "admin", units.tree, "en")
    by_code = {r.unit.code: r for r in rows}
    assert by_code["FE-IS"].depth == 1 and by_code["FE"].depth == 0
    assert [r.unit.code for r in rows].index("FE-IS") == [r.unit.code for r in rows].index("FE") + 1
    assert by_code["FE"].unit.kind == "faculty" and by_code["FE-IS"].unit.kind == "department"
    assert by_code["FE-IS"].head.username == "unit.head" and by_code["MCD"].head.username == "mcd.head"
    assert by_code["FE-IS"].members == 3  # employee, employee2, unit.head
    assert memberships(factory, "employee")[0][0] == "FE-IS"
    assert parent_rows(factory, "FE-IS") == [("FE", None, None, None)]


def test_seeding_again_changes_no_unit_nor_history(factory):
    from processes.usecases.seed import USERS, seed_demo

    def state():
        with factory() as session:
            return (sorted((u.code, u.kind, u.head_id) for u in session.execute(select(Unit)).scalars()),
                    session.execute(select(UnitMembership.id)).scalars().all(),
                    session.execute(select(UnitParentHistory.id)).scalars().all())

    before = state()
    assert len(before[1]) == sum(1 for u in USERS if u[4])  # one membership per demo account with a unit
    with transaction(factory) as session:
        assert seed_demo(session, "kelisim-demo") == 0
    assert state() == before


def test_create_a_unit_is_audited_with_its_place_in_the_tree(factory, services):
    unit = as_user(factory, services, "admin", units.create_unit, NEW, at=T0)
    assert unit.code == "FE-CS"  # the code is kept in capitals
    row = unit_row(factory, "FE-CS")
    assert (row.name_kk, row.name_en, row.kind) == (NEW["name"]["kk"], NEW["name"]["en"], "department")
    entry = last_entry(factory, "unit_created")
    assert entry.actor == "admin" and entry.object == "unit:FE-CS"
    assert entry.data["after"] == {"code": "FE-CS", "name": NEW["name"], "kind": "department", "parent": "FE",
                                   "head": "employee2"}
    assert parent_rows(factory, "FE-CS") == [("FE", T0, None, "admin")]
    rows = as_user(factory, services, "admin", units.tree, "en")
    codes = [r.unit.code for r in rows]
    assert codes.index("FE-CS") > codes.index("FE") and {r.unit.code: r.depth for r in rows}["FE-CS"] == 1


def test_edit_records_the_changed_values_before_and_after(factory, services):
    as_user(factory, services, "admin", units.update_unit, "AMD",
            {"name": {"kk": "Оқу-әдістемелік басқармасы", "ru": "УМУ", "en": "AMD"}, "kind": "department",
             "head": "employee"})
    entry = last_entry(factory, "unit_updated")
    assert entry.object == "unit:AMD"
    assert entry.data["before"] == {
        "name": {"kk": "Оқу-әдістемелік басқармасы", "ru": "Учебно-методическое управление",
                 "en": "Academic-Methodological Department"}, "kind": "office", "head": "amd.head"}
    assert entry.data["after"] == {"name": {"kk": "Оқу-әдістемелік басқармасы", "ru": "УМУ", "en": "AMD"},
                                   "kind": "department", "head": "employee"}
    # only what changed is recorded; nothing changed: no entry
    as_user(factory, services, "admin", units.update_unit, "AMD", {"head": None})
    entry = last_entry(factory, "unit_updated")
    assert entry.data == {"before": {"head": "employee"}, "after": {"head": None}}
    seq = entry.seq
    as_user(factory, services, "admin", units.update_unit, "AMD", {"kind": "department"})
    assert last_entry(factory, "unit_updated").seq == seq


def test_move_keeps_the_history_and_refuses_cycles_and_the_root(factory, services):
    t1 = T0 + timedelta(days=30)
    as_user(factory, services, "admin", units.create_unit, NEW, at=T0)
    as_user(factory, services, "admin", units.move_unit, "FE-CS", "FE-IS", at=t1)
    assert unit_row(factory, "FE-CS").parent_id == unit_row(factory, "FE-IS").id
    assert parent_rows(factory, "FE-CS") == [("FE", T0, t1, "admin"), ("FE-IS", t1, None, "admin")]
    entry = last_entry(factory, "unit_moved")
    assert entry.object == "unit:FE-CS"
    assert entry.data == {"before": {"parent": "FE"}, "after": {"parent": "FE-IS"}}
    # under itself, or under a unit below it: refused, nothing changes
    for code, parent in (("FE", "FE-CS"), ("FE", "FE-IS"), ("FE", "FE"), ("FE-IS", "FE-CS")):
        with pytest.raises(Conflict, match="under itself or under one of its own units"):
            as_user(factory, services, "admin", units.move_unit, code, parent)
    assert unit_row(factory, "FE").parent_id is None
    assert last_entry(factory, "unit_moved").seq == entry.seq
    # the university is the top of the tree
    as_user(factory, services, "admin", units.create_unit,
            {"code": "KINEU", "name": {"kk": "Қазақ инновациялық экономика университеті"}, "kind": "university"})
    with pytest.raises(Conflict, match="top of the tree"):
        as_user(factory, services, "admin", units.move_unit, "KINEU", "FE")
    with pytest.raises(Conflict, match="top of the tree"):
        as_user(factory, services, "admin", units.update_unit, "FE-IS", {"kind": "university"})
    with pytest.raises(Conflict, match="top of the tree"):
        as_user(factory, services, "admin", units.create_unit,
                {"code": "U2", "name": {"kk": "Екінші"}, "kind": "university", "parent": "FE"})
    # to the top, then under the university
    as_user(factory, services, "admin", units.move_unit, "FE", "KINEU")
    as_user(factory, services, "admin", units.move_unit, "FE-CS", None)
    assert unit_row(factory, "FE-CS").parent_id is None
    assert last_entry(factory, "unit_moved").data == {"before": {"parent": "FE-IS"}, "after": {"parent": None}}
    depth = {r.unit.code: r.depth for r in as_user(factory, services, "admin", units.tree)}
    assert depth["KINEU"] == 0 and depth["FE"] == 1 and depth["FE-IS"] == 2


def test_a_person_moved_twice_has_three_memberships_with_their_dates(factory, services):
    t1, t2 = T0 + timedelta(days=10), T0 + timedelta(days=40)
    _user, _token = as_user(factory, services, "admin", people.create_user,
                            {"username": "a.mover", "full_name": {"kk": "Әлия Мұратқызы"}, "roles": ["employee"],
                             "unit": "FE-IS"}, at=T0)
    as_user(factory, services, "admin", people.update_user, "a.mover", {"unit": "MCD"}, at=t1)
    as_user(factory, services, "admin", people.update_user, "a.mover", {"unit": "AMD"}, at=t2)
    assert memberships(factory, "a.mover") == [("FE-IS", T0, t1, "admin"), ("MCD", t1, t2, "admin"),
                                                ("AMD", t2, None, "admin")]
    entry = last_entry(factory, "user_updated")
    assert entry.data == {"before": {"unit": "MCD"}, "after": {"unit": "AMD"}}
    # an edit that keeps the unit writes no membership; leaving every unit ends the last one
    as_user(factory, services, "admin", people.update_user, "a.mover", {"unit": "AMD", "email": "m@kineu.example"})
    assert len(memberships(factory, "a.mover")) == 3
    as_user(factory, services, "admin", people.update_user, "a.mover", {"unit": None}, at=t2 + timedelta(days=1))
    assert memberships(factory, "a.mover")[-1] == ("AMD", t2, t2 + timedelta(days=1), "admin")
    # the unit's own history and the person's, latest first
    with transaction(factory) as session:
        c = Ctx(session=session, services=services, user=accounts.find_user(session, "admin"))
        mcd = units.get_unit(c, "MCD")
        mover = [m for m in units.unit_memberships(c, mcd) if m.user.username == "a.mover"]
        assert [(m.started_at, m.ended_at) for m in mover] == [(t1, t2)]
        person = units.person_memberships(c, accounts.find_user(session, "a.mover"))
        assert [m.unit.code for m in person] == ["AMD", "MCD", "FE-IS"]


def test_the_head_named_by_a_unit_records_absences_for_its_members(factory, services):
    day = today_local(utcnow()) + timedelta(days=2)
    # employee2 holds no head role: not the head of anyone yet
    with pytest.raises(Forbidden):
        as_user(factory, services, "employee2", absences.record, "mcd.specialist", day.isoformat(),
                day.isoformat(), "mcd.head")
    as_user(factory, services, "admin", units.update_unit, "MCD", {"head": "employee2"})
    as_user(factory, services, "employee2", absences.record, "mcd.specialist", day.isoformat(), day.isoformat(),
            "mcd.head")
    with factory() as session:
        e2 = accounts.find_user(session, "employee2")
        spec = accounts.find_user(session, "mcd.specialist")
        recorded = session.execute(select(Absence).where(Absence.user_id == spec.id)).scalar_one()
        assert recorded.created_by_id == e2.id
        other = accounts.find_user(session, "employee")
        assert units.is_head_of(e2, session.get(Unit, spec.unit_id))
        assert absences.may_manage(e2, spec) and not absences.may_manage(e2, other)
        # the head of MCD also answers for its queue (access.heads_queue)
        assert access.heads_queue(e2, "mcd_specialist")
        assert not access.heads_queue(spec, "mcd_specialist")
    c_names = as_user(factory, services, "employee2",
                      lambda c: sorted(u.username for u in absences.manageable_users(c)))
    assert "mcd.specialist" in c_names and "employee2" in c_names and "employee" not in c_names
    # the role-based rule stays: unit.head heads FE-IS without being named by another unit
    with factory() as session:
        head = accounts.find_user(session, "unit.head")
        assert absences.may_manage(head, accounts.find_user(session, "employee"))


def test_refusals_are_clear_4xx(factory, services):
    with pytest.raises(Forbidden):
        as_user(factory, services, "unit.head", units.create_unit, NEW)
    with pytest.raises(Forbidden):
        as_user(factory, services, "employee", units.tree)
    with pytest.raises(Forbidden):
        as_user(factory, services, "mcd.head", units.update_unit, "MCD", {"kind": "department"})
    with pytest.raises(Invalid) as bad:
        as_user(factory, services, "admin", units.create_unit,
                {"code": "bad code!", "name": {"ru": "Без казахского"}, "kind": "school", "parent": "NOPE",
                 "head": "ghost"})
    assert set(bad.value.errors) == {"code", "name.kk", "kind", "parent", "head"}
    with pytest.raises(Conflict, match="exists already"):
        as_user(factory, services, "admin", units.create_unit, {**NEW, "code": "FE-IS"})
    with pytest.raises(NotFound):
        as_user(factory, services, "admin", units.update_unit, "NOPE", {"kind": "office"})
    with pytest.raises(Invalid) as bad:
        as_user(factory, services, "admin", units.update_unit, "MCD", {"code": "MCD2", "name": {"kk": "x" * 301}})
    assert set(bad.value.errors) == {"code", "name.kk"}
    as_user(factory, services, "admin", people.disable_user, "employee2", "left")
    with pytest.raises(Invalid) as bad:
        as_user(factory, services, "admin", units.update_unit, "MCD", {"head": "employee2"})
    assert "head" in bad.value.errors
    assert last_entry(factory, "unit_created") is None and last_entry(factory, "unit_updated") is None


def test_cli_operator_may_manage_units_and_is_audited_as_cli(factory, services):
    unit = as_user(factory, services, None, units.create_unit, {**NEW, "head": None}, operator=True)
    assert unit.code == "FE-CS"
    as_user(factory, services, None, units.move_unit, "FE-CS", "FE-IS", operator=True)
    entry = last_entry(factory, "unit_moved")
    assert entry.actor is None and entry.role == "cli"
    assert parent_rows(factory, "FE-CS")[-1][3] == "cli"
    with pytest.raises(Forbidden):  # without the operator's flag nobody is not an administrator
        as_user(factory, services, None, units.create_unit, {**NEW, "code": "X1"})


# --- the migration: 0013 → 0014 on a database with data ---------------------------------------------

def test_migration_backfills_kinds_heads_and_history(tmp_path):
    from alembic import command

    from storage.migrate import alembic_config

    url = f"sqlite:///{tmp_path / 'm.sqlite3'}"
    eng = make_engine(url)
    cfg = alembic_config(url)
    try:
        with eng.connect() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "0013_flow")
            conn.commit()
        with eng.begin() as conn:
            conn.execute(text("INSERT INTO units (id, code, name_kk, name_ru, name_en, parent_id) VALUES "
                              "(1, 'FAC', 'Ф', 'Ф', 'F', NULL), (2, 'DEP', 'К', 'К', 'D', 1), "
                              "(3, 'OFF', 'Б', 'О', 'O', NULL), (4, 'MCD', 'М', 'М', 'M', NULL)"))
            conn.execute(text(
                "INSERT INTO users (id, username, full_name, password_hash, is_active, unit_id, seniority, created_at) "
                "VALUES (1, 'h', 'H', 'x', 1, 2, 1, '2026-01-05 08:00:00'), "
                "(2, 'e', 'E', 'x', 1, 2, 1, '2026-02-01 09:30:00'), "
                "(3, 'h2', 'H2', 'x', 1, 3, 1, '2026-03-01 00:00:00'), "
                "(4, 'h3', 'H3', 'x', 1, 3, 1, '2026-03-01 00:00:00'), "
                "(5, 'm', 'M', 'x', 1, 4, 1, '2026-03-02 00:00:00'), "
                "(6, 'n', 'N', 'x', 1, NULL, 1, '2026-03-02 00:00:00')"))
            conn.execute(text("INSERT INTO user_roles (user_id, role) VALUES (1, 'unit_head'), (2, 'employee'), "
                              "(3, 'unit_head'), (4, 'unit_head'), (5, 'mcd_head')"))
        with eng.connect() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "0014_units")
            conn.commit()
        from storage.db import make_sessionmaker

        with make_sessionmaker(eng)() as session:
            got = {u.code: (u.kind, u.head.username if u.head else None)
                   for u in session.execute(select(Unit)).scalars()}
            # two unit heads in OFF: nobody is named
            assert got == {"FAC": ("faculty", None), "DEP": ("department", "h"), "OFF": ("office", None),
                           "MCD": ("office", "m")}
            rows = {(m.user.username, m.unit.code, m.started_at, m.ended_at)
                    for m in session.execute(select(UnitMembership)).scalars().unique()}
            assert rows == {("h", "DEP", datetime(2026, 1, 5, 8, tzinfo=UTC), None),
                            ("e", "DEP", datetime(2026, 2, 1, 9, 30, tzinfo=UTC), None),
                            ("h2", "OFF", datetime(2026, 3, 1, tzinfo=UTC), None),
                            ("h3", "OFF", datetime(2026, 3, 1, tzinfo=UTC), None),
                            ("m", "MCD", datetime(2026, 3, 2, tzinfo=UTC), None)}
            places = {(p.unit.code, p.parent.code if p.parent else None, p.started_at, p.ended_at)
                      for p in session.execute(select(UnitParentHistory)).scalars().unique()}
            assert places == {("FAC", None, None, None), ("DEP", "FAC", None, None), ("OFF", None, None, None),
                              ("MCD", None, None, None)}
            assert session.get(User, 6).unit_id is None
        with eng.connect() as conn:  # and back down, keeping the data
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0013_flow")
            conn.commit()
        with eng.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM users WHERE unit_id = 2")).scalar() == 2
            assert "head_id" not in {c[1] for c in conn.execute(text("PRAGMA table_info(units)"))}
    finally:
        eng.dispose()
