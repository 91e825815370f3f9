"""Plans and regulations the rector approves (§7.1) through the use cases on a real database: versions in force and
superseded, the return loop, every refusal of a bad draft, the comparison item by item, linked cases and MCD's
marks deciding which items happened."""
from __future__ import annotations

import io
from datetime import UTC, date, datetime

import pytest
import time_machine
from sqlalchemy import select

from processes.plan_approval import plans
from processes.usecases import files, instances, queries
from processes.usecases.errors import Conflict, Forbidden, Invalid
from storage.models import AuditEvent, Instance, MediaInquiry, Notification, PlanItemMark, PlanVersion, User
from tests import samples

KEY = "plan_approval"
NOW = datetime(2027, 2, 15, 5, 0, tzinfo=UTC)  # Monday 15 Feb 2027, 10:00 in Almaty


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def item(occasion, month=None, day=None, channel="website", unit="MCD", **links):
    row = {"occasion": occasion, "channel": channel, "unit": unit, **links}
    if month:
        row["month"] = month
    if day:
        row["date"] = day
    return row


def plan(items, title="PR plan, first half of 2027", start="2027-01-01", end="2027-06-30"):
    return {"kind": "pr_plan", "title": title, "period_start": start, "period_end": end, "items": items}


ITEMS = [item("Open day", month="2027-03"), item("Graduation", day="2027-06-20", channel="tv", unit="FE"),
         item("New year greetings", day="2027-01-05", channel="social")]


def task_of(act, user, iid):
    rows = [t for t in act(user, queries.inbox) if t.instance_id == iid]
    assert len(rows) == 1, [(t.name, t.role) for t in rows]
    return rows[0]


def complete(act, user, iid, data, **kw):
    return act(user, instances.complete_task, task_of(act, user, iid).id, data, **kw)


def draft(act, data, user="mcd.specialist") -> int:
    iid = act(user, instances.start_instance, KEY).id
    complete(act, user, iid, data)
    return iid


def approve(act, iid):
    return complete(act, "rector", iid, {"decision": "approve"}, confirmed=True)


def versions(factory, kind="pr_plan"):
    with factory() as s:
        return [(v.number, v.superseded_at is None, v.instance_id)
                for v in s.execute(select(PlanVersion).where(PlanVersion.kind == kind).order_by(PlanVersion.number))
                .scalars()]


def test_an_approved_plan_is_in_force_and_the_next_supersedes_it(act, factory):
    first = draft(act, plan(ITEMS))
    with factory() as s:
        assert s.get(Instance, first).title == "PR plan, first half of 2027"
    approve(act, first)
    assert versions(factory) == [(1, True, first)]
    second = draft(act, plan([ITEMS[0], item("Graduation", day="2027-06-25", channel="tv", unit="FE"),
                              item("Science week", month="2027-04", channel="press")], title="PR plan v2"))
    approve(act, second)
    assert versions(factory) == [(1, False, first), (2, True, second)]
    with factory() as s:
        v1, v2 = s.execute(select(PlanVersion).order_by(PlanVersion.number)).scalars().all()
        assert v1.superseded_by_id == v2.id and v2.drafted_by.username == "mcd.specialist"
        assert v2.approved_by.username == "rector" and v2.approved_at == NOW
        assert [i["occasion"] for i in v2.items] == ["Open day", "Science week", "Graduation"]
        made = s.execute(select(AuditEvent).where(AuditEvent.action == "plan_version_approved",
                                                  AuditEvent.instance_id == second)).scalar_one()
        assert made.clause == "§7.1" and made.data["version"] == 2 and made.data["supersedes"] == 1
        done = s.execute(select(AuditEvent).where(AuditEvent.action == "task_completed",
                                                  AuditEvent.instance_id == second)).scalars().all()
        assert {e.clause for e in done} == {"§7.1"}
        cmp = plans.compare(v1, v2)
    assert [i["occasion"] for i in cmp["added"]] == ["Science week"]
    assert [i["occasion"] for i in cmp["removed"]] == ["New year greetings"]
    assert [(c["item"]["occasion"], c["fields"]) for c in cmp["changed"]] == [("Graduation", ["date"])]
    assert cmp["unchanged"] == 1 and cmp["period"] is None


def test_items_are_sorted_by_month_and_keyed_by_their_wording(act, factory):
    approve(act, draft(act, plan(ITEMS)))
    with factory() as s:
        v = s.execute(select(PlanVersion)).scalar_one()
        assert [(i["occasion"], i["month"]) for i in v.items] == [
            ("New year greetings", "2027-01"), ("Open day", "2027-03"), ("Graduation", "2027-06")]
        assert v.items[1]["key"] == plans.item_key("  open   DAY ")


