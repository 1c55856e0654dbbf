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

The metrics of every request (decisions, latency, requests) are plain counters kept by the
event loop's thread, which alone serves requests, and turned into Prometheus families when
scraped: a request pays a few dictionary updates, not the client library's locks.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterator

from prometheus_client import CollectorRegistry, Counter, Gauge, Info, generate_latest
from prometheus_client.core import CounterMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from support_scope.model.vocab import OUTCOMES

CONTENT_TYPE = CONTENT_TYPE_LATEST
CHECK_RESULTS = ("loaded", "unchanged", "refused", "unreachable")
# Server time of a decision request: tens of microseconds when cached, milliseconds for a batch.
_BUCKETS = (0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0)


class _Latency:
    """A histogram's counts per bucket (not cumulative), its sum and count."""

    __slots__ = ("counts", "sum")

    def __init__(self) -> None:
        self.counts = [0] * (len(_BUCKETS) + 1)
        self.sum = 0.0

    def observe(self, seconds: float) -> None:
        self.counts[bisect_left(_BUCKETS, seconds)] += 1
        self.sum += seconds


class _RequestMetrics:
    """The per-request metrics, as a collector of the registry."""

    def __init__(self) -> None:
        self.decisions: dict[str, int] = dict.fromkeys(OUTCOMES, 0)
        self.latency = {"/v1/decide": _Latency(), "/v1/decide/batch": _Latency()}
        self.requests: dict[tuple[str, str], int] = {}

    def collect(self) -> Iterator[Metric]:
        decisions = CounterMetricFamily(
            "support_scope_decisions", "Decisions answered, by outcome.", labels=["outcome"]
        )
        for outcome, count in self.decisions.items():
            decisions.add_metric([outcome], count)
        yield decisions
        latency = HistogramMetricFamily(
            "support_scope_decision_seconds",
            "Server time of decision requests, from arrival to the answer ready.",
            labels=["endpoint"],
        )
        for endpoint, histogram in self.latency.items():
            buckets, total = [], 0
            for bound, count in zip((*map(str, _BUCKETS), "+Inf"), histogram.counts, strict=True):
                total += count
                buckets.append((bound, total))
            latency.add_metric([endpoint], buckets, histogram.sum)
        yield latency
        requests = CounterMetricFamily(
            "support_scope_http_requests",
            "HTTP requests, by endpoint and status code.",
            labels=["endpoint", "status"],
        )
        for (endpoint, status), count in sorted(self.requests.items()):
            requests.add_metric([endpoint, status], count)
        yield requests


class Metrics:
    """The service's metrics."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        registry = self.registry
        self._requests = _RequestMetrics()
        registry.register(self._requests)
        self.decisions = self._requests.decisions
        self.decide_latency = self._requests.latency["/v1/decide"]
        self.batch_latency = self._requests.latency["/v1/decide/batch"]
        self.requests = self._requests.requests
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
        decisions = self.decisions
        decisions[outcome] = decisions.get(outcome, 0) + 1

    def requested(self, endpoint: str, status: int) -> None:
        key = (endpoint, str(status))
        self.requests[key] = self.requests.get(key, 0) + 1

    def exposition(self) -> bytes:
        return generate_latest(self.registry)
