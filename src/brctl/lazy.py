"""A command group that imports a sub-command's module only when the command line reaches it.

A pack lists its sub-commands as `LazyCommand("kpi", "finance_pack.cli.kpi:kpi")`: the module's
docstring is the command's help text (its one source), so the group's `--help` can list every
command with its summary by reading the docstrings from the source files, without importing a
single command module (each may pull in SQLAlchemy, pandas, Stripe, ...). Running a command, or
asking for its own `--help`, imports that module and nothing else.
"""

from __future__ import annotations

import ast
import inspect
import sys
import tokenize
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import import_module
from importlib.util import find_spec
from typing import Any

import typer
import typer.main
from typer.core import TyperCommand, TyperGroup

__all__ = ["LazyCommand", "lazy_group"]

_NOT_CODE = {tokenize.ENCODING, tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE}


@dataclass(frozen=True)
class LazyCommand:
    """A sub-command `name` defined by `target`, "package.module:attribute".

    The attribute is a `typer.Typer` (a group of commands) or a command function; either way the
    module's docstring is its help.
    """

    name: str
    target: str

    @property
    def module(self) -> str:
        return self.target.partition(":")[0]

    def help_text(self) -> str:
        """The module docstring, read from the source without running the module."""
        loaded = sys.modules.get(self.module)
        spec = find_spec(self.module) if loaded is None else None
        origin = spec.origin if spec is not None else None
        if origin is None or not origin.endswith(".py"):  # imported already, or no source shipped
            return inspect.cleandoc((loaded or import_module(self.module)).__doc__ or "")
        with tokenize.open(origin) as source:
            first = next(
                t for t in tokenize.generate_tokens(source.readline) if t.type not in _NOT_CODE
            )
        docstring = ast.literal_eval(first.string) if first.type == tokenize.STRING else ""
        return inspect.cleandoc(docstring)

    def load(self) -> Any:
        """The Click command, built by Typer from the imported module."""
        module = import_module(self.module)
        defined = getattr(module, self.target.partition(":")[2])
        if isinstance(defined, typer.Typer):
            command: Any = typer.main.get_group(defined)
        else:
            single = typer.Typer(add_completion=False)
            single.command(self.name, help=module.__doc__)(defined)
            command = typer.main.get_command(single)
        command.name = self.name
        return command


class _Listed(TyperCommand):
    """Stands in for a command that is not imported: enough for the group's help listing."""


class LazyTyperGroup(TyperGroup):
    """A Typer group whose `lazy_commands` load on first use (see the module docstring)."""

    lazy_commands: Sequence[LazyCommand] = ()

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        self._listing = False
        self._lazy = {lazy.name: lazy for lazy in self.lazy_commands}
        for lazy in self.lazy_commands:
            self.commands.setdefault(lazy.name, _Listed(name=lazy.name, help=lazy.help_text()))

    @contextmanager
    def _listing_only(self) -> Iterator[None]:
        self._listing = True
        try:
            yield
        finally:
            self._listing = False

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        command = self.commands.get(cmd_name)
        if isinstance(command, _Listed) and not self._listing:
            command = self.commands[cmd_name] = self._lazy[cmd_name].load()
        return command

    def format_help(self, ctx: Any, formatter: Any) -> None:
        with self._listing_only():  # the listing needs names and summaries, not the commands
            super().format_help(ctx, formatter)


def lazy_group(commands: Sequence[LazyCommand]) -> type[LazyTyperGroup]:
    """A group class for `typer.Typer(cls=...)` whose sub-commands are `commands`, in order."""
    return type("LazyCommands", (LazyTyperGroup,), {"lazy_commands": tuple(commands)})
