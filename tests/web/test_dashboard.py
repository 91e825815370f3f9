"""Deadlines at a glance (issue 14, part 7): the figures against cases with controlled deadlines, the page's
SVG charts and tables, the JSON API, and who may see it."""
from __future__ import annotations

import re
import uuid
from datetime import date, timedelta

import pytest
from babel.dates import format_date
from lxml import etree
from sqlalchemy import select

from processes import charts
from processes.university_time import WorkCalendar, deadline_day, end_of_day_utc, start_of_day_utc, today_local
from processes.usecases import dashboard
from processes.usecases.errors import Forbidden
from storage.models import AuditEvent, InboxTask, Instance, ProcessDefinition, User, utcnow
from tests.conftest import api_token, csrf_from, login

SVG = "{http://www.w3.org/2000/svg}"


def _add(factory, process: str, *, due_at=None, status="running", completed_at=None, created_at=None) -> int:
    """One instance inserted directly (the dashboard reads rows, never workflow state)."""
    with factory() as s:
        definition = s.execute(select(ProcessDefinition).where(ProcessDefinition.key == process)).scalars().first()
        user = s.execute(select(User).where(User.username == "employee")).scalar_one()
        created = created_at or utcnow() - timedelta(days=30)
        row = Instance(definition_id=definition.id, process_key=process, title="Case", started_by_id=user.id,
                       created_at=created, updated_at=created, status=status, due_at=due_at,
                       completed_at=completed_at)
        s.add(row)
        s.commit()
        return row.id


def _task(factory, instance_id: int, process: str, name: str, *, hours: float, completed_ago=timedelta(days=1),
          state="completed") -> None:
    with factory() as s:
        done = utcnow() - completed_ago
        s.add(InboxTask(id=str(uuid.uuid4()), instance_id=instance_id, process_key=process, name=name, title=name,
                        state=state, created_at=done - timedelta(hours=hours),
                        completed_at=done if state == "completed" else None))
        s.commit()


def _month_index(months: list[date], due_at) -> int:
    day = deadline_day(due_at)
    return months.index(date(day.year, day.month, 1))


@pytest.fixture
def cases(factory):
    """speech_clearance: 2 overdue, 1 due tomorrow (a working day), 1 due in 10 days, 1 without a deadline;
    material_signoff: 1 overdue; a completed case that breached last month, one completed in time, and one
    whose deadline ended with the last day of last month (stored as this month's first midnight)."""
    now = utcnow()
    today = today_local(now)
    calendar = WorkCalendar()
    first = date(today.year, today.month, 1)
    last_month_day = first - timedelta(days=15)
    made = {
        "overdue": [_add(factory, "speech_clearance", due_at=now - timedelta(days=1)),
                    _add(factory, "speech_clearance", due_at=now - timedelta(hours=2))],
        "soon": _add(factory, "speech_clearance", due_at=end_of_day_utc(calendar.add_working_days(today, 1))),
        "later": _add(factory, "speech_clearance", due_at=end_of_day_utc(today + timedelta(days=10))),
        "none": _add(factory, "speech_clearance"),
        "material_overdue": _add(factory, "material_signoff", due_at=now - timedelta(days=3)),
    }
    late_due = end_of_day_utc(last_month_day)
    made["late_completed"] = _add(factory, "speech_clearance", due_at=late_due, status="completed",
                                  completed_at=late_due + timedelta(days=2))
    _add(factory, "speech_clearance", due_at=late_due, status="completed", completed_at=late_due - timedelta(hours=5))
    # the deadline's last day is the last day of last month: a breach of last month, not of this one
    boundary = start_of_day_utc(first)
    _add(factory, "policy_amendment", due_at=boundary, status="completed", completed_at=boundary + timedelta(days=1))
    # outside the 12 months: not counted
    _add(factory, "speech_clearance", due_at=now - timedelta(days=400), status="completed",
         completed_at=now - timedelta(days=390))
    return made


def test_open_cases_per_process_on_the_working_day_clock(act, cases):
    d = act("mcd.head", dashboard.figures)
    by = {o.process: o for o in d.open}
    assert (by["speech_clearance"].overdue, by["speech_clearance"].due_soon, by["speech_clearance"].on_time,
            by["speech_clearance"].no_deadline) == (2, 1, 1, 1)
    assert by["speech_clearance"].total == 5
    assert (by["material_signoff"].overdue, by["material_signoff"].total) == (1, 1)
    assert by["information_request"].total == 0  # every process is listed, with zeros
    only = act("rector", dashboard.figures, "material_signoff")
    assert [o.process for o in only.open] == ["material_signoff"] and only.open[0].overdue == 1


