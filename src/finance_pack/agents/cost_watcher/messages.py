"""What an incident says in Slack: expected vs actual, impact, severity, contributors."""

from __future__ import annotations

from typing import Any

from finance_pack.domain.incidents import Incident

EMOJI = {
    "warning": ":large_yellow_circle:",
    "high": ":large_orange_circle:",
    "critical": ":red_circle:",
}


def _scope(group: str) -> str:
    return ", ".join(part.replace("=", " ") for part in group.split("|"))


def _contributor_lines(incident: Incident) -> list[str]:
    lines = []
    for c in incident.top_contributors():
        state = "" if c.active else " (back in range)"
        lines.append(
            f"• `{c.series}`: {c.actual} {incident.currency} vs expected {c.expected} "
            f"(up to {c.upper}), impact {c.impact:+}{state}"
        )
    return lines


def incident_text(incident: Incident, incident_id: int, dashboard_url: str | None) -> str:
    percent = f" ({incident.impact_percent:+}%)" if incident.impact_percent is not None else ""
    head = (
        f"{EMOJI.get(incident.severity.value, '')} *Cost anomaly #{incident_id}* "
        f"[{incident.severity.value}] in {_scope(incident.group)}"
    )
    if incident.state == "resolved":
        head = (
            f":white_check_mark: *Resolved: cost anomaly #{incident_id}* "
            f"in {_scope(incident.group)}"
        )
    lines = [
        head,
        f"Actual {incident.actual} {incident.currency} vs expected {incident.expected} "
        f"{incident.currency}: impact {incident.impact:+} {incident.currency}{percent} "
        f"per interval, first seen {incident.first_seen:%Y-%m-%d %H:%M} UTC.",
        "Top contributors:",
        *_contributor_lines(incident),
    ]
    if dashboard_url:
        lines.append(f"<{dashboard_url.rstrip('/')}/?incident={incident_id}|Open the dashboard>")
    return "\n".join(lines)


def thread_text(incident: Incident, incident_id: int, kind: str) -> str:
    if kind == "resolve":
        return (
            f":white_check_mark: Resolved cost anomaly #{incident_id}: spend in "
            f"{_scope(incident.group)} is back in its "
            f"expected range (as of {incident.resolved_at or incident.last_seen:%Y-%m-%d %H:%M}"
            " UTC)."
        )
    return (
        f"Update on #{incident_id}: severity {incident.severity.value}, impact "
        f"{incident.impact:+} {incident.currency}; contributors now:\n"
        + "\n".join(_contributor_lines(incident))
    )


def blocks(text: str) -> list[dict[str, Any]]:
    return [{"type": "section", "text": {"type": "mrkdwn", "text": text[:2900]}}]
