"""A certificate cleared by a substitute says so in each of its languages ("м.а.", "и.о.", "acting"), and
so does its public verification page; one cleared by the approver in person does not."""
from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from sqlalchemy import select

from processes.speech_clearance.kind import certificate_pdf
from processes.university_time import today_local
from processes.usecases import absences, instances
from storage.models import Document, InboxTask, utcnow
from tests.conftest import ROOT
from tests.engine.pdf_helpers import pdf_text, squash
from tests.service.helpers import start_and_submit


def _approved(act, factory) -> Document:
    inst = start_and_submit(act)
    with factory() as s:
        task_id = s.execute(select(InboxTask.id).where(InboxTask.instance_id == inst,
                                                       InboxTask.state == "ready")).scalar_one()
        holder = s.get(InboxTask, task_id).assignee.username
    act(holder, instances.complete_task, task_id, {"decision": "approve"})
    with factory() as s:
        return s.execute(select(Document).where(Document.instance_id == inst)).scalar_one()


def _render(doc, services, tmp_path) -> str:
    settings = replace(services.settings, translations_dir=ROOT / "web" / "translations")
    return squash(pdf_text(certificate_pdf(doc, settings), tmp_path))


def test_a_substitutes_certificate_says_acting_in_three_languages(act, factory, services, client, tmp_path):
    today = today_local(utcnow())
    act("vr.finance", absences.record, None, today.isoformat(), (today + timedelta(days=2)).isoformat(),
        "vr.academic", [])
    doc = _approved(act, factory)
    text = _render(doc, services, tmp_path)
    assert squash("Сергей Викторович Петров") in text
    assert squash("м.а. Қаржы және экономика жөніндегі проректор") in text
    assert squash("и.о. Проректор по финансам и экономике") in text
    assert squash("acting Vice-rector for finance and economy") in text
    page = client.get(f"/verify/{doc.verification_code}").get_data(as_text=True)  # Kazakh by default
    assert "м.а." in page and "Гүлнар Маратқызы Әлиева" in page


def test_a_certificate_cleared_in_person_says_nothing_of_acting(act, factory, services, client, tmp_path):
    doc = _approved(act, factory)
    assert "acting_for" not in doc.public  # old documents' params stay as they were
    text = _render(doc, services, tmp_path)
    assert squash("Гүлнар Маратқызы Әлиева") in text
    assert "м.а." not in text and "и.о." not in text and "acting" not in text
    assert "м.а." not in client.get(f"/verify/{doc.verification_code}").get_data(as_text=True)
