"""The HTTP API (FastAPI): health, metrics, and one router per resource."""
