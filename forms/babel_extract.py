"""A Babel extractor for form files: titles, descriptions, help texts and choice labels."""
from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

_KEYS = {"title", "description", "ui:help", "ui:action", "ui:itemTitle", "ui:addLabel", "x-hint"}


def extract_form(fileobj, keywords, comment_tags, options) -> Iterator[tuple[int, str, str, list[str]]]:
    """Yield (lineno, funcname, message, comments) for every user-facing string in a form file."""
    data = json.loads(fileobj.read().decode("utf-8"))
    for message in _walk(data):
        yield 0, "_", message, []


def _walk(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key in _KEYS and isinstance(value, str):
                yield value
            elif key == "ui:enumNames" and isinstance(value, list):
                yield from (v for v in value if isinstance(v, str))
            elif key == "ui:actions" and isinstance(value, dict):  # task name -> what the person does there
                yield from (v for v in value.values() if isinstance(v, str))
            else:
                yield from _walk(value)
    elif isinstance(node, list):
        for item in node:
            yield from _walk(item)
