"""The health endpoint for load balancers, and request ids in responses."""


def test_health_reports_database_and_scheduler(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"database": "ok", "scheduler": "off"}
    assert response.headers["X-Request-Id"]


def test_a_callers_request_id_is_echoed(client):
    assert client.get("/healthz", headers={"X-Request-Id": "abc123"}).headers["X-Request-Id"] == "abc123"


def test_json_log_lines(app, caplog):
    import json
    import logging

    from web.logs import JsonFormatter
    record = logging.LogRecord("duban", logging.INFO, __file__, 1, "线索 %s 已登记", ("XS-1",), None)
    line = json.loads(JsonFormatter().format(record))
    assert line["message"] == "线索 XS-1 已登记" and line["level"] == "INFO"
