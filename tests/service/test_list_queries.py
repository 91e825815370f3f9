"""Keyset paging of the lists (processes/usecases/paging.py): stable under inserts, honest counts, search,
and per-user visibility exactly as the instance page decides it."""
from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from processes.information_request import request_register as register
from processes.usecases import paging, queries
from processes.usecases.access import can_view_instance
from processes.usecases.errors import Forbidden
from storage.models import (
    Document,
    InboxTask,
    InformationRequest,
    Instance,
    ProcessDefinition,
    User,
    utcnow,
)
from tests.service.helpers import start_and_submit

T0 = utcnow().replace(microsecond=0) - timedelta(days=30)


def _user(session, username: str) -> User:
    return session.execute(select(User).where(User.username == username)).scalar_one()


def add_instances(factory, n: int, *, username="employee", process="speech_clearance", title="Case",
                  at=None, step=timedelta(minutes=1), status="running") -> list[int]:
    """`n` instances inserted directly (lists read rows, never workflow state), one `step` apart."""
    with factory() as s:
        definition = s.execute(select(ProcessDefinition).where(ProcessDefinition.key == process)).scalars().first()
        user = _user(s, username)
        base = at or T0
        rows = [Instance(definition_id=definition.id, process_key=process, title=f"{title} {k}",
                         started_by_id=user.id, created_at=base + step * k, updated_at=base, status=status)
                for k in range(n)]
        s.add_all(rows)
        s.commit()
        return [r.id for r in rows]


def walk(fetch, limit: int) -> list:
    """Every item of a list, following its `next` key page by page."""
    items, after = [], None
    for _ in range(1000):
        page = fetch(after=after, limit=limit)
        items += page.items
        if page.next is None:
            return items
        after = page.next
    raise AssertionError("paging never ended")


def ids(items) -> list[int]:
    return [i.id for i in items]


def test_pages_cover_every_instance_once_newest_first(act, factory):
    made = add_instances(factory, 23)
    everything = walk(lambda **kw: act("auditor", queries.all_instances, queries.InstanceFilter(), **kw), 5)
    assert ids(everything) == sorted(made, reverse=True)  # newest first, none twice, none missed


def test_equal_times_are_ordered_by_id(act, factory):
    """Rows created in the same instant: the id breaks the tie, so no row is lost between pages."""
    made = add_instances(factory, 12, step=timedelta(0))
    everything = walk(lambda **kw: act("auditor", queries.all_instances, queries.InstanceFilter(), **kw), 5)
    assert ids(everything) == sorted(made, reverse=True)


def test_inserts_between_pages_neither_repeat_nor_skip(act, factory):
    made = add_instances(factory, 20)
    flt = queries.InstanceFilter()
    first = act("auditor", queries.all_instances, flt, limit=8)
    # new cases arrive (newer than everything), and one lands in the middle of the remaining ones, at the
    # same instant as an existing row
    newer = add_instances(factory, 3, at=T0 + timedelta(days=1))
    middle = add_instances(factory, 1, at=T0 + timedelta(minutes=5))
    seen, after = ids(first.items), first.next
    while after is not None:
        page = act("auditor", queries.all_instances, flt, after=after, limit=8)
        seen += ids(page.items)
        after = page.next
    assert len(seen) == len(set(seen))  # no duplicates
    assert set(made) <= set(seen)  # none of the rows there at the start was missed
    assert middle[0] in seen and not set(newer) & set(seen)  # rows before the cursor stay on earlier pages


def test_previous_page_is_the_page_before(act, factory):
    add_instances(factory, 17)
    flt = queries.InstanceFilter()
    p1 = act("auditor", queries.all_instances, flt, limit=5)
    p2 = act("auditor", queries.all_instances, flt, after=p1.next, limit=5)
    p3 = act("auditor", queries.all_instances, flt, after=p2.next, limit=5)
    back = act("auditor", queries.all_instances, flt, before=p3.prev, limit=5)
    assert ids(back.items) == ids(p2.items) and back.prev is not None and back.next == p2.next
    first = act("auditor", queries.all_instances, flt, before=p2.prev, limit=5)
    assert ids(first.items) == ids(p1.items) and first.prev is None  # the first page has no previous one
    assert p1.prev is None and p3.prev is not None


