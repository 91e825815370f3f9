"""Signed PDFs (issue 17): the signing certificate chain, and the check of an uploaded PDF, public.

`GET /api/v1/signing/certificate` gives the chain (PEM). `POST /api/v1/verify-pdf` (multipart, field `file`) and
the form on the verification page (`POST /verify/pdf`, CSRF-checked like every form) say whether a PDF is the
genuine one: its signature, signer, times, the register's entry it matches and whether a newer file superseded
it. Not a PDF, encrypted: 422; larger than the document limit: 413; no file: 400.
"""
from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, jsonify, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from processes.pdf_check import PdfRefused
from processes.usecases import signatures
from processes.usecases.context import Ctx
from web.auth import anonymous_ctx

api_bp = Blueprint("signing_api", __name__, url_prefix="/api/v1")
bp = Blueprint("signing", __name__)

PROBLEM_TEXTS = {
    "not_signed": _l("The file carries no electronic signature."),
    "altered": _l("The file was changed after it was signed: its bytes no longer match the signature."),
    "invalid_signature": _l("The signature in the file is not valid."),
    "untrusted": _l("The signature was not made with the university's signing key."),
    "changed_after_signing": _l("Something was added to the file after it was signed (a page, an edit or a "
                                "form field)."),
    "second_signature": _l("A second signature was added to the file after the university's."),
    "bad_timestamp": _l("The file's timestamp is not valid."),
    "not_registered": _l("The signature is the university's, but no document of the register is this file."),
}
REFUSALS = {
    "not_pdf": _l("The file is not a PDF."),
    "encrypted": _l("The PDF is encrypted, so its signature cannot be checked. Upload the file as it was issued."),
}


@api_bp.get("/signing/certificate")
def certificate() -> Response:
    """The signing certificate and its chain up to the root, PEM (public: anyone may check a signature)."""
    pem = current_app.extensions["kelisim.services"].signer.get().chain_pem()
    return Response(pem, mimetype="application/pem-certificate-chain",
                    headers={"Content-Disposition": 'inline; filename="kelisim-signing-chain.pem"'})


@api_bp.post("/verify-pdf")
def verify_pdf_api():
    """Check an uploaded PDF (multipart `file`): JSON with `genuine`, the problems found and the matching entry."""
    data, error = _uploaded()
    if error is not None:
        return jsonify(error=error[1]), error[0]
    try:
        result = signatures.check_upload(anonymous_ctx(), data)
    except PdfRefused as exc:
        return jsonify(error=str(REFUSALS[exc.reason]), reason=exc.reason), 422
    return jsonify(result_json(result))


@bp.post("/verify/pdf")
def verify_pdf_page():
    """The verification page's upload form: the same check, shown as a page."""
    data, error = _uploaded()
    if error is not None:
        return render_template("verify.html", document=None, code="", form_only=True, pdf_error=error[1]), error[0]
    try:
        result = signatures.check_upload(anonymous_ctx(), data)
    except PdfRefused as exc:
        return render_template("verify.html", document=None, code="", form_only=True,
                               pdf_error=str(REFUSALS[exc.reason])), 422
    return render_template("verify.html", document=None, code="", form_only=True, pdf_result=view(result))


