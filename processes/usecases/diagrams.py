"""The path each case took, drawn on the diagram of its process version (issue 14).

Computed from what Kelisim keeps: the engine's task tree in the saved state (each element completed, and how
often; what waits now; the steps between elements), the open tasks of the inbox (who holds them), the audit
trail (the timeline entry each element links to). Finished instances keep their task tree, so their path is
drawn the same way. The diagram is the BPMN file the version was deployed from (`ProcessDefinition.diagram`).
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from lxml import etree
from sqlalchemy import select

from processes.diagram import Diagram, DiagramError, ElementMark, render_svg
from processes.usecases import instances
from processes.usecases.context import Ctx
from storage.models import AuditEvent, InboxTask, Instance, TaskState, User

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, remove_comments=True)
# what a timeline entry of an element is: its first completion, or the timer's firing
STEP_ACTIONS = ("task_completed", "timer_fired")


@dataclass(frozen=True)
class Step:
    """One element of the path, for the text list beside the diagram (screen readers, print)."""

    element_id: str
    name: str  # the element's name in the BPMN file (English), or its id
    state: str  # "completed" | "open"
    count: int  # times completed
    holders: tuple[str, ...] = ()  # who holds it now (open tasks): names, or the role of a queue
    anchor: str | None = None  # the timeline row it links to ("step-<seq>")
    timer: bool = False  # a timer event: "open" means it waits for its time, "completed" that it fired


@dataclass(frozen=True)
class InstancePath:
    diagram: Diagram | None  # None when the version's BPMN file was not kept (deployed before 0018, changed)
    steps: list[Step]  # completed elements in the order the case reached them, then the open ones
    flows_taken: frozenset[str]


def instance_path(ctx: Ctx, instance: Instance, *, name_of: Callable[[User], str] = lambda u: u.full_name,
                  label: Callable[[str, str], str] = lambda _id, name: name,
                  role_label: Callable[[str], str] = lambda code: code,
                  legend: Mapping[str, str] | None = None, title: str | None = None,
                  link_prefix: str = "#") -> InstancePath:
    """The path `instance` took (the caller has checked that the user may read it). ``name_of`` names a person
    in the page's language, ``label(element id, name in the file)`` an element (the diagram and the steps
    print it), ``role_label`` a role whose queue holds an open task; ``legend`` translates the diagram's
    legend; links point to ``link_prefix`` + the timeline row's
    anchor ("#step-42" on the instance page)."""
    path = instances.restore_run(ctx, instance).path()
    xml = instance.definition.diagram
    names, flows, timers, xml = _elements(xml, label) if xml else ({}, {}, frozenset(), None)
    times = {flow_id: path.steps[pair] for pair, flow_id in flows.items() if pair in path.steps}
    taken = frozenset(times)
    holders = _holders(ctx, instance, name_of, role_label)
    anchors = _anchors(ctx, instance)
    order = [target for _, target in path.steps]
    completed = sorted(path.completed, key=lambda e: order.index(e) if e in order else -1)
    steps = [Step(e, names.get(e, e), "completed", path.completed[e], anchor=anchors.get(e), timer=e in timers)
             for e in completed if e not in path.open]
    steps += [Step(e, names.get(e, e), "open", path.completed.get(e, 0), holders.get(e, ()), anchors.get(e),
                   timer=e in timers) for e in path.open]
    if not xml:
        return InstancePath(None, steps, taken)
    marks: dict[str, ElementMark] = {}
    for step in steps:
        note = ", ".join(step.holders) or None
        marks[step.element_id] = ElementMark(step.state, step.count, note)
    for flow_id, count in times.items():
        marks[flow_id] = ElementMark("completed", count)
    links = {s.element_id: link_prefix + s.anchor for s in steps if s.anchor}
    try:
        diagram = render_svg((xml or "").encode("utf-8"), states=marks, flows_taken=taken, links=links, title=title,
                             legend_labels=legend)
    except DiagramError:  # pragma: no cover - a deployed file parsed before; kept for a damaged row
        return InstancePath(None, steps, taken)
    return InstancePath(diagram, steps, taken)


def _elements(xml: str, label: Callable[[str, str], str]) -> tuple[dict[str, str], dict[tuple[str, str], str],
                                                                  frozenset[str], str | None]:
    """The labels of the file's elements by id, its sequence flows by (source, target), its timer events, and the
    file with each element's name replaced by its label (what the diagram prints)."""
    try:
        root = etree.fromstring(xml.encode("utf-8"), _PARSER)
    except etree.XMLSyntaxError:
        return {}, {}, frozenset(), xml
    names: dict[str, str] = {}
    flows: dict[tuple[str, str], str] = {}
    timers = frozenset(t.getparent().get("id", "") for t in root.iter(f"{{{BPMN}}}timerEventDefinition"))
    for el in root.iter():
        if not isinstance(el.tag, str) or not el.tag.startswith(f"{{{BPMN}}}"):
            continue
        el_id = el.get("id")
        if el_id and el.get("name"):
            names[el_id] = label(el_id, " ".join(el.get("name", "").split()))
            el.set("name", names[el_id])
        if el.tag == f"{{{BPMN}}}sequenceFlow" and el_id:
            flows.setdefault((el.get("sourceRef", ""), el.get("targetRef", "")), el_id)
    return names, flows, timers, etree.tostring(root, encoding="unicode")


def _holders(ctx: Ctx, instance: Instance, name_of: Callable[[User], str],
             role_label: Callable[[str], str]) -> dict[str, tuple[str, ...]]:
    """Who holds each open task of the instance now: the assignee, or the queue's role."""
    rows = ctx.session.execute(
        InboxTask.__table__.select().where(InboxTask.instance_id == instance.id,
                                           InboxTask.state == TaskState.READY.value)).mappings().all()
    ids = [r["assignee_id"] for r in rows if r["assignee_id"]]
    users = {u.id: u for u in ctx.session.execute(select(User).where(User.id.in_(ids))).scalars()} if ids else {}
    held: dict[str, list[str]] = {}
    from processes.usecases import withheld

    secret = withheld.hidden(ctx.user, instance)  # the withheld starter's own task reads as its role (§13.1)
    for row in rows:
        who = name_of(users[row["assignee_id"]]) if row["assignee_id"] in users and not (
            secret and row["assignee_id"] == instance.started_by_id) else role_label(row["role"] or "")
        if who and who not in held.setdefault(row["name"], []):
            held[row["name"]].append(who)
    return {k: tuple(v) for k, v in held.items()}


def _anchors(ctx: Ctx, instance: Instance) -> dict[str, str]:
    """The timeline row of each element: its first completion (or the timer's firing)."""
    rows = ctx.session.execute(
        AuditEvent.__table__.select().with_only_columns(AuditEvent.seq, AuditEvent.task)
        .where(AuditEvent.instance_id == instance.id, AuditEvent.action.in_(STEP_ACTIONS),
               AuditEvent.task.is_not(None)).order_by(AuditEvent.seq)).all()
    anchors: dict[str, str] = {}
    for seq, task in rows:
        anchors.setdefault(task, f"step-{seq}")
    return anchors
