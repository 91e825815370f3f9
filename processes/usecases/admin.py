"""Administration: the accounts (who is active) — administrators only, every change audited."""
from __future__ import annotations

from sqlalchemy import select

from forms.validate import N_
from processes.usecases.context import Ctx
from processes.usecases.errors import Conflict, Forbidden, NotFound, denied
from storage import accounts, audit
from storage.models import User

ADMIN = "admin"


def require_admin(ctx: Ctx) -> None:
    if ctx.user is None or ADMIN not in ctx.user.role_names:
        raise denied(Forbidden(N_("Only administrators may do this.")), "administration", "access")


def list_users(ctx: Ctx) -> list[User]:
    require_admin(ctx)
    return list(ctx.session.execute(select(User).order_by(User.username)).scalars())


def disable_user(ctx: Ctx, username: str) -> User:
    """Disable an account: its sessions and API tokens end at once (audited as `user_disabled`)."""
    require_admin(ctx)
    user = accounts.find_user(ctx.session, username)
    if user is None:
        raise NotFound(N_("No such user."))
    if user.id == ctx.user.id:
        raise Conflict(N_("You cannot disable your own account."))
    if not user.is_active:
        raise Conflict(N_("This account is already disabled."))
    accounts.disable_user(ctx.session, user)
    audit.append(ctx.session, ctx.actor, "user_disabled", object=f"user:{username}", request_id=ctx.request_id)
    return user
