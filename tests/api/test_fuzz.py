"""Every operation of the OpenAPI document, called with values drawn from its own schemas (often valid,
sometimes anything at all), by a random role: the API may refuse, but never with a 5xx."""

import json
import re
from datetime import UTC
from typing import Any
from urllib.parse import quote

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cartrial.api.app import openapi_text
from tests.api.conftest import EXAMPLE, ROLES, Api

DOCUMENT = json.loads(openapi_text())
SCHEMAS: dict[str, Any] = DOCUMENT["components"]["schemas"]
OPERATIONS = sorted(
    (method, path, operation)
    for path, item in DOCUMENT["paths"].items()
    for method, operation in item.items()
)

# Any JSON at all: what a careless or hostile client may send in place of a value.
ANY_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)

# Values that name something in the study, so that requests get past "no such site" or "no such subject".
LIKELY: dict[str, st.SearchStrategy[Any]] = {
    "site_id": st.sampled_from(["S01", "S02", "S03"]),
    "subject_id": st.integers(min_value=1, max_value=8),
}


def from_schema(schema: dict[str, Any], depth: int = 0) -> st.SearchStrategy[Any]:
    """Values of a JSON Schema (the subset pydantic writes), now and then replaced by any JSON."""
    return st.one_of(_valid(schema, depth), ANY_JSON) if depth else _valid(schema, depth)


def _valid(schema: dict[str, Any], depth: int) -> st.SearchStrategy[Any]:
    if schema.get("$ref") == "#/components/schemas/ScreeningRecord":
        # A whole valid record is rare by chance: also send the example with a few fields changed.
        return _changed_example() | st.deferred(lambda: from_schema(SCHEMAS["ScreeningRecord"], depth + 1))
    if "$ref" in schema:
        return st.deferred(lambda: from_schema(SCHEMAS[schema["$ref"].rsplit("/", 1)[1]], depth + 1))
    if "allOf" in schema:
        return from_schema(schema["allOf"][0], depth)
    if "anyOf" in schema:
        return st.one_of([from_schema(option, depth) for option in schema["anyOf"]])
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    kind = schema.get("type")
    if kind == "object":
        if depth > 6:
            return st.just({})
        properties = schema.get("properties", {})
        required = set(schema.get("required", ()))
        fields = {name: from_schema(sub, depth + 1) for name, sub in properties.items()}
        return st.fixed_dictionaries(
            {name: fields[name] for name in properties if name in required},
            optional={name: fields[name] for name in properties if name not in required},
        )
    if kind == "array":
        items = schema.get("items", {})
        return st.lists(from_schema(items, depth + 1) if items else ANY_JSON, max_size=3)
    if kind == "string":
        return _text(schema)
    if kind == "integer":
        return st.integers(min_value=schema.get("minimum"), max_value=schema.get("maximum"))
    if kind == "number":
        return st.floats(min_value=schema.get("minimum"), max_value=schema.get("maximum"), allow_nan=False)
    if kind == "boolean":
        return st.booleans()
    if kind == "null":
        return st.none()
    return ANY_JSON


def _changed_example() -> st.SearchStrategy[dict[str, Any]]:
    changes = st.dictionaries(st.sampled_from(sorted(EXAMPLE)), ANY_JSON, max_size=2)
    screening_ids = st.from_regex(r"S0[1-3]-[0-9]{4}", fullmatch=True)
    return st.builds(lambda new, changed: {**EXAMPLE, "screening_id": new, **changed}, screening_ids, changes)


def _text(schema: dict[str, Any]) -> st.SearchStrategy[str]:
    if schema.get("format") == "date":
        return st.dates().map(lambda d: d.isoformat())
    if schema.get("format") == "date-time":
        return st.datetimes(timezones=st.just(UTC)).map(lambda t: t.isoformat())
    if "pattern" in schema:
        return st.from_regex(re.compile(schema["pattern"]), fullmatch=True).filter(
            lambda s: len(s) <= schema.get("maxLength", 200)
        )
    return st.text(min_size=schema.get("minLength", 0), max_size=min(schema.get("maxLength", 40), 40))


@st.composite
def requests(draw: st.DrawFn) -> tuple[str, str, dict[str, Any], str | None]:
    """(method, url, httpx keyword arguments, the role calling or None)."""
    method, path, operation = draw(st.sampled_from(OPERATIONS))
    url, query = path, {}
    for parameter in operation.get("parameters", ()):
        known = LIKELY.get(parameter["name"], st.nothing())
        value = draw(known | from_schema(parameter["schema"]) | st.integers() | st.text(max_size=20))
        if parameter["in"] == "path":
            url = url.replace("{" + parameter["name"] + "}", quote(str(value), safe="") or "x")
        elif draw(st.booleans()):
            query[parameter["name"]] = str(value)
    request: dict[str, Any] = {"params": query}
    if "requestBody" in operation:
        body_schema = operation["requestBody"]["content"]["application/json"]["schema"]
        body = draw(from_schema(body_schema) | ANY_JSON)
        request["content"] = json.dumps(body).encode()
        request["headers"] = {"Content-Type": "application/json"}
    return method.upper(), url, request, draw(st.sampled_from((*ROLES, None)))


@settings(
    max_examples=120,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(call=requests())
def test_no_request_drawn_from_the_openapi_document_gets_a_5xx(
    api: Api, call: tuple[str, str, dict[str, Any], str | None]
) -> None:
    method, url, request, role = call
    if role is not None:
        request["headers"] = {**request.get("headers", {}), **api.auth(role)}
    response = api.client.request(method, url, **request)
    if url.endswith("/logout"):
        api.tokens.pop(role or "", None)  # that token is revoked; the role logs in again when drawn
    assert response.status_code < 500, (method, url, request, response.text)
    if response.status_code == 422:
        assert all(set(item) == {"field", "reason"} for item in response.json()["detail"])
