"""`brctl finance sandbox slack`: help, and the server function run with a stop event."""

from __future__ import annotations

import threading

from slack_sdk import WebClient
from typer.testing import CliRunner

from finance_pack.cli.sandbox import app, run_slack_sandbox
from finance_pack.sandbox.servers import BackgroundServer
from finance_pack.sandbox.slack import DEFAULT_TOKEN


def test_help_shows_an_example() -> None:
    result = CliRunner().invoke(app, ["slack", "--help"])
    assert result.exit_code == 0
    assert "brctl finance sandbox slack --port" in result.output


def test_server_function_serves_until_the_stop_event() -> None:
    stop, ready = threading.Event(), threading.Event()
    servers: list[BackgroundServer] = []

    def on_ready(server: BackgroundServer) -> None:
        servers.append(server)
        ready.set()

    thread = threading.Thread(
        target=run_slack_sandbox, args=("127.0.0.1", 0, stop), kwargs={"on_ready": on_ready}
    )
    thread.start()
    try:
        assert ready.wait(10)
        client = WebClient(token=DEFAULT_TOKEN, base_url=f"{servers[0].url}api/")
        assert client.chat_postMessage(channel="#finops", text="hi")["ok"] is True
    finally:
        stop.set()
        thread.join(10)
    assert not thread.is_alive()
