from typing import Any

import pytest


def test_schema_and_swagger_served_locally(admin_as, charlie):
    client = admin_as(charlie)
    schema = client.get("/api/schema/")
    assert schema.status_code == 200
    assert b"/api/v1/nodes/" in schema.content
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    html = docs.content.decode()
    assert "cdn" not in html.lower() and "unpkg" not in html.lower()
    assert "/static/drf_spectacular_sidecar/" in html


# What the schema says must be what the API does (issue 8, item 12). The
# fuzz test (test_api_fuzz.py) checks answers against it on PostgreSQL.


@pytest.fixture
def schema(admin_as, charlie) -> dict[str, Any]:
    response = admin_as(charlie).get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    return response.json()


def component(schema: dict[str, Any], ref: str) -> dict[str, Any]:
    return schema["components"]["schemas"][ref.rsplit("/", 1)[-1]]


def answer(schema: dict[str, Any], path: str, method: str, code: str) -> dict[str, Any]:
    content = schema["paths"][path][method]["responses"][code]["content"]
    return content["application/json"]["schema"]


@pytest.mark.parametrize(
    ("path", "row"),
    [
        ("/api/v1/coverage/", "CoverageGap"),
        ("/api/v1/nodes/{id}/children/", "Node"),
        ("/api/v1/nodes/{id}/subtree/", "Node"),
        ("/api/v1/imports/{id}/errors/", "ImportProblem"),
    ],
)
def test_paginated_answers_are_documented_as_pages(schema, path, row):
    page = component(schema, answer(schema, path, "get", "200")["$ref"])
    assert set(page["properties"]) == {"count", "next", "previous", "results"}
    assert page["properties"]["results"]["items"]["$ref"].endswith(f"/{row}")
    parameters = {p["name"] for p in schema["paths"][path]["get"]["parameters"]}
    assert "page" in parameters


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/matters/{id}/log/",
        "/api/v1/matters/{id}/milestones/",
        "/api/v1/tasks/{id}/log/",
        "/api/v1/tasks/{id}/escalations/",
        "/api/v1/tasks/{id}/attachments/",
    ],
)
def test_whole_lists_are_documented_as_arrays(schema, path):
    assert answer(schema, path, "get", "200")["type"] == "array"
    parameters = {p["name"] for p in schema["paths"][path]["get"].get("parameters", [])}
    assert "page" not in parameters


def test_refusals_of_the_state_are_documented_as_409(schema):
    paths = schema["paths"]
    for path in ["advance", "return", "vote/open", "vote/close", "ballots", "publish"]:
        assert "409" in paths[f"/api/v1/matters/{{id}}/{path}/"]["post"]["responses"], path
    assert "409" in paths["/api/v1/matters/{id}/tally/"]["get"]["responses"]
    assert "409" in paths["/api/v1/tasks/{id}/accept/"]["post"]["responses"]
    assert "409" not in paths["/api/v1/matters/"]["post"]["responses"]


def test_an_import_problem_is_line_column_code_message(schema):
    problem = component(schema, "ImportProblem")
    assert set(problem["properties"]) == {"line", "column", "code", "message"}
    assert problem["properties"]["line"]["type"] == "integer"


def test_the_ledger_node_carries_its_counts(schema, api_as, charlie, community_a):
    ledger = component(schema, answer(schema, "/api/v1/nodes/{id}/ledger/", "get", "200")["$ref"])
    node = component(schema, ledger["properties"]["node"]["$ref"])
    assert {"children_count", "stairwell_count"} <= set(node["required"])
    data = api_as(charlie).get(f"/api/v1/nodes/{community_a.pk}/ledger/").json()
    assert data["node"]["children_count"] == 2
    assert data["node"]["stairwell_count"] == 12


def test_a_coverage_gap_documents_the_node_it_returns(schema, api_as, charlie):
    gap = component(schema, "CoverageGap")
    node = component(schema, gap["properties"]["node"]["$ref"])
    first = api_as(charlie).get("/api/v1/coverage/").json()["results"][0]
    assert set(first["node"]) == set(node["properties"])


def test_area_name_may_be_null(schema, api_as, alice, street):
    from residents import services

    assert component(schema, "ImportBatch")["properties"]["area_name"]["nullable"] is True
    services.start_import(user=alice, data="户号,姓名\n".encode(), filename="x.csv")
    (batch,) = api_as(alice).get("/api/v1/imports/").json()["results"]
    assert batch["area"] is None and batch["area_name"] is None


@pytest.mark.parametrize(
    ("path", "parameters"),
    [
        ("/api/v1/nodes/", {"level", "parent", "q", "page"}),
        ("/api/v1/staff/", {"q", "page"}),
        ("/api/v1/assignments/", {"node", "staff", "current", "page"}),
        ("/api/v1/coverage/", {"node", "page"}),
        ("/api/v1/households/", {"node", "q", "community", "housing_status", "rented", "page"}),
        ("/api/v1/persons/", {"node", "q", "list", "household", "page"}),
        ("/api/v1/life-events/", {"node", "recent", "page"}),
        ("/api/v1/visits/", {"node", "page"}),
        ("/api/v1/imports/", {"page"}),
    ],
)
def test_every_query_parameter_a_list_reads_is_documented(schema, path, parameters):
    documented = {p["name"]: p for p in schema["paths"][path]["get"]["parameters"]}
    assert set(documented) == parameters
    for name in parameters & {"node", "parent", "staff", "household", "community", "page"}:
        assert documented[name]["schema"] == {"type": "integer", "minimum": 1}
    # An empty value is the parameter not given, as the API reads it.
    assert all(p["allowEmptyValue"] for p in documented.values())


def test_levels_and_choices_are_enumerated(schema):
    nodes = {p["name"]: p for p in schema["paths"]["/api/v1/nodes/"]["get"]["parameters"]}
    assert nodes["level"]["schema"]["enum"] == [0, 1, 2, 3, 4]
    persons = {p["name"]: p for p in schema["paths"]["/api/v1/persons/"]["get"]["parameters"]}
    assert persons["list"]["schema"]["enum"] == ["floating", "party-members"]


def test_error_answers_are_documented(schema):
    paths = schema["paths"]
    assert {"400", "403", "404"} <= set(paths["/api/v1/households/"]["get"]["responses"])
    assert {"403", "404"} <= set(paths["/api/v1/households/{id}/"]["get"]["responses"])
    assert {"400", "403", "413", "415"} <= set(paths["/api/v1/households/"]["post"]["responses"])
    assert set(paths["/api/v1/imports/{id}/confirm/"]["post"]["responses"]) >= {"202", "400"}
    detail = answer(schema, "/api/v1/households/{id}/", "get", "404")
    assert component(schema, detail["$ref"])["properties"] == {"detail": {"type": "string"}}


def test_bodies_are_json_and_an_upload_multipart(schema):
    paths = schema["paths"]
    assert set(paths["/api/v1/households/"]["post"]["requestBody"]["content"]) == {
        "application/json"
    }
    assert set(paths["/api/v1/imports/"]["post"]["requestBody"]["content"]) == {
        "multipart/form-data"
    }


def test_import_ids_are_integers(schema):
    (parameter,) = schema["paths"]["/api/v1/imports/{id}/"]["get"]["parameters"]
    assert parameter["schema"]["type"] == "integer"
