"""The API's OpenAPI document: in step with the routes, readable as a page, and kept to by the API
itself (generated requests against the Flask app, no 5xx, every answer as documented)."""

from __future__ import annotations

import re

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from console.models import Client, Technician, WorkType

PREFIX = "/api/v1"


@pytest.fixture
def app_config():
    return {"API_RATE_LIMIT_PER_MINUTE": 0}  # generated requests come faster than any client


def routes(app) -> set[tuple[str, str]]:
    out = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(PREFIX + "/"):
            continue
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule[len(PREFIX) :])
        out |= {(path, method.lower()) for method in rule.methods - {"HEAD", "OPTIONS"}}
    return out


def test_every_api_route_is_in_the_document_and_every_path_of_it_is_a_route(app, client):
    document = client.get(f"{PREFIX}/openapi.json").json
    assert document["openapi"].startswith("3.1")
    documented = {
        (path, method)
        for path, item in document["paths"].items()
        for method in item
        if method in ("get", "post", "put", "patch", "delete")
    }
    assert documented == routes(app)
    assert document["servers"] == [{"url": PREFIX}]


def test_the_document_is_valid_openapi(client):
    schema = schemathesis.openapi.from_dict(client.get(f"{PREFIX}/openapi.json").json)
    assert len(list(schema.get_all_operations())) == 7


def test_the_docs_page_shows_the_endpoints_their_parameters_and_the_schemas(client):
    response = client.get(f"{PREFIX}/docs")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    for text in (
        "POST /api/v1/orders",
        "GET /api/v1/complaints/{complaint_id}",
        "POST /api/v1/calls/events",
        "GET /api/v1/technicians/kpi",
        "updated_since",
        "orders:write",
        "reports:read",
        'id="schema-TechnicianKpi"',
        'id="schema-Complaint"',
        "array of Order (at most 1000 items)",
    ):
        assert text in html, text
    assert "<script" not in html  # no CDN, no script: the page is the document, rendered
    assert "Set-Cookie" not in response.headers
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]


# Schemathesis' own pytest integration (``from_fixture``) does not run under this pytest; the
# operations' strategies drive Hypothesis directly instead, one run per operation.
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@pytest.fixture
def api_schema(app, db):
    acme = Client(key="acme", name="Acme Auto", timezone="Europe/Moscow")
    db.session.add(acme)
    db.session.add(WorkType(key="oil", name="Oil change"))
    db.session.add(Technician(name="Tess Tech", client=acme, external_id="T-1"))  # a KPI line
    db.session.commit()
    return schemathesis.openapi.from_wsgi(f"{PREFIX}/openapi.json", app)


@pytest.mark.parametrize(
    ("mode", "examples"), [(GenerationMode.POSITIVE, 60), (GenerationMode.NEGATIVE, 40)]
)
def test_the_api_keeps_to_its_document(api_schema, api, mode, examples):
    """Valid requests (and, in the negative mode, requests that break the document on purpose)
    never get a 5xx, and every answer has a documented status, type, headers and body."""
    checked = []
    for result in api_schema.get_all_operations():
        operation = result.ok()
        if mode == GenerationMode.NEGATIVE and operation.label == "GET /docs":
            continue  # nothing in it to get wrong: no parameters, no body

        @settings(
            max_examples=examples,
            phases=[Phase.explicit, Phase.generate],  # no shrinking: a failure shows as found
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
        )
        @given(case=operation.as_strategy(generation_mode=mode))
        def keeps_to_it(case):
            case.call_and_validate(headers=api.headers, checks=CHECKS)

        keeps_to_it()
        checked.append(operation.label)
    # Schemathesis leaves out the document's own address; everything else was exercised.
    assert set(checked) >= {
        "POST /orders",
        "GET /complaints",
        "GET /complaints/{complaint_id}",
        "POST /calls/events",
        "GET /technicians/kpi",
    }
