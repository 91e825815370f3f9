"""Load task forms and validate submitted data against them: pure functions, no web, no database."""
from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from functools import cache, cached_property
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import ValidationError

FORMS_DIR = Path(__file__).parent  # forms/<process_key>/<task>.schema.json (+ .uischema.json)
_FORM_DIRS: list[Path] = [FORMS_DIR]  # plus the forms folders of processes kept elsewhere
_FILE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*\.json")


def N_(msgid: str) -> str:
    """Mark a message for extraction; it is translated where it is shown."""
    return msgid


@dataclass(frozen=True)
class Message:
    """A translatable message: an English msgid with %-style parameters."""

    msgid: str
    params: dict[str, Any] = field(default_factory=dict)
    # the field the message is about, by its label (`field_label`): errors name fields in words
    label: Message | None = field(default=None, compare=False)

    def render(self, gettext: Callable[[str], str] = lambda s: s,
               number: Callable[[int], str] | None = None) -> str:
        """The message in gettext's language; a parameter that is a Message (a label), or a list of them, is
        translated too (a list joined with ", "), so users read labels, never codes. ``number`` formats
        the counts (`n`, `count`) in the reader's language (200 000)."""
        if not self.params:
            return gettext(self.msgid)
        params = {k: v.render(gettext, number) if isinstance(v, Message)
                  else ", ".join(x.render(gettext, number) if isinstance(x, Message) else str(x) for x in v)
                  if isinstance(v, list | tuple)
                  else number(v) if number and k in COUNTS and isinstance(v, int) and not isinstance(v, bool)
                  else v for k, v in self.params.items()}
        return gettext(self.msgid) % params

    def labelled(self, gettext: Callable[[str], str] = lambda s: s,
                 number: Callable[[int], str] | None = None) -> str:
        """"Change 1 — New text: This field is required.": the message after the label of its field."""
        text = self.render(gettext, number)
        if self.label is None:
            return text
        return gettext(N_("%(field)s: %(message)s")) % {"field": self.label.render(gettext, number), "message": text}


COUNTS = frozenset({"n", "count"})  # parameters that are counts, formatted as numbers of the reader's language


@dataclass(frozen=True)
class Form:
    name: str
    schema: dict[str, Any]
    ui: dict[str, Any]

    @property
    def fields(self) -> list[str]:
        order = self.ui.get("ui:order") or list(self.schema["properties"])
        return [f for f in order if f in self.schema["properties"]]

    @cached_property
    def validator(self) -> Draft202012Validator:
        """The schema's validator, built once per form (load_form keeps each form), not per submission."""
        return Draft202012Validator(self.schema, format_checker=_FORMATS)


class UnknownForm(LookupError):
    """The BPMN names a form file that does not exist."""


def add_form_dir(folder: Path) -> None:
    """Also look for forms in ``folder`` (and its sub-folders): a process kept outside this package."""
    folder = Path(folder).resolve()
    if folder not in _FORM_DIRS:
        _FORM_DIRS.append(folder)
        _form_index.cache_clear()
        load_form.cache_clear()


@cache
def _form_index() -> dict[str, Path]:
    """Every form file by name: the BPMN refers to forms by file name, so a name is used once."""
    index: dict[str, Path] = {}
    for root in _FORM_DIRS:
        for path in sorted([*root.glob("*.json"), *root.glob("*/*.json")]):
            if path.name in index and index[path.name].resolve() != path.resolve():
                raise UnknownForm(f"{path.name} exists twice: {index[path.name]} and {path}")
            index[path.name] = path
    return index


def _form_file(name: str) -> Path:
    path = _form_index().get(name) if _FILE_NAME.fullmatch(name or "") else None
    if path is None or not path.is_file():
        raise UnknownForm(name)
    return path


@cache
def load_form(schema_file: str, ui_file: str | None = None) -> Form:
    """Load a form by the file names a BPMN user task refers to (plain names, found in the form folders)."""
    path = _form_file(schema_file)
    schema = json.loads(path.read_text("utf-8"))
    Draft202012Validator.check_schema(schema)
    ui = json.loads(_form_file(ui_file).read_text("utf-8")) if ui_file else {}
    return Form(path.name.removesuffix(".schema.json"), schema, ui)


