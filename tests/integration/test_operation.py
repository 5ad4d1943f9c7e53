"""The operators' endpoints: /healthz, /readyz (503 while Redis is down, 200 once it is back), and
/metrics behind its bearer token, counting what happened -- one Zoom create per booking."""

from __future__ import annotations

import re

import pytest

from tests.support.worker import point_at_redis
from tests.support.zoom_sync import START, book, settle

TOKEN = "metrics-test-token"


def _sample(text: str, name: str, **labels: str) -> float:
    """The value of one sample in Prometheus' text format (0 when absent)."""
    for line in text.splitlines():
        if not line.startswith(name + "{") and line.split(" ")[0] != name:
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', line.split(" ")[0]))
        if all(found.get(k) == v for k, v in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def _scrape(app, client) -> str:
    app.config["CONECTA_METRICS_TOKEN"] = TOKEN
    answer = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert answer.status_code == 200
    return answer.get_data(as_text=True)


def test_healthz_answers_without_looking_at_anything(app, client):
    answer = client.get("/healthz")
    assert answer.status_code == 200 and answer.get_data(as_text=True) == "ok\n"


def test_readyz_is_503_while_redis_is_down_and_200_once_it_is_back(app, client, private_redis):
    point_at_redis(app, private_redis.url)
    assert client.get("/readyz").status_code == 200
    private_redis.stop()
    down = client.get("/readyz")
    assert down.status_code == 503 and "redis" in down.get_data(as_text=True)
    private_redis.start()
    assert client.get("/readyz").status_code == 200


def test_metrics_needs_its_bearer_token(app, client, acme, as_user):
    assert client.get("/metrics").status_code == 404  # no token configured: no such page
    app.config["CONECTA_METRICS_TOKEN"] = TOKEN
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert as_user(acme.admin).get("/metrics").status_code == 401  # a session is not a token
    client.get("/healthz")
    text = _scrape(app, client)
    assert _sample(text, "conecta_http_request_duration_seconds_count", endpoint="probes.healthz") >= 1
    assert _sample(text, "conecta_http_requests_total", endpoint="probes.healthz", status="200") >= 1


@pytest.mark.parametrize("zoom_mode", ["user"])
def test_metrics_count_one_zoom_create_per_booking(sync_app, connected, client, mailbox):
    creates = {"operation": "create_meeting", "status": "201"}
    before = _sample(_scrape(sync_app, client), "conecta_zoom_calls_total", **creates)
    booked = [book(connected, starts_at=START.replace(hour=h)) for h in (15, 16, 17)]
    waiting = _scrape(sync_app, client)
    assert _sample(waiting, "conecta_zoom_sync_marked") == 3
    assert _sample(waiting, "conecta_zoom_sync_lag_seconds") >= 0
    queue = f"{sync_app.config['CONECTA_QUEUE']}-default"
    assert _sample(waiting, "conecta_queue_jobs", queue=queue, state="queued") == 3
    for appointment in booked:
        settle(sync_app, appointment.id)

    after = _scrape(sync_app, client)
    assert _sample(after, "conecta_zoom_calls_total", **creates) - before == len(booked)
    assert _sample(after, "conecta_zoom_sync_marked") == 0
    assert _sample(after, "conecta_zoom_sync_lag_seconds") == 0
    assert "conecta_emails{" in after
