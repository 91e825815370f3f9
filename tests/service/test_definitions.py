"""Process definitions are versioned; running instances stay on the version they started with."""
from __future__ import annotations

import shutil

from sqlalchemy import func, select

from processes.engine import ProcessEngine
from processes.usecases import deploy, instances
from processes.usecases.context import Services
from storage.db import transaction
from storage.models import Instance, InstanceState, ProcessDefinition
from tests.service.helpers import load, my_task, start_and_submit


def test_new_version_on_change_and_old_instances_keep_theirs(act, factory, services, engine_dir, tmp_path):
    iid = start_and_submit(act)
    with transaction(factory) as s:
        assert [d.version for d in deploy.deploy(s, services.engine) if d.key == "speech_clearance"] == [1]
    changed = tmp_path / "processes"
    shutil.copytree(engine_dir, changed, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    bpmn = changed / "speech_clearance" / "speech_clearance.bpmn"
    bpmn.write_text(bpmn.read_text("utf-8").replace('name="Clear speech text"', 'name="Clear the speech text"'),
                    "utf-8")
    with transaction(factory) as s:
        latest = [d for d in deploy.deploy(s, ProcessEngine(changed)) if d.key == "speech_clearance"][0]
        assert latest.version == 2
        assert s.execute(select(func.count()).select_from(ProcessDefinition)
                         .where(ProcessDefinition.key == "speech_clearance")).scalar_one() == 2
        state = s.get(InstanceState, iid).state_json
        assert '"spec"' not in state and len(state) < 40_000
    newer = Services(engine=ProcessEngine(changed), blobs=services.blobs, settings=services.settings)
    act.services = newer
    decide = my_task(act, "vr.finance", iid)
    assert decide.title == "Clear speech text"  # the old instance runs its own version
    act("vr.finance", instances.complete_task, decide.id, {"decision": "approve"})
    assert load(factory, iid).outcome == "approved"
    iid2 = start_and_submit(act)
    assert my_task(act, "vr.finance", iid2).title == "Clear the speech text"
    with factory() as s:
        assert s.get(Instance, iid).definition.version == 1 and s.get(Instance, iid2).definition.version == 2


def test_rector_own_strategy_text_goes_to_the_next_public_person(act):
    iid = start_and_submit(act, "rector", categories=["strategy"])
    assert my_task(act, "vr.finance", iid).name == "Task_Decide"


def test_head_of_mcd_own_facts_go_to_a_more_senior_public_person(act):
    iid = start_and_submit(act, "mcd.head", categories=["significant_facts"])
    assert my_task(act, "dean.engineering", iid).name == "Task_Decide"
