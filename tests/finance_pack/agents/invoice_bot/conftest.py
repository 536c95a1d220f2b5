from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from invoice_support import InvoiceSandbox, invoice_sandbox


@pytest.fixture
def sandbox(installed_target: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[InvoiceSandbox]:
    with invoice_sandbox(installed_target, monkeypatch) as running:
        yield running
