"""Streaming anomaly detection per series (pure: time and data are passed in)."""

from finance_pack.domain.anomaly.detector import (
    DetectorSettings,
    Direction,
    LatePointError,
    SeriesDetector,
    Verdict,
)

__all__ = ["DetectorSettings", "Direction", "LatePointError", "SeriesDetector", "Verdict"]
