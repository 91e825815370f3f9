"""The archive of signed-off material (§3.2.3), searchable by unit, type, channel and date."""
from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_login import login_required

from forms.validate import N_
from processes.material_signoff import KIND, archive
from processes.usecases import queries
from web import paging
from web.process_pages import NavItem
from web.unit_of_work import ctx, date_arg

bp = Blueprint("material_signoff", __name__)
NAV = [NavItem("material_signoff.archive_list", N_("Archive"), archive.READERS, order=12, group="registers")]


@bp.get("/archive")
@login_required
def archive_list():
    """Signed-off material (§3.2.3), searchable by unit, type, channel and date."""
    args = request.args
    flt = archive.ArchiveFilter(
        text=(args.get("q") or "").strip() or None, unit=args.get("unit") or None,
        material_type=args.get("type") or None, channel=args.get("channel") or None,
        since=date_arg("since"), until=date_arg("until"))
    c = ctx()
    values = KIND.labels.values
    page = archive.search_page(c, flt, **paging.position("archive"))
    return render_template("material_signoff/archive.html", items=page.items, page=page,
                           links=paging.links("archive", page), flt=flt,
                           units=queries.units(c), material_types=list(values["material_type"]),
                           channels=list(values["channel"]))
