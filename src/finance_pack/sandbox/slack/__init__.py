"""Our emulator of the Slack Web API methods the pack uses, with a page showing what was posted.

Run it alone with `brctl finance sandbox slack`, or in-process with
`finance_pack.sandbox.testing.running_slack_emulator()`.
"""

from finance_pack.sandbox.slack.app import create_app
from finance_pack.sandbox.slack.emulator import DEFAULT_TOKEN, SlackEmulator
from finance_pack.sandbox.slack.faults import UPLOAD_METHOD, RecordedRequest
from finance_pack.sandbox.slack.workspace import DEFAULT_CHANNELS, EmulatedChannel

__all__ = [
    "DEFAULT_CHANNELS",
    "DEFAULT_TOKEN",
    "UPLOAD_METHOD",
    "EmulatedChannel",
    "RecordedRequest",
    "SlackEmulator",
    "create_app",
]
