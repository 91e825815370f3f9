"""The deployed process definitions (issue 14, part 3), for auditors and administrators: every process and
version with its instance counts (`/processes/definitions`), one version's diagram drawn on the server from
the BPMN it was deployed from and the decision tables it was built with (`/processes/definitions/<key>/<n>`),
and the same list in the JSON API (`GET /api/v1/processes/definitions`)."""
from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, jsonify, render_template
from flask_babel import gettext as _
from flask_login import login_required
from lxml import etree
from markupsafe import Markup

from processes.usecases import definitions, routing_tables
from web.auth import api_auth
from web.labels import ProcessLabels
from web.unit_of_work import ctx

log = logging.getLogger("kelisim.web")
bp = Blueprint("definitions", __name__)
api_bp = Blueprint("definitions_api", __name__, url_prefix="/api/v1")


@bp.get("/processes/definitions")
@login_required
def index():
    return render_template("definitions.html", processes=definitions.overview(ctx()))


BPMN_NS = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
# a deployed file is trusted, but read as any XML here: no DTDs, entities or network
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


def _translated(bpmn: str, key: str) -> bytes:
    """The file with each element's name in the page's language (a task's title as the process names it, any
    other name through the catalog, processes/diagram_labels.py); unreadable XML is left to the renderer."""
    try:
        root = etree.fromstring(bpmn.encode("utf-8"), _PARSER)
    except etree.XMLSyntaxError:
        return bpmn.encode("utf-8")
    labels = ProcessLabels()
    for el in root.iter():
        if isinstance(el.tag, str) and el.tag.startswith(BPMN_NS) and el.get("name"):
            name = " ".join((el.get("name") or "").split())
            el.set("name", str(labels.task(el.get("id"), _(name), key)))
    return etree.tostring(root, encoding="utf-8")


def _diagram(bpmn: str | None, key: str, title: str) -> tuple[Markup | None, list[str]]:
    """The version's diagram as inline SVG and what could not be drawn; (None, []) without a file or a
    renderer (processes/diagram.py)."""
    if not bpmn:
        return None, []
    try:
        from processes.diagram import DiagramError, render_svg
    except ImportError:  # the renderer is not installed: the page says so
        return None, []
    try:
        drawn = render_svg(_translated(bpmn, key), title=title)
    except DiagramError as err:
        log.warning("the deployed BPMN cannot be drawn: %s", err)
        return None, [str(err)]
    # the renderer escapes every text of the file and draws no script nor external resource
    return Markup(drawn.svg), list(drawn.problems)  # noqa: S704


def _tables(c, definition) -> list[dict[str, Any]]:
    specs = routing_tables.specs()
    found = []
    for t in definitions.tables_of(c, definition):
        spec = specs.get(t.decision)
        rules = [{"inputs": list(r.inputs), "role": routing_tables.role_of(r)} for r in t.table.rules] \
            if t.table else []
        found.append({"decision": t.decision, "version": t.version, "row": t.row, "table": t.table,
                      "spec": spec[1] if spec else None, "rules": rules})
    return found


@bp.get("/processes/definitions/<key>/<id:number>")
@login_required
def version(key: str, number: int):
    c = ctx()
    found = definitions.version(c, key, number)
    svg, problems = _diagram(found.definition.diagram, key, str(ProcessLabels().process(key)))
    try:
        import processes.diagram  # noqa: F401
        renderer = True
    except ImportError:
        renderer = False
    return render_template("definition.html", found=found, d=found.definition, svg=svg, problems=problems,
                           renderer=renderer, newest=definitions.newest_version(c, key),
                           tables=_tables(c, found.definition), title=_("Version %(n)s", n=number))


# --- JSON API ---------------------------------------------------------------------------------------

def _version_json(v: definitions.VersionRow) -> dict[str, Any]:
    d = v.definition
    return {"version": d.version, "checksum": d.checksum, "deployed_at": d.deployed_at.isoformat(),
            "decisions": dict(d.decisions or {}), "instances": v.total,
            "by_status": {s: v.instances.get(s, 0) for s in ("running", "completed", "cancelled")}}


@api_bp.get("/processes/definitions")
@api_auth
def api_index():
    """Every deployed process with its versions, newest first, and their instance counts."""
    return jsonify([{"key": p.key, "name": p.versions[0].definition.name, "instances": p.total,
                     "versions": [_version_json(v) for v in p.versions]} for p in definitions.overview(ctx())])


def openapi_parts() -> tuple[dict[str, Any], dict[str, Any]]:
    i, s = {"type": "integer"}, {"type": "string"}
    from web.openapi import array, ok

    version_schema = {"type": "object", "properties": {
        "version": i, "checksum": {**s, "description": "SHA-256 of the files it was deployed from (and the "
                                                      "routing tables' versions)"},
        "deployed_at": {"type": "string", "format": "date-time"},
        "decisions": {"type": "object", "additionalProperties": i,
                      "description": "the version of each decision table it was built with"},
        "instances": {**i, "description": "instances started on this version"},
        "by_status": {"type": "object", "properties": {"running": i, "completed": i, "cancelled": i}}}}
    return ({"/api/v1/processes/definitions": {"get": {
        "summary": "Every deployed process and its versions with instance counts (auditors, administrators)",
        "responses": ok("Processes, each with its versions newest first", array("ProcessDefinitions"))}}},
        {"ProcessDefinitions": {"type": "object", "properties": {
            "key": s, "name": s, "instances": i, "versions": array("ProcessVersion")}},
         "ProcessVersion": version_schema})
