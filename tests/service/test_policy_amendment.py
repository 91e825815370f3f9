"""Policy amendment (§14) through the use cases on a real database: editions, history, conflicts."""
from __future__ import annotations

import io
import threading
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import func, select

import processes.policy_amendment.kind  # noqa: F401 - registers the process kind
from processes.policy_amendment import policy
from processes.usecases import files, instances, queries
from processes.usecases.errors import Conflict, Forbidden, Invalid, NotFound
from storage import audit
from storage.models import AuditEvent, Document, Instance, PolicyEdition, PolicyProposal, ProcessStartRole
from tests import samples

KEY = "policy_amendment"
NOW = datetime(2026, 11, 20, 5, 0, tzinfo=UTC)  # Friday 20 Nov 2026, 10:00 in Almaty
TODAY = date(2026, 11, 20)
NEW_7_10_2 = ("МКБ шұғыл сұрау салуларына жауап 2 сағат ішінде беріледі; ағымдағы сұрау салуға жауап "
              "күнтізбелік 3 күн ішінде жіберілуі тиіс.")


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def propose(act, user="amd.head", changes=None, rationale="Жедел жауап мерзімін қысқарту") -> int:
    iid = act(user, instances.start_instance, KEY).id
    task = act(user, lambda c: instances.ready_tasks(c, c.session.get(Instance, iid))[0])
    act(user, instances.complete_task, task.id,
        {"changes": changes or [{"clause": "7.10.2", "text": NEW_7_10_2}], "rationale": rationale})
    return iid


def task_of(act, user, iid):
    rows = [t for t in act(user, queries.inbox) if t.instance_id == iid]
    assert len(rows) == 1, [(t.name, t.role) for t in rows]
    return rows[0]


def complete(act, user, iid, data):
    return act(user, instances.complete_task, task_of(act, user, iid).id, data)


def minutes(act, iid, user="council.secretary"):
    return act(user, files.upload, iid, "minutes.pdf", io.BytesIO(samples.pdf("minutes"))).id


def adopt(act, iid):
    complete(act, "council.secretary", iid, {
        "council_required": True, "meeting_date": TODAY.isoformat(), "council_decision": "adopted",
        "votes_for": 31, "votes_against": 2, "votes_abstained": 1, "minutes_file_id": minutes(act, iid)})


def through_to_rector(act, iid, consolidated=None):
    data = {"decision": "consolidate"}
    if consolidated is not None:
        data["changes"] = consolidated
    complete(act, "mcd.head", iid, data)
    adopt(act, iid)


def approve(act, iid, effective=TODAY):
    complete(act, "rector", iid, {"decision": "approve", "effective_date": effective.isoformat()})


def edition_texts(act, number=None) -> dict[str, str]:
    def get(c):
        ed = policy.edition(c, number) if number else policy.current_edition(c)
        return policy.texts_of(c, ed)
    return act(None, get)


def outcome(factory, iid):
    with factory() as s:
        inst = s.get(Instance, iid)
        return inst.status, inst.outcome


def test_edition_one_is_the_source_text(act):
    texts = edition_texts(act, 1)
    assert len(texts) == 88
    assert texts["14.4"].startswith("Осы Саясатқа өзгерістер енгізу туралы ұсыныстарды университет ректоры")
    assert act(None, lambda c: policy.current_edition(c).number) == 1
    assert act(None, policy.import_policy) is None  # once only