# A form's dates must lie where the university's time module can convert them (to UTC, a day on)
# without overflow: every real date does. The same bounds as processes.university_time's.
FIRST_DAY, LAST_DAY = date(2, 1, 1), date(9998, 12, 31)
_FORMATS = FormatChecker()
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)


@_FORMATS.checks("date", raises=ValueError)
def _is_date(value: object) -> bool:
    """An ISO date (YYYY-MM-DD) within FIRST_DAY..LAST_DAY."""
    if not isinstance(value, str):
        return True  # the type is another keyword's business
    if not _ISO_DATE.fullmatch(value):
        raise ValueError("not YYYY-MM-DD")
    return FIRST_DAY <= date.fromisoformat(value) <= LAST_DAY


def validate(form: Form, data: Any, *, today: date | None = None) -> tuple[dict, dict[str, Message]]:
    """Return (clean data, {}) when valid, or (data, {field: message}) when not."""
    if not isinstance(data, dict):
        return {}, {"_form": Message(N_("The data must be a JSON object."))}
    errors: dict[str, Message] = {}
    props = form.schema.get("properties", {})
    for key in data:
        if key not in props:
            errors[str(key)] = Message(N_("Unknown field."))
    validator = form.validator
    for err in sorted(validator.iter_errors(data), key=lambda e: len(list(e.absolute_path))):
        if err.validator == "additionalProperties":
            prefix = _field_path(err)
            if prefix and isinstance(err.instance, dict):  # top-level extras are named above
                allowed = set(err.schema.get("properties", {}))
                for extra in (k for k in err.instance if k not in allowed):
                    index = next((str(p) for p in reversed(list(err.absolute_path)) if isinstance(p, int)), None)
                    name = f"{prefix}.{index}.{extra}" if index is not None and not prefix.endswith(index) \
                        else f"{prefix}.{extra}"
                    errors.setdefault(name, Message(N_("Unknown field.")))
            continue
        if err.validator == "required":
            prefix = _field_path(err)
            for missing in (p for p in err.validator_value if p not in (err.instance or {})):
                errors.setdefault(f"{prefix}.{missing}" if prefix else missing,
                                  Message(N_("This field is required.")))
            continue
        name, msg = _explain(form, err, data)
        errors.setdefault(name, msg)
    if today is not None:
        for name, spec in props.items():
            if spec.get("x-afterToday") and name not in errors and isinstance(data.get(name), str):
                if date.fromisoformat(data[name]) <= today:
                    errors[name] = Message(N_("The date must be after today."))
    return data, label_errors(form, errors)


def label_errors(form: Form, errors: Mapping[str, Message]) -> dict[str, Message]:
    """The errors, each naming its field by the form's label for it (those not labelled yet)."""
    return {name: m if m.label is not None else replace(m, label=field_label(form, name))
            for name, m in errors.items()}


def field_label(form: Form, path: str) -> Message | None:
    """The label of a field by its dotted name, in words: `title` → "Title", `changes.0.text` →
    "Change 1 — New text", `checklist.logo.ok` → "Brand-guideline checklist — Logo placement — Meets
    the guideline". None for a name that is not a field of the form (`_form`, an unknown field)."""
    parts, node, labels, i = path.split("."), form.schema, [], 0
    while i < len(parts):
        spec = _resolve(form.schema, (node or {}).get("properties", {}).get(parts[i]))
        if spec is None:
            break
        ui = form.ui.get(parts[i], {}) if i == 0 else {}
        if spec.get("title"):
            labels.append(Message(spec["title"]))
        if spec.get("type") == "array" and i + 1 < len(parts) and parts[i + 1].isdigit():
            row = int(parts[i + 1]) + 1
            if ui.get("ui:itemTitle"):
                labels[-1:] = [Message(ui["ui:itemTitle"], {"n": row})]
            else:
                labels.append(Message(N_("No. %(n)s"), {"n": row}))
            node, i = _resolve(form.schema, spec.get("items")) or {}, i + 2
            continue
        node, i = spec, i + 1
    return _joined(labels) if labels else None  # an unknown nested name: the label of what holds it


