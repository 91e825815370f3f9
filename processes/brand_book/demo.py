"""The demo brand guideline (`kelisim seed-demo`): a small genuine PDF rendered with WeasyPrint, uploaded by the
head of MCD as edition 1.0, and a unit head's request for elements awaiting MCD."""
from __future__ import annotations

import dataclasses
import io
from datetime import date

from processes.brand_book import library
from processes.university_time import today_local
from processes.usecases.context import Ctx
from storage import accounts

GUIDE_HTML = """<!doctype html><html lang="kk"><head><meta charset="utf-8"><style>
@page { size: A5 landscape; margin: 14mm; }
body { font-family: "DejaVu Sans", sans-serif; color: #1b2a4a; }
h1 { font-size: 20pt; margin: 0 0 6mm; } .sw { display: inline-block; width: 28mm; height: 16mm; margin-right: 4mm; }
p { font-size: 10pt; }
</style></head><body>
<h1>ҚИнЭУ гайдлайны · 1.0</h1>
<p>Логотип, фирмалық түстер мен қаріптер (§6.2, §6.3). Демо нұсқа.</p>
<p><span class="sw" style="background:#1b2a4a"></span><span class="sw" style="background:#c8a24a"></span>
<span class="sw" style="background:#e9eef6"></span></p>
<p>#1B2A4A · #C8A24A · #E9EEF6 · DejaVu Sans</p>
</body></html>"""


def guide_pdf() -> bytes:
    from weasyprint import HTML

    return HTML(string=GUIDE_HTML).write_pdf()


def seed(ctx: Ctx) -> str:
    head = accounts.find_user(ctx.session, "mcd.head")
    unit_head = accounts.find_user(ctx.session, "unit.head")
    assert head is not None and unit_head is not None
    today = today_local(ctx.now())
    since = date(today.year if today.month >= 9 else today.year - 1, 9, 1)
    library.upload_edition(dataclasses.replace(ctx, user=head), "1.0", since.isoformat(),
                           "Бірінші редакция: логотип, фирмалық түстер, қаріптер.",
                           [("kineu-guideline-1.0.pdf", io.BytesIO(guide_pdf()))])
    from processes.usecases import instances

    c = dataclasses.replace(ctx, user=unit_head)
    instance = instances.start_instance(c, "brand_request")
    task = instances.ready_tasks(c, instance)[0]
    instances.complete_task(c, task.id, {"elements": ["logo", "colours"], "material": "Ашық есік күнінің афишасы",
                                         "details": "A1 пішімі, қазақ және орыс тілдерінде."})
    return "brand book: edition 1.0 (PDF), one element request awaiting MCD"
