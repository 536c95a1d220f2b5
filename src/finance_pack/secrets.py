"""Secrets come from the environment or from a file named by `NAME_FILE`; never from config."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit

from finance_pack.errors import UsageError

# Values that are unmistakably credentials, wherever they appear in a config file.
SECRET_VALUE_PATTERNS = (
    re.compile(r"^xox[abposr]-"),  # Slack tokens
    re.compile(r"^(sk|rk)_(live|test)_"),  # Stripe secret and restricted keys
    re.compile(r"^whsec_"),  # Stripe webhook signing secrets
    re.compile(r"^(AKIA|ASIA)[A-Z0-9]{16}$"),  # AWS access key ids
    re.compile(r"://[^/\s:@]+:[^/\s@]+@"),  # a URL carrying user:password
)
SECRET_KEY_PATTERN = re.compile(
    r"(token|secret|password|passwd|api_key|apikey|private_key|credential)", re.IGNORECASE
)


def looks_like_secret_value(value: str) -> bool:
    return any(p.search(value) for p in SECRET_VALUE_PATTERNS)


def read_secret(name: str, environ: Mapping[str, str] | None = None) -> str | None:
    """`$NAME`, else the contents of the file at `$NAME_FILE`, else None."""
    env = os.environ if environ is None else environ
    if env.get(name):
        return env[name]
    file_var = f"{name}_FILE"
    if env.get(file_var):
        path = Path(env[file_var])
        try:
            return path.read_text(encoding="utf-8").strip() or None
        except OSError as exc:
            raise UsageError(
                f"{file_var} points at {path}, which cannot be read: {exc.strerror}"
            ) from exc
    return None


def secret_source(name: str, environ: Mapping[str, str] | None = None) -> str | None:
    """Where a secret would come from (`env` or `file`), without reading or printing it."""
    env = os.environ if environ is None else environ
    if env.get(name):
        return "env"
    if env.get(f"{name}_FILE"):
        return "file"
    return None


SECRET_QUERY_KEYS = frozenset({"password", "sslpassword", "secret", "token", "access_token"})


def redact_url(url: str) -> str:
    """The URL with any password hidden, for messages and logs: the one in the user part and one
    given as a query parameter (`postgresql://host/db?user=fin&password=...`)."""
    try:
        parts = urlsplit(url)  # leaves the port unchecked: a `:notaport` is shown as written
    except ValueError:
        return "<unparseable database URL>"
    netloc = parts.netloc
    if parts.password is not None:
        userinfo, host = netloc.rsplit("@", 1)
        netloc = f"{userinfo.split(':', 1)[0]}:***@{host}"
    query = [
        (key, "***" if key.lower() in SECRET_QUERY_KEYS else value)
        for key, value in parse_qsl(parts.query, keep_blank_values=True)
    ]
    text = f"{parts.scheme}://{netloc}{parts.path}"
    if query:
        text += "?" + urlencode(query, safe="*")
    return text + (f"#{parts.fragment}" if parts.fragment else "")