def test_return_loops_back_to_mcd_with_the_comment(act, factory):
    iid = draft(act, plan(ITEMS))
    complete(act, "rector", iid, {"decision": "return", "comment": "Add the science week"})
    task = task_of(act, "mcd.specialist", iid)
    assert task.name == "Task_Draft"
    prefill = act("mcd.specialist", lambda c: instances_prefill(c, iid, task))
    assert prefill["title"] == "PR plan, first half of 2027" and len(prefill["items"]) == 3
    with factory() as s:
        told = s.execute(select(Notification).where(Notification.kind == "revision_requested")).scalars().all()
        mcd = s.execute(select(User).where(User.username == "mcd.specialist")).scalar_one()
        assert [n.user_id for n in told] == [mcd.id]
    complete(act, "mcd.specialist", iid, plan([*ITEMS, item("Science week", month="2027-04")]))
    approve(act, iid)
    with factory() as s:
        assert len(s.execute(select(PlanVersion)).scalar_one().items) == 4
        assert s.get(Instance, iid).outcome == "approved"


def instances_prefill(c, iid, task):
    from processes.plan_approval.kind import KIND

    return KIND.prefill(c, c.session.get(Instance, iid), task)


def test_a_rejection_makes_no_version(act, factory):
    iid = draft(act, plan(ITEMS))
    complete(act, "rector", iid, {"decision": "reject", "comment": "Not now"}, confirmed=True)
    assert versions(factory) == []
    with factory() as s:
        assert s.get(Instance, iid).outcome == "rejected"


def test_a_second_decision_on_a_decided_task_is_a_conflict(act, factory):
    iid = draft(act, plan(ITEMS))
    task = task_of(act, "rector", iid)
    act("rector", instances.complete_task, task.id, {"decision": "approve"}, confirmed=True)
    with pytest.raises(Conflict):
        act("rector", instances.complete_task, task.id, {"decision": "reject", "comment": "x"}, confirmed=True)
    assert versions(factory) == [(1, True, iid)]


@pytest.mark.parametrize(("data", "field"), [
    (plan([]), "items"),
    (plan(ITEMS, start="2027-06-30", end="2027-01-01"), "period_end"),
    ({**plan(ITEMS), "period_start": None}, "period_start"),
    (plan([item("Open day", day="2027-07-01")]), "items.0.date"),
    (plan([item("Open day", month="2026-12")]), "items.0.month"),
    (plan([item("Open day")]), "items.0.date"),
    (plan([item("Open day", month="2027-03", unit="NOPE")]), "items.0.unit"),
    (plan([item("Open day", month="2027-03"), item("open  day", month="2027-04")]), "items.1.occasion"),
    (plan([item("Open day", month="2027-03", media_inquiry=999999)]), "items.0.media_inquiry"),
    (plan([item("Open day", month="2027-03", event_notice=999999)]), "items.0.event_notice"),
    ({"kind": "website_regulation", "title": "Regulation", "text": "  "}, "text"),
    ({"kind": "website_regulation", "title": "Regulation", "text": "Text"}, "file_ids"),
])
def test_a_bad_draft_is_refused_with_nothing_changed(act, factory, data, field):
    iid = act("mcd.specialist", instances.start_instance, KEY).id
    with pytest.raises(Invalid) as refused:
        complete(act, "mcd.specialist", iid, data)
    assert field in refused.value.errors
    assert task_of(act, "mcd.specialist", iid).name == "Task_Draft"


def test_the_rector_cannot_be_the_drafter_and_others_cannot_draft(act, factory):
    with pytest.raises(Forbidden):
        act("employee", instances.start_instance, KEY)
    with pytest.raises(Forbidden):
        act("rector", instances.start_instance, KEY)


def test_a_regulation_keeps_its_text_and_file_and_is_compared_word_by_word(act, factory):
    reg = {"kind": "website_regulation", "title": "Website regulation"}
    iid = act("mcd.head", instances.start_instance, KEY).id
    fid = act("mcd.head", files.upload, iid, "regulation.pdf", io.BytesIO(samples.pdf("regulation"))).id
    complete(act, "mcd.head", iid, {**reg, "text": "The site is kept in three languages.", "file_ids": [fid],
                                    "items": [item("ignored", month="2027-01")]})
    approve(act, iid)
    iid2 = act("mcd.specialist", instances.start_instance, KEY).id
    with pytest.raises(Invalid) as refused:  # another case's file is not this draft's
        complete(act, "mcd.specialist", iid2, {**reg, "text": "x", "file_ids": [fid]})
    assert "file_ids" in refused.value.errors
    fid2 = act("mcd.specialist", files.upload, iid2, "regulation-2.pdf", io.BytesIO(samples.pdf("v2"))).id
    complete(act, "mcd.specialist", iid2, {**reg, "text": "The site is kept in Kazakh, Russian and English.",
                                           "file_ids": [fid2]})
    approve(act, iid2)
    assert versions(factory, "website_regulation") == [(1, False, iid), (2, True, iid2)]
    with factory() as s:
        v1, v2 = s.execute(select(PlanVersion).order_by(PlanVersion.number)).scalars().all()
        assert v1.items == [] and v1.file_ids == [fid] and v2.file_ids == [fid2]
        cmp = plans.compare(v1, v2)
    assert ("delete", "three languages") in cmp["text"] and ("insert", "Kazakh, Russian and English") in cmp["text"]


