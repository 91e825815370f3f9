"""Who may see and act on what: checked on the server for every object (function and object level)."""
from __future__ import annotations

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from processes.catalog import kind_of
from storage.models import InboxTask, Instance, TaskState, User

AUDITOR = "auditor"
READ_ALL_ROLES = frozenset({AUDITOR})


def reads_everything(user: User) -> bool:
    return bool(user.role_names & READ_ALL_ROLES)



def can_view_instance(session: Session, user: User, instance: Instance) -> bool:
    """The submitter, anyone who holds or held a task in it, auditors, and the roles its process opens it to."""
    if reads_everything(user) or instance.started_by_id == user.id:
        return True
    if user.role_names & kind_of(instance.process_key).readers(instance):
        return True
    open_for_role = (InboxTask.state == TaskState.READY.value) & InboxTask.assignee_id.is_(None) \
        & InboxTask.role.in_(sorted(user.role_names))
    involved = (InboxTask.assignee_id == user.id) | (InboxTask.completed_by_id == user.id) | open_for_role
    return bool(session.execute(select(exists().where(InboxTask.instance_id == instance.id, involved))).scalar())


def holds_task(user: User, task: InboxTask) -> bool:
    """True when the task is the user's to complete (assigned to them, or to a role they hold)."""
    if task.assignee_id is not None:
        return task.assignee_id == user.id
    return task.role is not None and task.role in user.role_names


def visible_tasks_filter(user: User):
    """SQL condition for the tasks in a user's inbox."""
    own = InboxTask.assignee_id == user.id
    by_role = InboxTask.assignee_id.is_(None) & InboxTask.role.in_(sorted(user.role_names))
    return (InboxTask.state == TaskState.READY.value) & (own | by_role)
