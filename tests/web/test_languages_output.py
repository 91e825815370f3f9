"""Official output speaks its language (issue 10, point 5): positions on verification pages and letters, the
register's CSV values, document kinds and change kinds as labels, never codes."""
from __future__ import annotations

import csv
import io
from datetime import timedelta

from babel.support import Translations
from sqlalchemy import select

from processes.university_time import local
from storage.models import Document, utcnow
from tests.conftest import ROOT, api_token, login
from tests.helpers import api_complete as complete
from tests.helpers import api_ready as ready
from tests.helpers import api_upload, submission
from tests.samples import pdf

KEY = "information_request"


def gettext(lang: str):
    return Translations.load(str(ROOT / "web" / "translations"), [lang], domain="messages").gettext


def registered_request(client, reg, **overrides) -> int:
    started = client.post(f"/api/v1/processes/{KEY}/instances", headers=reg).get_json()
    fid = api_upload(client, reg, started["id"], "scan.pdf", pdf("scan"))
    data = {"requester_name": "Анна Иванова", "requester_kind": "media", "email": "anna@gazeta.kz",
            "postal_address": "", "subject": "Приём 2026", "items": "Число поступивших",
            "form": "electronic", "language": "kk",
            "received_at": local(utcnow() - timedelta(hours=2)).isoformat(timespec="minutes"), "file_ids": [fid]}
    complete(client, reg, started["tasks"][0]["id"], {**data, **overrides})
    return started["id"]


def refuse(client, rector, iid):
    complete(client, rector, ready(client, rector, iid)["id"],
             {"decision": "refuse", "ground": "personal_data", "reason": "Дербес деректер"})


def test_the_register_csv_prints_labels_in_its_language(client):
    reg, rector = api_token(client, "registry"), api_token(client, "rector")
    iid = registered_request(client, reg)
    refuse(client, rector, iid)
    login(client, "registry")
    for lang in ("kk", "ru"):
        _ = gettext(lang)
        rows = list(csv.reader(io.StringIO(client.get("/requests.csv", headers={"Accept-Language": lang})
                                           .get_data(as_text=True))))
        head, row = rows[0], rows[1]
        cell = dict(zip(head, row, strict=True))
        assert cell[_("Kind of requester")] == _("Mass media")
        assert cell[_("Wanted form")] == _("In electronic form")
        assert cell[_("Language")] == _("Kazakh")
        assert cell[_("Outcome")] == _("Refused")
        assert cell[_("Ground for refusal")] == _("Personal data protection (§3.2.6)")
        assert cell[_("Overdue")] == _("no")
        for code in ("media", "electronic", "refused", "personal_data", "kk"):
            assert code not in row, (lang, code, row)
        assert len(cell[_("Due date")]) == 10 and cell[_("Due date")][2] == "."  # 14.12.2026


def test_a_kazakh_letter_is_signed_in_kazakh_and_its_verification_page_speaks_the_pages_language(client, factory):
    reg, rector = api_token(client, "registry"), api_token(client, "rector")
    iid = registered_request(client, reg, language="kk")
    refuse(client, rector, iid)
    with factory() as s:
        doc = s.execute(select(Document).where(Document.instance_id == iid)).scalar_one()
    assert doc.public["signatory_position"] == "Ректор"
    assert doc.public["signatory_positions"]["en"] == "Rector"
    en = client.get(f"/verify/{doc.verification_code}", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Бақыт Әбдірахманұлы Дүйсенов, Rector" in en
    ru = client.get(f"/verify/{doc.verification_code}", headers={"Accept-Language": "ru"}).get_data(as_text=True)
    assert "Бақыт Әбдірахманұлы Дүйсенов, Ректор" in ru


def test_the_certificate_verification_page_prints_the_position_in_the_pages_language(client, factory):
    emp, vr = api_token(client, "employee"), api_token(client, "vr.finance")
    started = client.post("/api/v1/processes/speech_clearance/instances", headers=emp).get_json()
    complete(client, emp, started["tasks"][0]["id"], submission())
    complete(client, vr, ready(client, vr, started["id"])["id"], {"decision": "approve"})
    with factory() as s:
        doc = s.execute(select(Document).where(Document.instance_id == started["id"])).scalar_one()
    code = doc.verification_code
    pages = {lang: client.get(f"/verify/{code}", headers={"Accept-Language": lang}).get_data(as_text=True)
             for lang in ("kk", "ru", "en")}
    assert "Қаржы және экономика жөніндегі проректор" in pages["kk"]
    assert "Проректор по финансам и экономике" in pages["ru"]
    assert "Vice-rector for finance and economy" in pages["en"]
    assert "Vice-rector for finance and economy" not in pages["kk"] + pages["ru"]
    # a certificate issued before positions had languages (one string) still shows it
    with factory() as s:
        row = s.get(Document, doc.id)
        row.public = {**row.public, "approver_position": "Vice-rector (old)"}
        s.commit()
    assert "Vice-rector (old)" in client.get(f"/verify/{code}", headers={"Accept-Language": "kk"}).get_data(
        as_text=True)


def test_document_and_change_kinds_are_labels(app):
    from web.labels import ProcessLabels

    with app.test_request_context("/", headers={"Accept-Language": "kk"}):
        assert ProcessLabels().document("policy_addition") == gettext("kk")("Addition to the Information Policy")
        assert ProcessLabels().document("policy_addition") != "policy_addition"
    with app.test_request_context("/", headers={"Accept-Language": "ru"}):
        assert ProcessLabels().document("policy_addition") == "Дополнение к Информационной политике"
    verify = (ROOT / "processes" / "policy_amendment" / "pages" / "verify.html").read_text("utf-8")
    assert "{{ ch.kind }}" not in verify