def _joined(labels: list[Message]) -> Message:
    label = labels[0]
    for more in labels[1:]:
        label = Message(N_("%(outer)s — %(inner)s"), {"outer": label, "inner": more})
    return label


def _field_path(err: ValidationError) -> str:
    """The dotted name of the field an error is about. A position in a list of scalars belongs to its
    list (`file_ids`); in a list of objects it names the row (`changes.0.clause`)."""
    path = list(err.absolute_path)
    return ".".join(str(p) for i, p in enumerate(path)
                    if isinstance(p, str) or any(isinstance(q, str) for q in path[i + 1:]))


def _explain(form: Form, err: ValidationError, data: dict) -> tuple[str, Message]:
    path = [p for p in err.absolute_path]
    name = _field_path(err)
    kind = err.validator
    if kind == "anyOf" and not path:
        return form.schema.get("x-anyOfField", "_form"), Message(N_("Enter the text or attach a file."))
    if ((kind == "minLength" and err.validator_value == 1) or (kind == "pattern" and err.validator_value == r"\S")
            or (kind in ("pattern", "minLength") and err.instance == "")):
        return name, Message(N_("This field is required."))
    if kind == "pattern" and err.schema.get("x-hint"):
        return name, Message(err.schema["x-hint"])
    if kind == "minItems" and err.validator_value == 1:
        return name, Message(N_("Choose at least one."))
    return name or "_form", _message_for(kind, err)


def _message_for(kind: str, err: ValidationError) -> Message:
    value = err.validator_value
    count = len(err.instance) if isinstance(err.instance, str | list) else 0
    table = {
        "type": _EXPECTED.get(value if isinstance(value, str) else "", Message(N_("Invalid value."))),
        "enum": Message(N_("Not one of the allowed choices.")),
        "maxLength": Message(N_("At most %(n)s characters (you entered %(count)s)."), {"n": value, "count": count}),
        "minLength": Message(N_("At least %(n)s characters (you entered %(count)s)."), {"n": value, "count": count}),
        "maxItems": Message(N_("At most %(n)s items."), {"n": value}),
        "minItems": Message(N_("At least %(n)s items."), {"n": value}),
        "uniqueItems": Message(N_("Each choice may appear only once.")),
        "format": Message(N_("Not a valid date.")) if value == "date" else Message(N_("Invalid format.")),
        "minimum": Message(N_("Must be at least %(n)s."), {"n": value}),
        "maximum": Message(N_("Must be at most %(n)s."), {"n": value}),
    }
    return table.get(kind, Message(N_("Invalid value.")))


# what a value of the wrong JSON type should have been, said in words
_EXPECTED = {
    "integer": Message(N_("Enter a whole number, e.g. 12.")),
    "number": Message(N_("Enter a number, e.g. 1500 or 12.5.")),
    "string": Message(N_("Enter text.")),
    "boolean": Message(N_("Answer yes or no.")),
    "array": Message(N_("Choose from the list.")),
    "object": Message(N_("Fill in each part of this field.")),
}


def from_html(form: Form, fields: Mapping[str, list[str]], ignore: Iterable[str] = ()) -> dict[str, Any]:
    """Turn HTML form fields (name -> list of values) into typed data for the schema."""
    props, skip = form.schema.get("properties", {}), set(ignore)
    data: dict[str, Any] = {}
    rows: dict[str, dict[int, dict[str, Any]]] = {}
    for name, values in fields.items():
        if name in skip:
            continue
        row = _ROW_FIELD.fullmatch(name)
        if row and props.get(row[1], {}).get("type") == "array":
            item = _row_item(form.schema, props[row[1]], row[3])
            # a row's list (checkboxes) keeps every value; any other field its last one
            value: Any = [v.strip() for v in values if v.strip()] if item.get("type") == "array" \
                else values[-1].replace("\r\n", "\n")
            rows.setdefault(row[1], {}).setdefault(int(row[2]), {})[row[3]] = value
            continue
        if "." in name:
            _set_nested(form.schema, data, name.split("."), values)
            continue
        spec = props.get(name)
        if spec is None:
            data[name] = values[0] if len(values) == 1 else values
            continue
        data[name] = _coerce(spec, [v for v in values])
    for name, by_index in rows.items():  # a row left wholly empty is an unused slot of the form
        required = set((_resolve(form.schema, props[name].get("items")) or {}).get("required", []))
        data[name] = [_row_values(by_index[i], required) for i in sorted(by_index)
                      if any(v.strip() if isinstance(v, str) else v for v in by_index[i].values())]
    for name, spec in props.items():
        if spec.get("type") == "array" and name not in data and name not in skip:
            data[name] = []
    return {k: v for k, v in data.items() if v is not None}