def test_due_soon_ends_with_the_second_working_day():
    """`soon_until` is the end of the 2nd working day after today: a Friday looks to Tuesday's end."""
    calendar = WorkCalendar()
    assert calendar.add_working_days(date(2026, 1, 9), 2) == date(2026, 1, 13)


def test_breaches_per_month(act, cases):
    d = act("auditor", dashboard.figures)
    now = utcnow()
    months = d.months
    assert len(months) == 12 and months[-1] == date(today_local(now).year, today_local(now).month, 1)
    expected = {key: [0] * 12 for key in d.processes}
    for due in (now - timedelta(days=1), now - timedelta(hours=2)):  # running past their deadline
        expected["speech_clearance"][_month_index(months, due)] += 1
    expected["speech_clearance"][10] += 1  # completed two days late, last month
    expected["material_signoff"][_month_index(months, now - timedelta(days=3))] += 1
    expected["policy_amendment"][10] += 1  # its deadline was the last day of last month
    assert d.breaches == expected
    assert d.breaches_per_month() == [sum(expected[k][m] for k in expected) for m in range(12)]


def test_median_time_per_step(act, factory):
    i = _add(factory, "speech_clearance")
    for hours in (1, 3, 10):
        _task(factory, i, "speech_clearance", "Task_Decide", hours=hours)
    for hours in (2, 5):
        _task(factory, i, "speech_clearance", "Task_Submit", hours=hours)
    _task(factory, i, "speech_clearance", "Task_Submit", hours=500, completed_ago=timedelta(days=100))  # too old
    _task(factory, i, "speech_clearance", "Task_Revise", hours=7, state="ready")  # not completed
    steps = {(s.process, s.task): s for s in act("mcd.specialist", dashboard.figures).steps}
    assert set(steps) == {("speech_clearance", "Task_Decide"), ("speech_clearance", "Task_Submit")}
    assert steps["speech_clearance", "Task_Decide"].median_hours == pytest.approx(3, abs=0.01)
    assert steps["speech_clearance", "Task_Decide"].count == 3
    assert steps["speech_clearance", "Task_Submit"].median_hours == pytest.approx(3.5, abs=0.01)  # (2 + 5) / 2
    assert steps["speech_clearance", "Task_Submit"].count == 2


@pytest.mark.parametrize("username", ["employee", "admin", "vr.finance", "registry"])
def test_others_are_refused_and_the_refusal_is_audited(act, client, factory, username):
    with pytest.raises(Forbidden):
        act(username, dashboard.figures)
    assert client.get("/api/v1/dashboard", headers=api_token(client, username)).status_code == 403
    login(client, username)
    page = client.get("/dashboard")
    assert page.status_code == 403
    assert 'href="/dashboard"' not in client.get("/inbox").get_data(as_text=True)  # not in the navigation
    with factory() as s:
        denials = s.execute(select(AuditEvent.actor).where(AuditEvent.action == "access_denied",
                                                           AuditEvent.object == "dashboard")).scalars().all()
    assert denials.count(username) >= 2  # the API's and the page's


def _svgs(html: str) -> list[etree._Element]:
    return [etree.fromstring(m.encode()) for m in re.findall(r"<svg\b.*?</svg>", html, flags=re.S)]


def _texts(svg) -> list[str]:
    return ["".join(t.itertext()) for t in svg.iter(f"{SVG}text")]


def test_page_draws_the_charts_with_their_numbers(client, act, cases, factory):
    _task(factory, cases["soon"], "speech_clearance", "Task_Decide", hours=4)
    login(client, "auditor")
    response = client.get("/dashboard")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<script" not in html.split("<main", 1)[1]  # no script drawn in the page's body
    assert "style=" not in html and "<style" not in html  # the CSP allows neither
    found = {svg.get("id"): svg for svg in _svgs(html)}
    assert set(found) >= {"chart-open", "chart-breaches", "chart-steps"}
    for svg in found.values():
        assert svg.get("role") == "img"
        assert svg.find(f"{SVG}title").text and svg.find(f"{SVG}desc").text
    open_texts = _texts(found["chart-open"])
    for number in ("2", "1", "5"):  # speech clearance: overdue, due soon / on time / none, total
        assert number in open_texts
    d = act("auditor", dashboard.figures)
    breach_texts = _texts(found["chart-breaches"])
    for value in d.breaches_per_month():
        assert str(value) in breach_texts
    assert any("4" in t for t in _texts(found["chart-steps"]))  # the 4 h step
    # the same numbers in the tables, and the auditor's link to the list it counts
    assert "/audit/instances?process=speech_clearance&amp;status=running" in html
    assert ">5</a>" in html
    assert html.count("<details class=\"chart-table\"") == 3
    # an auditor reaches it from the audit pages' sub-navigation (the main menu keeps one line)
    assert 'href="/dashboard" aria-current="page"' in html.split('class="subnav"', 1)[1]


