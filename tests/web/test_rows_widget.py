"""The generic `rows` form widget (web/templates/_form.html): a list of objects, one fieldset per row rendered
by the row's schema, posted back as `name.i.prop` (checkboxes keep their list), errors at the row's field — with
the media inquiry's `units` list (unit, urgency, term) as the example."""
from __future__ import annotations

import re

import pytest
from flask import render_template_string

from forms.validate import Form, from_html, validate
from storage.models import Unit

SCHEMA = {
    "type": "object", "additionalProperties": False, "required": ["units"],
    "properties": {
        "units": {"type": "array", "title": "Units to ask", "minItems": 1, "maxItems": 20, "items": {
            "type": "object", "additionalProperties": False, "required": ["unit", "urgency"],
            "properties": {
                "unit": {"type": "string", "title": "Unit"},
                "urgency": {"type": "string", "title": "Urgency", "enum": ["urgent", "deep", "current"]},
                "term": {"type": "string", "title": "Term"},
                "channels": {"type": "array", "title": "Formats", "items": {"enum": ["press", "tv"]}},
                "until": {"type": "string", "title": "Member until", "format": "date"},
            }}},
    },
}
UI = {"units": {"ui:widget": "rows", "ui:itemTitle": "No. %(n)s", "ui:items": {
    "unit": {"ui:widget": "unit"},
    "urgency": {"ui:enumNames": ["Urgent", "Deep", "Current"]},
    "term": {"ui:widget": "datetime", "ui:help": "Only for a current request."},
    "channels": {"ui:enumNames": ["Press", "TV"]}}}}
FORM = Form("units_test", SCHEMA, UI)
TEMPLATE = '{% from "_form.html" import render_form with context %}{{ render_form(form, values, errors, "Send") }}'


def render(app, values, errors=None) -> str:
    with app.test_request_context("/"):
        from web.unit_of_work import db

        units = list(db().query(Unit).order_by(Unit.code))
        return render_template_string(TEMPLATE, form=FORM, values=values, errors=errors or {}, units=units,
                                      current_locale="kk")


def test_an_empty_list_shows_one_empty_row(app):
    html = render(app, {})
    assert '<select id="field-units-0-unit" name="units.0.unit"' in html
    assert '<option value="FE-IS">' in html  # the unit widget's choices
    assert '<select id="field-units-0-urgency" name="units.0.urgency"' in html
    assert '<option value="urgent">Urgent</option>' in html  # the item's ui:enumNames, none chosen
    assert 'type="datetime-local" id="field-units-0-term" name="units.0.term"' in html
    assert 'type="date" id="field-units-0-until"' in html
    assert 'type="checkbox" id="field-units-0-channels-1" name="units.0.channels" value="tv"' in html
    assert 'name="_slots.units" value="1"' in html and 'value="add:units"' in html
    assert "units.1.unit" not in html


def test_rows_render_their_values_plus_one_empty_row(app):
    rows = [{"unit": "FE-IS", "urgency": "deep", "channels": ["tv"]},
            {"unit": "MCD", "urgency": "current", "term": "2026-12-05T10:00"}]
    html = render(app, {"units": rows, "_slots": {"units": 2}})
    assert re.search(r'name="units.0.unit".*?<option value="FE-IS" selected', html, re.S)
    assert re.search(r'<option value="deep" selected', html)
    assert re.search(r'name="units.0.channels" value="tv"\s+checked', html)
    assert not re.search(r'name="units.0.channels" value="press"\s+checked', html)
    assert 'value="2026-12-05T10:00"' in html
    assert 'name="units.2.unit"' in html and 'name="units.3.unit"' not in html  # one empty row to add another


def test_asked_rows_are_shown(app):
    html = render(app, {"units": [], "_slots": {"units": 3}})
    assert 'name="units.2.urgency"' in html and 'name="units.3.urgency"' not in html


def test_errors_show_at_the_rows_fields(app):
    errors = {"units.1.urgency": "Not one of the allowed choices.", "units.0": "Ask each unit once."}
    html = render(app, {"units": [{"unit": "FE-IS", "urgency": "urgent"}, {"unit": "MCD", "urgency": "x"}]},
                  errors)
    assert '<p class="field-error" id="field-units-1-urgency-error">' in html
    assert re.search(r'id="field-units-1-urgency" name="units.1.urgency" aria-invalid="true"', html)
    assert 'id="field-units-0"' in html and "Ask each unit once." in html
    assert 'href="#field-units-1-urgency"' in html and 'href="#field-units-0"' in html  # the summary's links
    assert html.count("check-item-has-error") == 2


def test_posted_rows_parse_back_with_lists(app):
    fields = {"units.0.unit": ["FE-IS"], "units.0.urgency": ["urgent"], "units.0.channels": ["press", "tv"],
              "units.0.term": [""], "units.1.unit": ["MCD"], "units.1.urgency": ["current"],
              "units.1.term": ["2026-12-05T10:00"], "units.2.unit": [""], "units.2.urgency": [""],
              "units.2.term": [""]}
    data = from_html(FORM, fields)
    assert data == {"units": [{"unit": "FE-IS", "urgency": "urgent", "channels": ["press", "tv"]},
                              {"unit": "MCD", "urgency": "current", "term": "2026-12-05T10:00"}]}
    assert validate(FORM, data)[1] == {}
    _, errors = validate(FORM, from_html(FORM, {"units.0.unit": ["FE-IS"], "units.0.urgency": ["soon"]}))
    assert list(errors) == ["units.0.urgency"]


@pytest.mark.parametrize("fields, rows", [
    ({"units.0.channels": ["tv"]}, [{"channels": ["tv"]}]),  # a row with only a checkbox is kept
    ({"units.0.unit": [""], "units.0.channels": []}, []),  # a wholly empty row is an unused slot
])
def test_rows_with_checkboxes_only(app, fields, rows):
    assert from_html(FORM, fields)["units"] == rows
