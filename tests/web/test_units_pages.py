"""Units (issue 12, point 2) through the pages, the JSON API and the `kelisim unit` commands: the tree, a new
unit, an edit and a move, the history of who belonged where; administrators only, refusals clear 4xx."""
from __future__ import annotations

import re

from click.testing import CliRunner
from sqlalchemy import select

from storage.models import AuditEvent, Unit
from tests.conftest import api_token, csrf_from, login


def events(factory, action: str) -> list[AuditEvent]:
    with factory() as s:
        return list(s.execute(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.seq)).scalars())


def text_of(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def admin_form(client, lang: str = "en") -> str:
    """Log in as the administrator, the pages in `lang`; the form token."""
    login(client, "admin")
    token = csrf_from(client.get("/admin/units").get_data(as_text=True))
    client.post("/language", data={"lang": lang, "csrf_token": token, "next": "/admin/units"})
    return token


def test_the_tree_page_shows_units_in_the_interface_language(client):
    token = admin_form(client)
    page = client.get("/admin/units")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    body = text_of(html)
    assert "Faculty of Engineering" in body and "Department of Information Systems" in body
    # indented under its faculty, with its kind, head and members
    row = re.search(r'<tr>\s*<th scope="row" class="cell-title unit-depth-1">.*?</tr>', html, re.S)
    assert row and "Department of Information Systems" in row.group(0)
    assert 'data-label="Kind of unit">Department<' in row.group(0) and "Ғалым Серікұлы Жақсыбеков" in row.group(0)
    assert re.search(r'data-label="Members">3<', row.group(0))
    assert "unit_head" not in body and ">department<" not in html  # labels, never keys
    client.post("/language", data={"lang": "ru", "csrf_token": token, "next": "/admin/units"})
    ru = text_of(client.get("/admin/units").get_data(as_text=True))
    assert "Кафедра информационных систем" in ru and "Инженерный факультет" in ru


def test_create_edit_and_move_through_the_pages(client, factory):
    token = admin_form(client)
    created = client.post("/admin/units", data={
        "code": "FE-CS", "name_kk": "Компьютерлік ғылымдар кафедрасы", "name_ru": "Кафедра компьютерных наук",
        "name_en": "Department of Computer Science", "kind": "department", "parent": "FE", "head": "employee2",
        "csrf_token": token})
    assert created.status_code == 302 and created.headers["Location"].endswith("/admin/units/FE-CS?created=1")
    taken = client.post("/admin/units", data={"code": "fe-cs", "name_kk": "Тағы", "kind": "office",
                                              "csrf_token": token})
    assert taken.status_code == 409
    taken_html = taken.get_data(as_text=True)
    assert "A unit with this code exists already." in taken_html and 'value="Тағы"' in taken_html
    page = client.get("/admin/units/FE-CS")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Department of Computer Science" in html
    assert 'value="employee2" selected' in html and 'value="department" selected' in html
    # a refused edit keeps what was typed and says why, at the field
    bad = client.post("/admin/units/FE-CS", data={"name_kk": "", "name_en": "Typed", "kind": "department",
                                                  "head": "", "csrf_token": token})
    assert bad.status_code == 422
    bad_html = bad.get_data(as_text=True)
    assert "Enter the name in Kazakh." in bad_html and 'value="Typed"' in bad_html
    saved = client.post("/admin/units/FE-CS", data={
        "name_kk": "Компьютерлік ғылымдар кафедрасы", "name_ru": "Кафедра КН", "name_en": "CS Department",
        "kind": "department", "head": "", "csrf_token": token})
    assert saved.status_code == 302
    assert events(factory, "unit_updated")[-1].data == {
        "before": {"name": {"kk": "Компьютерлік ғылымдар кафедрасы", "ru": "Кафедра компьютерных наук",
                            "en": "Department of Computer Science"}, "head": "employee2"},
        "after": {"name": {"kk": "Компьютерлік ғылымдар кафедрасы", "ru": "Кафедра КН", "en": "CS Department"},
                  "head": None}}
    moved = client.post("/admin/units/FE-CS/move", data={"parent": "FE-IS", "csrf_token": token})
    assert moved.status_code == 302
    assert events(factory, "unit_moved")[-1].data == {"before": {"parent": "FE"}, "after": {"parent": "FE-IS"}}
    # a cycle: refused with the reason on the page, nothing moved
    cycle = client.post("/admin/units/FE/move", data={"parent": "FE-CS", "csrf_token": token})
    assert cycle.status_code == 409
    assert "A unit cannot be placed under itself or under one of its own units." in cycle.get_data(as_text=True)
    with factory() as s:
        assert s.execute(select(Unit.parent_id).where(Unit.code == "FE")).scalar() is None
    # the unit's page: where it stood before, and the units below it not offered as its parent
    page = client.get("/admin/units/FE").get_data(as_text=True)
    move_form = page[page.index('id="move-unit"'):page.index("</form>", page.index('id="move-unit"'))]
    assert 'value="FE-IS"' not in move_form and 'value="FE-CS"' not in move_form and 'value="MCD"' in move_form
    history = client.get("/admin/units/FE-CS").get_data(as_text=True)
    places = history[history.index('id="parent-history"'):]
    assert "Department of Information Systems" in places and "Faculty of Engineering" in places


def test_moving_a_person_shows_on_both_histories(client, factory):
    token = admin_form(client)
    person = client.get("/admin/users/employee").get_data(as_text=True)
    form = {"full_name_kk": "Әсел Нұрланқызы Қанатова", "unit": "MCD", "roles": ["employee"], "csrf_token": token}
    assert client.post("/admin/users/employee", data=form).status_code == 302
    person = client.get("/admin/users/employee").get_data(as_text=True)
    section = person[person.index('id="unit-history"'):]
    assert section.index("Marketing and Communications Department") < section.index(
        "Department of Information Systems")  # the latest first
    assert section.count('class="row-muted"') == 1  # the stay in FE-IS has ended
    unit_page = client.get("/admin/units/FE-IS").get_data(as_text=True)
    past = unit_page[unit_page.index('id="membership-history"'):]
    assert "Әсел Нұрланқызы Қанатова" in past
    members = unit_page[unit_page.index('id="members-table"'):unit_page.index('id="membership-history"')]
    assert "Әсел Нұрланқызы Қанатова" not in members


def test_pages_are_for_administrators_only(client):
    login(client, "unit.head")
    token = csrf_from(client.get("/inbox").get_data(as_text=True))
    assert client.get("/admin/units").status_code == 403
    assert client.get("/admin/units/FE-IS").status_code == 403
    assert client.post("/admin/units/FE-IS/move", data={"parent": "", "csrf_token": token}).status_code == 403
    login(client, "admin")
    assert client.get("/admin/units/NOPE").status_code == 404


def test_api_lists_creates_patches_and_gives_the_history(client, factory):
    admin = api_token(client, "admin")
    tree = client.get("/api/v1/admin/units", headers=admin).get_json()
    fe_is = next(u for u in tree if u["code"] == "FE-IS")
    assert fe_is == {"code": "FE-IS", "name": {"kk": "Ақпараттық жүйелер кафедрасы",
                                                "ru": "Кафедра информационных систем",
                                                "en": "Department of Information Systems"},
                     "kind": "department", "parent": "FE", "head": "unit.head", "acting_head": "unit.head",
                     "depth": 1, "members": 3}
    body = {"code": "LIB", "name": {"kk": "Кітапхана", "ru": "Библиотека", "en": "Library"}, "kind": "office"}
    created = client.post("/api/v1/admin/units", headers=admin, json=body)
    assert created.status_code == 201 and created.get_json()["parent"] is None
    assert client.post("/api/v1/admin/units", headers=admin, json=body).status_code == 409
    bad = client.post("/api/v1/admin/units", headers=admin, json={**body, "code": "L 2", "kind": "library"})
    assert bad.status_code == 422 and {"code", "kind"} <= set(bad.get_json()["errors"])
    assert client.post("/api/v1/admin/units", headers=admin, json={**body, "extra": 1}).status_code == 400
    patched = client.patch("/api/v1/admin/units/LIB", headers=admin, json={"parent": "RECTORATE", "head": "rector"})
    assert patched.status_code == 200 and patched.get_json()["parent"] == "RECTORATE"
    assert patched.get_json()["head"] == "rector"
    cycle = client.patch("/api/v1/admin/units/RECTORATE", headers=admin, json={"parent": "LIB"})
    assert cycle.status_code == 409  # why, in the administrator's language (Kazakh by default)
    assert cycle.get_json()["error"] == "Бөлімшені өзіне немесе өзінің құрамындағы бөлімшеге бағындыруға болмайды."
    assert client.patch("/api/v1/admin/units/NOPE", headers=admin, json={"kind": "office"}).status_code == 404
    history = client.get("/api/v1/admin/units/LIB/history", headers=admin).get_json()
    assert [p["parent"] for p in history["parents"]] == ["RECTORATE", None]
    assert history["parents"][0]["ended_at"] is None and history["parents"][1]["ended_at"] is not None
    # a person moved through the people API shows in the unit's history
    assert client.patch("/api/v1/admin/users/employee2", headers=admin, json={"unit": "LIB"}).status_code == 200
    history = client.get("/api/v1/admin/units/LIB/history", headers=admin).get_json()
    assert [(m["user"], m["ended_at"], m["recorded_by"]) for m in history["memberships"]] == [
        ("employee2", None, "admin")]
    old = client.get("/api/v1/admin/units/FE-IS/history", headers=admin).get_json()["memberships"]
    assert next(m for m in old if m["user"] == "employee2")["ended_at"] is not None
    assert [e.action for e in events(factory, "unit_moved")] == ["unit_moved"]
    assert client.get("/api/v1/admin/units", headers=api_token(client, "unit.head")).status_code == 403


def test_cli_lists_creates_and_moves_units(db_url, tmp_path, monkeypatch, factory):
    from web.cli import main

    monkeypatch.setenv("KELISIM_DATABASE_URL", db_url)
    monkeypatch.setenv("KELISIM_DATA_DIR", str(tmp_path / "cli"))
    made = CliRunner().invoke(main, ["unit", "create", "FE-CS", "--name", "Компьютерлік ғылымдар кафедрасы",
                                     "--name-en", "Computer Science", "--kind", "department", "--parent", "FE"])
    assert made.exit_code == 0 and "created unit FE-CS" in made.output, made.output
    listed = CliRunner().invoke(main, ["unit", "list"])
    assert listed.exit_code == 0
    lines = listed.output.splitlines()
    fe = next(i for i, line in enumerate(lines) if line.startswith("FE "))
    assert any(line.startswith("  FE-CS ") and "department" in line for line in lines[fe + 1:])
    assert CliRunner().invoke(main, ["unit", "move", "FE-CS", "FE-IS", "--as", "admin"]).exit_code == 0
    refused = CliRunner().invoke(main, ["unit", "move", "FE", "FE-CS"])
    assert refused.exit_code != 0 and "under itself" in refused.output
    bad = CliRunner().invoke(main, ["unit", "move", "FE-CS", "FE", "--as", "employee"])
    assert bad.exit_code != 0 and "administrators" in bad.output
    moves = events(factory, "unit_moved")
    assert [(e.actor, e.data["after"]["parent"]) for e in moves] == [("admin", "FE-IS")]
    assert events(factory, "unit_created")[-1].role == "cli"
