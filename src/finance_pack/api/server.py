"""Serve the API with uvicorn; SIGTERM and Ctrl-C shut down cleanly with exit status 0."""

from __future__ import annotations

import signal
from types import FrameType

import uvicorn
from fastapi import FastAPI


def _ignore(_signum: int, _frame: FrameType | None) -> None:
    """Stands in for the default action when uvicorn re-raises the signal it handled."""


def serve(app: FastAPI, host: str, port: int, *, log_level: str = "info") -> None:
    config = uvicorn.Config(app, host=host, port=port, log_level=log_level, lifespan="on")
    # uvicorn finishes in-flight requests on SIGTERM/SIGINT, then re-raises the signal with the
    # handler that was installed before it; a no-op one there makes a clean stop exit 0.
    previous = {sig: signal.signal(sig, _ignore) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        uvicorn.Server(config).run()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