def test_a_file_whose_bytes_do_not_match_its_extension_is_refused(act):
    iid = act("mcd.specialist", instances.start_instance, KEY).id
    with pytest.raises(Invalid):
        act("mcd.specialist", files.upload, iid, "regulation.pdf", io.BytesIO(samples.png("not a pdf")))


def _inquiry(act, factory, outcome):
    """A media inquiry instance in the register, completed with `outcome` (made directly: its own flow is tested
    in tests/service/test_media_inquiry.py)."""
    with factory.begin() as s:
        mcd = s.execute(select(User).where(User.username == "mcd.specialist")).scalar_one()
        inst = Instance(process_key="media_inquiry", definition_id=_definition(s), title="Inquiry",
                        started_by_id=mcd.id, status="completed", outcome=outcome, completed_at=NOW)
        s.add(inst)
        s.flush()
        s.add(MediaInquiry(instance_id=inst.id, reg_number=f"MI-2027-{inst.id:05d}", outlet="Egemen",
                           journalist="A", contact="a@example.kz", subject="Open day", questions=["?"],
                           registered_at=NOW))
        return inst.id


def _definition(s):
    from storage.models import ProcessDefinition

    return s.execute(select(ProcessDefinition.id).where(ProcessDefinition.key == "media_inquiry")).scalars().first()


def test_which_items_happened(act, factory):
    released = _inquiry(act, factory, "released")
    approve(act, draft(act, plan([item("Open day", month="2027-03", media_inquiry=released),
                                  item("New year greetings", day="2027-01-05"),
                                  item("Rector's interview", day="2027-02-01"),
                                  item("Graduation", day="2027-06-20")])))

    def states(c):
        return {s.item["occasion"]: (s.status, s.how) for s in plans.states(c, plans.in_force(c.session, "pr_plan"))}

    assert act("auditor", states) == {"Open day": ("done", "media_inquiry"), "New year greetings": ("missed", None),
                                      "Rector's interview": ("missed", None), "Graduation": ("planned", None)}
    key = plans.item_key("New year greetings")
    with pytest.raises(Invalid):  # not in the future
        act("mcd.specialist", plans.mark_done, "pr_plan", 1, key, {"done_on": "2027-03-01"})
    with pytest.raises(Forbidden):
        act("rector", plans.mark_done, "pr_plan", 1, key, {"done_on": "2027-01-05"})
    act("mcd.specialist", plans.mark_done, "pr_plan", 1, key, {"done_on": "2027-01-05", "note": "Instagram"})
    assert act("auditor", states)["New year greetings"] == ("done", "mark")
    with factory() as s:
        entry = s.execute(select(AuditEvent).where(AuditEvent.action == "plan_item_marked_done")).scalar_one()
        assert entry.clause == "§7.1" and entry.data["done_on"] == "2027-01-05"
    # a new version carries the mark to the same occasion (the old mark is kept)
    approve(act, draft(act, plan([item("New year greetings", day="2027-01-06"), item("Graduation", month="2027-06")])))
    assert act("auditor", states) == {"New year greetings": ("done", "mark"), "Graduation": ("planned", None)}
    with factory() as s:
        assert len(s.execute(select(PlanItemMark)).scalars().all()) == 2


def test_only_mcd_management_and_auditors_read_the_plans(act):
    approve(act, draft(act, plan(ITEMS)))
    for user in ("mcd.specialist", "mcd.head", "rector", "vr.finance", "auditor"):
        assert act(user, plans.version, "pr_plan", 1).number == 1
    for user in ("employee", "unit.head", "dean.engineering", "registry"):
        with pytest.raises(Forbidden):
            act(user, plans.version, "pr_plan", 1)


def test_a_new_draft_starts_from_the_version_in_force(act):
    from processes.plan_approval.kind import KIND

    assert act("mcd.specialist", KIND.start_prefill, {"kind": "pr_plan"}) == {"kind": "pr_plan"}
    approve(act, draft(act, plan(ITEMS)))
    pre = act("mcd.specialist", KIND.start_prefill, {"kind": "pr_plan"})
    assert pre["period_end"] == "2027-06-30" and [i["occasion"] for i in pre["items"]][0] == "New year greetings"
    assert "key" not in pre["items"][0]
    assert date.fromisoformat(pre["period_start"]) == date(2027, 1, 1)


def test_the_demo_plan_is_seeded_once(act, factory):
    from processes.plan_approval.kind import KIND

    assert act(None, KIND.seed_demo) == "PR plan: version 1 with 5 items"
    assert act(None, KIND.seed_demo) is None
    with factory() as s:
        v = s.execute(select(PlanVersion)).scalar_one()
        assert (v.number, v.approved_by.username, v.period_start, v.period_end) == (
            1, "rector", date(2027, 1, 1), date(2027, 6, 30))
    assert {s.status for s in act("auditor", lambda c: plans.states(c, plans.in_force(c.session, "pr_plan")))} >= {
        "missed", "planned"}