def test_full_path_makes_edition_two_as_an_addition(act, factory):
    iid = propose(act)
    assert task_of(act, "mcd.head", iid).name == "Task_Review"
    through_to_rector(act, iid)
    approve(act, iid, TODAY + timedelta(days=10))
    assert outcome(factory, iid) == ("completed", "approved")
    new = edition_texts(act)
    old = edition_texts(act, 1)
    assert new["7.10.2"] == NEW_7_10_2 and old["7.10.2"] != NEW_7_10_2
    assert {k: v for k, v in new.items() if k != "7.10.2"} == {k: v for k, v in old.items() if k != "7.10.2"}
    with factory() as s:
        ed = s.execute(select(PolicyEdition).where(PolicyEdition.number == 2)).scalar_one()
        assert (ed.base_number, ed.instance_id, ed.effective_from) == (1, iid, TODAY + timedelta(days=10))
        docs = {d.kind: d for d in s.execute(select(Document).where(Document.instance_id == iid)).scalars()}
        assert set(docs) == {"policy_addition", "policy_edition"}
        addition = docs["policy_addition"].public
        assert addition["changes"] == [{"number": "7.10.2", "kind": "changed", "before": old["7.10.2"],
                                        "after": NEW_7_10_2}]
        assert addition["council"]["votes_for"] == 31
        assert [x["role"] for x in addition["signatories"]] == ["proposer", "mcd", "council_secretary", "rector"]
        assert docs["policy_edition"].public["additions"][0]["reg_number"] == docs["policy_addition"].reg_number
        created = s.execute(select(AuditEvent).where(AuditEvent.action == "policy_edition_created")).scalar_one()
        assert (created.instance_id, created.clause, created.data["edition"]) == (iid, "§14.3", 2)
        assert created.data["changes"] == [{"clause": "7.10.2", "kind": "changed"}]
        assert audit.verify(s).ok
    history = act(None, policy.clause_history, "7.10.2")
    assert [(h.edition, h.change, h.instance_id) for h in history] == [(1, None, None), (2, "changed", iid)]
    assert history[1].proposer.username == "amd.head" and history[0].proposer is None
    assert ("insert", "2 сағат") in [(op, t.strip()) for op, t in history[1].segments]


def test_only_the_proposers_of_section_14_4_may_start(act, factory):
    for user in ("employee", "unit.head", "registry", "council.secretary", "auditor", "dean.engineering"):
        with pytest.raises(Forbidden):
            act(user, instances.start_instance, KEY)
    for user in ("rector", "vr.finance", "amd.head", "mcd.head", "mcd.specialist"):
        assert act(user, instances.start_instance, KEY).id
    with factory() as s, s.begin():  # the administrator names others (§14.4 "and others")
        s.add(ProcessStartRole(process_key=KEY, role="dean", created_by="admin", created_at=NOW))
    assert act("dean.engineering", instances.start_instance, KEY).id


@pytest.mark.parametrize("changes, field", [
    ([], "changes"),
    ([{"clause": "7.10.2", "text": "x"}, {"clause": "7.10.2", "text": "y"}], "changes.1.clause"),
    ([{"clause": "99.1", "text": "new section"}], "changes.0.clause"),
    ([{"clause": "7.99.1", "text": "under a missing clause"}], "changes.0.clause"),
    ([{"clause": "7.10.9", "text": ""}], "changes.0.clause"),  # removing a clause that does not exist
    ([{"clause": "7.", "text": "x"}], "changes.0.clause"),
])
def test_bad_proposals_are_refused(act, factory, changes, field):
    iid = act("amd.head", instances.start_instance, KEY).id
    task = act("amd.head", lambda c: instances.ready_tasks(c, c.session.get(Instance, iid))[0])
    with pytest.raises(Invalid) as caught:
        act("amd.head", instances.complete_task, task.id, {"changes": changes, "rationale": "r"})
    assert field in caught.value.errors, caught.value.errors
    with factory() as s:
        assert s.execute(select(func.count()).select_from(PolicyProposal)).scalar_one() == 0


def test_unchanged_text_is_not_a_change(act):
    same = edition_texts(act)["7.10.2"]
    iid = act("amd.head", instances.start_instance, KEY).id
    task = act("amd.head", lambda c: instances.ready_tasks(c, c.session.get(Instance, iid))[0])
    with pytest.raises(Invalid) as caught:
        act("amd.head", instances.complete_task, task.id,
            {"changes": [{"clause": "7.10.2", "text": f"  {same}\r\n"}], "rationale": "r"})
    assert "changes.0.text" in caught.value.errors


def test_add_and_remove_clauses(act):
    iid = propose(act, changes=[{"clause": "7.10.5", "text": "Жаңа тармақ."}, {"clause": "3.1.6", "text": ""},
                                {"clause": "7.10.5.1", "text": "Жаңа тармақшаның тармақшасы."}])
    through_to_rector(act, iid)
    approve(act, iid)
    texts = edition_texts(act)
    assert texts["7.10.5"] == "Жаңа тармақ." and "3.1.6" not in texts and "7.10.5.1" in texts
    numbers = list(texts)
    assert numbers.index("7.10.5") == numbers.index("7.10.4") + 1
    kinds = {h.change for h in act(None, policy.clause_history, "3.1.6")}
    assert kinds == {None, "removed"}