def _uploaded() -> tuple[bytes, tuple[int, str] | None]:
    """The uploaded file's bytes, at most the document limit; else (status, reason)."""
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return b"", (400, _("Choose the PDF file to check."))
    limit = current_app.extensions["kelisim.services"].settings.max_file_size
    try:
        data = upload.stream.read(limit + 1)
    finally:
        upload.close()  # the spool of the upload: checked in memory, never kept
    if len(data) > limit:
        return b"", (413, _("The file is larger than %(n)s MB.", n=limit // (1024 * 1024)))
    if not data:
        return b"", (400, _("The file is empty."))
    return data, None


def problems_of(result: signatures.UploadCheck) -> list[str]:
    codes = list(result.check.problems)
    if not codes and result.match is None:
        codes.append("not_registered")
    return codes


def result_json(result: signatures.UploadCheck) -> dict[str, Any]:
    check, match = result.check, result.match
    codes = problems_of(result)
    body: dict[str, Any] = {
        "genuine": result.genuine, "problems": codes, "reasons": [str(PROBLEM_TEXTS[c]) for c in codes],
        "sha256": check.sha256, "size": check.size, "signed_revision_sha256": check.signed_revision_sha256,
        "signer": check.signer, "signed_at": _iso(check.signed_at), "timestamp": _iso(check.timestamp),
        "timestamp_kind": check.timestamp_kind, "other_signers": check.other_signers,
        "document": None, "matched_by": None, "superseded": False,
    }
    if match is not None:
        doc = match.document
        body.update(matched_by=match.matched_by, superseded=match.superseded, document={
            "reg_number": doc.reg_number, "kind": doc.kind, "issued_at": _iso(doc.issued_at),
            "verification_code": doc.verification_code, "current_sha256": doc.sha256,
            "verify_url": url_for("pages.verify", code=doc.verification_code, _external=True)})
    return body


def view(result: signatures.UploadCheck) -> dict[str, Any]:
    """What the page shows of a check: the JSON's facts plus the problems in words."""
    body = result_json(result)
    body["reason_texts"] = body["reasons"]
    body["match"] = result.match
    return body


def signature_status(c: Ctx, doc: Any) -> dict[str, Any] | None:
    """The signature of a document's stored PDF, for its public check (None: not rendered yet)."""
    row = signatures.current_signature(c.session, doc)
    if row is None:
        return None
    return {"row": row, "earlier": signatures.earlier_files(c.session, doc)}


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def openapi_parts() -> tuple[dict[str, Any], dict[str, Any]]:
    """The OpenAPI paths and schemas of the signing certificate and the PDF check (both public)."""
    from web.openapi import ERR, ref

    when = {"type": ["string", "null"], "format": "date-time"}
    schema = {"type": "object", "properties": {
        "genuine": {"type": "boolean", "description": "the signature is valid, by the university's key, nothing "
                                                      "was changed after signing, and the register has the file"},
        "problems": {"type": "array", "items": {"type": "string", "enum": [*PROBLEM_TEXTS]}},
        "reasons": {"type": "array", "items": {"type": "string"}, "description": "the problems in words"},
        "sha256": {"type": "string"}, "size": {"type": "integer"},
        "signed_revision_sha256": {"type": ["string", "null"]}, "signer": {"type": ["string", "null"]},
        "signed_at": when, "timestamp": when,
        "timestamp_kind": {"type": ["string", "null"], "enum": ["signature", "document", None]},
        "other_signers": {"type": "array", "items": {"type": "string"}},
        "matched_by": {"type": ["string", "null"], "enum": ["sha256", "signed_content", None]},
        "superseded": {"type": "boolean"},
        "document": {"type": ["object", "null"], "properties": {
            "reg_number": {"type": "string"}, "kind": {"type": "string"}, "issued_at": when,
            "verification_code": {"type": "string"}, "current_sha256": {"type": ["string", "null"]},
            "verify_url": {"type": "string"}}}}}
    public: list[dict[str, Any]] = []
    paths = {
        "/api/v1/signing/certificate": {"get": {
            "summary": "The certificate chain issued PDFs are signed with (PEM, signer first; public)",
            "security": public, "responses": {"200": {"description": "The chain", "content": {
                "application/pem-certificate-chain": {"schema": {"type": "string"}}}}}}},
        "/api/v1/verify-pdf": {"post": {
            "summary": "Is this PDF the genuine one? (public)",
            "description": "Checks the PAdES signature against the signing chain's root and looks the file up in "
                           "the register (by its SHA-256, or by the revision its signature covers). Not a PDF or "
                           "encrypted: 422; over the document limit: 413; no file: 400.",
            "security": public,
            "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
                "type": "object", "properties": {"file": {"type": "string", "format": "binary"}},
                "required": ["file"]}}}},
            "responses": {"200": {"description": "The check", "content": {"application/json": {
                "schema": ref("PdfCheck")}}}, "400": ERR, "413": ERR, "422": ERR}}},
    }
    return paths, {"PdfCheck": schema}


def init_app(app, csrf_exempt) -> None:
    app.register_blueprint(bp)
    app.register_blueprint(api_bp)
    csrf_exempt(api_bp)  # public, no cookie authenticates it

