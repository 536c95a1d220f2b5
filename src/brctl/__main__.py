"""`python -m brctl`: the same as the `brctl` command."""

from brctl.launch import entry

entry()
