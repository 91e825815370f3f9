"""A task completed from its page form: the typed values and the files sent with them, all or nothing.

The JSON API sends file ids it uploaded before; a page form sends the files themselves with the
values. Here the page's request becomes the same completion: the files are stored (a file named like
one kept from the last round becomes its next version and replaces it), then the task is completed;
any error leaves nothing saved and says so at the file field.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import IO, Any

from forms.validate import N_, Form, Message, from_html
from processes.usecases import files, instances
from processes.usecases.context import Ctx
from processes.usecases.errors import Invalid
from storage.models import InboxTask, Instance

IGNORED_FIELDS = ("csrf_token", "file")  # the form's token, and the file input (sent as uploads)


@dataclass(frozen=True)
class Upload:
    """A file sent with a form: its name as the browser gave it, and its bytes."""

    name: str
    stream: IO[bytes]


def submit(ctx: Ctx, task_id: str, fields: Mapping[str, list[str]], uploads: Sequence[Upload]) -> Instance:
    """Complete a task from its form's fields (name -> values) and the files sent with them."""
    return _submit(ctx, instances.task_for(ctx, task_id), fields, uploads, new=False)


def start_and_submit(ctx: Ctx, key: str, fields: Mapping[str, list[str]], uploads: Sequence[Upload]) -> Instance:
    """Start an instance and complete its first task from the form, in the same transaction."""
    instance = instances.start_instance(ctx, key)
    return _submit(ctx, instances.ready_tasks(ctx, instance)[0], fields, uploads, new=True)


def file_field(form: Form) -> str:
    """The form's file field: `file_ids` (a list), or a single-file field such as `minutes_file_id`."""
    for name in form.fields:
        if form.ui.get(name, {}).get("ui:widget") == "file":
            return name
    return "file_ids"


def _submit(ctx: Ctx, task: InboxTask, fields: Mapping[str, list[str]], uploads: Sequence[Upload],
            new: bool) -> Instance:
    form = instances.form_of(task)
    data = from_html(form, fields, ignore=IGNORED_FIELDS)
    field = file_field(form)
    single = form.schema["properties"].get(field, {}).get("type") == "integer"
    kept = [] if single else list(data.get("file_ids", []))
    sent = [u for u in uploads if u.name]
    try:
        if sent and single:
            data[field] = _attach(ctx, task, form, [], sent[:1])[-1]
        elif sent:
            data["file_ids"] = _attach(ctx, task, form, kept, sent)
        return instances.complete_task(ctx, task.id, data)
    except Invalid as error:
        errors = dict(error.errors)
        if "file" in errors:
            errors.setdefault(field, errors.pop("file"))
        values: dict[str, Any] = dict(data)
        if sent:  # nothing of this request is saved, the files included: ask for them again
            if single:
                values.pop(field, None)
            else:
                values["file_ids"] = [] if new else kept
            errors.setdefault(field, Message(N_("Nothing was saved: attach the file again.")))
        raise Invalid(errors, values=values) from error


def _attach(ctx: Ctx, task: InboxTask, form: Form, kept: list[int], sent: Sequence[Upload]) -> list[int]:
    """Store the files; a file named like a kept one becomes its new version and replaces it."""
    if form.schema["properties"].get("file_ids", {}).get("maxItems") == 1:
        kept = []
    ids = list(kept)
    for upload in sent:
        stored = files.upload(ctx, task.instance_id, upload.name, upload.stream)
        ids = [i for i in ids if not files.same_document(ctx, i, stored)] + [stored.id]
    return ids
