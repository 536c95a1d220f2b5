"""brctl: a small, generic BlackRoad pack manager."""

__version__ = "0.1.0"
