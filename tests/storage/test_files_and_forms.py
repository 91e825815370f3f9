"""Content-addressed storage, upload sniffing, and form validation as pure functions."""
from __future__ import annotations

import hashlib
import io
import os
import time

import pytest

from forms.validate import from_html, load_form, validate
from storage import blobs, filetypes
from storage.accounts import PasswordRejected, check_password_policy, hash_password
from tests import samples


def test_blob_store_is_content_addressed_and_sweeps_orphans(tmp_path):
    store = blobs.BlobStore(tmp_path)
    a = store.put(io.BytesIO(b"hello"), max_size=100)
    assert a.sha256 == hashlib.sha256(b"hello").hexdigest() and store.path(a.sha256).read_bytes() == b"hello"
    assert store.put(io.BytesIO(b"hello"), max_size=100).sha256 == a.sha256
    with pytest.raises(blobs.TooLarge):
        store.put(io.BytesIO(b"x" * 101), max_size=100)
    assert list(store.tmp.iterdir()) == []  # nothing half-written left behind
    orphan = store.put(io.BytesIO(b"orphan"), max_size=100)
    young = time.time() - blobs.SWEEP_GRACE + 600  # within the grace period: a refused form may still hold it
    os.utime(store.path(orphan.sha256), (young, young))
    assert store.sweep({a.sha256}) == blobs.Swept(orphans=[], temporary=[])
    old = time.time() - blobs.SWEEP_GRACE - 60
    os.utime(store.path(orphan.sha256), (old, old))
    os.utime(store.path(a.sha256), (old, old))
    assert store.sweep({a.sha256}) == blobs.Swept(orphans=[orphan.sha256], temporary=[])
    assert store.exists(a.sha256) and not store.exists(orphan.sha256)


@pytest.mark.parametrize("name, content, ok", [
    ("a.pdf", samples.pdf(), True), ("a.pdf", b"PK\x03\x04zip", False), ("a.txt", "Сәлем".encode(), True),
    ("a.txt", b"\x00\x01binary", False), ("a.docx", samples.docx(), True), ("a.docx", samples.pdf(), False),
    ("a.rtf", b"{\\rtf1 hi}", True), ("a.exe", b"MZ", False), ("a.txt", b"", False),
])
def test_content_must_match_extension(name, content, ok):
    allowed = {"pdf", "txt", "docx", "rtf"}
    if ok:
        assert filetypes.check(name, content, allowed)
    else:
        with pytest.raises(filetypes.FileRejected):
            filetypes.check(name, content, allowed)


@pytest.mark.parametrize("name", ["../x.txt", "a/b.txt", "a\\b.txt", ".hidden", "noext", "bad\x00.txt",
                                  "rtl\u202e.txt", "", "x" * 300 + ".txt"])
def test_bad_file_names(name):
    with pytest.raises(filetypes.FileRejected):
        filetypes.clean_name(name)


def test_form_validation_is_per_field():
    form = load_form("speech_submission.schema.json", "speech_submission.uischema.json")
    _, errors = validate(form, {"event_kind": "party", "categories": ["finance", "gossip"], "hack": 1})
    assert {"event_name", "event_kind", "categories", "hack", "title"} <= set(errors)
    decision = load_form("speech_decision.schema.json")
    assert validate(decision, {"decision": "approve"})[1] == {}
    assert set(validate(decision, {"decision": "revise"})[1]) == {"comment"}
    assert set(validate(decision, {"decision": "revise", "comment": ""})[1]) == {"comment"}


def test_html_fields_become_typed_data():
    form = load_form("speech_submission.schema.json", "speech_submission.uischema.json")
    data = from_html(form, {"title": ["  T  "], "file_ids": ["3"], "categories": ["finance", "strategy"],
                            "csrf_token": ["x"]}, ignore=("csrf_token",))
    assert data["title"] == "T" and data["file_ids"] == [3] and data["categories"] == ["finance", "strategy"]
    assert "csrf_token" not in data
    assert from_html(form, {}, ignore=())["categories"] == []


def test_password_policy_and_argon2id():
    for bad in ("short", "password123", "x" * 300):
        with pytest.raises(PasswordRejected):
            check_password_policy(bad)
    check_password_policy("a long passphrase of sixty-four characters or more is accepted here ok")
    assert hash_password("correct horse battery").startswith("$argon2id$")


def test_a_form_date_out_of_the_time_modules_range_is_invalid_not_a_crash():
    """0001-01-01 and 9999-12-31 would overflow converting to UTC: refused as dates, with the field named."""
    from forms.validate import FIRST_DAY, LAST_DAY, Form, validate
    from processes import university_time

    assert (FIRST_DAY, LAST_DAY) == (university_time.FIRST_DAY, university_time.LAST_DAY)
    form = Form("t", {"type": "object", "properties": {"day": {"type": "string", "format": "date"}}}, {})
    for bad in ("0001-01-01", "9999-12-31", "2026-W49-3", "2026-13-01"):
        _, errors = validate(form, {"day": bad})
        assert errors["day"].msgid == "Not a valid date.", bad
    for good in ("2026-12-02", FIRST_DAY.isoformat(), LAST_DAY.isoformat()):
        assert validate(form, {"day": good})[1] == {}, good