def test_count_is_exact_up_to_the_cap_then_says_more(act, factory, monkeypatch):
    add_instances(factory, 7)
    page = act("auditor", queries.all_instances, queries.InstanceFilter(), limit=3)
    assert (page.count, page.more) == (7, False)
    monkeypatch.setattr(paging, "COUNT_CAP", 5)
    page = act("auditor", queries.all_instances, queries.InstanceFilter(), limit=3)
    assert (page.count, page.more) == (5, True)
    filtered = act("auditor", queries.all_instances, queries.InstanceFilter(text="Case 3"), limit=3)
    assert (filtered.count, filtered.more) == (1, False)


def test_page_size_is_clamped_in_the_use_case(act, factory):
    add_instances(factory, 3)
    assert paging.clamp(0) == 1 and paging.clamp(10_000) == paging.MAX_LIMIT and paging.clamp(None) == 50
    assert len(act("auditor", queries.all_instances, queries.InstanceFilter(), limit=0).items) == 1


def test_search_by_title_number_and_person(act, factory):
    mine = add_instances(factory, 3, title="Budget speech")
    theirs = add_instances(factory, 2, username="employee2", title="Open day")
    with factory() as s:  # a certificate's registration number finds its case
        s.add(Document(instance_id=theirs[1], kind="certificate", title="c", reg_number="SC-2026-04242",
                       verification_code="ABCDEF123456", public={}))
        s.commit()

    def found(text):
        return set(ids(act("auditor", queries.all_instances, queries.InstanceFilter(text=text)).items))

    assert found("budget") == set(mine)  # any letter case
    assert found("04242") == {theirs[1]}  # a document number
    assert found(f"#{mine[0]}") == {mine[0]}  # the case's own number
    with factory() as s:
        other = _user(s, "employee2")
        name = other.full_name.split()[0]
    assert set(theirs) <= found(name) and not set(mine) & found(name)  # the submitter's name
    assert found("100%") == set()  # % is a plain character, not a wildcard


def test_search_own_submissions_and_inbox(act, factory):
    iid = start_and_submit(act, "employee", title="Қаржы есебі")
    add_instances(factory, 4, title="Other")
    mine = act("employee", queries.submissions_page, "Қаржы")
    assert ids(mine.items) == [iid] and mine.count == 1
    inbox = act("vr.finance", queries.inbox_page, str(iid))
    assert [t.instance_id for t in inbox.items] == [iid]
    assert act("vr.finance", queries.inbox_page, "no such words").items == []


def test_inbox_pages_most_urgent_first(act, factory):
    cases = add_instances(factory, 9)
    with factory() as s:
        me = _user(s, "rector")
        for k, iid in enumerate(cases):
            due = None if k % 3 == 0 else T0 + timedelta(days=40 - k)
            s.add(InboxTask(id=str(uuid.uuid4()), instance_id=iid, process_key="speech_clearance", name="Task_Review",
                            title="Review", role=None, assignee_id=me.id, state="ready", due_at=due,
                            created_at=T0 + timedelta(minutes=k)))
        s.commit()
    everything = walk(lambda **kw: act("rector", queries.inbox_page, None, **kw), 2)
    assert [t.id for t in everything] == [t.id for t in act("rector", queries.inbox)]  # the whole list's order
    dues = [t.due_at for t in everything]
    dated = [d for d in dues if d is not None]
    assert dated == sorted(dated) and dues[len(dated):] == [None] * (len(dues) - len(dated))


