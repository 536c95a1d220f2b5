"""SLO arithmetic: attainment, error budget and latency percentiles (DESIGN.md section 5)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal

_FRACTION = Decimal("0.0001")


@dataclass(frozen=True, slots=True)
class SloReport:
    """One SLO over one window; `events` counts what was due, `good` what met the objective."""

    slo: str
    objective: Decimal
    window: str
    events: int
    good: int
    p50_seconds: Decimal | None = None
    p95_seconds: Decimal | None = None
    p99_seconds: Decimal | None = None
    max_seconds: Decimal | None = None
    bad_events: tuple[str, ...] = field(default_factory=tuple)

    @property
    def attainment(self) -> Decimal | None:
        """good / events; None while nothing was due (no data is not 100 %)."""
        if self.events == 0:
            return None
        return (Decimal(self.good) / Decimal(self.events)).quantize(_FRACTION, ROUND_HALF_EVEN)

    @property
    def error_budget_remaining(self) -> Decimal | None:
        """Fraction of the allowed bad events still unspent; negative once overspent.

        With a 100 % objective no bad event is allowed, so the budget is 1 or, after any bad
        event, 0 (it cannot be divided by a zero allowance).
        """
        if self.events == 0:
            return None
        bad = Decimal(self.events - self.good)
        allowed = (Decimal(1) - self.objective) * Decimal(self.events)
        if allowed == 0:
            return Decimal(1) if bad == 0 else Decimal(0)
        return (Decimal(1) - bad / allowed).quantize(_FRACTION, ROUND_HALF_EVEN)

    @property
    def met(self) -> bool | None:
        attainment = self.attainment
        return None if attainment is None else attainment >= self.objective

    def to_json_dict(self) -> dict[str, object]:
        def text(value: Decimal | None) -> str | None:
            return None if value is None else format(value, "f")

        return {
            "slo": self.slo,
            "objective": text(self.objective),
            "window": self.window,
            "attainment": text(self.attainment),
            "error_budget_remaining": text(self.error_budget_remaining),
            "events": self.events,
            "good": self.good,
            "met": self.met,
            "p50_seconds": text(self.p50_seconds),
            "p95_seconds": text(self.p95_seconds),
            "p99_seconds": text(self.p99_seconds),
            "max_seconds": text(self.max_seconds),
            "bad_events": list(self.bad_events),
        }


def percentile(values: Sequence[Decimal], pct: int) -> Decimal | None:
    """Nearest-rank percentile (no interpolation: a reported latency really happened)."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, -(-pct * len(ordered) // 100))  # ceil(pct/100 * n)
    return ordered[rank - 1]


def latency_report(
    slo: str,
    objective: Decimal,
    window: str,
    latencies: Sequence[Decimal | None],
    threshold_seconds: Decimal,
    labels: Sequence[str] | None = None,
) -> SloReport:
    """Events with a latency at most `threshold_seconds` are good; None (never done) is bad."""
    done = [latency for latency in latencies if latency is not None]
    good_flags = [lat is not None and lat <= threshold_seconds for lat in latencies]
    names = labels or [str(i) for i in range(len(latencies))]
    return SloReport(
        slo=slo,
        objective=objective,
        window=window,
        events=len(latencies),
        good=sum(good_flags),
        p50_seconds=percentile(done, 50),
        p95_seconds=percentile(done, 95),
        p99_seconds=percentile(done, 99),
        max_seconds=max(done) if done else None,
        bad_events=tuple(name for name, ok in zip(names, good_flags, strict=True) if not ok),
    )