def test_page_in_russian_names_processes_and_months(client, cases):
    login(client, "mcd.head")
    token = csrf_from(client.get("/inbox").get_data(as_text=True))
    client.post("/language", data={"lang": "ru", "csrf_token": token, "next": "/dashboard"})
    page = client.get("/dashboard")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Согласование текста выступления" in html  # the process's name in Russian
    month = format_date(date(today_local(utcnow()).year, today_local(utcnow()).month, 1), "LLLL y", locale="ru")
    assert month in html  # the breaches table's months in Russian
    assert "/audit/instances?" not in html  # mcd.head cannot open the auditors' list: no link
    assert 'href="/dashboard" aria-current="page"' in html  # in the navigation, as the current page


def test_unknown_process_is_refused(client):
    assert client.get("/api/v1/dashboard?process=nope", headers=api_token(client, "rector")).status_code == 400


def test_api_shape(client, cases):
    body = client.get("/api/v1/dashboard", headers=api_token(client, "rector")).get_json()
    assert set(body) == {"as_of", "due_soon_until", "open", "breaches", "steps"}
    speech = next(o for o in body["open"] if o["process"] == "speech_clearance")
    assert speech == {"process": "speech_clearance", "overdue": 2, "due_soon": 1, "on_time": 1, "no_deadline": 1,
                      "total": 5}
    assert len(body["breaches"]["months"]) == 12 and re.fullmatch(r"\d{4}-\d{2}", body["breaches"]["months"][0])
    assert len(body["breaches"]["total"]) == 12
    assert {p["process"] for p in body["breaches"]["by_process"]} == {o["process"] for o in body["open"]}
    assert body["steps"]["unit"] == "hours" and body["steps"]["items"] == []
    one = client.get("/api/v1/dashboard?process=material_signoff", headers=api_token(client, "auditor")).get_json()
    assert [o["process"] for o in one["open"]] == ["material_signoff"]


# --- the charts themselves (processes/charts.py) ----------------------------------------------------------

SERIES = [charts.Series("a", "Late", "#800000", text_fill="#ffffff"), charts.Series("b", "Soon", "#f0b429",
                                                                                     hatch="#b7791f"),
          charts.Series("c", "Fine", "#a8dab5"), charts.Series("d", "None", "#ffffff", stroke="#52606d", dashed=True)]


def test_stacked_bars_escape_every_text_and_write_every_number():
    evil = "<script>alert(1)</script> & \"co\""
    svg_text = charts.stacked_bars([(evil, [3, 14, 0, 7])], SERIES, chart_id="c1", title="T <b>", desc="D & d")
    assert "<script" not in svg_text and "<b>" not in svg_text
    svg = etree.fromstring(svg_text.encode())
    texts = _texts(svg)
    assert evil in texts  # drawn as text
    assert {"3", "14", "7", "24"} <= set(texts)  # the segments' numbers and the total
    assert any("Late 3" in t and "Fine 0" in t for t in texts)  # every value under the bar, zeros included
    assert svg.find(f"{SVG}title").text == "T <b>" and svg.find(f"{SVG}desc").text == "D & d"
    assert svg.get("aria-labelledby") == "c1-title c1-desc"
    assert svg.find(f".//{SVG}pattern").get("id") == "c1-b"  # the striped state
    assert "style" not in svg_text


def test_columns_and_bars_write_their_values():
    months = charts.columns([("Jan", "2026", 0), ("Feb", "", 12), ("<&>", "", 5)], chart_id="c2", title="B",
                            desc="d")
    svg = etree.fromstring(months.encode())
    texts = _texts(svg)
    assert {"0", "12", "5", "Jan", "2026", "Feb", "<&>"} <= set(texts)
    assert len(svg.findall(f"{SVG}rect")) == 2  # no column for 0, its value on the axis
    steps = charts.bars([("Decide", 3.0, "3,0 h"), ("Submit", 12.5, "12,5 h")], chart_id="c3", title="S", desc="d")
    texts = _texts(etree.fromstring(steps.encode()))
    assert {"Decide", "3,0 h", "Submit", "12,5 h"} <= set(texts)


def test_empty_charts_still_parse():
    for svg_text in (charts.stacked_bars([], SERIES, chart_id="e1", title="t", desc="nothing"),
                     charts.bars([], chart_id="e2", title="t", desc="nothing")):
        svg = etree.fromstring(svg_text.encode())
        assert "nothing" in _texts(svg)