# `changes.0.clause`: a field of row 0 of a list of objects; a row whose fields are all empty is an unused
# slot of the form and is left out (a row with any value is kept, and checked)
_ROW_FIELD = re.compile(r"([A-Za-z_]\w*)\.(\d{1,3})\.([A-Za-z_]\w*)")


def _row_item(schema: dict, spec: dict, key: str) -> dict:
    """The schema of the field `key` of a row of the list `spec` ({} when it has none)."""
    item = _resolve(schema, spec.get("items")) or {}
    return _resolve(schema, item.get("properties", {}).get(key)) or {}


def _row_values(row: dict[str, Any], required: set[str]) -> dict[str, Any]:
    """A row's values trimmed; an optional text left empty is left out (a required one stays, to be named)."""
    out: dict[str, Any] = {}
    for key, value in row.items():
        if isinstance(value, str):
            value = value.strip()
            if not value and key not in required:
                continue
        out[key] = value
    return out


def _set_nested(schema: dict, data: dict[str, Any], parts: list[str], values: list[str]) -> None:
    """Place an HTML field named like `checklist.logo.ok` into nested objects, typed by the schema."""
    spec: dict | None = schema
    target = data
    for i, part in enumerate(parts):
        if spec is not None:  # a named property, else the object's `additionalProperties` (`answers.1`)
            named, extra = spec.get("properties", {}), spec.get("additionalProperties")
            spec = _resolve(schema, named[part] if part in named else (extra if isinstance(extra, dict) else None))
        if i == len(parts) - 1:
            value = _coerce(spec, values) if spec is not None else (values[0] if len(values) == 1 else values)
            if value is not None:
                target[part] = value
            return
        nested = target.setdefault(part, {})
        if not isinstance(nested, dict):
            return
        target = nested


def _resolve(schema: dict, spec: dict | None) -> dict | None:
    """Follow a local `$ref` (`#/$defs/name`), keeping the referring entry's own keywords."""
    if spec and "$ref" in spec and spec["$ref"].startswith("#/$defs/"):
        return {**schema.get("$defs", {}).get(spec["$ref"].rsplit("/", 1)[1], {}), **spec}
    return spec


def _coerce(spec: dict, values: list[str]) -> Any:
    kind = spec.get("type")
    if isinstance(kind, list):  # e.g. ["integer", "null"] (a select with "— none —"): empty is null
        if "null" in kind and not "".join(values).strip():
            return None
        spec = {**spec, "type": next((k for k in kind if k != "null"), "string")}
        kind = spec["type"]
    if kind == "array":
        item = spec.get("items", {})
        return [_scalar(item, v) for v in values if v.strip() != ""]
    raw = values[-1] if values else ""
    if kind == "string":
        value = raw.replace("\r\n", "\n").strip()
        return value if value or spec.get("minLength", 0) > 0 else None
    return _scalar(spec, raw)


def _scalar(spec: dict, raw: str) -> Any:
    kind = spec.get("type")
    if kind == "integer":
        try:
            return int(raw)
        except ValueError:
            return raw
    if kind == "number":
        try:
            number = float(raw.strip().replace(",", "."))
        except ValueError:
            return raw
        return int(number) if number.is_integer() and abs(number) < 2**53 else number
    if kind == "boolean":
        return raw.lower() in {"1", "true", "on", "yes"}
    return raw.strip()
