"""The BlackRoad Finance Ops Pack."""

__version__ = "0.1.0"
