"""Seeding moto's Cost Explorer results."""

from __future__ import annotations

from typing import Any

import httpx


def queue_ce_results(moto_url: str, *responses: dict[str, Any]) -> None:
    """Each queued response answers the next GetCostAndUsage request body not seen before."""
    reply = httpx.post(
        f"{moto_url}/moto-api/static/ce/cost-and-usage-results",
        json={"results": list(responses)},
    )
    reply.raise_for_status()
