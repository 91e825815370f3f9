"""Website change request (§9.4–9.8, §9.1) through the use cases on a real database, with a frozen clock: the
consent routed to the vice-rector of the unit's area, MCD's publication with the three languages (§9.1), the row
and the unit's pages kept in step, the register, the yearly review reminder (§9.6), and bad input refused with
nothing changed."""
from __future__ import annotations

import io
from datetime import UTC, date, datetime

import pytest
import time_machine
from sqlalchemy import func, select

from processes.usecases import files, instances, queries
from processes.usecases.errors import Conflict, Forbidden, Invalid, NotFound
from processes.website_change import register
from processes.worker import flag_reviews
from storage.models import (
    AuditEvent,
    InboxTask,
    Instance,
    Notification,
    User,
    WebsiteChange,
    WebsitePage,
    WebsiteReview,
)
from tests import samples

KEY = "website_change"
NOW = datetime(2026, 12, 1, 5, 0, tzinfo=UTC)  # Tuesday 10:00 in Almaty
PAGE = "https://kineu.edu.kz/kk/faculties/fe-is"


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def request(**overrides) -> dict:
    data = {"unit": "FE-IS", "title": "Кафедра құрамы", "section": "main.faculties", "change_kind": "change",
            "pages": [{"address": PAGE}, {"address": PAGE}], "text_kk": "Кафедра меңгерушісі: Ғ. Жақсыбеков",
            "text_ru": "Заведующий кафедрой: Г. Жаксыбеков", "text_en": "", "wanted_on": "2026-12-10",
            "area": "academic"}
    data.update(overrides)
    return data


PUBLISH = {"text_kk": "Кафедра меңгерушісі: Ғ. Жақсыбеков", "text_ru": "Заведующий кафедрой: Г. Жаксыбеков",
           "reason_en": "Бетте ағылшын нұсқасы жоқ", "published_url": PAGE, "published_on": "2026-12-01"}


def task_of(act, user, iid, name):
    rows = act(user, lambda c: [t for t in queries.inbox(c) if t.instance_id == iid and t.name == name])
    assert len(rows) == 1, [(t.name, t.role) for t in rows]
    return rows[0]


def started(act, user="unit.head") -> int:
    return act(user, instances.start_instance, KEY).id


def requested(act, user="unit.head", **overrides) -> int:
    iid = started(act, user)
    task = act(user, lambda c: instances.ready_tasks(c, c.session.get(Instance, iid))[0])
    act(user, instances.complete_task, task.id, request(**overrides))
    return iid


def row_of(factory, iid) -> WebsiteChange:
    with factory() as s:
        row = s.execute(select(WebsiteChange).where(WebsiteChange.instance_id == iid)).scalar_one()
        s.expunge_all()
        return row


def events(factory, action, iid=None) -> list[AuditEvent]:
    with factory() as s:
        q = select(AuditEvent).where(AuditEvent.action == action)
        if iid is not None:
            q = q.where(AuditEvent.instance_id == iid)
        return list(s.execute(q.order_by(AuditEvent.seq)).scalars())


def notes(factory, username, kind) -> list[Notification]:
    with factory() as s:
        user = s.execute(select(User).where(User.username == username)).scalar_one()
        return list(s.execute(select(Notification).where(Notification.user_id == user.id,
                                                         Notification.kind == kind)).scalars())


def state(factory, iid) -> tuple[str, str | None]:
    with factory() as s:
        inst = s.get(Instance, iid)
        return inst.status, inst.outcome


def counts(factory) -> tuple[int, int, int, int]:
    with factory() as s:
        return tuple(s.execute(select(func.count()).select_from(t)).scalar_one()  # type: ignore[return-value]
                     for t in (WebsiteChange, WebsitePage, AuditEvent, InboxTask))


