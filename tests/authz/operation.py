"""Rows for the operators' endpoints: the probes answer anyone (no session involved); /metrics does not
exist until CONECTA_METRICS_TOKEN is set, and then only answers that bearer token
(tests/integration/test_operation.py), never a session."""

from tests.authz import PUBLIC_PAGE, Route, expect

ROUTES = [
    Route("probes.healthz", PUBLIC_PAGE),
    Route("probes.readyz", PUBLIC_PAGE),
    Route("metrics.metrics", expect(404, 404, 404, 404, 404, 404)),
]
