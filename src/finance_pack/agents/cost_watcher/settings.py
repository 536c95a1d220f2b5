"""What the Cost Watcher is told by finance.yaml: detector margins per scope, sinks, limits."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from finance_pack.domain.anomaly import DetectorSettings, Direction
from finance_pack.domain.anomaly.points import in_scope


@dataclass(frozen=True)
class ScopedSettings:
    scope: str  # e.g. "provider=aws|account=123"; "" matches every series
    detector: DetectorSettings


@dataclass(frozen=True)
class WatcherSettings:
    default: DetectorSettings = field(default_factory=DetectorSettings)
    scoped: Sequence[ScopedSettings] = ()
    extra_dimensions: Sequence[str] = ()
    max_batch: int = 1_000
    alerts_channel: str = "#finance-alerts"
    dashboard_url: str | None = None
    webhook_url: str | None = None
    fx_rates: Mapping[tuple[str, str], Decimal] = field(default_factory=dict)

    def detector_for(self, series_key: str) -> DetectorSettings:
        """The most specific scope that matches wins (most dimensions named)."""
        matching = [s for s in self.scoped if in_scope(series_key, s.scope)]
        if not matching:
            return self.default
        return max(matching, key=lambda s: s.scope.count("=")).detector


def detector_settings(
    relative_margin_pct: Decimal, absolute_margin: Decimal, direction: str = "up"
) -> DetectorSettings:
    return DetectorSettings(
        relative_margin=float(relative_margin_pct) / 100,
        absolute_margin=float(absolute_margin),
        direction=Direction(direction),
    )
