"""Prometheus metrics of the service (``GET /metrics``), in a registry of its own.

- ``support_scope_decisions_total{outcome}``: decisions answered, by outcome (a batch counts each);
- ``support_scope_decision_seconds``: server time of ``/v1/decide`` and ``/v1/decide/batch``
  requests, from the request's arrival to its answer ready (a histogram, with its ``endpoint``);
- ``support_scope_http_requests_total{endpoint,status}``: requests by endpoint and status code;
- ``support_scope_release_info{policy_id,policy_version,digest,signed_by}``: the release being
  served (value 1); ``support_scope_release_loaded``: 1 when one is (the readiness);
- ``support_scope_release_checks_total{result}``: looks at the release source, by result
  (``loaded``, ``unchanged``, ``refused``, ``unreachable``);
- ``support_scope_release_last_check_timestamp_seconds``, ``..._last_reload_timestamp_seconds``
  (the last successful load), ``..._last_reload_success`` (0 while the source holds a release
  that is refused or cannot be reached: the service keeps the last good one).

One process, one set of metrics: with several processes behind a load balancer, scrape each.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, Info, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from support_scope.model.vocab import OUTCOMES

CONTENT_TYPE = CONTENT_TYPE_LATEST
CHECK_RESULTS = ("loaded", "unchanged", "refused", "unreachable")
# Server time of a decision request: tens of microseconds when cached, milliseconds for a batch.
_BUCKETS = (0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0)


class Metrics:
    """The service's metrics; the hot path's label children are looked up once."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        registry = self.registry
        self.decisions = Counter(
            "support_scope_decisions", "Decisions answered, by outcome.", ["outcome"], registry=registry
        )
        self.by_outcome: dict[str, Counter] = {
            outcome: self.decisions.labels(outcome) for outcome in OUTCOMES
        }
        self.latency = Histogram(
            "support_scope_decision_seconds",
            "Server time of decision requests, from arrival to the answer ready.",
            ["endpoint"],
            buckets=_BUCKETS,
            registry=registry,
        )
        self.decide_latency = self.latency.labels("/v1/decide")
        self.batch_latency = self.latency.labels("/v1/decide/batch")
        self.requests = Counter(
            "support_scope_http_requests",
            "HTTP requests, by endpoint and status code.",
            ["endpoint", "status"],
            registry=registry,
        )
        self.release = Info("support_scope_release", "The release being served.", registry=registry)
        self.release_loaded = Gauge(
            "support_scope_release_loaded", "1 when a verified release is being served.", registry=registry
        )
        self.checks = Counter(
            "support_scope_release_checks",
            "Looks at the release source, by result.",
            ["result"],
            registry=registry,
        )
        for result in CHECK_RESULTS:
            self.checks.labels(result)
        self.last_check = Gauge(
            "support_scope_release_last_check_timestamp_seconds",
            "When the release source was last looked at (Unix time).",
            registry=registry,
        )
        self.last_reload = Gauge(
            "support_scope_release_last_reload_timestamp_seconds",
            "When a release was last loaded (Unix time).",
            registry=registry,
        )
        self.last_reload_success = Gauge(
            "support_scope_release_last_reload_success",
            "1 when the source's release is the one served; 0 while it is refused or cannot be reached.",
            registry=registry,
        )

    def decided(self, outcome: str) -> None:
        child = self.by_outcome.get(outcome)
        if child is None:  # an outcome a newer engine added
            child = self.by_outcome[outcome] = self.decisions.labels(outcome)
        child.inc()

    def exposition(self) -> bytes:
        return generate_latest(self.registry)
