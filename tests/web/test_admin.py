"""Administration pages: accounts and the working-day calendar, administrators only."""
from __future__ import annotations

from sqlalchemy import select

from storage.models import AuditEvent, CalendarDay
from tests.conftest import csrf_from, login


def token(client):
    return csrf_from(client.get("/admin/").get_data(as_text=True))


def test_admin_disables_an_account_and_its_session_ends(app):
    victim, admin = app.test_client(), app.test_client()
    login(victim, "employee2")
    assert victim.get("/inbox").status_code == 200
    login(admin, "admin")
    sure = {"reason": "left the university", "confirm": "yes"}  # a reason and a confirmation (issue 12)
    assert admin.post("/admin/users/employee2/disable", data={"csrf_token": token(admin)}).status_code == 422
    assert victim.get("/inbox").status_code == 200
    assert admin.post("/admin/users/employee2/disable", data={**sure, "csrf_token": token(admin)}).status_code == 302
    assert victim.get("/inbox").status_code == 302  # ended at once
    assert admin.post("/admin/users/employee2/disable", data={**sure, "csrf_token": token(admin)}).status_code == 409
    assert admin.post("/admin/users/admin/disable", data={**sure, "csrf_token": token(admin)}).status_code == 409
    assert admin.post("/admin/users/nobody/disable", data={**sure, "csrf_token": token(admin)}).status_code == 404
    assert admin.post("/admin/users/employee/disable", data={}).status_code == 400  # no CSRF token


def test_calendar_days_through_the_page(client, factory):
    login(client, "admin")
    assert client.post("/admin/calendar", data={"day": "2026-10-10", "kind": "working", "note": "Decree 1",
                                                "csrf_token": token(client)}).status_code == 302
    assert client.post("/admin/calendar", data={"day": "10/10/2026", "kind": "working",
                                                "csrf_token": token(client)}).status_code == 422
    assert client.post("/admin/calendar", data={"day": "2026-10-12", "kind": "holiday",
                                                "csrf_token": token(client)}).status_code == 422
    with factory() as s:
        assert [(d.day.isoformat(), d.kind) for d in s.execute(select(CalendarDay)).scalars()] == [
            ("2026-10-10", "working")]
    assert "Decree 1" in client.get("/admin/settings").get_data(as_text=True)  # the calendar's own page
    assert client.post("/admin/calendar/2026-10-10/clear", data={"csrf_token": token(client)}).status_code == 302
    with factory() as s:
        assert s.execute(select(CalendarDay)).scalars().all() == []
        actions = s.execute(select(AuditEvent.action).where(AuditEvent.action.like("calendar_%"))
                            .order_by(AuditEvent.seq)).scalars().all()
    assert actions == ["calendar_day_set", "calendar_day_cleared"]


def test_only_administrators(client):
    for user in ("employee", "auditor", "rector"):
        login(client, user)
        assert client.get("/admin/").status_code == 403
        csrf = csrf_from(client.get("/inbox").get_data(as_text=True))
        assert client.post("/admin/users/employee2/disable", data={"csrf_token": csrf}).status_code == 403
        assert client.post("/admin/calendar", data={"day": "2026-10-10", "kind": "working",
                                                    "csrf_token": csrf}).status_code == 403


def test_undelivered_mail_is_shown_and_sent_again_by_administrators_only(client, factory):
    from storage.models import OutboxMail, utcnow

    with factory() as s, s.begin():
        s.add(OutboxMail(recipient="erlan@example.kz", subject="Answer", body="b", status="failed", attempts=5,
                         last_error="connect: [Errno 111] Connection refused", created_at=utcnow()))
    login(client, "admin")
    page = client.get("/admin/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "E-mail delivery" in page and "Connection refused" in page and "Given up" in page
    with factory() as s:
        mail_id = s.execute(select(OutboxMail.id)).scalar_one()
    login(client, "registry")
    csrf = csrf_from(client.get("/inbox").get_data(as_text=True))
    assert client.post(f"/admin/mail/{mail_id}/requeue", data={"csrf_token": csrf}).status_code == 403
    login(client, "admin")
    assert client.post(f"/admin/mail/{mail_id}/requeue", data={"csrf_token": token(client)}).status_code == 302
    assert client.post(f"/admin/mail/{mail_id}/requeue", data={"csrf_token": token(client)}).status_code == 409
    assert client.post("/admin/mail/999999/requeue", data={"csrf_token": token(client)}).status_code == 404
    with factory() as s:
        assert s.execute(select(OutboxMail.status, OutboxMail.attempts)).one() == ("pending", 0)


def test_administrator_names_further_proposers_at_once(client, factory):
    from tests.conftest import api_token

    dean = api_token(client, "dean.engineering")
    assert client.post("/api/v1/processes/policy_amendment/instances", headers=dean).status_code == 403
    login(client, "admin")
    assert client.post("/admin/start-roles", data={"process": "policy_amendment", "role": "dean",
                                                   "csrf_token": token(client)}).status_code == 302
    assert client.post("/admin/start-roles", data={"process": "policy_amendment", "role": "dean",
                                                   "csrf_token": token(client)}).status_code == 409
    assert client.post("/admin/start-roles", data={"process": "nope", "role": "wizard",
                                                   "csrf_token": token(client)}).status_code == 422
    assert client.post("/api/v1/processes/policy_amendment/instances", headers=dean).status_code == 201
    assert client.post("/admin/start-roles/policy_amendment/dean/remove",
                       data={"csrf_token": token(client)}).status_code == 302
    assert client.post("/api/v1/processes/policy_amendment/instances", headers=dean).status_code == 403
    login(client, "rector")
    csrf = csrf_from(client.get("/inbox").get_data(as_text=True))
    assert client.post("/admin/start-roles", data={"process": "policy_amendment", "role": "dean",
                                                   "csrf_token": csrf}).status_code == 403
    with factory() as s:
        acts = s.execute(select(AuditEvent.action, AuditEvent.actor).where(AuditEvent.action.like("start_role_%"))
                         .order_by(AuditEvent.seq)).all()
    assert [tuple(a) for a in acts] == [("start_role_added", "admin"), ("start_role_removed", "admin")]
