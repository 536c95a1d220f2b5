"""The Slack adapter: post, update, upload and look up messages through slack_sdk."""

from finance_pack.providers.slack.errors import (
    SlackError,
    SlackPermanentError,
    SlackTransientError,
)
from finance_pack.providers.slack.gateway import (
    MessageMetadata,
    PostedMessage,
    SlackGateway,
    SlackIdentity,
    SlackWebGateway,
    UploadedFile,
)
from finance_pack.providers.slack.pacing import ChannelPacer
from finance_pack.providers.slack.retry import RetryPolicy
from finance_pack.providers.slack.settings import SlackSettings

__all__ = [
    "ChannelPacer",
    "MessageMetadata",
    "PostedMessage",
    "RetryPolicy",
    "SlackError",
    "SlackGateway",
    "SlackIdentity",
    "SlackPermanentError",
    "SlackSettings",
    "SlackTransientError",
    "SlackWebGateway",
    "UploadedFile",
]
