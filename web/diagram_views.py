"""The path a case took, on its process diagram (issue 14): the SVG for the API and for people signed in, and
what the instance page shows (the diagram inline, with the same steps as a list).

The SVG is drawn on the server from the deployed BPMN file (processes/diagram.py): no JavaScript, every label
escaped. Served on its own it carries a CSP that allows nothing but its inline style (and `sandbox`), so even a
browser opening it as a document runs nothing."""
from __future__ import annotations

from flask import Blueprint, Response, get_template_attribute
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import login_required

from processes.usecases import diagrams, instances
from processes.usecases.context import Ctx
from processes.usecases.errors import Conflict
from storage.models import Instance
from web.auth import api_auth
from web.labels import ProcessLabels
from web.unit_of_work import ctx

api_bp = Blueprint("diagram_api", __name__, url_prefix="/api/v1")
bp = Blueprint("diagrams", __name__)

SVG_CSP = "default-src 'none'; style-src 'unsafe-inline'; sandbox"


def legend() -> dict[str, str]:
    return {"completed": _("Completed"), "open": _("Open now"), "not-taken": _("Not taken")}


def instance_path(c: Ctx, inst: Instance, link_prefix: str = "#") -> diagrams.InstancePath:
    """The instance's path with names and legend in the page language."""
    lang = str(get_locale())
    labels = ProcessLabels()
    role_label = get_template_attribute("_labels.html", "role_label")
    return diagrams.instance_path(c, inst, name_of=lambda u: u.name_in(lang), legend=legend(),
                                  label=lambda el_id, name: str(labels.task(el_id, _(name), inst.process_key)),
                                  role_label=lambda code: str(role_label(code)).strip(),
                                  title=_("Path of case No. %(id)s", id=inst.id), link_prefix=link_prefix)


def page_path(c: Ctx, inst: Instance) -> diagrams.InstancePath | None:
    """The path for the instance page; None when the saved state cannot be read (the page shows the instance's
    error instead, and an administrator retries it)."""
    try:
        return instance_path(c, inst)
    except Conflict:
        return None


def _svg_response(c: Ctx, instance_id: int, link_prefix: str) -> Response:
    inst = instances.get_instance(c, instance_id)  # 404/403 as the instance itself
    path = instance_path(c, inst, link_prefix)
    if path.diagram is None:
        return Response(_("The diagram of this process version was not kept."), status=404,
                        mimetype="text/plain")
    response = Response(path.diagram.svg, mimetype="image/svg+xml")
    response.headers["Content-Security-Policy"] = SVG_CSP
    response.headers["Cache-Control"] = "no-store"
    response.headers["Content-Disposition"] = f'inline; filename="case-{inst.id}-path.svg"'
    return response


@api_bp.get("/instances/<id:instance_id>/diagram.svg")
@api_auth
def instance_diagram_api(instance_id: int) -> Response:
    """The instance's path taken, as SVG (contract: data-element-id, data-state, data-count)."""
    return _svg_response(ctx(), instance_id, f"/instances/{instance_id}#")


@bp.get("/instances/<id:instance_id>/diagram.svg")
@login_required
def instance_diagram(instance_id: int) -> Response:
    """The same for a person signed in: opened in its own tab, printed or saved."""
    return _svg_response(ctx(), instance_id, f"/instances/{instance_id}#")
