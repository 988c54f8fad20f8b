"""The server answers the routes the image and the manifests rely on: the probes' /healthz and /readyz, the
scraped /metrics with the gauge the autoscaler uses, and the /stream WebSocket, on the default port 8000.
The app is built without loading a model (no lifespan), so /readyz shows the "loading" answer a starting pod
gives its readiness probe."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from starlette.routing import WebSocketRoute

from dictate.config import ServerSettings
from dictate.protocol import STREAM_PATH
from dictate.server.edge.app import create_app
from dictate.server.model.source import ModelChoice
from tests.deploy.checks import (
    ACTIVE_SESSIONS_METRIC,
    HEALTH_PATH,
    METRICS_PATH,
    METRICS_PORT,
    READY_PATH,
    SERVER_PORT,
)

CHOICE = ModelChoice(
    source="/nonexistent", label="test", device="cpu", compute_type="int8", is_local=True, reason="test"
)


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    app = create_app(ServerSettings(), CHOICE)
    yield TestClient(app)  # not entered: the lifespan (model loading) never runs


def test_default_port_is_the_deployed_port() -> None:
    assert ServerSettings.model_fields["port"].default == SERVER_PORT


def test_liveness_route_answers_while_the_model_loads(client: TestClient) -> None:
    assert client.get(HEALTH_PATH).status_code == 200


def test_readiness_route_refuses_traffic_until_the_model_is_ready(client: TestClient) -> None:
    response = client.get(READY_PATH)
    assert response.status_code == 503
    assert response.json()["status"] == "loading"


def test_metrics_route_exports_the_autoscaling_gauge(client: TestClient) -> None:
    response = client.get(METRICS_PATH)
    assert response.status_code == 200
    assert f"# TYPE {ACTIVE_SESSIONS_METRIC} gauge" in response.text


def test_stream_is_a_websocket_route(client: TestClient) -> None:
    routes = [route for route in client.app.routes if isinstance(route, WebSocketRoute)]  # type: ignore[attr-defined]
    assert [route.path for route in routes] == [STREAM_PATH]


def test_unknown_probe_path_is_not_served(client: TestClient) -> None:
    """The checks above would notice a renamed route: a path the server lacks answers 404."""
    assert client.get("/health").status_code == 404


def test_metrics_on_their_own_port_and_only_there() -> None:
    """The Deployment sets DICTATE_METRICS_PORT: /metrics answers on that port (no token), nothing else does,
    and the main port no longer serves /metrics."""
    app = create_app(ServerSettings(token="t0ken"), CHOICE, metrics_port=METRICS_PORT)
    on_metrics_port = TestClient(app, base_url=f"http://pod:{METRICS_PORT}")
    response = on_metrics_port.get(METRICS_PATH)
    assert response.status_code == 200 and f"# TYPE {ACTIVE_SESSIONS_METRIC} gauge" in response.text
    assert on_metrics_port.get(HEALTH_PATH).status_code == 404
    on_main_port = TestClient(app, base_url=f"http://pod:{SERVER_PORT}")
    assert on_main_port.get(METRICS_PATH).status_code == 404
    assert on_main_port.get(HEALTH_PATH).status_code == 200
