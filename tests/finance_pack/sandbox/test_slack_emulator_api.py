"""The emulator speaks Slack's Web API shapes, over plain HTTP (form, JSON and multipart)."""

from __future__ import annotations

import json
import re
from typing import Any

import httpx
import pytest

from finance_pack.sandbox.testing import RunningSlackEmulator

# One client for the module: building one per request costs ~50 ms (TLS context setup).
HTTP = httpx.Client(timeout=10)


def api(
    running: RunningSlackEmulator,
    method: str,
    *,
    token: str | None = "default",
    form: dict[str, str] | None = None,
    body: dict[str, Any] | None = None,
) -> httpx.Response:
    headers = {}
    if token is not None:
        headers["Authorization"] = f"Bearer {running.token if token == 'default' else token}"
    return HTTP.post(f"{running.api_url}{method}", data=form, json=body, headers=headers)


def ok(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    payload: dict[str, Any] = response.json()
    assert payload["ok"] is True, payload
    return payload


def error_of(response: httpx.Response) -> str:
    assert response.status_code == 200
    assert response.json()["ok"] is False
    return str(response.json()["error"])


def test_auth_test_accepts_the_bearer_token_or_a_token_form_field(
    slack_emulator: RunningSlackEmulator,
) -> None:
    assert ok(api(slack_emulator, "auth.test"))["bot_id"]
    as_field = api(slack_emulator, "auth.test", token=None, form={"token": slack_emulator.token})
    assert ok(as_field)["user"] == "finance-bot"


def test_wrong_token_is_invalid_auth_and_missing_token_is_not_authed(
    slack_emulator: RunningSlackEmulator,
) -> None:
    assert error_of(api(slack_emulator, "auth.test", token="xoxb-wrong")) == "invalid_auth"
    assert error_of(api(slack_emulator, "auth.test", token=None)) == "not_authed"


def test_post_message_form_encoded_with_json_strings_for_blocks_and_metadata(
    slack_emulator: RunningSlackEmulator,
) -> None:
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "*MTD* $1,200"}}]
    metadata = {"event_type": "budget_summary", "event_payload": {"key": "2026-W48"}}
    form = {
        "channel": "#finops",
        "text": "summary",
        "blocks": json.dumps(blocks),
        "metadata": json.dumps(metadata),
    }
    posted = ok(api(slack_emulator, "chat.postMessage", form=form))

    assert posted["channel"] == "C0FINOPS01"
    assert posted["message"]["blocks"] == blocks
    [stored] = slack_emulator.emulator.messages()
    assert stored["metadata"] == metadata
    assert stored["channel_name"] == "finops"
    assert stored["ts"] == posted["ts"]


def test_post_message_json_body_by_channel_id_in_a_thread(
    slack_emulator: RunningSlackEmulator,
) -> None:
    parent = ok(
        api(slack_emulator, "chat.postMessage", body={"channel": "C0BILLING1", "text": "a"})
    )
    reply = ok(
        api(
            slack_emulator,
            "chat.postMessage",
            body={"channel": "C0BILLING1", "text": "b", "thread_ts": parent["ts"]},
        )
    )
    assert reply["message"]["thread_ts"] == parent["ts"]


@pytest.mark.parametrize(
    ("channel", "code"),
    [
        ("#nope", "channel_not_found"),
        ("C0NOPE0000", "channel_not_found"),
        ("#general", "not_in_channel"),
    ],
)
def test_post_message_to_unknown_or_foreign_channel_is_refused(
    slack_emulator: RunningSlackEmulator, channel: str, code: str
) -> None:
    response = api(slack_emulator, "chat.postMessage", body={"channel": channel, "text": "x"})
    assert error_of(response) == code
    assert slack_emulator.emulator.messages() == []


def test_bad_metadata_and_empty_message_are_refused(slack_emulator: RunningSlackEmulator) -> None:
    bad_metadata = {"channel": "#finops", "text": "x", "metadata": {"event_type": "only"}}
    assert error_of(api(slack_emulator, "chat.postMessage", body=bad_metadata)) == (
        "invalid_metadata_format"
    )
    empty = {"channel": "#finops", "text": ""}
    assert error_of(api(slack_emulator, "chat.postMessage", body=empty)) == "no_text"


