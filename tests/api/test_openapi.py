"""The OpenAPI document is generated from the validating schemas and matches the routes."""

import re

from tests.conftest import PASSWORD


def spec(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.get_json()


def test_document_is_openapi_3_with_every_api_route(app, client):
    doc = spec(client)
    assert doc["openapi"].startswith("3.") and doc["info"]["title"] == "Journster API"
    documented = {
        (path, method.upper())
        for path, item in doc["paths"].items()
        for method in item
        if method in {"get", "post", "put", "patch", "delete"}
    }
    served = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/") or rule.endpoint.startswith("api-docs"):
            continue
        if rule.endpoint.startswith("_test"):
            continue
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
        served |= {(path, m) for m in rule.methods - {"HEAD", "OPTIONS"}}
    assert served == documented


def test_request_schemas_are_the_validating_ones(client):
    doc = spec(client)
    body = doc["paths"]["/api/v1/users"]["post"]["requestBody"]["content"]["application/json"]
    ref = body["schema"]["$ref"].rsplit("/", 1)[1]
    schema = doc["components"]["schemas"][ref]
    assert set(schema["required"]) == {"username", "email", "password"}
    assert schema["properties"]["username"]["minLength"] == 3
    assert schema["properties"]["username"]["maxLength"] == 30
    assert schema["properties"]["password"]["minLength"] == 10
    # What the document says is what the server enforces.
    response = client.post(
        "/api/v1/users", json={"username": "ab", "email": "a@example.org", "password": PASSWORD}
    )
    assert response.status_code == 422


def test_errors_are_documented_in_the_spec_format(client):
    doc = spec(client)
    error = doc["components"]["schemas"]["Error"]
    assert error["properties"]["error"]["$ref"].endswith("ErrorBody")
    body = doc["components"]["schemas"]["ErrorBody"]
    assert {"code", "message", "fields"} <= set(body["properties"])
    responses = doc["paths"]["/api/v1/users"]["post"]["responses"]
    assert {"201", "422", "409"} <= set(responses)
    assert "bearerAuth" in doc["components"]["securitySchemes"]
