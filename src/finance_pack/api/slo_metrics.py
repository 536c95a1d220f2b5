"""SLO gauges on /metrics, computed at scrape time from the state store."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from finance_pack.domain.slo import SloReport


class SloCollector(Collector):
    def __init__(self, reports: Callable[[], list[SloReport]]) -> None:
        self._reports = reports

    def collect(self) -> Iterator[GaugeMetricFamily]:
        attainment = GaugeMetricFamily(
            "finance_slo_attainment",
            "Good events / due events (NaN before any).",
            labels=["slo", "window"],
        )
        budget = GaugeMetricFamily(
            "finance_slo_error_budget_remaining",
            "Unspent share of the allowed bad events.",
            labels=["slo", "window"],
        )
        objective = GaugeMetricFamily(
            "finance_slo_objective", "The SLO's objective.", labels=["slo"]
        )
        events = GaugeMetricFamily(
            "finance_slo_events", "Events due in the window.", labels=["slo", "window"]
        )
        latency = GaugeMetricFamily(
            "finance_slo_latency_seconds",
            "Latency percentiles of the window's completed events (nearest rank).",
            labels=["slo", "window", "quantile"],
        )
        seen: set[str] = set()
        for report in self._reports():
            labels = [report.slo, report.window]
            attainment.add_metric(
                labels, float(report.attainment) if report.attainment is not None else float("nan")
            )
            remaining = report.error_budget_remaining
            budget.add_metric(labels, float(remaining) if remaining is not None else float("nan"))
            events.add_metric(labels, report.events)
            for quantile, value in (
                ("0.5", report.p50_seconds),
                ("0.95", report.p95_seconds),
                ("0.99", report.p99_seconds),
                ("1", report.max_seconds),
            ):
                if value is not None:
                    latency.add_metric([*labels, quantile], float(value))
            if report.slo not in seen:
                objective.add_metric([report.slo], float(report.objective))
                seen.add(report.slo)
        yield from (attainment, budget, objective, events, latency)
