"""Input no field can hold, swept over the whole API from its OpenAPI document: a NUL in
any string field of any write, in `q` or a forged `cursor` of any list, and JSON nested
thousands deep, each answer a 4xx naming the field, with nothing written."""

from __future__ import annotations

import base64
import uuid
from typing import Any

import msgspec
import pytest
from sqlalchemy import func, select

from core.db.base import Base
from core.db.engine import make_engine, make_session_factory
from core.input_guard import MAX_JSON_DEPTH, check_json
from tests.conftest import PASSWORD

NUL = "a\x00b"
PATH_VALUES = {"tenant": "low-moss"}


async def row_count(world: Any) -> int:
    engine = make_engine(world.settings.db)
    try:
        async with make_session_factory(engine)() as session:
            total = 0
            for table in Base.metadata.sorted_tables:
                total += await session.scalar(select(func.count()).select_from(table)) or 0
            return total
    finally:
        await engine.dispose()


def resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def takes_string(spec: dict[str, Any], schema: dict[str, Any]) -> bool:
    schema = resolve(spec, schema)
    if schema.get("type") == "string" or "string" in (schema.get("type") or []):
        return True
    return any(takes_string(spec, s) for s in schema.get("oneOf", []) + schema.get("anyOf", []))


def url_for(path: str) -> str:
    for name, value in PATH_VALUES.items():
        path = path.replace("{" + name + "}", value)
    while "{" in path:  # any id: the guard answers before a handler looks it up
        start, end = path.index("{"), path.index("}")
        path = path[:start] + str(uuid.uuid4()) + path[end + 1 :]
    return path


def string_fields(spec: dict[str, Any]) -> list[tuple[str, str, str]]:
    cases = []
    for path, item in spec["paths"].items():
        for method in ("post", "patch", "put"):
            body = item.get(method, {}).get("requestBody")
            if not body or "application/json" not in body["content"]:
                continue
            schema = resolve(spec, body["content"]["application/json"]["schema"])
            for name, prop in schema.get("properties", {}).items():
                if takes_string(spec, prop):
                    cases.append((method, path, name))
    return cases


def list_params(spec: dict[str, Any], name: str) -> list[str]:
    return [
        path
        for path, item in spec["paths"].items()
        if any(p.get("name") == name for p in item.get("get", {}).get("parameters", []))
    ]


async def test_a_nul_in_any_string_field_of_any_write_is_a_400_naming_it(world: Any) -> None:
    spec = world.client.app.openapi_schema.to_schema()
    cases = string_fields(spec)
    assert len(cases) > 100  # the sweep reaches the whole API, not a handful of fields
    before = await row_count(world)
    failures = []
    for method, path, field in cases:
        response = await world.client.request(
            method.upper(), url_for(path), json={field: NUL}, headers=world.auth("lm_lead")
        )
        extra = response.json().get("extra") if response.status_code < 500 else None
        if response.status_code != 400 or not any(e.get("key") == field for e in extra or []):
            failures.append((method, path, field, response.status_code))
    assert failures == []
    assert await row_count(world) == before


@pytest.mark.parametrize("param", ["q", "cursor"])
async def test_a_nul_in_a_list_parameter_is_a_400_naming_it(world: Any, param: str) -> None:
    paths = list_params(world.client.app.openapi_schema.to_schema(), param)
    assert paths
    for path in paths:
        response = await world.get("lm_lead", url_for(path), params={param: NUL})
        assert response.status_code == 400, (path, response.text)
        assert response.json()["extra"][0]["key"] == param


def forged(value: Any) -> str:
    return base64.urlsafe_b64encode(msgspec.json.encode(value)).decode().rstrip("=")


FORGED_CURSORS = [
    "!!not base64!!",
    forged({"a": 1}),
    forged([1, 2]),
    forged([2**70, 2**70]),
    forged([[1], {"x": 2}]),
    forged(["x", "not-a-uuid"]),
    forged(["2026-01-01T00:00:00", 2**64]),
    forged([1.5e308, "y"]),
    forged([None, None]),
    base64.urlsafe_b64encode(b"[" * 5000 + b"]" * 5000).decode(),
]


@pytest.mark.parametrize("cursor", FORGED_CURSORS)
async def test_a_forged_cursor_is_a_400_on_every_list(world: Any, cursor: str) -> None:
    paths = list_params(world.client.app.openapi_schema.to_schema(), "cursor")
    person = (
        await world.post(
            "lm_worker",
            "/api/v1/t/low-moss/persons",
            {"given_name": "Cur", "family_name": "Sor", "date_of_birth": "1985-02-03"},
        )
    ).json()["id"]
    statuses = {}
    for path in paths:
        url = url_for(path.replace("{person_id}", person))
        response = await world.get("lm_lead", url, params={"cursor": cursor})
        statuses[path] = response.status_code
    assert {p: s for p, s in statuses.items() if s >= 500 or s == 200} == {}


async def test_deeply_nested_json_is_a_400_and_writes_nothing(world: Any) -> None:
    before = await row_count(world)
    for body in (b"[" * 5000 + b"]" * 5000, b'{"given_name":' + b"[" * 5000 + b"]" * 5000 + b"}"):
        response = await world.client.post(
            "/api/v1/t/low-moss/persons",
            content=body,
            headers={**world.auth("lm_worker"), "content-type": "application/json"},
        )
        assert response.status_code == 400, response.text
        assert "nested" in response.json()["detail"]
    assert await row_count(world) == before


async def test_a_nul_in_the_login_username_or_a_form_field_is_a_400(world: Any) -> None:
    login = await world.client.post(
        "/api/v1/auth/login", json={"username": NUL, "password": PASSWORD}
    )
    assert login.status_code == 400 and login.json()["extra"][0]["key"] == "username"
    page = await world.client.post(
        "/sign-in", data={"username": NUL, "password": PASSWORD, "_csrf_token": "x"}
    )
    # Pages answer with the plain GOV.UK error page: a 400, never a 500.
    assert page.status_code == 400 and "Traceback" not in page.text
    search = await world.get("lm_worker", "/t/low-moss/caseload", params={"q": NUL})
    assert search.status_code == 400 and "Traceback" not in search.text


def test_the_depth_limit_names_where_it_was_passed() -> None:
    deep: Any = "leaf"
    for _ in range(MAX_JSON_DEPTH + 1):
        deep = [deep]
    with pytest.raises(Exception, match="nested too deeply") as raised:
        check_json({"notes": deep})
    assert raised.value.extra[0]["key"].startswith("notes")  # type: ignore[attr-defined]
    check_json({"notes": [[["fine"]]]})
