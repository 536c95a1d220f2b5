"""Command-line options every `brctl` command group shares."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

TargetOption = Annotated[
    Path | None,
    typer.Option(
        "--target",
        help="Deployment root (default: $BLACKROAD_HOME, else /srv/blackroad).",
        show_default=False,
    ),
]
