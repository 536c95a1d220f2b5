"""`python -m brctl`: the same as the `brctl` command."""

from brctl.cli import entry

entry()