def test_mcd_consolidates_keeping_the_proposers_version(act, factory):
    iid = propose(act)
    consolidated = [{"clause": "7.10.2", "text": NEW_7_10_2 + " (МКБ редакциясы)"}]
    complete(act, "mcd.head", iid, {"decision": "consolidate", "changes": consolidated})
    with factory() as s:
        row = s.execute(select(PolicyProposal).where(PolicyProposal.instance_id == iid)).scalar_one()
        assert row.proposed == [{"clause": "7.10.2", "text": NEW_7_10_2}]
        assert row.changes == consolidated


def test_revise_and_reject(act, factory):
    iid = propose(act)
    with pytest.raises(Invalid):
        complete(act, "mcd.head", iid, {"decision": "revise"})  # a comment is required
    complete(act, "mcd.head", iid, {"decision": "revise", "comment": "Нақтылаңыз"})
    revise = task_of(act, "amd.head", iid)
    assert revise.name == "Task_Revise"
    assert act("amd.head", instances.prefill, revise)["changes"] == [{"clause": "7.10.2", "text": NEW_7_10_2}]
    complete(act, "amd.head", iid, {"changes": [{"clause": "7.10.2", "text": NEW_7_10_2 + " v2"}],
                                    "rationale": "Екінші нұсқа"})
    complete(act, "mcd.head", iid, {"decision": "reject", "comment": "Қажет емес"})
    assert outcome(factory, iid) == ("completed", "rejected")
    assert act(None, lambda c: policy.current_edition(c).number) == 1


def test_council_not_adopted_ends_it(act, factory):
    iid = propose(act)
    complete(act, "mcd.head", iid, {"decision": "consolidate"})
    fid = minutes(act, iid)
    with pytest.raises(Invalid) as caught:  # adopted with more votes against
        complete(act, "council.secretary", iid, {
            "council_required": True, "meeting_date": TODAY.isoformat(), "council_decision": "adopted",
            "votes_for": 3, "votes_against": 20, "votes_abstained": 0, "minutes_file_id": fid})
    assert "council_decision" in caught.value.errors
    with pytest.raises(Invalid) as caught:
        complete(act, "council.secretary", iid, {
            "council_required": True, "meeting_date": (TODAY + timedelta(days=3)).isoformat(),
            "council_decision": "not_adopted", "votes_for": 3, "votes_against": 20, "votes_abstained": 0,
            "minutes_file_id": fid})
    assert "meeting_date" in caught.value.errors
    with pytest.raises(Invalid) as caught:
        complete(act, "council.secretary", iid, {"council_required": True})
    assert {"meeting_date", "votes_for", "minutes_file_id"} <= set(caught.value.errors)
    complete(act, "council.secretary", iid, {
        "council_required": True, "meeting_date": TODAY.isoformat(), "council_decision": "not_adopted",
        "votes_for": 3, "votes_against": 20, "votes_abstained": 0, "minutes_file_id": fid})
    assert outcome(factory, iid) == ("completed", "not_adopted")


def test_council_not_required_goes_to_the_rector_but_not_for_the_rectors_own(act, factory):
    iid = propose(act)
    complete(act, "mcd.head", iid, {"decision": "consolidate"})
    complete(act, "council.secretary", iid, {"council_required": False})
    assert task_of(act, "rector", iid).name == "Task_Approve"
    own = propose(act, user="rector")
    complete(act, "mcd.head", own, {"decision": "consolidate"})
    with pytest.raises(Invalid) as caught:
        complete(act, "council.secretary", own, {"council_required": False})
    assert "council_required" in caught.value.errors


def test_effective_date_not_before_approval(act, factory):
    iid = propose(act)
    through_to_rector(act, iid)
    with pytest.raises(Invalid) as caught:
        approve(act, iid, TODAY - timedelta(days=1))
    assert "effective_date" in caught.value.errors
    assert act(None, lambda c: policy.current_edition(c).number) == 1
    approve(act, iid, TODAY)
    assert act(None, lambda c: policy.current_edition(c).number) == 2