def test_message_ts_are_unique_increasing_and_slack_formatted_per_channel(
    slack_emulator: RunningSlackEmulator,
) -> None:
    stamps = [
        ok(api(slack_emulator, "chat.postMessage", body={"channel": "#finops", "text": str(i)}))[
            "ts"
        ]
        for i in range(30)
    ]
    assert all(re.fullmatch(r"\d{10}\.\d{6}", ts) for ts in stamps)
    assert stamps == sorted(set(stamps), key=lambda ts: (int(ts.split(".")[0]), ts))
    assert len(set(stamps)) == 30


def test_chat_update_changes_the_message_and_unknown_ts_is_message_not_found(
    slack_emulator: RunningSlackEmulator,
) -> None:
    posted = ok(api(slack_emulator, "chat.postMessage", body={"channel": "#finops", "text": "v1"}))
    update = {"channel": posted["channel"], "ts": posted["ts"], "text": "v2"}
    assert ok(api(slack_emulator, "chat.update", body=update))["text"] == "v2"
    [stored] = slack_emulator.emulator.messages()
    assert (stored["text"], stored["edited_ts"] is not None) == ("v2", True)

    missing = {"channel": posted["channel"], "ts": "1.000001", "text": "v3"}
    assert error_of(api(slack_emulator, "chat.update", body=missing)) == "message_not_found"


def test_history_is_newest_first_paginated_and_shows_metadata_only_when_asked(
    slack_emulator: RunningSlackEmulator,
) -> None:
    metadata = {"event_type": "t", "event_payload": {"key": "k"}}
    for i in range(5):
        body = {"channel": "#finops", "text": f"m{i}", "metadata": metadata}
        ok(api(slack_emulator, "chat.postMessage", body=body))
    first = ok(
        api(slack_emulator, "conversations.history", form={"channel": "C0FINOPS01", "limit": "3"})
    )
    assert [m["text"] for m in first["messages"]] == ["m4", "m3", "m2"]
    assert "metadata" not in first["messages"][0]
    assert first["has_more"] is True

    cursor = first["response_metadata"]["next_cursor"]
    form = {"channel": "C0FINOPS01", "cursor": cursor, "include_all_metadata": "true"}
    second = ok(api(slack_emulator, "conversations.history", form=form))
    assert [m["text"] for m in second["messages"]] == ["m1", "m0"]
    assert second["messages"][0]["metadata"] == metadata
    assert second["response_metadata"]["next_cursor"] == ""


def test_history_oldest_is_exclusive_and_thread_replies_are_left_out(
    slack_emulator: RunningSlackEmulator,
) -> None:
    first = ok(api(slack_emulator, "chat.postMessage", body={"channel": "#finops", "text": "a"}))
    reply = {"channel": "#finops", "text": "reply", "thread_ts": first["ts"]}
    ok(api(slack_emulator, "chat.postMessage", body=reply))
    ok(api(slack_emulator, "chat.postMessage", body={"channel": "#finops", "text": "b"}))

    form = {"channel": "C0FINOPS01", "oldest": first["ts"]}
    history = ok(api(slack_emulator, "conversations.history", form=form))
    assert [m["text"] for m in history["messages"]] == ["b"]


def test_history_of_a_channel_the_bot_is_not_in_is_not_in_channel(
    slack_emulator: RunningSlackEmulator,
) -> None:
    form = {"channel": "C0GENERAL1"}
    assert error_of(api(slack_emulator, "conversations.history", form=form)) == "not_in_channel"


def test_conversations_list_reports_membership(slack_emulator: RunningSlackEmulator) -> None:
    listed = ok(api(slack_emulator, "conversations.list", form={"types": "public_channel"}))
    membership = {c["name"]: c["is_member"] for c in listed["channels"]}
    assert membership == {"billing": True, "finance-alerts": True, "finops": True, "general": False}


def test_unknown_method_is_404_unknown_method(slack_emulator: RunningSlackEmulator) -> None:
    response = api(slack_emulator, "chat.nonsense")
    assert (response.status_code, response.json()["error"]) == (404, "unknown_method")