def test_requested_consented_by_the_vice_rector_and_published(act, factory):
    iid = requested(act)
    row = row_of(factory, iid)
    assert (row.status, row.section, row.pages) == ("requested", "main.faculties", [PAGE])  # the same page once
    assert row.texts == {"kk": "Кафедра меңгерушісі: Ғ. Жақсыбеков", "ru": "Заведующий кафедрой: Г. Жаксыбеков",
                         "en": ""}
    assert row.wanted_on == date(2026, 12, 10)
    (done,) = events(factory, "task_completed", iid)
    assert done.clause == "§9.8"
    consent = task_of(act, "vr.academic", iid, "Task_Consent")  # the vice-rector of the unit's area (§9.8)
    assert consent.role == "public_person" and notes(factory, "vr.academic", "task_assigned")
    with pytest.raises(Forbidden):  # acting on another's task (MCD reads the case, but this is not its step)
        act("mcd.head", instances.complete_task, consent.id, {"decision": "consent"})
    with pytest.raises(NotFound):  # the rector is not involved: not even its existence is told
        act("rector", instances.complete_task, consent.id, {"decision": "consent"})
    act("vr.academic", instances.complete_task, consent.id, {"decision": "consent"})
    row = row_of(factory, iid)
    assert row.status == "consented" and row.decided_at is not None
    assert notes(factory, "unit.head", "website_consented")
    with pytest.raises(Conflict):  # a second decision
        act("vr.academic", instances.complete_task, consent.id, {"decision": "decline", "comment": "x"})
    publish = task_of(act, "mcd.specialist", iid, "Task_Publish")
    assert act("mcd.specialist", instances.prefill, publish)["text_ru"] == "Заведующий кафедрой: Г. Жаксыбеков"
    # no English text and no reason: cannot be marked published (§9.1); nothing changes
    with pytest.raises(Invalid) as bad:
        act("mcd.specialist", instances.complete_task, publish.id, PUBLISH | {"reason_en": ""})
    assert set(bad.value.errors) == {"reason_en"}
    with pytest.raises(Invalid) as bad:
        act("mcd.specialist", instances.complete_task, publish.id, PUBLISH | {"published_on": "2026-12-02"})
    assert set(bad.value.errors) == {"published_on"}
    assert row_of(factory, iid).status == "consented"
    act("mcd.specialist", instances.complete_task, publish.id, PUBLISH)
    assert state(factory, iid) == ("completed", "published")
    row = row_of(factory, iid)
    assert (row.status, row.published_url, row.published_on) == ("published", PAGE, date(2026, 12, 1))
    assert set(row.published_texts) == {"kk", "ru"} and row.missing_reasons == {"en": "Бетте ағылшын нұсқасы жоқ"}
    (published,) = events(factory, "website_published", iid)
    assert published.clause == "§9.5" and published.data["languages"] == ["kk", "ru"]
    assert [e.clause for e in events(factory, "task_completed", iid)] == ["§9.8", "§9.8", "§9.5"]
    assert notes(factory, "unit.head", "outcome")
    with factory() as s:
        (page,) = s.execute(select(WebsitePage)).scalars()
        assert (page.address, page.section, page.updated_on) == (PAGE, "main.faculties", date(2026, 12, 1))


def test_declined_with_a_reason(act, factory):
    iid = requested(act, area="")
    consent = task_of(act, "rector", iid, "Task_Consent")  # no area: the rector
    with pytest.raises(Invalid) as bad:
        act("rector", instances.complete_task, consent.id, {"decision": "decline"})
    assert set(bad.value.errors) == {"comment"}
    act("rector", instances.complete_task, consent.id, {"decision": "decline", "comment": "Мәтін дайын емес"})
    assert state(factory, iid) == ("completed", "declined")
    assert row_of(factory, iid).status == "declined"


def test_withdrawn_before_the_consent_not_after(act, factory):
    iid = requested(act)
    act("unit.head", instances.withdraw, iid, "Қажет емес")
    assert row_of(factory, iid).status == "withdrawn"
    other = requested(act)
    act("vr.academic", instances.complete_task, task_of(act, "vr.academic", other, "Task_Consent").id,
        {"decision": "consent"})
    with pytest.raises(Conflict):
        act("unit.head", instances.withdraw, other, "кеш")


