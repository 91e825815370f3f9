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


def frozen_clock():
    """Hold the clock still: the throttle's first back-off is 2 seconds, which a slow run could outlast."""
    import time_machine

    from storage.models import utcnow

    return time_machine.travel(utcnow(), tick=False)


def test_wrong_password_and_throttle(client):
    with frozen_clock():
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


ATTACKER, OWNER = "203.0.113.66", "198.51.100.7"


def login_from(client, addr: str, username: str, password: str = "kelisim-demo", headers=None):
    """Log in from a given client address (the connection's peer, REMOTE_ADDR)."""
    env = {"REMOTE_ADDR": addr}
    token = csrf_from(client.get("/login", environ_base=env).get_data(as_text=True))
    return client.post("/login", data={"username": username, "password": password, "csrf_token": token},
                       environ_base=env, headers=headers or {})


def failed_logins(factory) -> list[tuple[str | None, str]]:
    from sqlalchemy import select

    from storage.models import AuditEvent

    with factory() as s:
        rows = s.execute(select(AuditEvent).where(AuditEvent.action == "login_failed")
                         .order_by(AuditEvent.seq)).scalars().all()
    return [(r.actor, r.data["remote_addr"]) for r in rows]


def test_owner_logs_in_from_another_address_while_an_attacker_keeps_failing(app, factory):
    """Before: five failures from anyone locked the account for 15 minutes, its owner too."""
    attacker, owner = app.test_client(), app.test_client()
    with frozen_clock():
        codes = [login_from(attacker, ATTACKER, "employee2", f"guess-{i}").status_code for i in range(7)]
        assert codes == [401] * 5 + [429, 429]  # the attacker's pair backs off...
        refused = login_from(attacker, ATTACKER, "employee2")
        assert refused.status_code == 429 and refused.headers["Retry-After"] == "2"  # ...for seconds
        assert login_from(owner, OWNER, "employee2").status_code == 302  # the owner, elsewhere, gets in
    assert failed_logins(factory) == [("employee2", ATTACKER)] * 5  # refused attempts are not counted again


def test_forwarded_for_is_ignored_without_trusted_proxies(client, factory):
    with frozen_clock():
        codes = [login_from(client, "10.0.0.1", "employee2", f"guess-{i}",
                            headers={"X-Forwarded-For": f"198.51.100.{i}"}).status_code for i in range(6)]
    assert codes == [401] * 5 + [429]  # a forged header does not make each attempt a new address
    assert {addr for _, addr in failed_logins(factory)} == {"10.0.0.1"}


def test_forwarded_for_gives_the_client_behind_one_trusted_proxy(db_url, tmp_path, factory):
    from web import create_app

    app = create_app({"DATA_DIR": tmp_path / "data", "DATABASE_URL": db_url, "SECRET_KEY": "test-secret",
                      "SESSION_COOKIE_SECURE": False, "TESTING": True, "TRUSTED_PROXIES": 1})
    try:
        proxy = "10.0.0.1"  # every request reaches us through the proxy
        attacker, owner = app.test_client(), app.test_client()
        forged = {"X-Forwarded-For": f"192.0.2.99, {ATTACKER}"}  # the proxy appended the real client last
        with frozen_clock():
            codes = [login_from(attacker, proxy, "employee2", f"guess-{i}", headers=forged).status_code
                     for i in range(6)]
            assert codes == [401] * 5 + [429]
            assert login_from(owner, proxy, "employee2", headers={"X-Forwarded-For": OWNER}).status_code == 302
        assert failed_logins(factory) == [("employee2", ATTACKER)] * 5
    finally:
        app.extensions["kelisim.engine"].dispose()


def test_trusted_proxies_setting_is_checked(monkeypatch, tmp_path):
    import pytest

    from web.config import from_env

    monkeypatch.setenv("KELISIM_TRUSTED_PROXIES", "2")
    assert from_env({"DATA_DIR": tmp_path, "SECRET_KEY": "x"})["TRUSTED_PROXIES"] == 2
    monkeypatch.setenv("KELISIM_TRUSTED_PROXIES", "-1")
    with pytest.raises(ValueError, match="KELISIM_TRUSTED_PROXIES"):
        from_env({"DATA_DIR": tmp_path, "SECRET_KEY": "x"})
    monkeypatch.delenv("KELISIM_TRUSTED_PROXIES")
    assert from_env({"DATA_DIR": tmp_path, "SECRET_KEY": "x"})["TRUSTED_PROXIES"] == 0
