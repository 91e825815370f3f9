"""The checkpoint step of the provable audit log (issue 17): each worker tick extends the Merkle tree, signs a
checkpoint when entries were added and the last one is a minute old, and e-mails the newest checkpoint to the
witnesses (KELISIM_CHECKPOINT_WITNESSES) at most once per witness interval (default hourly), so the outbox is
not flooded every minute.

Neither step writes an audit entry (storage/audit_log.py says why): the checkpoints and the witness mails are
insert-only records of their own."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from forms.validate import N_
from processes.usecases.context import Ctx
from processes.usecases.mail import translations
from storage import audit_log
from storage.models import AuditCheckpoint, AuditWitnessMail, OutboxMail

SUBJECT = N_("Kelisim: audit log checkpoint %(size)s")
BODY = N_("The audit log of Kelisim now holds %(size)s entries. Keep this signed checkpoint: a later "
          "checkpoint must be consistent with it, and the verifier (tools/verify_audit.py) shows when it is "
          "not, that is, when the log was rewritten.")
KEY_LINE = N_("Verifier key: %(key)s")


def checkpoint_step(ctx: Ctx, force: bool = False) -> AuditCheckpoint | None:
    """Extend the tree, sign a checkpoint when due, mail the witnesses when due; return the new checkpoint."""
    settings = ctx.services.settings.checkpoints
    if settings is None:
        return None
    made = audit_log.make_checkpoint(ctx.session, settings, ctx.now(), force=force)
    mail_witnesses(ctx)
    return made


def mail_witnesses(ctx: Ctx) -> int:
    """Queue the newest checkpoint for each witness unless it was sent already or the last mail is younger than
    the witness interval; return how many e-mails were queued."""
    settings = ctx.services.settings.checkpoints
    if settings is None or not settings.witnesses or ctx.services.settings.smtp is None:
        return 0
    newest = audit_log.latest(ctx.session)
    if newest is None:
        return 0
    last = ctx.session.execute(select(AuditWitnessMail).order_by(AuditWitnessMail.sent_at.desc(),
                                                                 AuditWitnessMail.id.desc()).limit(1)).scalar()
    if last is not None and (last.tree_size >= newest.tree_size
                             or ctx.now() - last.sent_at < timedelta(seconds=settings.witness_interval)):
        return 0
    key = audit_log.signer(settings).verifier_key()
    directory = ctx.services.settings.translations_dir
    subject_parts, body_parts = [], []
    for locale in ("kk", "ru", "en"):  # a witness is outside Kelisim: no language of theirs is known
        gettext = translations(str(directory) if directory else None, locale).gettext
        subject_parts.append(gettext(SUBJECT) % {"size": newest.tree_size})
        body_parts.append(gettext(BODY) % {"size": newest.tree_size} + "\n" + gettext(KEY_LINE) % {"key": key})
    subject = subject_parts[0]
    body = "\n\n".join(body_parts) + "\n\n" + newest.note
    for witness in settings.witnesses:
        ctx.session.add(OutboxMail(recipient=witness, subject=subject[:300], body=body, created_at=ctx.now()))
    ctx.session.add(AuditWitnessMail(tree_size=newest.tree_size, sent_at=ctx.now(),
                                     recipients=list(settings.witnesses)))
    ctx.session.flush()
    return len(settings.witnesses)
