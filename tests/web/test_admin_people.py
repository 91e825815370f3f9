"""People administration (issue 12, points 1 and 4): create, edit, disable (reason and confirmation) and enable
accounts through the pages, the JSON API and the CLI; one-time password links; every change audited with
before/after values; refusals are clear 4xx."""
from __future__ import annotations

import re

from click.testing import CliRunner
from sqlalchemy import select

from processes.usecases.seed import USERS
from storage.models import AuditEvent, User
from tests.conftest import api_token, csrf_from, login

NEW = {"username": "a.nurlanova",
       "full_name": {"kk": "Айжан Нұрланова", "ru": "Айжан Нурланова", "en": "Aizhan Nurlanova"},
       "email": "a.nurlanova@kineu.example", "unit": "FE-IS",
       "position": {"kk": "Аға оқытушы", "ru": "Старший преподаватель", "en": "Senior lecturer"},
       "roles": ["employee"]}


def events(factory, action: str) -> list[AuditEvent]:
    with factory() as s:
        return list(s.execute(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.seq)).scalars())


def link_path(link: str) -> str:
    assert link.startswith("https://kelisim.test/password/"), link
    return link.removeprefix("https://kelisim.test")


def set_password(client, path: str, password: str = "a sound passphrase"):
    page = client.get(path)
    assert page.status_code == 200 and page.headers["Referrer-Policy"] == "no-referrer"
    return client.post(path, data={"password": password, "password2": password,
                                   "csrf_token": csrf_from(page.get_data(as_text=True))})


def test_api_creates_an_account_whose_owner_sets_the_password(client, factory):
    admin = api_token(client, "admin")
    created = client.post("/api/v1/admin/users", headers=admin, json=NEW)
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert {k: body[k] for k in NEW} == NEW and body["active"] is True and body["area"] is None
    link = body["password_link"]
    got = client.get("/api/v1/admin/users/a.nurlanova", headers=admin).get_json()
    assert "password_link" not in got and got["full_name"] == NEW["full_name"]
    assert client.post("/api/v1/tokens", json={"username": "a.nurlanova", "password": ""}).status_code == 401
    done = set_password(client, link_path(link))
    assert done.status_code == 200 and 'id="password-done"' in done.get_data(as_text=True)
    assert api_token(client, "a.nurlanova", "a sound passphrase")  # the new person logs in
    again = client.get(link_path(link))
    assert again.status_code == 410 and "a.nurlanova" not in again.get_data(as_text=True)
    assert client.get("/password/not-a-token").status_code == 404
    assert client.post("/api/v1/admin/users", headers=admin, json=NEW).status_code == 409  # username taken
    after = events(factory, "user_created")[-1]
    assert after.actor == "admin" and after.data["after"]["position"]["en"] == "Senior lecturer"
    assert [e.actor for e in events(factory, "password_set")] == ["a.nurlanova"]


def test_invalid_fields_are_422_with_every_error_at_once(client):
    admin = api_token(client, "admin")
    bad = {**NEW, "username": "Bad Name", "full_name": {"kk": " ", "ru": "x"}, "email": "not-an-address",
           "unit": "NOPE", "roles": ["employee", "wizard"]}
    refused = client.post("/api/v1/admin/users", headers=admin, json=bad)
    assert refused.status_code == 422
    errors = refused.get_json()["errors"]
    assert set(errors) == {"username", "full_name.kk", "email", "unit", "roles"}, errors
    assert "wizard" in errors["roles"]
    assert client.post("/api/v1/admin/users", headers=admin, json={**NEW, "area": "sports"}).status_code == 422
    assert client.post("/api/v1/admin/users", headers=admin, json={**NEW, "extra": 1}).status_code == 400
    assert client.post("/api/v1/admin/users", headers=admin, data="x").status_code == 400
    assert client.get("/api/v1/admin/users/nobody", headers=admin).status_code == 404
    assert client.patch("/api/v1/admin/users/nobody", headers=admin, json={"email": None}).status_code == 404
    assert client.get("/api/v1/admin/users/a.nurlanova", headers=admin).status_code == 404  # nothing half-written


