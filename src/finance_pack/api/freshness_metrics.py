"""Cost data freshness on /metrics, read from the cost store at scrape time: how old the
newest data of each provider is, and whether that is past the configured limit."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime, timedelta

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

log = logging.getLogger(__name__)


class FreshnessCollector(Collector):
    """`newest` gives each provider's newest data instant; `now` the clock."""

    def __init__(
        self,
        newest: Callable[[], Mapping[str, datetime]],
        now: Callable[[], datetime],
        stale_after: timedelta,
    ) -> None:
        self._newest, self._now, self._stale_after = newest, now, stale_after

    def collect(self) -> Iterator[GaugeMetricFamily]:
        age = GaugeMetricFamily(
            "finance_cost_data_age_seconds",
            "Seconds since the end of the newest complete hour of cost data, per provider.",
            labels=["provider"],
        )
        stale = GaugeMetricFamily(
            "finance_cost_data_stale",
            "1 when the provider's newest cost data is older than stale_after_hours.",
            labels=["provider"],
        )
        limit = GaugeMetricFamily(
            "finance_cost_data_stale_after_seconds", "The configured freshness limit."
        )
        limit.add_metric([], self._stale_after.total_seconds())
        try:
            newest = self._newest()
        except Exception as exc:  # a scrape must answer even when the cost store cannot
            log.warning("cost data freshness not available: %s", exc)
            newest = {}
        now = self._now()
        for provider, as_of in sorted(newest.items()):
            seconds = max((now - as_of).total_seconds(), 0.0)
            age.add_metric([provider], seconds)
            stale.add_metric([provider], 1.0 if now - as_of > self._stale_after else 0.0)
        yield from (age, stale, limit)
