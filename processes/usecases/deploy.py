"""Deploy the BPMN files as versioned process definitions; running instances keep theirs."""
from __future__ import annotations

import hashlib
import json

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from forms.validate import N_
from processes import catalog
from processes.engine import ProcessEngine
from processes.usecases import routing_tables
from processes.usecases.errors import NotFound
from storage.models import ProcessDefinition


def deploy(session: Session, engine: ProcessEngine) -> list[ProcessDefinition]:
    """Store each process whose files or routing tables changed as a new version; return the latest
    versions. The routing tables are taken in their version in force (`routing_tables`), which each
    deployed version records in `decisions`."""
    overrides = routing_tables.sync_with_files(session, engine)
    in_force = routing_tables.versions_in_force(session)
    latest = []
    for proc in engine.deploy_all(overrides):
        catalog.kind_of(proc.key)  # a BPMN process without its process kind is an installation error
        # the versions of its routing tables are part of what is deployed: going back to an earlier
        # table is a new version of the process, not the old one again
        tables = {d: in_force[d] for d in proc.decisions if d in in_force}
        checksum = proc.checksum if not tables else hashlib.sha256(
            f"{proc.checksum}:{json.dumps(tables, sort_keys=True)}".encode()).hexdigest()
        row = session.execute(select(ProcessDefinition).where(
            ProcessDefinition.key == proc.key, ProcessDefinition.checksum == checksum)).scalar_one_or_none()
        if row is None:
            top = session.execute(select(func.max(ProcessDefinition.version))
                                  .where(ProcessDefinition.key == proc.key)).scalar_one()
            row = ProcessDefinition(key=proc.key, name=proc.name, version=(top or 0) + 1,
                                    checksum=checksum, spec_json=proc.spec_json, decisions=tables or None,
                                    diagram=proc.diagram.decode("utf-8"))
            session.add(row)
        elif row.diagram is None:  # deployed before versions kept their file (0018): this file is still theirs
            row.diagram = proc.diagram.decode("utf-8")
        session.flush()
        latest.append(row)
    return latest


def current(session: Session, key: str) -> ProcessDefinition:
    """Return the newest deployed version of a process."""
    row = session.execute(select(ProcessDefinition).where(ProcessDefinition.key == key)
                          .order_by(ProcessDefinition.version.desc()).limit(1)).scalar_one_or_none()
    if row is None:
        raise NotFound(N_("Unknown process."))
    return row


def list_current(session: Session) -> list[ProcessDefinition]:
    newest = (select(ProcessDefinition.key, func.max(ProcessDefinition.version).label("v"))
              .group_by(ProcessDefinition.key).subquery())
    return list(session.execute(select(ProcessDefinition).join(
        newest, (ProcessDefinition.key == newest.c.key) & (ProcessDefinition.version == newest.c.v))
        .order_by(ProcessDefinition.key)).scalars())