def test_patch_is_partial_and_audited_with_before_and_after(client, factory):
    admin = api_token(client, "admin")
    changed = client.patch("/api/v1/admin/users/vr.academic", headers=admin, json={
        "full_name": {"kk": "Сергей Петров", "ru": "Сергей Викторович Петров", "en": "Sergey Petrov"},
        "roles": ["employee", "public_person", "vice_rector:research"]})
    assert changed.status_code == 200, changed.get_json()
    body = changed.get_json()
    assert body["area"] == "research" and body["roles"] == ["employee", "public_person", "vice_rector"]
    assert body["email"] == "vr.academic@kineu.example"  # not given: kept
    entry = events(factory, "user_updated")[-1]
    assert entry.object == "user:vr.academic"
    assert entry.data["before"] == {"full_name": {"kk": "Сергей Викторович Петров", "ru": "", "en": ""},
                                    "area": "academic"}
    assert entry.data["after"]["area"] == "research" and set(entry.data["after"]) == {"full_name", "area"}
    assert client.patch("/api/v1/admin/users/employee", headers=admin, json={"unit": "MARS"}).status_code == 422
    assert client.patch("/api/v1/admin/users/employee", headers=admin, json={"username": "x"}).status_code == 400
    assert client.patch("/api/v1/admin/users/admin", headers=admin, json={"roles": ["employee"]}).status_code == 409


def test_disabling_needs_a_reason_ends_tokens_and_can_be_undone(client, factory):
    admin, emp2 = api_token(client, "admin"), api_token(client, "employee2")
    url = "/api/v1/admin/users/employee2"
    assert client.patch(url, headers=admin, json={"active": False}).status_code == 422
    assert client.get("/api/v1/tasks", headers=emp2).status_code == 200  # still active
    off = client.patch(url, headers=admin, json={"active": False, "reason": "left the university"})
    assert off.status_code == 200 and off.get_json()["active"] is False
    assert client.get("/api/v1/tasks", headers=emp2).status_code == 401  # ended at once
    assert events(factory, "user_disabled")[-1].data == {"reason": "left the university"}
    assert client.patch("/api/v1/admin/users/admin", headers=admin,
                        json={"active": False, "reason": "x"}).status_code == 409  # not yourself
    on = client.patch(url, headers=admin, json={"active": True})
    assert on.status_code == 200 and on.get_json()["active"] is True
    assert api_token(client, "employee2")  # the old password works again
    assert [e.object for e in events(factory, "user_enabled")] == ["user:employee2"]


def test_only_administrators_use_the_people_api(client):
    for username in ("employee", "auditor", "rector", "unit.head"):
        headers = api_token(client, username)
        assert client.get("/api/v1/admin/users", headers=headers).status_code == 403
        assert client.get("/api/v1/admin/users/employee", headers=headers).status_code == 403
        assert client.post("/api/v1/admin/users", headers=headers, json=NEW).status_code == 403
        assert client.patch("/api/v1/admin/users/employee", headers=headers, json={"active": False,
                                                                                    "reason": "x"}).status_code == 403
        assert client.post("/api/v1/admin/users/employee/password-link", headers=headers).status_code == 403
    assert client.get("/api/v1/admin/users").status_code == 401


def test_the_list_is_paged(client):
    admin = api_token(client, "admin")
    first = client.get("/api/v1/admin/users?limit=5", headers=admin)
    assert first.status_code == 200 and len(first.get_json()) == 5
    seen = [u["username"] for u in first.get_json()]
    nxt = re.fullmatch(r'<https?://[^/]+(/[^>]+)>; rel="next"', first.headers["Link"])
    assert nxt
    second = client.get(nxt.group(1), headers=admin).get_json()
    assert second and second[0]["username"] > seen[-1]
    everyone = client.get("/api/v1/admin/users?limit=200", headers=admin)
    assert "Link" not in everyone.headers and len(everyone.get_json()) == len(USERS)
    assert client.get("/api/v1/admin/users?limit=0", headers=admin).status_code == 400


