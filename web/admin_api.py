"""JSON API v1, administration: people (docs/API.md "Administration: people"), administrators only."""
from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, abort, jsonify, request

from processes.usecases import people
from storage.models import User
from web.auth import api_auth
from web.unit_of_work import ctx

bp = Blueprint("admin_api", __name__, url_prefix="/api/v1/admin")

CREATE_FIELDS = {"username", "full_name", "email", "unit", "position", "roles", "area"}
PATCH_FIELDS = CREATE_FIELDS - {"username"} | {"active", "reason"}


def user_json(user: User) -> dict[str, Any]:
    return {"username": user.username, "full_name": dict(user.full_names), "email": user.email,
            "unit": user.unit.code if user.unit else None, "position": dict(user.positions),
            "roles": sorted(user.role_names), "area": user.area, "active": user.is_active,
            "created_at": user.created_at.isoformat() if user.created_at else None}


def password_link(token: str) -> str:
    from web.unit_of_work import services

    return f"{services().settings.base_url.rstrip('/')}/password/{token}"


def _body(allowed: set[str]) -> dict[str, Any]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        abort(400, description="The body must be a JSON object (Content-Type: application/json).")
    unknown = sorted(set(body) - allowed)
    if unknown:
        abort(400, description=f"Unknown fields: {', '.join(unknown)}.")
    return body


def _limit() -> int:
    raw = request.args.get("limit", "50")
    if not (raw.isascii() and raw.isdigit() and 1 <= int(raw) <= 200):
        abort(400, description="limit must be an integer from 1 to 200.")
    return int(raw)


@bp.get("/users")
@api_auth
def list_users():
    """Every account by username, a page at a time (`limit`, `cursor`; the next page in `Link`)."""
    limit = _limit()
    rows = people.list_users(ctx(), after=request.args.get("cursor") or None, limit=limit + 1)
    response = jsonify([user_json(u) for u in rows[:limit]])
    if len(rows) > limit:
        query = urlencode({"limit": limit, "cursor": rows[limit - 1].username})
        response.headers["Link"] = f'<{request.base_url}?{query}>; rel="next"'
    return response


@bp.get("/users/<username>")
@api_auth
def get_user(username: str):
    return jsonify(user_json(people.get_user(ctx(), username)))


@bp.post("/users")
@api_auth
def create_user():
    """201 with the account and its one-time `password_link` (only in this answer)."""
    body = _body(CREATE_FIELDS)
    user, token = people.create_user(ctx(), body)
    assert token is not None  # only the operator's CLI sets a password instead
    return jsonify({**user_json(user), "password_link": password_link(token)}), 201


@bp.patch("/users/<username>")
@api_auth
def update_user(username: str):
    body = _body(PATCH_FIELDS)
    return jsonify(user_json(people.update_user(ctx(), username, body)))


@bp.post("/users/<username>/password-link")
@api_auth
def new_password_link(username: str):
    """A new one-time link (older ones stop working): 201 {"username", "password_link"}."""
    token = people.issue_password_link(ctx(), username)
    return jsonify({"username": username, "password_link": password_link(token)}), 201


# --- OpenAPI ---------------------------------------------------------------------------------------

def openapi_parts() -> tuple[dict[str, Any], dict[str, Any]]:
    """The paths and schemas of this API, for web/openapi.py."""
    from web.openapi import ERR, ok, ref

    texts = {"type": "object", "additionalProperties": False,
             "properties": {lang: {"type": "string", "maxLength": 200} for lang in ("kk", "ru", "en")}}
    fields = {"full_name": texts, "email": {"type": ["string", "null"]}, "unit": {"type": ["string", "null"]},
              "position": texts, "roles": {"type": "array", "items": {"type": "string"}},
              "area": {"type": ["string", "null"]}}
    invalid = {"description": "Invalid fields", "content": {"application/json": {"schema": ref("ValidationError")}}}
    name = {"name": "username", "in": "path", "required": True, "schema": {"type": "string"}}
    paging = [{"name": "limit", "in": "query", "required": False,
               "schema": {"type": "integer", "minimum": 1, "maximum": 200, "default": 50}},
              {"name": "cursor", "in": "query", "required": False, "schema": {"type": "string"}}]
    paths = {
        "/api/v1/admin/users": {
            "get": {"summary": "Accounts (administrators); the next page in the Link header", "parameters": paging,
                    "responses": ok("Accounts", {"type": "array", "items": ref("AdminUser")})},
            "post": {"summary": "Create an account (administrators); answers its one-time password link",
                     "requestBody": {"required": True, "content": {"application/json": {"schema": {
                         "type": "object", "required": ["username", "full_name", "roles"],
                         "additionalProperties": False,
                         "properties": {"username": {"type": "string"}, **fields}}}}},
                     "responses": {**ok("Created", ref("AdminUserCreated"), "201"), "409": ERR, "422": invalid}}},
        "/api/v1/admin/users/{username}": {
            "get": {"summary": "One account (administrators)", "parameters": [name],
                    "responses": ok("Account", ref("AdminUser"))},
            "patch": {"summary": "Change an account (administrators): the fields given; `active` false with a "
                                 "`reason` disables it, true enables it", "parameters": [name],
                      "requestBody": {"required": True, "content": {"application/json": {"schema": {
                          "type": "object", "additionalProperties": False,
                          "properties": {**fields, "active": {"type": "boolean"}, "reason": {"type": "string"}}}}}},
                      "responses": {**ok("Account", ref("AdminUser")), "409": ERR, "422": invalid}}},
        "/api/v1/admin/users/{username}/password-link": {
            "post": {"summary": "A new one-time password link (older ones stop working)", "parameters": [name],
                     "responses": {**ok("Link", {"type": "object", "properties": {
                         "username": {"type": "string"}, "password_link": {"type": "string"}}}, "201"),
                         "409": ERR}}},
    }
    user: dict[str, Any] = {"type": "object", "properties": {
        "username": {"type": "string"}, **fields, "active": {"type": "boolean"},
        "created_at": {"type": "string", "format": "date-time"}}}
    schemas = {"AdminUser": user,
               "AdminUserCreated": {**user, "properties": {**user["properties"],
                                                             "password_link": {"type": "string"}}}}
    return paths, schemas
