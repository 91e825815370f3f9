"""A task completed from its page form: the typed values and the files sent with them, all or nothing.

The JSON API sends file ids it uploaded before; a page form sends the files themselves with the
values. Here the page's request becomes the same completion: the files are checked and kept, then become
files of the instance (a file named like one kept from the last round becomes its next version and
replaces it), then the task is completed. Any error leaves nothing saved, and the form comes back with
every value and every file received so far (staged.py: kept in the blob store, handed back by signed
tokens), with every error of the submission at once, each at its field.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import IO, Any

from forms.validate import N_, Form, Message, from_html, label_errors
from processes.usecases import files, instances, staged
from processes.usecases.context import Ctx
from processes.usecases.errors import DomainError, Invalid, TooLarge
from storage.models import InboxTask, Instance

IGNORED_FIELDS = ("csrf_token", "file", "confirm")  # the form's token, the file input (sent as uploads), and
# the answer to the confirmation a final step asks for (`confirm=yes`, see ProcessKind.confirmation)
CONFIRM_FIELD = "confirm"


@dataclass(frozen=True)
class Upload:
    """A file sent with a form: its name as the browser gave it, and its bytes."""

    name: str
    stream: IO[bytes]


def submit(ctx: Ctx, task_id: str, fields: Mapping[str, list[str]], uploads: Sequence[Upload], *,
           signing_key: bytes) -> Instance:
    """Complete a task from its form's fields (name -> values) and the files sent with them.
    ``signing_key`` signs the tokens of the files a refused form hands back (the application's secret)."""
    task = instances.task_for(ctx, task_id)
    return _submit(ctx, task, fields, uploads, new=False, key=signing_key, scope=staged.scope_of_task(task.id))


def start_and_submit(ctx: Ctx, key: str, fields: Mapping[str, list[str]], uploads: Sequence[Upload], *,
                     signing_key: bytes) -> Instance:
    """Start an instance and complete its first task from the form, in the same transaction."""
    instance = instances.start_instance(ctx, key)
    return _submit(ctx, instances.ready_tasks(ctx, instance)[0], fields, uploads, new=True, key=signing_key,
                   scope=staged.scope_of_new(key))


def file_field(form: Form) -> str:
    """The form's file field: `file_ids` (a list), or a single-file field such as `minutes_file_id`."""
    for name in form.fields:
        if form.ui.get(name, {}).get("ui:widget") == "file":
            return name
    return "file_ids"


def _submit(ctx: Ctx, task: InboxTask, fields: Mapping[str, list[str]], uploads: Sequence[Upload],
            new: bool, key: bytes, scope: str) -> Instance:
    form = instances.form_of(task)
    action = (fields.get(ACTION) or [""])[-1]
    data = from_html(form, {k: v for k, v in fields.items() if not k.startswith("_") and k != staged.FIELD},
                     ignore=IGNORED_FIELDS)
    field = file_field(form)
    single = form.schema["properties"].get(field, {}).get("type") == "integer"
    kept = [] if single else list(data.get("file_ids", []))
    confirmed = (fields.get(CONFIRM_FIELD) or [""])[-1] == "yes"
    found: dict[str, Message] = {}
    if field not in form.schema["properties"]:  # a form without files takes none
        fields, uploads = {k: v for k, v in fields.items() if k != staged.FIELD}, ()
    received = _received(ctx, task, fields.get(staged.FIELD, []), uploads, key, scope, found)
    if single:
        received = received[-1:]  # a single-file field keeps the file sent last
    if "file" in found:  # at the form's file field
        found[field] = found.pop("file")
    slots: dict[str, int] = {}
    try:
        if action:
            received, slots = _form_action(form, action, fields, received)
            raise Invalid({})  # the form comes back, nothing is submitted
        if received and single:
            data[field] = _record(ctx, task, form, [], received)[-1]
        elif received:
            data["file_ids"] = _record(ctx, task, form, kept, received)
        return instances.complete_task(ctx, task.id, data, confirmed=confirmed, found=found)
    except Invalid as error:
        errors = dict(error.errors)
        if "file" in errors:  # what is wrong with a file says more than "choose at least one"
            errors[field] = errors.pop("file")
        values: dict[str, Any] = {**data, **(error.values or {})}
        if single:
            values.pop(field, None)
        elif field in form.schema["properties"]:
            values["file_ids"] = [] if new else kept
        # the files received so far stay in the blob store: the form hands them back by signed tokens
        values[STAGED] = [staged.sign(ctx, key, r, scope) for r in received]
        values[SLOTS] = slots
        raise Invalid(label_errors(form, errors), values=values) from error


ACTION = "_action"  # a button that changes the form instead of submitting it: `add:<list>`, `remove:<n>`
STAGED = "_staged"  # in the values of a refused form: the files received, as staged.Staged with tokens
SLOTS = "_slots"  # in the values: the number of rows to show for a list of rows (`add:` asked one more)
ROW_WIDGETS = frozenset({"clause_changes", "rows"})  # the widgets of a list of rows with "Add another row"


def _received(ctx: Ctx, task: InboxTask, tokens: Sequence[str], uploads: Sequence[Upload], key: bytes,
              scope: str, found: dict[str, Message]) -> list[staged.Staged]:
    """The files this submission brings: those received with the form before (by their tokens; an
    altered or foreign token is a 400), then those sent now, each checked and kept in the blob store.
    A file that is refused, too large or no longer held is reported in ``found`` at `file`."""
    received: list[staged.Staged] = []
    for token in tokens:
        try:
            received.append(staged.verify(ctx, key, token, scope))
        except Invalid as error:
            found.setdefault("file", error.errors["file"])
    for upload in (u for u in uploads if u.name):
        try:
            name, blob, content_type = files.store_checked(ctx, task.process_key, upload.name, upload.stream)
        except Invalid as error:
            found.setdefault("file", Message(N_("%(name)s: %(reason)s"),
                                             {"name": upload.name[:200], "reason": error.errors["file"]}))
            continue
        except TooLarge as error:
            found.setdefault("file", Message(N_("%(name)s: %(reason)s"),
                                             {"name": upload.name[:200], "reason": error.message}))
            continue
        received = [r for r in received if r.name.lower() != name.lower()]  # the same name again: the newer
        received.append(staged.Staged(blob.sha256, name, blob.size, content_type))
    return received


def _form_action(form: Form, action: str, fields: Mapping[str, list[str]],
                 received: list[staged.Staged]) -> tuple[list[staged.Staged], dict[str, int]]:
    """Carry out a form button that is not the submission: remove a received file, or add a row."""
    verb, _, arg = action.partition(":")
    if verb == "remove" and arg.isascii() and arg.isdigit() and int(arg) < len(received):
        return [r for i, r in enumerate(received) if i != int(arg)], {}
    prop = form.schema["properties"].get(arg, {})
    if verb == "add" and prop.get("type") == "array" and form.ui.get(arg, {}).get("ui:widget") in ROW_WIDGETS:
        shown = (fields.get(f"{SLOTS}.{arg}") or ["0"])[-1]
        count = int(shown) if shown.isascii() and shown.isdigit() and len(shown) < 4 else 0
        return received, {arg: min(count + 1, prop.get("maxItems", 100))}
    raise DomainError(N_("The request is malformed."))


def _record(ctx: Ctx, task: InboxTask, form: Form, kept: list[int], received: Sequence[staged.Staged]) -> list[int]:
    """The received files become files of the instance; a file named like a kept one becomes its new
    version and replaces it."""
    if form.schema["properties"].get("file_ids", {}).get("maxItems") == 1:
        kept = []
    ids = list(kept)
    for item in received:
        stored = files.record(ctx, task.instance_id, item.name, item.blob, item.content_type)
        ids = [i for i in ids if not files.same_document(ctx, i, stored)] + [stored.id]
    return ids
