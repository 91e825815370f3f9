"""Positions in kk, ru and en (issue 10, point 5): kept per language, printed in the document's language(s),
old documents (one position string) still readable."""
from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

import processes.speech_clearance.kind  # noqa: F401 - registers the process kind
from forms.validate import Message
from processes.material_signoff.kind import MaterialSignoff
from processes.policy_amendment.documents import summary_changes
from processes.speech_clearance.certificate import Certificate, render_certificate_html
from processes.usecases import instances
from storage import accounts
from storage.models import Document, User, pick_language
from tests.service.helpers import my_task, start_and_submit

FINGERPRINT = "a" * 64


def test_pick_language_prefers_the_language_then_falls_back():
    value = {"kk": "Ректор", "ru": "Ректор", "en": "Rector"}
    assert [pick_language(value, lang) for lang in ("kk", "ru", "en")] == ["Ректор", "Ректор", "Rector"]
    assert pick_language({"kk": "", "ru": "Проректор", "en": "Vice-rector"}, "kk") == "Проректор"
    assert pick_language("Rector", "kk") == "Rector"  # a document issued before: one string
    assert pick_language(None, "kk") == "" and pick_language({}, "ru") == ""


def test_the_seed_gives_every_position_in_three_real_languages(factory):
    with factory() as s:
        users = s.execute(select(User)).scalars().all()
    for user in users:
        assert user.position_kk and user.position_ru and user.position_en, user.username
    vr = next(u for u in users if u.username == "vr.finance")
    assert vr.position_in("kk") == "Қаржы және экономика жөніндегі проректор"
    assert vr.position_in("ru") == "Проректор по финансам и экономике"
    assert vr.position_in("en") == "Vice-rector for finance and economy"
    assert vr.positions == {"kk": vr.position_kk, "ru": vr.position_ru, "en": vr.position_en}


def test_create_user_takes_a_position_per_language_or_one_for_all(factory):
    with factory() as s:
        u = accounts.create_user(s, "new.one", "Жаңа Адам", "a-long-enough-password-1", ["employee"],
                                 position={"kk": "Оқытушы", "ru": "Преподаватель", "en": ""})
        assert (u.position_kk, u.position_ru, u.position_en) == ("Оқытушы", "Преподаватель", "Оқытушы")
        v = accounts.create_user(s, "new.two", "Екінші", "a-long-enough-password-1", ["employee"],
                                 position="Lecturer")
        assert v.positions == {"kk": "Lecturer", "ru": "Lecturer", "en": "Lecturer"}
        for bad in ({"de": "Dozent"}, {"kk": 5}, ["Rector"], {"kk": "x" * 201}):
            with pytest.raises(ValueError):
                accounts.create_user(s, "bad", "Bad", "a-long-enough-password-1", ["employee"], position=bad)
        s.rollback()


def test_a_new_certificate_keeps_the_approvers_position_in_three_languages(act, factory):
    iid = start_and_submit(act)
    act("vr.finance", instances.complete_task, my_task(act, "vr.finance", iid).id, {"decision": "approve"})
    with factory() as s:
        doc = s.execute(select(Document).where(Document.instance_id == iid)).scalar_one()
    assert doc.public["approver_position"] == {"kk": "Қаржы және экономика жөніндегі проректор",
                                               "ru": "Проректор по финансам и экономике",
                                               "en": "Vice-rector for finance and economy"}


def _certificate(position) -> Certificate:
    return Certificate(reg_number="SC-2026-000001", employee_name="Әсел", event_name="Форум",
                       event_date=date(2026, 12, 2), organizer="ҚИнЭУ", title="Баяндама", approver_name="Гүлнар",
                       approver_position=position, approved_at=datetime(2026, 12, 2, 9, 5, tzinfo=UTC),
                       fingerprint=FINGERPRINT, content_version=1, verification_code="AAAA-BBBB-CCCC",
                       verify_url="https://kelisim.example/verify/AAAA-BBBB-CCCC")


def test_the_certificate_prints_the_position_in_kazakh_first_and_old_strings_still_render():
    html = render_certificate_html(_certificate({"kk": "Қаржы және экономика жөніндегі проректор",
                                                 "ru": "Проректор по финансам и экономике",
                                                 "en": "Vice-rector for finance and economy"}))
    kk, ru, en = (html.index(t) for t in ("Қаржы және экономика жөніндегі проректор",
                                          "Проректор по финансам и экономике", "Vice-rector for finance and economy"))
    assert kk < ru < en
    assert "02.12.2026, 14:05" in html  # 09:05 UTC in Almaty, the one date-time format
    assert "02.12.2026" in html
    old = render_certificate_html(_certificate("Vice-rector for finance and economy"))
    assert "Vice-rector for finance and economy" in old


def test_the_policy_summary_becomes_clause_and_kind_pairs():
    assert summary_changes("11.2 changed; 3.1 added; 7.10.5 removed") == [
        ("11.2", "changed"), ("3.1", "added"), ("7.10.5", "removed")]
    assert summary_changes("something else") == [("something else", "")]


def test_the_checklist_error_names_items_by_their_label_not_their_key():
    from processes.usecases.errors import Invalid

    data = {"decision": "approve", "checklist": {"fonts": {"ok": False}, "logo": {"ok": True}}}
    with pytest.raises(Invalid) as caught:
        MaterialSignoff._check_override(data)
    message: Message = caught.value.errors["override_reason"]
    english = message.render()
    assert "Fonts" in english and "(fonts)" not in english
    kazakh = {"Fonts": "Қаріптер"}
    assert "Қаріптер" in message.render(lambda s: kazakh.get(s, s))
