"""Who may see and act on what: checked on the server for every object (function and object level)."""
from __future__ import annotations

from sqlalchemy import exists, or_, select, union
from sqlalchemy.orm import Session

from processes.catalog import kind_of, kinds
from storage.models import InboxTask, Instance, TaskState, User

AUDITOR = "auditor"
READ_ALL_ROLES = frozenset({AUDITOR})


def reads_everything(user: User) -> bool:
    return bool(user.role_names & READ_ALL_ROLES)


ADMINISTRATOR = "admin"
# Who owns a role's queue (issue 12, point 9): the role -> the code of the unit it belongs to. The head of
# that unit (a holder of one of HEAD_ROLES whose unit it is) may reassign the role's tasks and sees them.
QUEUE_UNITS = {"mcd_specialist": "MCD"}
HEAD_ROLES = frozenset({"unit_head", "mcd_head"})


def heads_queue(user: User, role: str) -> bool:
    """Whether the user heads the unit that owns the role's queue (``QUEUE_UNITS``)."""
    unit = QUEUE_UNITS.get(role.partition(":")[0])
    if unit is None or not user.is_active:
        return False
    if user.unit is not None and user.unit.code == unit and user.role_names & HEAD_ROLES:
        return True
    return any(headed.code == unit for headed in user.headed_units)  # named the unit's head (units.is_head_of)



def can_view_instance(session: Session, user: User, instance: Instance) -> bool:
    """The submitter, anyone who holds or held a task in it, auditors, and the roles its process opens it to."""
    if reads_everything(user) or instance.started_by_id == user.id or ADMINISTRATOR in user.role_names:
        return True  # administrators: they reassign and cancel cases (issue 12)
    if user.role_names & kind_of(instance.process_key).readers(instance):
        return True
    return bool(session.execute(select(exists().where(InboxTask.instance_id == instance.id,
                                                      involved_filter(user)))).scalar())


def involved_filter(user: User):
    """SQL over `InboxTask`: a task through which the user takes part in its instance."""
    # an open task of one of the user's roles' queues, taken by nobody or claimed by a colleague (issue 12)
    queued = InboxTask.assignee_id.is_(None) | InboxTask.claimed_at.is_not(None)
    open_for_role = (InboxTask.state == TaskState.READY.value) & queued & InboxTask.role.in_(sorted(user.role_names))
    involved = (InboxTask.assignee_id == user.id) | (InboxTask.completed_by_id == user.id) | open_for_role
    ready = InboxTask.state == TaskState.READY.value
    involved = involved | (ready & (InboxTask.delegated_to_id == user.id))  # asked to prepare a task of it
    involved = involved | (InboxTask.acting_for_id == user.id)  # an absent person's task a substitute holds
    owned = sorted(role for role in QUEUE_UNITS if heads_queue(user, role))
    if owned:  # the head of the unit that owns a queue sees its open tasks' cases
        involved = involved | (ready & InboxTask.role.in_(owned))
    return involved


def _involved_instances(user: User) -> list:
    """`involved_filter` as selects of instance ids, one per index (an OR of them reads every task)."""
    ready = InboxTask.state == TaskState.READY.value
    roles = sorted(user.role_names)
    ids = select(InboxTask.instance_id)
    parts = [ids.where(InboxTask.assignee_id == user.id), ids.where(InboxTask.completed_by_id == user.id),
             ids.where(ready, InboxTask.role.in_(roles), InboxTask.assignee_id.is_(None)),
             ids.where(ready, InboxTask.role.in_(roles), InboxTask.claimed_at.is_not(None)),
             ids.where(ready, InboxTask.delegated_to_id == user.id), ids.where(InboxTask.acting_for_id == user.id)]
    owned = sorted(role for role in QUEUE_UNITS if heads_queue(user, role))
    if owned:
        parts.append(ids.where(ready, InboxTask.role.in_(owned)))
    return parts


def readable_filter(user: User):
    """SQL over `Instance`: the instances the user may read (as `can_view_instance`), or None for all."""
    if reads_everything(user) or ADMINISTRATOR in user.role_names:
        return None
    roles = frozenset(user.role_names)
    # the cases the user started or takes part in, each way by its own index, then the roles' readers
    terms = [Instance.id.in_(union(select(Instance.id).where(Instance.started_by_id == user.id),
                                   *_involved_instances(user)))]
    for key, kind in sorted(kinds().items()):
        extra = kind.readable_where(roles)
        if extra is not None:
            terms.append((Instance.process_key == key) & extra)
    return or_(*terms)


def holds_task(user: User, task: InboxTask) -> bool:
    """True when the task is the user's to complete (assigned to them, or to a role they hold), or one its
    process lets further roles complete (`ProcessKind.also_completed_by`: the head of MCD a specialist's step
    of a media inquiry, §10.2)."""
    if task.assignee_id == user.id or (task.assignee_id is None and task.role in user.role_names):
        return True
    extra = kind_of(task.process_key).also_completed_by.get(task.name, frozenset())
    return bool(extra & user.role_names) and user.is_active


def visible_tasks_filter(user: User):
    """SQL condition for the tasks in a user's inbox."""
    own = InboxTask.assignee_id == user.id
    by_role = InboxTask.assignee_id.is_(None) & InboxTask.role.in_(sorted(user.role_names))
    return (InboxTask.state == TaskState.READY.value) & (own | by_role)