def test_upload_flow_with_multipart_body_shares_the_file_in_a_message(
    slack_emulator: RunningSlackEmulator,
) -> None:
    content = b"\x89PNG\r\n\x1a\nfake chart"
    form = {"filename": "chart.png", "length": str(len(content))}
    ticket = ok(api(slack_emulator, "files.getUploadURLExternal", form=form))
    uploaded = HTTP.post(ticket["upload_url"], files={"file": ("chart.png", content, "image/png")})
    assert (uploaded.status_code, uploaded.text) == (200, f"OK - {len(content)}")

    complete = {
        "files": json.dumps([{"id": ticket["file_id"], "title": "Burn chart"}]),
        "channel_id": "C0FINOPS01",
        "initial_comment": "Weekly chart",
    }
    [shared] = ok(api(slack_emulator, "files.completeUploadExternal", form=complete))["files"]
    assert shared["title"] == "Burn chart"

    [message] = slack_emulator.emulator.messages()
    assert message["text"] == "Weekly chart"
    [listed_file] = message["files"]
    assert listed_file["mimetype"] == "image/png"
    assert HTTP.get(listed_file["url"]).content == content


def test_completing_an_upload_whose_bytes_never_arrived_is_file_not_found(
    slack_emulator: RunningSlackEmulator,
) -> None:
    ticket = ok(
        api(slack_emulator, "files.getUploadURLExternal", form={"filename": "a", "length": "1"})
    )
    complete = {"files": json.dumps([{"id": ticket["file_id"]}]), "channel_id": "C0FINOPS01"}
    assert error_of(api(slack_emulator, "files.completeUploadExternal", form=complete)) == (
        "file_not_found"
    )


def test_fault_endpoint_answers_429_with_retry_after_then_recovers(
    slack_emulator: RunningSlackEmulator,
) -> None:
    fault = {"status": 429, "method": "chat.postMessage", "count": 1, "retry_after": 7}
    assert HTTP.post(f"{slack_emulator.url}_emulator/faults", json=fault).status_code == 201

    assert ok(api(slack_emulator, "auth.test"))  # other methods are unaffected
    limited = api(slack_emulator, "chat.postMessage", body={"channel": "#finops", "text": "x"})
    assert limited.status_code == 429
    assert limited.headers["Retry-After"] == "7"
    assert limited.json() == {"ok": False, "error": "ratelimited"}
    ok(api(slack_emulator, "chat.postMessage", body={"channel": "#finops", "text": "x"}))

    statuses = [(r.method, r.status) for r in slack_emulator.emulator.requests()]
    assert statuses == [("auth.test", 200), ("chat.postMessage", 429), ("chat.postMessage", 200)]


def test_fault_for_all_methods_answers_500_until_cleared(
    slack_emulator: RunningSlackEmulator,
) -> None:
    slack_emulator.emulator.inject_fault(500)
    assert api(slack_emulator, "auth.test").status_code == 500
    assert api(slack_emulator, "conversations.list").status_code == 500
    assert HTTP.delete(f"{slack_emulator.url}_emulator/faults").status_code == 200
    assert ok(api(slack_emulator, "auth.test"))


def test_an_invalid_fault_request_is_a_400(slack_emulator: RunningSlackEmulator) -> None:
    response = HTTP.post(f"{slack_emulator.url}_emulator/faults", json={"status": 404})
    assert response.status_code == 400
    assert "fault status" in response.json()["error"]


def test_reset_forgets_messages(slack_emulator: RunningSlackEmulator) -> None:
    ok(api(slack_emulator, "chat.postMessage", body={"channel": "#finops", "text": "x"}))
    assert HTTP.post(f"{slack_emulator.url}_emulator/reset").json() == {"ok": True}
    assert HTTP.get(f"{slack_emulator.url}_emulator/messages").json() == []


def test_json_listing_filters_by_channel_name(slack_emulator: RunningSlackEmulator) -> None:
    ok(api(slack_emulator, "chat.postMessage", body={"channel": "#finops", "text": "one"}))
    ok(api(slack_emulator, "chat.postMessage", body={"channel": "#billing", "text": "two"}))
    listing = HTTP.get(f"{slack_emulator.url}_emulator/messages", params={"channel": "#billing"})
    [message] = listing.json()
    assert set(message) >= {"channel_id", "channel_name", "ts", "text", "blocks", "thread_ts"}
    assert (message["channel_id"], message["text"], message["files"]) == ("C0BILLING1", "two", [])
