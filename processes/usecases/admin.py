"""Administration: the accounts (who is active) and instances the timer worker could not process —
administrators only, every change audited."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.exc import StaleDataError

from forms.validate import N_, Message
from processes.usecases import timers
from processes.usecases.context import Ctx
from processes.usecases.errors import Conflict, Forbidden, Invalid, NotFound, denied
from storage import audit
from storage.models import Instance, OutboxMail, ProcessStartRole, User, UserRole

ADMIN = "admin"


def require_admin(ctx: Ctx) -> None:
    if ctx.user is None or ADMIN not in ctx.user.role_names:
        raise denied(Forbidden(N_("Only administrators may do this.")), "administration", "access")


def list_users(ctx: Ctx) -> list[User]:
    require_admin(ctx)
    return list(ctx.session.execute(select(User).order_by(User.username)
                                    .options(selectinload(User.roles))).scalars())  # the list shows them


def instances_in_error(ctx: Ctx) -> list[Instance]:
    """Instances the timer worker marked because processing them failed, oldest failure first."""
    require_admin(ctx)
    return timers.instances_in_error(ctx.session)


def retry_instance(ctx: Ctx, instance_id: int) -> Instance:
    """Clear an instance's error so the worker takes it again on its next tick (audited as
    `instance_retried`, with the error that was cleared)."""
    require_admin(ctx)
    instance = ctx.session.execute(select(Instance).where(Instance.id == instance_id).options(*timers.LIGHT)
                                   .with_for_update(of=Instance)
                                   .execution_options(populate_existing=True)).unique().scalar_one_or_none()
    if instance is None:
        raise NotFound(N_("No such instance."))
    if instance.error is None:
        raise Conflict(N_("This instance is not in error."))
    cleared = instance.error
    instance.error, instance.error_at = None, None
    audit.append(ctx.session, ctx.actor, "instance_retried", instance_id=instance.id,
                 object=f"instance:{instance.id}", data={"error": cleared}, request_id=ctx.request_id)
    try:
        ctx.session.flush()
    except StaleDataError as exc:
        raise Conflict(N_("The instance was changed at the same time; reload and try again.")) from exc
    return instance


def mail_problems(ctx: Ctx, limit: int = 200) -> list[OutboxMail]:
    """E-mails that could not be delivered yet (still retried) or at all (given up), the newest first."""
    require_admin(ctx)
    return list(ctx.session.execute(select(OutboxMail).where(
        (OutboxMail.status == "failed") | ((OutboxMail.status == "pending") & (OutboxMail.attempts > 0)))
        .order_by(OutboxMail.id.desc()).limit(limit)).scalars())


def requeue_mail(ctx: Ctx, mail_id: int) -> OutboxMail:
    """Send a given-up e-mail again: back to pending with its attempts reset (audited as `mail_requeued`)."""
    require_admin(ctx)
    mail = ctx.session.execute(select(OutboxMail).where(OutboxMail.id == mail_id).with_for_update()
                               ).scalar_one_or_none()
    if mail is None:
        raise NotFound(N_("No such e-mail."))
    if mail.status != "failed":
        raise Conflict(N_("Only an e-mail that was given up can be sent again."))
    audit.append(ctx.session, ctx.actor, "mail_requeued", object=f"mail:{mail.id}",
                 data={"to": mail.recipient, "subject": mail.subject, "attempts": mail.attempts,
                       "error": mail.last_error}, request_id=ctx.request_id)
    mail.status, mail.attempts = "pending", 0
    ctx.session.flush()
    return mail


def start_roles(ctx: Ctx) -> list[ProcessStartRole]:
    """The roles the administrator allowed to start processes beyond their own starters."""
    require_admin(ctx)
    return list(ctx.session.execute(select(ProcessStartRole).order_by(ProcessStartRole.process_key,
                                                                      ProcessStartRole.role)).scalars())


def known_roles(ctx: Ctx) -> list[str]:
    require_admin(ctx)
    return sorted(set(ctx.session.execute(select(UserRole.role)).scalars()))


def allow_start(ctx: Ctx, process_key: str, role: str) -> ProcessStartRole:
    """Let holders of `role` start `process_key` (e.g. §14.4's "and others" for policy amendments);
    takes effect at once; audited as `start_role_added`."""
    from processes.usecases import deploy

    require_admin(ctx)
    errors = {}
    if process_key not in {d.key for d in deploy.list_current(ctx.session)}:
        errors["process"] = Message(N_("No such process."))
    if role not in known_roles(ctx):
        errors["role"] = Message(N_("No such role."))
    if errors:
        raise Invalid(errors)
    if ctx.session.get(ProcessStartRole, (process_key, role)) is not None:
        raise Conflict(N_("This role may start it already."))
    row = ProcessStartRole(process_key=process_key, role=role, created_by=ctx.me.username, created_at=ctx.now())
    ctx.session.add(row)
    audit.append(ctx.session, ctx.actor, "start_role_added", object=f"process:{process_key}",
                 data={"process": process_key, "role": role}, request_id=ctx.request_id)
    ctx.session.flush()
    return row


def disallow_start(ctx: Ctx, process_key: str, role: str) -> None:
    """Withdraw an allowance given by `allow_start` (audited as `start_role_removed`)."""
    require_admin(ctx)
    row = ctx.session.get(ProcessStartRole, (process_key, role))
    if row is None:
        raise NotFound(N_("No such allowance."))
    audit.append(ctx.session, ctx.actor, "start_role_removed", object=f"process:{process_key}",
                 data={"process": process_key, "role": role}, request_id=ctx.request_id)
    ctx.session.delete(row)
    ctx.session.flush()
