"""The `brctl` console script: `--version` answers before Typer, Rich or any pack is imported."""

from __future__ import annotations

import sys

from brctl import __version__


def entry() -> None:
    if sys.argv[1:] == ["--version"]:
        print(f"brctl {__version__}")
        sys.exit(0)
    from brctl.cli import main

    sys.exit(main())