def test_every_list_reader_sees_exactly_what_the_instance_page_shows(act, factory):
    """`GET /api/v1/instances` lists what `can_view_instance` allows, for every demo user."""
    start_and_submit(act, "employee")
    start_and_submit(act, "employee2", categories=["strategy"])
    add_instances(factory, 3, username="unit.head", process="material_signoff")
    add_instances(factory, 2, username="registry", process="information_request")
    approved = add_instances(factory, 1, username="unit.head", process="material_signoff", status="completed")
    with factory() as s:
        row = s.get(Instance, approved[0])
        row.outcome = "approved"
        s.commit()
    with factory() as s:
        users = [u.username for u in s.execute(select(User)).scalars()]
    for username in users:
        listed = set(ids(walk(lambda username=username, **kw: act(username, queries.readable_instances,
                                                                  queries.InstanceFilter(), **kw),
                              50)))
        with factory() as s:
            user = _user(s, username)
            allowed = {i.id for i in s.execute(select(Instance)).scalars() if can_view_instance(s, user, i)}
        assert listed == allowed, username


def test_only_auditors_list_all_instances(act):
    with pytest.raises(Forbidden):
        act("employee", queries.all_instances, queries.InstanceFilter())


def _request(s, iid: int, n: int, *, due, answered=None, received=None):
    s.add(InformationRequest(instance_id=iid, reg_number=f"IR-2026-{n:05d}", requester_name=f"Requester {n}",
                             requester_kind="person", subject=f"Subject {n}", form="electronic", language="kk",
                             received_at=received or T0 + timedelta(hours=n), registered_at=T0,
                             due_at=due, answered_at=answered, outcome="provided" if answered else None))


def test_register_pages_through_its_three_segments_in_order(act, factory):
    now = utcnow()
    cases = add_instances(factory, 9, username="registry", process="information_request")
    with factory() as s:
        for n, iid in enumerate(cases[:3]):  # open and overdue
            _request(s, iid, n, due=now - timedelta(days=3 - n))
        for n, iid in enumerate(cases[3:6], 3):  # open, not yet due
            _request(s, iid, n, due=now + timedelta(days=n))
        for n, iid in enumerate(cases[6:], 6):  # answered
            _request(s, iid, n, due=now - timedelta(days=1), answered=now - timedelta(hours=n))
        s.commit()
    rows = walk(lambda **kw: act("registry", register.search_page, register.RegisterFilter(), **kw), 2)
    numbers = [r.request.reg_number for r in rows]
    assert numbers == [f"IR-2026-{n:05d}" for n in (0, 1, 2, 3, 4, 5, 8, 7, 6)]
    assert numbers == [r.request.reg_number for r in act("registry", register.search, register.RegisterFilter())]
    page = act("registry", register.search_page, register.RegisterFilter(text="Requester 7"))
    assert [r.request.reg_number for r in page.items] == ["IR-2026-00007"] and page.count == 1
    back = act("registry", register.search_page, register.RegisterFilter(), limit=4,
               before=act("registry", register.search_page, register.RegisterFilter(), limit=4,
                          after=act("registry", register.search_page, register.RegisterFilter(), limit=4).next).prev)
    assert [r.request.reg_number for r in back.items] == numbers[:4]
    expected = {"open": (0, 1, 2, 3, 4, 5), "overdue": (0, 1, 2), "answered": (8, 7, 6), "to_dispatch": (8, 7, 6)}
    for status, wanted in expected.items():  # a status reads only the segments it can match, in order, by 2
        flt = register.RegisterFilter(status=status)
        paged = walk(lambda flt=flt, **kw: act("registry", register.search_page, flt, **kw), 2)
        assert [r.request.reg_number for r in paged] == [f"IR-2026-{n:05d}" for n in wanted], status
        assert act("registry", register.search_page, flt).count == len(wanted)


def test_audit_page_in_chain_order_and_export_reads_everything(act, factory):
    for _ in range(3):
        start_and_submit(act, "employee")
    entries = act("auditor", lambda c: list(queries.audit_stream(c, batch=7)))
    seqs = [e.seq for e in entries]
    assert seqs == list(range(1, len(seqs) + 1))  # every entry, in batches smaller than the trail
    paged = walk(lambda **kw: act("auditor", queries.audit_page, **kw), 10)
    assert [e.seq for e in paged] == seqs
    only = act("auditor", queries.audit_page, action="instance_started")
    assert only.count == 3 and {e.action for e in only.items} == {"instance_started"}
