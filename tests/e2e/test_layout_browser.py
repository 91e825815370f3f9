"""What a person sees at 1366 px and on a 390 px phone, in Kazakh and Russian, in a real browser: the menu on
one line (a "Menu" toggle on the phone), no table scrolling sideways at 1366 px, table rows stacked as cards
on the phone with every cell inside the screen, and the filter folded until opened."""
from __future__ import annotations

import json
import urllib.request

import pytest

from tests.e2e.helpers import log_in
from tests.helpers import submission

pytestmark = pytest.mark.e2e

DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}


def _api(server, path: str, token: str | None = None, body: dict | None = None) -> dict:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = json.dumps(body).encode() if body is not None else b""
    request = urllib.request.Request(server.base_url + path, data=data, headers=headers, method="POST")
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read() or b"{}")


def _approved_speech_clearance(server) -> int:
    """A text the employee submitted and vr.finance approved, through the JSON API."""
    emp = _api(server, "/api/v1/tokens", body={"username": "employee", "password": server.password})["token"]
    vrf = _api(server, "/api/v1/tokens", body={"username": "vr.finance", "password": server.password})["token"]
    started = _api(server, "/api/v1/processes/speech_clearance/instances", emp)
    long_title = "Университеттің цифрлық трансформациясы және қаржылық тұрақтылығы туралы баяндама " * 2
    done = _api(server, f"/api/v1/tasks/{started['tasks'][0]['id']}/complete", emp,
                {"data": submission(title=long_title.strip())})
    assert done["instance"]["status"] == "running"
    request = urllib.request.Request(server.base_url + "/api/v1/tasks", headers={"Authorization": f"Bearer {vrf}"})
    with urllib.request.urlopen(request, timeout=60) as response:
        (task,) = [t for t in json.loads(response.read()) if t["instance_id"] == started["id"]]
    _api(server, f"/api/v1/tasks/{task['id']}/complete", vrf, {"data": {"decision": "approve"}})
    return started["id"]


def _page(browser, server, viewport, lang: str, user: str):
    context = browser.new_context(base_url=server.base_url, locale=lang, viewport=viewport, timezone_id="Asia/Almaty")
    context.set_default_timeout(15_000)
    page = context.new_page()
    log_in(page, server, user)
    if page.locator("html").get_attribute("lang") != lang:
        page.locator("#lang-select").select_option(lang)
        page.locator("form.lang-form button[type=submit]").click()
    assert page.locator("html").get_attribute("lang") == lang
    return page


def _sideways(page) -> list[str]:
    """Tables (by caption) whose region scrolls sideways, and whether the page itself does."""
    found = page.evaluate("""() => [...document.querySelectorAll('.table-wrap')]
        .filter(w => w.scrollWidth > w.clientWidth + 1)
        .map(w => (w.querySelector('caption') || w).textContent.trim().slice(0, 60))""")
    if page.evaluate("() => document.documentElement.scrollWidth > window.innerWidth + 1"):
        found.append("<the page>")
    return found


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_at_1366_the_menu_is_one_line_and_no_table_scrolls(kelisim_server, e2e_browser, lang):
    from playwright.sync_api import expect

    server = kelisim_server
    iid = _approved_speech_clearance(server)
    for user in ("auditor", "rector", "admin"):
        page = _page(e2e_browser, server, DESKTOP, lang, user)
        expect(page.locator(".nav-toggle")).to_be_hidden()  # waits for the page's styles under load
        tops = page.evaluate("""() => [...document.querySelectorAll('.nav-list > li')]
            .filter(li => li.checkVisibility()).map(li => Math.round(li.getBoundingClientRect().top))""")
        assert len(tops) >= 5 and len(set(tops)) == 1, (user, lang, tops)
        paths = {"auditor": [f"/instances/{iid}", "/audit/instances", "/policy"],
                 "rector": ["/requests", "/archive", "/notifications"], "admin": ["/admin/"]}[user]
        for path in paths:
            page.goto(path)
            assert page.locator("main h1").is_visible()
            assert _sideways(page) == [], (user, lang, path)
        if user == "auditor":
            page.goto(f"/instances/{iid}")
            details = page.locator("table.table-timeline tbody tr td.details-cell").last
            box = details.bounding_box()
            assert box and box["width"] >= 150 and box["x"] + box["width"] <= DESKTOP["width"], box
            page.goto("/audit/instances")  # the filter stays open on a wide screen
            assert page.locator("#f-process").is_visible()
        page.context.close()


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_on_a_phone_rows_stack_and_the_filter_and_menu_fold(kelisim_server, e2e_browser, lang):
    from playwright.sync_api import expect

    server = kelisim_server
    iid = _approved_speech_clearance(server)
    page = _page(e2e_browser, server, PHONE, lang, "auditor")

    # the menu: one toggle, the items appear when it is opened
    link = page.locator("nav.main-nav a[href='/audit/instances']")
    expect(link).to_be_hidden()
    page.locator(".nav-toggle").click()
    expect(link).to_be_visible()
    link.click()

    # the filter is folded, the results come first on the screen
    expect(page.locator("#f-process")).to_be_hidden()
    first_row = page.locator("main table tbody tr").first
    expect(first_row).to_be_visible()
    assert first_row.bounding_box()["y"] < PHONE["height"]
    page.locator(".filter-summary").click()
    expect(page.locator("#f-process")).to_be_visible()

    for path, table in ((f"/instances/{iid}", "table.table-timeline"), ("/audit/instances", "main table")):
        page.goto(path)
        assert _sideways(page) == [], (lang, path)
        row = page.locator(f"{table} tbody tr").first
        cells = row.locator(":scope > td, :scope > th")
        boxes = [cells.nth(i).bounding_box() for i in range(cells.count())]
        assert len(boxes) >= 5
        for above, below in zip(boxes, boxes[1:], strict=False):
            assert below["y"] >= above["y"] + above["height"] - 1, (path, above, below)  # one above the other
        for box in boxes:
            assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], (path, box)
        # each cell shows its column's name before its value
        label = cells.first.evaluate("c => getComputedStyle(c, '::before').content")
        assert label.strip('"') == cells.first.get_attribute("data-label") != ""
    page.context.close()
