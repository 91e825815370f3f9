"""Units' media contacts (§7.10.4) on the pages and in the JSON API."""
from __future__ import annotations

from tests.conftest import api_token, csrf_from, login

GOOD = {"name": "Дмитрий Ковалёв", "position": "Оқытушы", "phone": "+7 714 255 10 21",
        "email": "d.kovalev@kineu.example", "user": "employee2"}


def test_the_head_adds_edits_confirms_and_removes_on_the_page(client):
    login(client, "unit.head")
    index = client.get("/media-contacts")
    assert index.status_code == 302 and index.headers["Location"].endswith("/units/FE-IS/media-contacts")
    page = client.get("/units/FE-IS/media-contacts").get_data(as_text=True)
    assert 'action="/units/FE-IS/media-contacts"' in page
    token = csrf_from(page)
    bad = client.post("/units/FE-IS/media-contacts", data={"csrf_token": token, "name": "Д", "email": "nope"})
    html = bad.get_data(as_text=True)
    assert bad.status_code == 422 and 'id="add-email-error"' in html and 'value="nope"' in html
    assert 'href="#add-email"' in html
    done = client.post("/units/FE-IS/media-contacts", data={"csrf_token": token, **GOOD})
    assert done.status_code == 303
    page = client.get("/units/FE-IS/media-contacts").get_data(as_text=True)
    assert "Дмитрий Ковалёв" in page and 'href="tel:+77142551021"' in page
    contact = client.get("/api/v1/units/FE-IS/media-contacts", headers=api_token(client, "unit.head")).get_json()[0]
    cid = contact["id"]
    wrong = client.post(f"/units/FE-IS/media-contacts/{cid}", data={"csrf_token": token, **GOOD, "phone": "x"})
    assert wrong.status_code == 422 and f'id="edit-{cid}-phone-error"' in wrong.get_data(as_text=True)
    edited = client.post(f"/units/FE-IS/media-contacts/{cid}", data={"csrf_token": token, **GOOD,
                                                                      "phone": "+7 700 111 22 33"})
    assert edited.status_code == 303
    (now,) = client.get("/api/v1/units/FE-IS/media-contacts", headers=api_token(client, "unit.head")).get_json()
    assert now["id"] != cid and now["phone"] == "+7 700 111 22 33"
    base = f"/units/FE-IS/media-contacts/{now['id']}"
    assert client.post(f"{base}/confirm", data={"csrf_token": token}).status_code == 303
    assert client.post(f"{base}/remove", data={"csrf_token": token}).status_code == 303
    assert "Дмитрий Ковалёв" not in client.get("/units/FE-IS/media-contacts").get_data(as_text=True)


def test_mcd_sees_every_unit_read_only(client):
    client.post("/api/v1/units/FE-IS/media-contacts", headers=api_token(client, "unit.head"), json=GOOD)
    login(client, "mcd.specialist")
    html = client.get("/media-contacts").get_data(as_text=True)
    assert "Дмитрий Ковалёв" in html and 'href="/units/FE-IS/media-contacts"' in html
    assert 'href="/media-contacts" aria-current="page"' in html  # in the expert pool's sub-navigation
    unit = client.get("/units/FE-IS/media-contacts").get_data(as_text=True)
    assert "Дмитрий Ковалёв" in unit and "/units/FE-IS/media-contacts/" not in unit.split("</h1>")[1].split(
        "<footer")[0].replace('href="/units/FE-IS/media-contacts"', "")


def test_api(client):
    head, mcd = api_token(client, "unit.head"), api_token(client, "mcd.head")
    created = client.post("/api/v1/units/FE-IS/media-contacts", headers=head, json=GOOD)
    assert created.status_code == 201
    body = created.get_json()
    assert body["user"] == "employee2" and body["unit"] == "FE-IS" and body["stale"] is False
    bad = client.post("/api/v1/units/FE-IS/media-contacts", headers=head, json={"name": "", "colour": 1})
    assert bad.status_code == 422 and {"name", "colour"} <= set(bad.get_json()["errors"])
    assert client.post("/api/v1/units/FE-IS/media-contacts", headers=mcd, json=GOOD).status_code == 403
    patched = client.patch(f"/api/v1/units/FE-IS/media-contacts/{body['id']}", headers=head, json={"name": "Жаңа"})
    assert patched.status_code == 200 and patched.get_json()["id"] != body["id"]
    again = client.patch(f"/api/v1/units/FE-IS/media-contacts/{body['id']}", headers=head, json={"name": "X"})
    assert again.status_code == 409  # superseded
    every = client.get("/api/v1/media-contacts", headers=mcd).get_json()
    assert [c["name"] for c in every] == ["Жаңа"]
    gone = client.delete(f"/api/v1/units/FE-IS/media-contacts/{patched.get_json()['id']}", headers=head)
    assert gone.status_code == 200 and gone.get_json()["ended_at"]
    assert client.get("/api/v1/media-contacts", headers=mcd).get_json() == []
    assert client.get("/api/v1/units/NOPE/media-contacts", headers=mcd).status_code == 404
    assert client.get("/api/v1/media-contacts").status_code == 401