@pytest.mark.parametrize("overrides, field", [
    ({"wanted_on": "2026-11-30"}, "wanted_on"),  # in the past
    ({"wanted_on": "30.12.2026"}, "wanted_on"),
    ({"section": "blog"}, "section"),
    ({"pages": []}, "pages"),
    ({"pages": [{"address": "kineu.edu.kz page"}]}, "pages.0.address"),
    ({"title": "  "}, "title"),
    ({"unit": "AMD"}, "unit"),  # not the unit they head
    ({"text_kk": "", "text_ru": ""}, "text_kk"),  # no text and no file
    ({"file_ids": [999999]}, "file_ids"),
])
def test_a_bad_request_is_refused_and_changes_nothing(act, factory, overrides, field):
    iid = started(act)
    task = act("unit.head", lambda c: instances.ready_tasks(c, c.session.get(Instance, iid))[0])
    before = counts(factory)
    with pytest.raises(Invalid) as bad:
        act("unit.head", instances.complete_task, task.id, request(**overrides))
    assert field in bad.value.errors
    assert counts(factory) == before


def test_a_file_whose_bytes_do_not_match_its_name_is_refused(act, factory):
    iid = started(act)
    with pytest.raises(Invalid) as bad:
        act("unit.head", files.upload, iid, "staff.pdf", io.BytesIO(samples.png("not a pdf")))
    assert "file" in bad.value.errors
    fid = act("unit.head", files.upload, iid, "staff.pdf", io.BytesIO(samples.pdf("staff"))).id
    task = act("unit.head", lambda c: instances.ready_tasks(c, c.session.get(Instance, iid))[0])
    act("unit.head", instances.complete_task, task.id, request(text_kk="", text_ru="", file_ids=[fid]))
    assert row_of(factory, iid).file_ids == [fid]


def test_only_unit_heads_start_it(act):
    with pytest.raises(Forbidden):
        started(act, "employee")


def test_the_register_mcd_sees_all_the_unit_head_their_own(act, factory):
    iid = requested(act)
    assert [r.instance_id for r in act("mcd.head", register.search_page, register.RegisterFilter()).items] == [iid]
    assert [r.instance_id for r in act("unit.head", register.search_page, register.RegisterFilter()).items] == [iid]
    assert act("amd.head", register.search_page, register.RegisterFilter()).items == []
    assert act("mcd.head", register.search_page, register.RegisterFilter(status="finished")).items == []
    with pytest.raises(Forbidden):
        act("employee", register.search_page, register.RegisterFilter())


def _publish(act, iid):
    act("vr.academic", instances.complete_task, task_of(act, "vr.academic", iid, "Task_Consent").id,
        {"decision": "consent"})
    act("mcd.specialist", instances.complete_task, task_of(act, "mcd.specialist", iid, "Task_Publish").id, PUBLISH)


def test_the_yearly_review_reminds_the_head_once_with_the_pages(act, factory, services, frozen):
    _publish(act, requested(act))
    assert flag_reviews(factory, services) == 0  # published today: nothing to review yet
    frozen.move_to(datetime(2027, 12, 2, 5, 0, tzinfo=UTC))
    assert flag_reviews(factory, services) == 1
    assert flag_reviews(factory, services) == 0  # once a year
    (note,) = notes(factory, "unit.head", "website_review_due")
    assert note.params["process"] == KEY and note.params["unit"] == "FE-IS"
    (flag,) = events(factory, "website_review_flagged")
    assert flag.clause == "§9.6" and flag.data == {"unit": "FE-IS", "pages": [PAGE], "told": "unit.head"}
    # the notice leads to a new request pre-filled with the unit's pages
    values = act("unit.head", lambda c: instances.kind_of(KEY).start_prefill(c, {"review": "1"}))
    assert values["pages"] == [{"address": PAGE}] and values["section"] == "main.faculties"
    frozen.move_to(datetime(2028, 12, 3, 5, 0, tzinfo=UTC))
    assert flag_reviews(factory, services) == 1  # a year later, again
    with factory() as s:
        assert s.execute(select(func.count()).select_from(WebsiteReview)).scalar_one() == 2


def test_the_demo_requests_are_seeded_once(act, factory):
    from processes.website_change.kind import KIND

    assert act(None, KIND.seed_demo) == "website changes: 2 (one published, one awaiting the vice-rector's consent)"
    assert act(None, KIND.seed_demo) is None
    with factory() as s:
        assert sorted(r.status for r in s.execute(select(WebsiteChange)).scalars()) == ["published", "requested"]
        assert s.execute(select(func.count()).select_from(WebsitePage)).scalar_one() == 1
