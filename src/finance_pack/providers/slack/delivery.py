"""Exactly once through ambiguous failures, for every agent that posts.

A post whose outcome is unknown (a 5xx answered by a proxy after Slack took it, a timeout, a
connection lost after sending) is never resent blindly: the retry handler gives up on it and the
error says `maybe_delivered`. The delivery is then retried from durable state
(`store.deliveries`), and whoever retries it, or takes over a claim left by a killed process,
looks the message up by its metadata before posting again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from finance_pack.providers.slack.gateway import MessageMetadata, PostedMessage, SlackGateway


@dataclass(frozen=True, slots=True)
class Delivered:
    message: PostedMessage
    found: bool  # an earlier attempt had posted it: found by metadata, not posted again


def post_once(
    gateway: SlackGateway,
    channel: str,
    metadata: MessageMetadata,
    post: Callable[[], PostedMessage],
    *,
    maybe_posted: bool,
    oldest: datetime,
) -> Delivered:
    """Post with `post()` unless an earlier attempt (`maybe_posted`) already did, since `oldest`."""
    if maybe_posted:
        found = gateway.find_message(channel, metadata.event_type, metadata.key, oldest)
        if found is not None:
            return Delivered(found, found=True)
    return Delivered(post(), found=False)
