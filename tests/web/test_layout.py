"""The layout contract the stylesheet relies on: every body cell of every table names its column
(`data-label`, shown before the value when rows stack on a phone), the filter forms fold behind a
<details>, the main menu stays short for every role, and the log-in page lists every installed process."""
from __future__ import annotations

import io
from pathlib import Path

import lxml.html
import pytest

from processes import catalog
from tests import samples
from tests.conftest import api_token, login
from tests.helpers import api_complete, api_ready, event_date, submission

EN = {"Accept-Language": "en"}
CHECK_OK = {item: {"ok": True, "remark": ""} for item in ("logo", "colours", "fonts", "languages", "contacts",
                                                           "accuracy")}


def _upload(client, headers, iid, name="file.pdf") -> int:
    response = client.post(f"/api/v1/instances/{iid}/files", headers=headers,
                           data={"file": (io.BytesIO(samples.pdf(name)), name)}, content_type="multipart/form-data")
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def _start(client, headers, key) -> dict:
    response = client.post(f"/api/v1/processes/{key}/instances", headers=headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


@pytest.fixture
def world(client) -> dict[str, int]:
    """One instance of each process, a few steps in: speech clearance approved, material signed off by the
    specialists' queue, a request registered and refused, an amendment proposed."""
    emp, vrf, head, spec, reg, rector, amd = (api_token(client, u) for u in (
        "employee", "vr.finance", "unit.head", "mcd.specialist", "registry", "rector", "amd.head"))
    ids = {}
    s = _start(client, emp, "speech_clearance")
    api_complete(client, emp, s["tasks"][0]["id"], submission())
    api_complete(client, vrf, api_ready(client, vrf, s["id"])["id"], {"decision": "approve"})
    ids["speech_clearance"] = s["id"]
    s = _start(client, head, "material_signoff")
    api_complete(client, head, s["tasks"][0]["id"], {
        "unit": "FE-IS", "material_type": "booklet", "channel": "print", "audiences": ["applicants"],
        "planned_date": event_date(15), "title": "Талапкерге", "description": "Буклет",
        "file_ids": [_upload(client, head, s["id"], "booklet.pdf")]})
    api_complete(client, spec, api_ready(client, spec, s["id"])["id"], {"checklist": CHECK_OK, "decision": "approve"})
    ids["material_signoff"] = s["id"]
    from tests.web.test_information_request_api import request_data

    s = _start(client, reg, "information_request")
    api_complete(client, reg, s["tasks"][0]["id"], request_data(file_ids=[_upload(client, reg, s["id"], "scan.pdf")]))
    api_complete(client, rector, api_ready(client, rector, s["id"])["id"],
                 {"decision": "refuse", "ground": "personal_data", "reason": "Персональные данные"})
    ids["information_request"] = s["id"]
    s = _start(client, amd, "policy_amendment")
    api_complete(client, amd, s["tasks"][0]["id"], {"changes": [{"clause": "7.10.2", "text": "Жаңа мәтін."}],
                                                    "rationale": "Жедел жауап"})
    ids["policy_amendment"] = s["id"]
    return ids


def _page(client, user: str, path: str, lang: str = "en") -> lxml.html.HtmlElement:
    login(client, user)
    response = client.get(path, headers={"Accept-Language": lang})
    assert response.status_code == 200, (user, path)
    return lxml.html.fromstring(response.get_data(as_text=True))


def _unlabelled(doc) -> list[str]:
    cells = doc.xpath("//table//tbody//td | //table//tbody//th")
    return [lxml.html.tostring(c, encoding="unicode")[:120] for c in cells if not c.get("data-label", "").strip()]


def test_every_body_cell_of_every_table_names_its_column(client, world):
    pages = [("rector", "/inbox"), ("employee", "/submissions"), ("rector", "/requests"),
             ("mcd.head", "/archive"), ("auditor", "/audit/instances"), ("employee", "/policy"),
             ("admin", "/admin/"), ("employee", "/notifications"),
             *(("auditor", f"/instances/{iid}") for iid in world.values())]
    tables = 0
    for user, path in pages:
        for lang in ("en", "kk", "ru"):
            doc = _page(client, user, path, lang)
            assert not _unlabelled(doc), (user, path, lang, _unlabelled(doc))
            for table in doc.xpath("//table"):
                assert "table" in table.get("class", "").split(), (path, table.get("class"))
            tables += len(doc.xpath("//table"))
    assert tables >= 30  # the pages above really have tables: instances (tasks, history), registers, admin


def test_the_labels_are_the_column_headings(client, world):
    doc = _page(client, "rector", "/requests", "ru")
    (table,) = doc.xpath("//table")
    headings = [th.text_content().strip() for th in table.xpath(".//thead//th")]
    for row in table.xpath(".//tbody/tr"):
        assert [c.get("data-label") for c in row.xpath("./td | ./th")] == headings


@pytest.mark.parametrize("path, user", [("/requests", "rector"), ("/archive", "mcd.head"),
                                        ("/audit/instances", "auditor")])
def test_filter_forms_fold_behind_details_open_only_when_filtering(client, world, path, user):
    doc = _page(client, user, path)
    (details,) = doc.xpath("//form[contains(@class, 'filter-form')]//details[contains(@class, 'filter-details')]")
    assert details.get("open") is None and details.xpath("./summary//*[@id='filter-title']")
    doc = _page(client, user, path + "?since=2026-01-01")
    (details,) = doc.xpath("//details[contains(@class, 'filter-details')]")
    assert details.get("open") is not None


@pytest.mark.parametrize("user", ["employee", "rector", "auditor", "admin", "mcd.head", "registry"])
def test_the_main_menu_is_short_and_folds_on_a_phone(client, user):
    doc = _page(client, user, "/inbox", "kk")
    (menu,) = doc.xpath("//nav[contains(@class, 'main-nav')]/details[contains(@class, 'nav-menu')]")
    assert menu.xpath("./summary[contains(@class, 'nav-toggle')]")
    items = menu.xpath(".//ul[contains(@class, 'nav-list')]/li")
    assert 5 <= len(items) <= 8, [li.text_content().strip() for li in items]
    hrefs = [a.get("href") for a in menu.xpath(".//a")]
    assert hrefs[:4] == ["/inbox", "/submissions", "/processes", "/notifications"]
    if user == "auditor":  # one item for the audit pages, which link to each other
        assert "/audit/instances" in hrefs and "/audit/verify" not in hrefs
        sub = _page(client, user, "/audit/instances").xpath("//nav[contains(@class, 'subnav')]//a/@href")
        assert sub == ["/audit/instances", "/audit/events", "/processes/definitions", "/dashboard", "/audit/verify"]


def test_the_login_page_lists_every_installed_process(client):
    doc = lxml.html.fromstring(client.get("/login", headers=EN).get_data(as_text=True))
    listed = doc.xpath("//*[contains(@class, 'login-process')]/@data-process")
    assert listed and sorted(listed) == sorted(catalog.kinds())
    text = doc.xpath("//aside")[0].text_content()
    for kind in catalog.kinds().values():
        assert kind.labels.title in text
    from babel.support import Translations

    ru = lxml.html.fromstring(client.get("/login", headers={"Accept-Language": "ru"}).get_data(as_text=True))
    catalog_ru = Translations.load(str(Path(__file__).parents[2] / "web" / "translations"), ["ru"])
    for kind in catalog.kinds().values():
        assert catalog_ru.gettext(kind.labels.title) in ru.xpath("//aside")[0].text_content()
        assert catalog_ru.gettext(kind.labels.title) != kind.labels.title


def test_a_queue_task_shows_who_did_it(client, factory, world):
    doc = _page(client, "auditor", f"/instances/{world['material_signoff']}")
    rows = doc.xpath("//table[.//caption[@id='tasks-caption']]/tbody/tr")
    review = [r for r in rows if "Review" in r.xpath("./th")[0].text_content()]
    assert review, [r.text_content() for r in rows]
    who = review[0].xpath("./td[@data-label='Who']")[0]
    assert who.xpath(".//*[contains(@class, 'task-done-by')]")[0].text_content().strip() \
        == _full_name(factory, "mcd.specialist")
    assert "MCD specialist" in who.text_content()  # the queue it came from


def _full_name(factory, username: str) -> str:
    from sqlalchemy import select

    from storage.models import User

    with factory() as s:
        return s.execute(select(User.full_name).where(User.username == username)).scalar_one()


@pytest.mark.parametrize("user, landing, sub", [
    ("mcd.head", "/media-inquiries", ["/media-inquiries", "/event-notices", "/expert-pool", "/media-contacts",
                                      "/brand-book", "/website-changes"]),
    ("unit.head", "/event-notices", ["/event-notices", "/expert-pool", "/media-contacts", "/website-changes"]),
    ("employee", "/event-notices", ["/event-notices", "/expert-pool"]),
    ("rector", "/media-inquiries", ["/media-inquiries", "/event-notices", "/expert-pool", "/brand-book"]),
])
def test_the_media_pages_are_one_menu_item_with_a_sub_menu(client, user, landing, sub):
    """The media pages (issue 15, 16) are one main-menu item, "Media", leading to the first the user may see;
    each of them shows the others the user may see as a sub-menu, the current one marked."""
    doc = _page(client, user, "/inbox", "kk")
    (media,) = doc.xpath("//ul[contains(@class, 'nav-list')]//a[normalize-space(text())='БАҚ']")
    assert media.get("href") == landing
    for path in sub:
        # a unit head's contacts page is their unit's
        page = _page(client, user, "/units/FE-IS/media-contacts" if (user, path) == ("unit.head", "/media-contacts")
                     else path, "kk")
        assert page.xpath("//nav[contains(@class, 'section-nav')]//a/@href") == sub, path
        assert page.xpath("//nav[contains(@class, 'section-nav')]//a[@aria-current='page']/@href") == [path]
        assert page.xpath("//ul[contains(@class, 'nav-list')]//a[@aria-current='page']/@href") == [landing]


def test_the_registers_are_one_menu_item(client):
    doc = _page(client, "rector", "/inbox", "ru")
    (registers,) = doc.xpath("//ul[contains(@class, 'nav-list')]//a[normalize-space(text())='Реестры']")
    assert registers.get("href") == "/requests"
    assert _page(client, "rector", "/archive").xpath("//nav[contains(@class, 'section-nav')]//a/@href") == [
        "/requests", "/archive", "/plans"]
