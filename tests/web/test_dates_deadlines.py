"""One date format, one date-time format, and deadlines shown as their last day (issue 10, points 6-7)."""
from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

from flask import render_template_string

from processes.university_time import date_text, datetime_text, deadline_day, end_of_day_utc, ends_with_day, local
from storage.models import utcnow
from tests.conftest import ROOT, api_token, login
from tests.helpers import api_complete as complete
from tests.helpers import api_upload
from tests.samples import pdf

MIDNIGHT_DUE = end_of_day_utc(date(2026, 12, 14))  # 2026-12-14T19:00Z = 15.12.2026 00:00 in Almaty


def test_the_formats():
    moment = datetime(2026, 12, 2, 9, 5, tzinfo=UTC)  # 14:05 in Almaty
    assert date_text(date(2026, 12, 2)) == "02.12.2026" and date_text(moment) == "02.12.2026"
    assert datetime_text(moment) == "02.12.2026, 14:05"
    assert datetime_text(datetime(2026, 12, 2, 20, 0, tzinfo=UTC)) == "03.12.2026, 01:00"  # the Almaty date


def test_the_last_day_of_a_deadline():
    assert MIDNIGHT_DUE == datetime(2026, 12, 14, 19, 0, tzinfo=UTC)
    assert ends_with_day(MIDNIGHT_DUE) and deadline_day(MIDNIGHT_DUE) == date(2026, 12, 14)
    exact = datetime(2026, 12, 14, 9, 5, tzinfo=UTC)
    assert not ends_with_day(exact) and deadline_day(exact) == date(2026, 12, 14)
    assert ends_with_day(date(2026, 12, 14)) and deadline_day(date(2026, 12, 14)) == date(2026, 12, 14)
    assert deadline_day(None) is None and not ends_with_day(None)


def render(app, lang: str, source: str, **context) -> str:
    with app.test_request_context("/", headers={"Accept-Language": lang}):
        return render_template_string('{% from "_labels.html" import due, dt, d, iso_date, iso_datetime %}' + source,
                                      **context)


def test_the_due_macro_and_the_date_macros_in_every_language(app):
    exact = datetime(2026, 12, 14, 9, 5, tzinfo=UTC)
    assert "by 14.12.2026, end of day" in render(app, "en", "{{ due(v) }}", v=MIDNIGHT_DUE)
    assert "14.12.2026 күннің соңына дейін" in render(app, "kk", "{{ due(v) }}", v=MIDNIGHT_DUE)
    assert "до конца дня 14.12.2026" in render(app, "ru", "{{ due(v) }}", v=MIDNIGHT_DUE)
    assert "до конца дня 14.12.2026" in render(app, "ru", "{{ due(v) }}", v="2026-12-14T19:00:00+00:00")
    assert "до конца дня 14.12.2026" in render(app, "ru", "{{ due(v) }}", v=date(2026, 12, 14))
    assert "by 14.12.2026, 14:05" in render(app, "en", "{{ due(v) }}", v=exact)
    assert "15.12.2026" not in render(app, "kk", "{{ due(v) }}", v=MIDNIGHT_DUE)
    assert render(app, "kk", "{{ due(none) }}") == "—"
    for lang in ("kk", "ru", "en"):
        out = render(app, lang, "{{ dt(m) }}|{{ d(m) }}|{{ iso_date('2026-12-02') }}|{{ iso_datetime(s) }}",
                     m=datetime(2026, 12, 2, 9, 5, tzinfo=UTC), s="2026-12-02T09:05:00+00:00")
        texts = re.sub(r"<[^>]+>", "", out).split("|")
        assert texts == ["02.12.2026, 14:05", "02.12.2026", "02.12.2026", "02.12.2026, 14:05"], (lang, texts)


def registered(client) -> int:
    reg = api_token(client, "registry")
    started = client.post("/api/v1/processes/information_request/instances", headers=reg).get_json()
    fid = api_upload(client, reg, started["id"], "scan.pdf", pdf("scan"))
    complete(client, reg, started["tasks"][0]["id"], {
        "requester_name": "Анна Иванова", "requester_kind": "person", "email": "anna@example.kz", "postal_address": "",
        "subject": "Приём", "items": "Число поступивших", "form": "electronic", "language": "ru",
        "received_at": local(utcnow() - timedelta(hours=2)).isoformat(timespec="minutes"), "file_ids": [fid]})
    return started["id"]


def test_the_api_gives_due_day_with_every_deadline(client):
    iid = registered(client)
    rector = api_token(client, "rector")
    inst = client.get(f"/api/v1/instances/{iid}", headers=rector).get_json()
    due_at = datetime.fromisoformat(inst["due_at"])
    assert local(due_at).time().hour == 0 and local(due_at).minute == 0  # an instant: the next midnight
    assert inst["due_day"] == (local(due_at).date() - timedelta(days=1)).isoformat()
    (task,) = inst["tasks"]
    assert "due_day" in task and (task["due_at"] is None) == (task["due_day"] is None)
    inbox = client.get("/api/v1/tasks", headers=rector).get_json()
    assert all("due_day" in t for t in inbox)
    (row,) = [r for r in client.get("/api/v1/information-requests", headers=rector).get_json()
              if r["instance_id"] == iid]
    assert row["due_day"] == inst["due_day"]
    from web.openapi import document

    schemas = document()["components"]["schemas"]
    assert "due_day" in schemas["Instance"]["properties"] and "due_day" in schemas["RegisterEntry"]["properties"]


def test_pages_show_the_last_day_never_the_next_midnight(client):
    iid = registered(client)
    rector = api_token(client, "rector")
    inst = client.get(f"/api/v1/instances/{iid}", headers=rector).get_json()
    last = date.fromisoformat(inst["due_day"])
    next_midnight = date_text(last + timedelta(days=1))
    login(client, "registry")
    for lang, words in (("kk", f"{date_text(last)} күннің соңына дейін"), ("ru", f"до конца дня {date_text(last)}")):
        for url in (f"/instances/{iid}", "/requests"):
            html = client.get(url, headers={"Accept-Language": lang}).get_data(as_text=True)
            assert words in html, (lang, url)
            assert f"{next_midnight}, 00:00" not in html, (lang, url)
    login(client, "rector")
    inbox = client.get("/inbox", headers={"Accept-Language": "kk"}).get_data(as_text=True)
    assert f"{date_text(last)} күннің соңына дейін" in inbox and f"{next_midnight}, 00:00" not in inbox


def test_e_mails_write_deadlines_as_the_pages_do():
    from processes.usecases.mail import due_text, translations

    kk = translations(str(ROOT / "web" / "translations"), "kk").gettext
    assert due_text(MIDNIGHT_DUE, kk) == "14.12.2026 күннің соңына дейін"
    assert due_text(datetime(2026, 12, 14, 9, 5, tzinfo=UTC), lambda s: s) == "by 14.12.2026, 14:05"
