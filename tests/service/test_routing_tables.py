"""Routing tables as data (issue 12, point 3): versions shipped and saved, validation of an edit, new
instances route by the new version while running ones keep theirs, every change audited, and the
"who would approve" explanation."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from processes import decisions
from processes.university_time import today_local
from processes.usecases import absences, deploy, routing_tables
from processes.usecases.errors import Conflict, Forbidden, Invalid, NotFound
from storage.models import AuditEvent, DecisionVersion, InboxTask, Instance, ProcessDefinition, User, utcnow
from tests.service.helpers import start_and_submit

SPEECH = "approver_routing"
MATERIAL = "management_routing"


def rules_of(act, decision=SPEECH):
    row = act("admin", routing_tables.current, decision)
    return [{"id": r.id, "inputs": list(r.inputs), "output": routing_tables.role_of(r)}
            for r in routing_tables.table(row).rules], row.version


def with_output(rules, rule_id, role):
    return [{**r, "output": role} if r["id"] == rule_id else r for r in rules]


def newest(session, decision=SPEECH):
    return session.execute(select(DecisionVersion).where(DecisionVersion.decision == decision)
                           .order_by(DecisionVersion.version.desc())).scalars().first()


def approver(factory, instance_id):
    with factory() as s:
        row = s.execute(select(InboxTask).where(InboxTask.instance_id == instance_id,
                                                InboxTask.name == "Task_Decide")).scalar_one()
        return s.get(User, row.assignee_id).username


def test_shipped_tables_are_version_one_and_deployments_record_them(act, factory):
    rows = act("admin", routing_tables.overview)
    assert {o.spec.decision for o in rows} == {SPEECH, MATERIAL, "website_consent_routing"}
    for o in rows:
        assert o.current.version == 1 and o.current.source == "file" and o.current.created_by is None
        assert o.current.checksum == decisions.checksum(o.current.content.encode())
    with factory() as s:
        speech = deploy.current(s, "speech_clearance")
        assert speech.decisions == {SPEECH: 1}
        assert deploy.current(s, "information_request").decisions is None  # it has no decision table


def test_deploying_again_adds_no_version(act, factory, services):
    act(None, lambda c: deploy.deploy(c.session, c.services.engine))
    act(None, lambda c: deploy.deploy(c.session, c.services.engine))
    with factory() as s:
        assert newest(s).version == 1
        assert len(s.execute(select(ProcessDefinition).where(ProcessDefinition.key == "speech_clearance"))
                   .scalars().all()) == 1


def test_edit_routes_new_instances_and_running_ones_keep_theirs(act, factory):
    old = start_and_submit(act, categories=["finance"])
    assert approver(factory, old) == "vr.finance"
    rules, version = rules_of(act)
    row = act("admin", routing_tables.save, SPEECH, with_output(rules, "Rule_Finance", "rector"),
              "The vice-rector for finance is on long leave", version)
    assert (row.version, row.source, row.created_by) == (2, "admin", "admin")
    assert row.reason == "The vice-rector for finance is on long leave"
    new = start_and_submit(act, categories=["finance"])
    assert approver(factory, new) == "rector"
    assert approver(factory, old) == "vr.finance"  # started before: keeps its routing
    with factory() as s:
        old_def = s.get(Instance, old).definition
        new_def = s.get(Instance, new).definition
        assert old_def.decisions == {SPEECH: 1} and new_def.decisions == {SPEECH: 2}
        assert new_def.version == old_def.version + 1
        # the stored table is a valid DMN document that names the rector for finance
        stored = routing_tables.table(s.get(DecisionVersion, row.id))
        assert routing_tables.role_of(next(r for r in stored.rules if r.id == "Rule_Finance")) == "rector"
        ev = s.execute(select(AuditEvent).where(AuditEvent.action == "routing_changed")).scalar_one()
        assert ev.actor == "admin" and ev.comment == row.reason and ev.object == f"decision:{SPEECH}"
        before = {r["id"]: r["output"] for r in ev.data["before"]["rules"]}
        after = {r["id"]: r["output"] for r in ev.data["after"]["rules"]}
        assert before["Rule_Finance"] == '"vice_rector:finance"' and after["Rule_Finance"] == '"rector"'
        assert ev.data["checksum"] == row.checksum and ev.data["version"] == 2


def test_going_back_to_an_earlier_table_is_a_new_version(act, factory):
    rules, version = rules_of(act)
    act("admin", routing_tables.save, SPEECH, with_output(rules, "Rule_Finance", "rector"), "leave", version)
    act("admin", routing_tables.save, SPEECH, rules, "back", version + 1)
    with factory() as s:
        current = deploy.current(s, "speech_clearance")
        assert current.decisions == {SPEECH: 3} and current.version == 3
    assert approver(factory, start_and_submit(act, categories=["finance"])) == "vr.finance"


@pytest.mark.parametrize("change, field", [
    (lambda rules: rules[:1], "case.finance"),  # only the strategy rule: finance alone is decided by none
    (lambda rules: rules + [{"inputs": ["-", "True", "-"], "output": "rector"}], "case.finance"),  # two rules
    (lambda rules: with_output(rules, "Rule_Finance", "janitor"), "rules.2.output"),
    (lambda rules: [{**rules[0], "inputs": ["maybe", "-", "-"]}, *rules[1:]], "rules.1.Input_Strategy"),
    (lambda rules: [{**rules[0], "inputs": ["True"]}, *rules[1:]], "rules.1"),
    (lambda rules: [], "rules"),
    (lambda rules: "all to the rector", "rules"),
    (lambda rules: rules, "rules"),  # nothing changed
])
def test_invalid_edits_are_refused_and_nothing_is_stored(act, factory, change, field):
    rules, version = rules_of(act)
    with pytest.raises(Invalid) as err:
        act("admin", routing_tables.save, SPEECH, change(rules), "a reason", version)
    assert field in err.value.errors
    with factory() as s:
        assert newest(s).version == 1
        assert not s.execute(select(AuditEvent).where(AuditEvent.action == "routing_changed")).scalars().all()


def test_gap_message_names_the_situation(act):
    rules, version = rules_of(act)
    with pytest.raises(Invalid) as err:
        act("admin", routing_tables.save, SPEECH, rules[:1], "a reason", version)
    text = err.value.errors["case.finance"].render()
    assert "Financial and economic activity" in text and "No rule" in text


def test_a_reason_is_required_and_a_stale_version_conflicts(act):
    rules, version = rules_of(act)
    with pytest.raises(Invalid) as err:
        act("admin", routing_tables.save, SPEECH, with_output(rules, "Rule_Finance", "rector"), "  ", version)
    assert "reason" in err.value.errors
    act("admin", routing_tables.save, SPEECH, with_output(rules, "Rule_Finance", "rector"), "first", version)
    with pytest.raises(Conflict):
        act("admin", routing_tables.save, SPEECH, with_output(rules, "Rule_Finance", "mcd_head"), "second", version)


def test_only_administrators_change_and_auditors_read(act):
    rules, version = rules_of(act)
    for who in ("employee", "auditor", "rector"):
        with pytest.raises(Forbidden):
            act(who, routing_tables.save, SPEECH, with_output(rules, "Rule_Finance", "rector"), "x", version)
    assert act("auditor", routing_tables.history, SPEECH)[0].version == 1
    with pytest.raises(Forbidden):
        act("employee", routing_tables.history, SPEECH)
    with pytest.raises(NotFound):
        act("admin", routing_tables.history, "no_such_table")


def test_material_table_edit_with_a_new_rule(act, factory):
    rules, version = rules_of(act, MATERIAL)
    # youth material goes to the head of MCD through a new rule replacing the youth one
    rules = [r for r in rules if r["id"] != "Rule_Youth"] + [{"inputs": ['"youth"'], "output": "mcd_head"}]
    row = act("admin", routing_tables.save, MATERIAL, rules, "MCD handles youth media", version)
    stored = routing_tables.table(row)
    added = [r for r in stored.rules if r.id not in {x["id"] for x in rules if "id" in x}]
    assert len(added) == 1 and added[0].inputs == ('"youth"',) and routing_tables.role_of(added[0]) == "mcd_head"
    with factory() as s:
        assert deploy.current(s, "material_signoff").decisions == {MATERIAL: 2}


def test_explain_follows_the_table_the_holder_and_absences(act):
    found = act("employee", routing_tables.explain, SPEECH, "finance")
    assert found.role == "vice_rector:finance" and found.rule.id == "Rule_Finance" and found.rule_number == 2
    assert found.person.username == "vr.finance" and found.acting_for is None and found.version.version == 1
    today = today_local(utcnow())
    act("vr.finance", absences.record, None, today.isoformat(), (today + timedelta(days=2)).isoformat(),
        "vr.academic", [])
    found = act("employee", routing_tables.explain, SPEECH, "finance")
    assert found.holder.username == "vr.finance"
    assert found.person.username == "vr.academic" and found.acting_for.username == "vr.finance"
    found = act("employee", routing_tables.explain, SPEECH, "finance+strategy")
    assert found.role == "rector" and found.person.username == "rector"
    with pytest.raises(Invalid):
        act("employee", routing_tables.explain, SPEECH, "nonsense")


def test_explain_for_the_holder_themself_names_someone_else(act):
    found = act("vr.finance", routing_tables.explain, SPEECH, "finance")
    assert found.own_submission and found.person is not None and found.person.username != "vr.finance"


def test_a_changed_shipped_file_becomes_a_new_version(act, factory, services, tmp_path, monkeypatch):
    path = services.engine.files()["approver_routing.dmn"]
    changed = path.read_bytes().replace(b'<text>"mcd_head"</text>', b'<text>"rector"</text>')
    copy = tmp_path / "approver_routing.dmn"
    copy.write_bytes(changed)
    files = {**services.engine.files(), "approver_routing.dmn": copy}
    monkeypatch.setattr(services.engine, "files", lambda: files)
    act(None, lambda c: deploy.deploy(c.session, c.services.engine))
    with factory() as s:
        row = s.execute(select(DecisionVersion).where(DecisionVersion.decision == SPEECH)
                        .order_by(DecisionVersion.version.desc())).scalars().first()
        assert (row.version, row.source) == (2, "file") and row.content.encode() == changed
        assert deploy.current(s, "speech_clearance").decisions == {SPEECH: 2}
        assert s.execute(select(AuditEvent).where(AuditEvent.action == "routing_version_shipped")
                         .order_by(AuditEvent.seq.desc())).scalars().first().data["version"] == 2


def test_two_administrators_saving_at_once_one_wins(act, factory):
    import threading

    rules, version = rules_of(act)
    results = []
    barrier = threading.Barrier(2)

    def save(role):
        barrier.wait()
        try:
            results.append(act("admin", routing_tables.save, SPEECH, with_output(rules, "Rule_Finance", role),
                               f"to {role}", version).version)
        except Conflict:
            results.append("conflict")

    threads = [threading.Thread(target=save, args=(role,)) for role in ("rector", "mcd_head")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(map(str, results)) == ["2", "conflict"]
    with factory() as s:
        assert newest(s).version == 2


def test_a_changed_rule_carries_the_reason_in_the_document(act):
    rules, version = rules_of(act)
    row = act("admin", routing_tables.save, SPEECH, with_output(rules, "Rule_Finance", "rector"), "Order No. 7",
              version)
    by_id = {r.id: r for r in routing_tables.table(row).rules}
    assert by_id["Rule_Finance"].description == "Order No. 7"
    assert by_id["Rule_Strategy"].description.startswith("§8.6 business strategy")  # unchanged rules keep theirs