def test_pages_create_edit_disable_and_enable(client, factory):
    login(client, "admin")
    form = client.get("/admin/users/new").get_data(as_text=True)
    csrf = csrf_from(form)
    assert 'value="vice_rector"' in form and 'value="FE-IS"' in form
    data = {"username": "b.omarov", "full_name_kk": "", "full_name_ru": "Бекзат Омаров", "email": "b@x",
            "unit": "FE-IS", "roles": ["employee"], "csrf_token": csrf}
    refused = client.post("/admin/users/new", data=data, headers={"Accept-Language": "en"})
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "Full name in Kazakh: Enter the full name in Kazakh." in html
    assert 'value="Бекзат Омаров"' in html  # what was typed comes back
    created = client.post("/admin/users/new", data={**data, "full_name_kk": "Бекзат Омаров", "email": "b@kineu.kz",
                                                    "position_kk": "Оқытушы", "position_en": "Lecturer"})
    page = created.get_data(as_text=True)
    assert created.status_code == 201 and 'id="password-link-url"' in page
    link = re.search(r'id="password-link-url">([^<]+)<', page).group(1)
    assert "b.omarov" not in link  # the token says nothing of whose it is
    edited = client.post("/admin/users/b.omarov", data={
        "full_name_kk": "Бекзат Омаров", "full_name_en": "Bekzat Omarov", "email": "b@kineu.kz", "unit": "MCD",
        "position_kk": "Маман", "roles": ["employee", "mcd_specialist"], "csrf_token": csrf})
    assert edited.status_code == 302
    with factory() as s:
        user = s.execute(select(User).where(User.username == "b.omarov")).unique().scalar_one()
        assert user.unit.code == "MCD" and user.role_names == {"employee", "mcd_specialist"}
        assert user.name_in("en") == "Bekzat Omarov" and user.position_in("ru") == "Маман"
    before = events(factory, "user_updated")[-1].data["before"]
    assert before["unit"] == "FE-IS" and before["roles"] == ["employee"]
    # disabling asks for a reason and a confirmation
    asked = client.post("/admin/users/b.omarov/disable", data={"reason": "", "csrf_token": csrf})
    html = asked.get_data(as_text=True)
    assert asked.status_code == 422 and 'id="disable-confirm-error"' in html and 'id="disable-reason-error"' in html
    assert client.post("/admin/users/b.omarov/disable", data={"reason": "moved", "confirm": "yes",
                                                              "csrf_token": csrf}).status_code == 302
    assert "Enable" in client.get("/admin/users/b.omarov", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert client.post("/admin/users/b.omarov/enable", data={"csrf_token": csrf}).status_code == 302
    assert client.post("/admin/users/b.omarov/enable", data={"csrf_token": csrf}).status_code == 409
    renewed = client.post("/admin/users/b.omarov/password-link", data={"csrf_token": csrf})
    new_link = re.search(r'id="password-link-url">([^<]+)<', renewed.get_data(as_text=True)).group(1)
    assert client.get(link_path(link)).status_code == 410 and client.get(link_path(new_link)).status_code == 200
    assert client.post("/admin/users/admin/disable", data={"reason": "x", "confirm": "yes",
                                                           "csrf_token": csrf}).status_code == 409
    assert client.get("/admin/users/nobody").status_code == 404


def test_the_start_role_choice_offers_every_role(client):
    """The base template's `roles` (the signed-in user's) once hid the page's list: only `admin` was offered."""
    login(client, "admin")
    html = client.get("/admin/settings").get_data(as_text=True)  # "Who may start a process" has its own page
    choice = html[html.index('id="start-role"'):]
    choice = choice[:choice.index("</select>")]
    assert 'value="dean"' in choice and 'value="vice_rector"' in choice


def test_pages_are_for_administrators_only(client):
    login(client, "unit.head")
    csrf = csrf_from(client.get("/inbox").get_data(as_text=True))
    assert client.get("/admin/users/new").status_code == 403
    assert client.get("/admin/users/employee").status_code == 403
    for url in ("/admin/users/new", "/admin/users/employee", "/admin/users/employee/enable",
                "/admin/users/employee/password-link"):
        assert client.post(url, data={"csrf_token": csrf, "full_name_kk": "X", "roles": ["admin"]}).status_code == 403
    assert client.post("/admin/users/employee/disable", data={"reason": "x", "confirm": "yes",
                                                              "csrf_token": csrf}).status_code == 403


def test_a_user_changes_their_password_and_other_sessions_end(app, factory):
    mine, other = app.test_client(), app.test_client()
    login(mine, "employee")
    login(other, "employee")
    page = mine.get("/account/password")
    csrf = csrf_from(page.get_data(as_text=True))
    wrong = mine.post("/account/password", data={"current": "nope", "password": "a sound passphrase",
                                                 "password2": "a sound passphrase", "csrf_token": csrf})
    assert wrong.status_code == 422 and 'id="field-current-error"' in wrong.get_data(as_text=True)
    assert [e.actor for e in events(factory, "login_failed")] == ["employee"]  # counts towards the throttle
    done = mine.post("/account/password", data={"current": "kelisim-demo", "password": "a sound passphrase",
                                                "password2": "a sound passphrase", "csrf_token": csrf})
    assert done.status_code == 302
    assert mine.get("/inbox").status_code == 200 and other.get("/inbox").status_code == 302
    assert [e.actor for e in events(factory, "password_changed")] == ["employee"]
    assert mine.get("/account/password", follow_redirects=False).status_code == 200
    assert app.test_client().get("/account/password").status_code == 302  # log in first


def test_cli_creates_disables_enables_and_reissues_links(db_url, tmp_path, monkeypatch, factory):
    from web.cli import main

    monkeypatch.setenv("KELISIM_DATABASE_URL", db_url)
    monkeypatch.setenv("KELISIM_DATA_DIR", str(tmp_path / "cli"))
    made = CliRunner().invoke(main, ["user", "create", "c.kim", "--name", "Ким", "--name-ru", "Ким",
                                     "--unit", "MCD", "--role", "employee", "--position-en", "Designer"])
    assert made.exit_code == 0 and "/password/" in made.output, made.output
    bad = CliRunner().invoke(main, ["user", "create", "d.x", "--name", "D", "--role", "wizard"])
    assert bad.exit_code != 0 and "roles" in bad.output
    assert CliRunner().invoke(main, ["user", "reset-link", "c.kim"]).output.count("/password/") == 1
    assert CliRunner().invoke(main, ["user", "disable", "c.kim", "--reason", "test"]).exit_code == 0
    assert CliRunner().invoke(main, ["user", "enable", "c.kim", "--as", "admin"]).exit_code == 0
    assert CliRunner().invoke(main, ["user", "enable", "c.kim"]).exit_code != 0  # already active
    assert [(e.actor, e.role) for e in events(factory, "user_created")] == [(None, "cli")]
    assert [e.actor for e in events(factory, "user_enabled")] == ["admin"]


def test_people_pages_label_every_control(client):
    from tests.web.test_accessibility import check

    login(client, "admin")
    csrf = csrf_from(client.get("/admin/users/new").get_data(as_text=True))
    for path in ("/admin/users/new", "/admin/users/employee", "/account/password"):
        check(client.get(path).get_data(as_text=True))
    refused = client.post("/admin/users/new", data={"username": "?", "csrf_token": csrf})
    check(refused.get_data(as_text=True))
    disabled = client.post("/admin/users/employee/disable", data={"csrf_token": csrf})
    check(disabled.get_data(as_text=True))
    link = client.post("/api/v1/admin/users", headers=api_token(client, "admin"), json=NEW).get_json()["password_link"]
    check(client.get(link_path(link)).get_data(as_text=True))


def test_guessing_the_current_password_is_throttled_like_a_log_in(client):
    login(client, "employee")
    csrf = csrf_from(client.get("/account/password").get_data(as_text=True))
    wrong = {"current": "guess", "password": "a sound passphrase", "password2": "a sound passphrase",
             "csrf_token": csrf}
    codes = [client.post("/account/password", data=wrong).status_code for _ in range(6)]
    assert codes == [422] * 5 + [429]


def test_the_header_names_the_user_in_the_page_language(client):
    admin = api_token(client, "admin")
    names = {"kk": "Әсел Қанатова", "ru": "Асель Канатова", "en": "Assel Kanatova"}
    assert client.patch("/api/v1/admin/users/employee", headers=admin, json={"full_name": names}).status_code == 200
    login(client, "employee")
    for lang, name in names.items():
        csrf = csrf_from(client.get("/inbox").get_data(as_text=True))
        client.post("/language", data={"lang": lang, "csrf_token": csrf})
        header = client.get("/inbox").get_data(as_text=True).split('class="user-name"', 1)[1][:300]
        assert name in header, (lang, header)
