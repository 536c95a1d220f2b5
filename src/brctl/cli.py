"""`brctl`: the root command. Packs found through entry points add their own sub-commands.

Start-up stays fast because a command group's module is imported only when the command line
names it: `brctl --help` lists the groups from short descriptions, `brctl finance ...` loads the
finance pack's commands and nothing else. Every failure reaches the user as a short message and
an exit code, here in one place (`main`); a traceback only with `--debug`.
"""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Callable
from functools import partial
from importlib import import_module
from typing import Annotated, Any

import typer
import typer.main
from rich.console import Console

from brctl import __version__
from brctl.errors import CommandError
from brctl.lazy import LazyCommand
from brctl.pack_cli import pack_app
from brctl.packs import discover_packs, pack_exit_code

__all__ = ["app", "entry", "main"]

DEBUG_FLAG = "--debug"
DEBUG_ENV = "BRCTL_DEBUG"

console = Console(soft_wrap=True, emoji=False)
err_console = Console(stderr=True, soft_wrap=True, highlight=False, emoji=False)


def _new_root() -> typer.Typer:
    root = typer.Typer(
        help="BlackRoad pack manager.\n\n"
        "Example: brctl pack install finance --target=/srv/blackroad",
        no_args_is_help=True,
        pretty_exceptions_enable=False,
        add_completion=False,
    )
    root.callback(invoke_without_command=True)(_root)
    root.add_typer(pack_app, name="pack")
    return root


# Built-in groups loaded on demand (their module docstring is their help, see brctl.lazy).
_LAZY_GROUPS = [LazyCommand("roles", "brctl.roles_cli:app")]


def _root(
    version: Annotated[bool, typer.Option("--version", help="Print the version and exit.")] = False,
    _debug: Annotated[
        bool,
        typer.Option(DEBUG_FLAG, help="Show the full traceback of an unexpected error."),
    ] = False,
) -> None:
    if version:
        console.print(f"brctl {__version__}")
        raise typer.Exit()


app = _new_root()  # the static part (`pack`); `main` adds the other groups per command line


def _first_command(args: list[str]) -> str | None:
    """The group the command line names (the root has only flags, none taking a value)."""
    for arg in args:
        if arg == "--":
            return None
        if not arg.startswith("-"):
            return arg
    return None


def _stub(help_text: str) -> typer.Typer:
    """Stands in for a group the command line does not name: only its help line is shown."""
    stub = typer.Typer(help=help_text)

    @stub.callback(invoke_without_command=True)
    def _listed_only() -> None:
        """Never invoked: a named group is loaded for real."""

    return stub


def _module_app(module: str) -> typer.Typer:
    loaded: typer.Typer = import_module(module).app
    return loaded


def _group_loaders() -> dict[str, tuple[Callable[[], typer.Typer], str]]:

    loaders: dict[str, tuple[Callable[[], typer.Typer], str]] = {
        lazy.name: (partial(_module_app, lazy.module), lazy.help_text()) for lazy in _LAZY_GROUPS
    }
    for pack in discover_packs().values():
        if pack.command is not None:
            loaders[pack.name] = (pack.command, pack.description)
    return loaders


def build_app(args: list[str]) -> typer.Typer:
    """The root command for this command line, with only the group it names loaded."""
    root = _new_root()
    wanted = _first_command(args)
    for name, (load, help_text) in _group_loaders().items():
        root.add_typer(load() if name == wanted else _stub(help_text), name=name)
    return root


def _click_class(name: str) -> type[Exception]:
    # Typer >= 0.29 bundles its own Click (`typer._click`), older Typer uses the `click` package:
    # Typer's own BadParameter derives from whichever Click is in use, so look there.
    return next(c for c in typer.BadParameter.__mro__ if c.__name__ == name)


def _click_exception_type() -> type[Exception]:
    return _click_class("ClickException")


def _usage_error_type() -> type[Exception]:
    return _click_class("UsageError")


def _command_path(command: Any, args: list[str]) -> str:
    """`brctl finance kpi`: the command the line reached, following sub-command names."""
    path = ["brctl"]
    for arg in args:
        sub = getattr(command, "commands", {}).get(arg)
        if sub is not None:
            command = sub
            path.append(arg)
        elif not arg.startswith("-"):
            break
    return " ".join(path)


def _report_click_error(exc: Any, command: Any, args: list[str]) -> int:
    """One or two lines: what is wrong, and which --help to read."""
    if type(exc).__name__ == "NoArgsIsHelpError":  # a bare group: its help is the answer
        exc.show()
        return int(exc.exit_code)
    # Typer 0.29 prefixes pydantic-style "Value error, " to a bad choice: noise to a user.
    message = str(exc.format_message()).replace("Value error, ", "")
    err_console.print(f"[red]error:[/] {message}", soft_wrap=True)
    if isinstance(exc, _usage_error_type()):
        ctx = getattr(exc, "ctx", None)
        where = ctx.command_path if ctx is not None else _command_path(command, args)
        err_console.print(f"Try '{where} --help' for help.", soft_wrap=True)
    return int(exc.exit_code)


def _report_unexpected(exc: BaseException, debug: bool) -> int:
    if debug:
        traceback.print_exception(exc, file=sys.stderr)
        return 1
    summary = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    err_console.print(
        f"[red]error:[/] unexpected {type(exc).__name__}" + (f": {summary}" if summary else ""),
        soft_wrap=True,
    )
    err_console.print(f"  hint: rerun with {DEBUG_FLAG} to see the traceback", soft_wrap=True)
    return 1


def _pop_debug(args: list[str]) -> bool:
    """`--debug` anywhere before `--` (users add it at the end of a failing command)."""
    end = args.index("--") if "--" in args else len(args)
    found = DEBUG_FLAG in args[:end]
    args[:end] = [a for a in args[:end] if a != DEBUG_FLAG]
    return found or os.environ.get(DEBUG_ENV, "") not in ("", "0")


def main(argv: list[str] | None = None) -> int:
    """Entry point; every error becomes a short message and an exit code (2: bad usage)."""
    args = list(sys.argv[1:] if argv is None else argv)
    debug = _pop_debug(args)
    command: Any = None
    try:
        command = typer.main.get_command(build_app(args))
        result = command.main(args=args, prog_name="brctl", standalone_mode=False)
    except CommandError as exc:
        err_console.print(f"[red]error:[/] {exc}", soft_wrap=True)
        return exc.exit_code
    except typer.Exit as exc:
        return exc.exit_code
    except (typer.Abort, KeyboardInterrupt):
        err_console.print("aborted")
        return 130
    except _click_exception_type() as exc:
        return _report_click_error(exc, command, args)
    except Exception as exc:
        code = pack_exit_code(exc)  # a pack's own error types map to exit codes in the pack
        if code is None:
            return _report_unexpected(exc, debug)
        err_console.print(f"[red]error:[/] {exc}", soft_wrap=True)
        return code
    return result if isinstance(result, int) else 0


def entry() -> None:
    sys.exit(main())
