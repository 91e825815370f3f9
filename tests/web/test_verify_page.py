"""The public check of a document by the code typed from a paper copy (issue 10, point 14)."""
from __future__ import annotations

from tests.conftest import api_token
from tests.helpers import api_complete, api_ready, submission


def _certificate_code(client) -> str:
    emp, vr = api_token(client, "employee"), api_token(client, "vr.finance")
    started = client.post("/api/v1/processes/speech_clearance/instances", headers=emp).get_json()
    api_complete(client, emp, started["tasks"][0]["id"], submission())
    api_complete(client, vr, api_ready(client, vr, started["id"])["id"], {"decision": "approve"})
    (doc,) = client.get(f"/api/v1/instances/{started['id']}", headers=emp).get_json()["documents"]
    return doc["verification_code"]


def test_the_form_is_public(client):
    response = client.get("/verify", headers={"Accept-Language": "kk"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'action="/verify"' in html and 'name="code"' in html and "Құжатты коды бойынша тексеру" in html
    ru = client.get("/verify", headers={"Accept-Language": "ru"}).get_data(as_text=True)
    assert "Проверить документ по коду" in ru


def test_a_typed_code_is_normalised_and_found(client):
    code = _certificate_code(client)
    typed = f" {code[:4].lower()} {code[4:8]}-{code[8:].lower()} "
    response = client.get("/verify", query_string={"code": typed})
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/verify/{code}")
    page = client.get(f"/verify/{code}")
    assert page.status_code == 200 and code in page.get_data(as_text=True)
    lower = client.get(f"/verify/{code.lower()}")  # a code typed into the address bar in lower case
    assert lower.status_code == 301 and lower.headers["Location"].endswith(f"/verify/{code}")


def test_a_wrong_code_says_so_and_offers_the_form_again(client):
    response = client.get("/verify/NOSUCHCODE12", headers={"Accept-Language": "en"})
    html = response.get_data(as_text=True)
    assert response.status_code == 404
    assert "No document with this verification code" in html and 'name="code"' in html
    assert 'value="NOSUCHCODE12"' in html


def test_an_empty_code_is_a_400_with_the_form(client):
    response = client.get("/verify?code=%20%20", headers={"Accept-Language": "en"})
    assert response.status_code == 400 and 'id="verify-code-error"' in response.get_data(as_text=True)