def test_stale_base_in_the_same_clause_is_refused_until_mcd_consolidates_again(act, factory):
    first, second = propose(act), propose(act, user="mcd.specialist",
                                          changes=[{"clause": "7.10.2", "text": NEW_7_10_2 + " Екінші."}])
    through_to_rector(act, first)
    through_to_rector(act, second)
    approve(act, first)
    with pytest.raises(Conflict):  # edition 2 changed 7.10.2 since the second proposal's base
        approve(act, second)
    assert act(None, lambda c: policy.current_edition(c).number) == 2
    complete(act, "rector", second, {"decision": "return", "comment": "Жаңа редакцияға сәйкестендіріңіз"})
    with pytest.raises(Invalid):  # consolidating without the text is refused: 7.10.2 changed meanwhile
        complete(act, "mcd.head", second, {"decision": "consolidate"})
    complete(act, "mcd.head", second, {"decision": "consolidate",
                                       "changes": [{"clause": "7.10.2", "text": NEW_7_10_2 + " Үшінші."}]})
    adopt(act, second)
    approve(act, second)
    assert edition_texts(act)["7.10.2"] == NEW_7_10_2 + " Үшінші."
    with factory() as s:
        assert s.execute(select(PolicyEdition.base_number).where(PolicyEdition.number == 3)).scalar_one() == 2


def test_other_clauses_changed_meanwhile_are_merged_without_overwriting(act, factory):
    first = propose(act)
    second = propose(act, changes=[{"clause": "14.2", "text": "Саясат жыл сайын қайта қаралады."}])
    through_to_rector(act, first)
    through_to_rector(act, second)
    approve(act, first)
    approve(act, second)  # based on edition 1, but 14.2 did not change in edition 2
    texts = edition_texts(act)
    assert texts["7.10.2"] == NEW_7_10_2 and texts["14.2"] == "Саясат жыл сайын қайта қаралады."
    with factory() as s:
        acts = s.execute(select(AuditEvent.action).where(AuditEvent.instance_id == second)).scalars().all()
    assert "proposal_rebased" in acts


def test_reviewer_is_warned_of_open_proposals_on_the_same_clause(act):
    first = propose(act)
    second = propose(act, user="vr.academic", changes=[{"clause": "7.10.2", "text": "Басқа мәтін."},
                                                       {"clause": "1.4", "text": "Барлық бөлімшелерге."}])
    third = propose(act, user="rector", changes=[{"clause": "1.4", "text": "Университетке."}])
    details = act("mcd.head", lambda c: processes.policy_amendment.kind.PolicyAmendment().details(
        c, c.session.get(Instance, second)))
    assert [(i.id, nums) for i, nums in details["conflicts"]] == [(first, ["7.10.2"]), (third, ["1.4"])]
    assert [c.number for c in details["diff"]] == ["1.4", "7.10.2"]


def test_concurrent_approvals_make_one_edition(act, factory):
    """Two proposals on one clause approved at the same moment: one edition 2, the other 409."""
    ids = [propose(act), propose(act, user="mcd.specialist", changes=[{"clause": "7.10.2", "text": "Басқа."}])]
    for iid in ids:
        through_to_rector(act, iid)
    tasks = [task_of(act, "rector", iid) for iid in ids]
    barrier, results = threading.Barrier(2), []

    def run(task):
        barrier.wait()
        try:
            act("rector", instances.complete_task, task.id,
                {"decision": "approve", "effective_date": TODAY.isoformat()})
            results.append("ok")
        except Conflict:
            results.append("conflict")

    threads = [threading.Thread(target=run, args=(t,)) for t in tasks]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["conflict", "ok"]
    with factory() as s:
        assert s.execute(select(func.max(PolicyEdition.number))).scalar_one() == 2
        assert audit.verify(s).ok


def test_unknown_clause_history_and_edition(act):
    with pytest.raises(NotFound):
        act(None, policy.clause_history, "99.9")
    with pytest.raises(NotFound):
        act(None, policy.clause_history, "DROP TABLE")
    with pytest.raises(NotFound):
        act(None, policy.edition, 7)


def test_search_finds_kazakh_words_case_insensitively(act):
    hits = act(None, lambda c: [x.number for x in policy.search(c, policy.current_edition(c), "ЖАЗБАША")])
    assert "11.4" in hits


def test_an_edition_comes_into_force_on_its_effective_date(act):
    iid = propose(act)
    through_to_rector(act, iid)
    approve(act, iid, TODAY + timedelta(days=10))

    def in_force(day):
        return act(None, lambda c: policy.in_force(c, day).number)

    assert act(None, lambda c: policy.current_edition(c).number) == 2  # amendments go against the newest
    assert in_force(TODAY) == 1 and in_force(TODAY + timedelta(days=9)) == 1
    assert in_force(TODAY + timedelta(days=10)) == 2
