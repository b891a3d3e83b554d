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
