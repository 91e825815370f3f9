"""Log-in, sessions, CSRF, throttling and the language switch."""
from __future__ import annotations

from click.testing import CliRunner

from tests.conftest import csrf_from, login


def test_login_logout_and_session_end_server_side(client):
    assert client.get("/inbox").status_code == 302
    response = login(client, "employee")
    assert response.status_code == 302 and response.headers["Location"].endswith("/inbox")
    assert client.get("/inbox").status_code == 200
    cookie = client.get_cookie("kelisim_session")
    token = csrf_from(client.get("/inbox").get_data(as_text=True))
    client.post("/logout", data={"csrf_token": token})
    assert client.get("/inbox").status_code == 302
    client.set_cookie("kelisim_session", cookie.value)  # replay the old cookie: the session is over
    assert client.get("/inbox").status_code == 302


def test_new_session_id_at_login(client):
    client.get("/login")
    before = client.get_cookie("kelisim_session").value
    login(client, "employee")
    assert client.get_cookie("kelisim_session").value != before


def test_wrong_password_and_throttle(client):
    codes = [login(client, "employee2", f"wrong-{i}").status_code for i in range(6)]
    assert codes[:5] == [401] * 5 and codes[5] == 429
    assert login(client, "employee2").status_code == 429  # even the right password waits
    other = login(client, "employee")
    assert other.status_code == 302  # nobody else is locked out


def test_post_without_csrf_token_is_refused_and_changes_nothing(client):
    login(client, "employee")
    response = client.post("/processes/speech_clearance/new", data={"event_name": "x"})
    assert response.status_code == 400
    assert client.get("/submissions").get_data(as_text=True).count("/instances/") == 0


def test_disabling_a_user_ends_their_session(client, app, db_url, monkeypatch, tmp_path):
    from web.cli import main

    login(client, "employee")
    assert client.get("/inbox").status_code == 200
    monkeypatch.setenv("KELISIM_DATABASE_URL", db_url)
    monkeypatch.setenv("KELISIM_DATA_DIR", str(tmp_path / "cli"))
    result = CliRunner().invoke(main, ["user", "disable", "employee"])
    assert result.exit_code == 0, result.output
    assert client.get("/inbox").status_code == 302


def test_language_switch_is_remembered_per_user(client):
    login(client, "employee")
    token = csrf_from(client.get("/inbox").get_data(as_text=True))
    client.post("/language", data={"lang": "ru", "csrf_token": token, "next": "/inbox"})
    assert 'lang="ru"' in client.get("/inbox").get_data(as_text=True)
    client.post("/logout", data={"csrf_token": token})
    login(client, "employee")
    assert 'lang="ru"' in client.get("/inbox").get_data(as_text=True)
    assert client.post("/language", data={"lang": "xx", "csrf_token": token}).status_code == 400


def test_language_change_is_audited(client, factory):
    from sqlalchemy import select

    from storage.models import AuditEvent

    login(client, "employee")
    token = csrf_from(client.get("/inbox").get_data(as_text=True))
    client.post("/language", data={"lang": "en", "csrf_token": token})
    client.post("/language", data={"lang": "en", "csrf_token": token})  # no change, no entry
    with factory() as s:
        rows = s.execute(select(AuditEvent).where(AuditEvent.action == "language_changed")).scalars().all()
    assert [(r.actor, r.data) for r in rows] == [("employee", {"from": None, "to": "en"})]


def test_security_headers(client):
    response = client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert "object-src 'none'" in csp and "base-uri 'none'" in csp and "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    login(client, "employee")
    assert client.get("/inbox").headers["Cache-Control"] == "no-store"


def test_open_redirect_after_login_is_refused(client):
    page = client.get("/login")
    token = csrf_from(page.get_data(as_text=True))
    response = client.post("/login?next=https://evil.example/", data={
        "username": "employee", "password": "kelisim-demo", "csrf_token": token})
    assert response.headers["Location"].endswith("/inbox")


def test_idle_and_absolute_session_timeouts(client, app):
    from datetime import timedelta

    import time_machine

    from storage.models import utcnow

    login(client, "employee")
    start = utcnow()
    idle = app.config["SESSION_IDLE_MINUTES"]
    with time_machine.travel(start + timedelta(minutes=idle - 1), tick=False):
        assert client.get("/inbox").status_code == 200  # activity keeps the session alive
    with time_machine.travel(start + timedelta(minutes=2 * idle - 3), tick=False):
        assert client.get("/inbox").status_code == 200
    with time_machine.travel(start + timedelta(minutes=3 * idle), tick=False):
        assert client.get("/inbox").status_code == 302  # idle too long
    login(client, "employee")
    begun = utcnow()
    step = timedelta(minutes=idle - 5)
    moment, hours = begun, timedelta(hours=app.config["SESSION_ABSOLUTE_HOURS"])
    while moment + step < begun + hours:
        moment += step
        with time_machine.travel(moment, tick=False):
            assert client.get("/inbox").status_code == 200
    with time_machine.travel(begun + hours + timedelta(minutes=1), tick=False):
        assert client.get("/inbox").status_code == 302  # absolute limit, however active


def test_language_chosen_before_login_is_kept_and_audited(client, factory):
    from sqlalchemy import select

    from storage.models import AuditEvent

    token = csrf_from(client.get("/login").get_data(as_text=True))
    client.post("/language", data={"lang": "ru", "csrf_token": token, "next": "/login"})
    login(client, "employee2")
    assert 'lang="ru"' in client.get("/inbox").get_data(as_text=True)
    with factory() as s:
        entry = s.execute(select(AuditEvent).where(AuditEvent.action == "login")).scalar_one()
    assert entry.data["locale_set"] == "ru"
