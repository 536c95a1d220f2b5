"""What can go wrong talking to Slack, split by what the caller should do about it.

`SlackPermanentError`: retrying will not help until someone changes something (the token, the
channel, an invitation); the message says what. `SlackTransientError`: Slack was rate limiting,
failing or unreachable for longer than our retry budget; try again later.
"""

from __future__ import annotations

from finance_pack.errors import FinanceError, UnavailableError

PERMANENT_HINTS: dict[str, str] = {
    "channel_not_found": (
        "check the channel name or id in finance.yaml; a private channel is only visible "
        "once the bot has been invited to it"
    ),
    "not_in_channel": "invite the bot to the channel (in Slack: /invite @your-bot in {channel})",
    "is_archived": "the channel is archived: unarchive it or configure another channel",
    "invalid_auth": "the bot token is not valid: check SLACK_BOT_TOKEN or SLACK_BOT_TOKEN_FILE",
    "not_authed": "no token was sent: set SLACK_BOT_TOKEN or SLACK_BOT_TOKEN_FILE",
    "account_inactive": (
        "the app's bot user or workspace was deactivated: reinstall the Slack app and update "
        "the bot token"
    ),
    "token_revoked": "the bot token was revoked: reinstall the Slack app and update the token",
    "token_expired": "the bot token expired: rotate it and update SLACK_BOT_TOKEN",
    "missing_scope": (
        "the Slack app lacks an OAuth scope; it needs chat:write, files:write, "
        "channels:read, channels:history (groups:* for private channels)"
    ),
    "msg_too_long": "the message text is over Slack's 40,000 character limit",
    "invalid_blocks": "Slack rejected the Block Kit payload; this is a bug in the message layout",
}

# Error codes Slack may answer with HTTP 200 that still mean "try again later".
TRANSIENT_CODES = frozenset(
    {"ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"}
)


class SlackError(FinanceError):
    """Any failure of a Slack call; `channel` is the channel involved, if any."""

    def __init__(self, message: str, *, channel: str | None, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.channel = channel


class SlackPermanentError(SlackError):
    """Slack refused the call for a reason that retrying will not fix."""

    def __init__(self, error_code: str, channel: str | None, hint: str | None = None) -> None:
        where = f" for channel {channel}" if channel else ""
        hint = hint or PERMANENT_HINTS.get(error_code, "see https://api.slack.com/methods")
        super().__init__(
            f"Slack refused the request{where}: {error_code}",
            channel=channel,
            hint=hint.format(channel=channel or "the channel"),
        )
        self.error_code = error_code


class SlackTransientError(SlackError, UnavailableError):
    """Slack stayed rate limited, failing or unreachable through all our retries.

    `retry_after` is Slack's last `Retry-After` (seconds), when it gave one. `maybe_delivered`
    is True when a post failed in a way that leaves open whether Slack received it (a timeout
    after sending): look the message up (`find_message`) before posting it again.
    """

    def __init__(
        self,
        reason: str,
        channel: str | None,
        *,
        retry_after: float | None = None,
        maybe_delivered: bool = False,
    ) -> None:
        where = f" for channel {channel}" if channel else ""
        super().__init__(
            f"Slack is unavailable{where}: {reason}",
            channel=channel,
            hint="nothing to fix here; the call will be retried later",
        )
        self.reason = reason
        self.retry_after = retry_after
        self.maybe_delivered = maybe_delivered
