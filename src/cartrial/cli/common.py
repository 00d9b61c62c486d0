"""Helpers every command shares: reading input files, reporting bad input, printing JSON."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, NoReturn

import typer
from rich.console import Console

from cartrial.errors import InputError

EXIT_BAD_INPUT = 2

stdout = Console()
stderr = Console(stderr=True)


def fail_bad_input(error: InputError) -> NoReturn:
    """Print each bad field and its reason on stderr and exit with code 2."""
    stderr.print(f"[bold red]error[/]: bad input in {error.source}", highlight=False)
    for item in error.errors:
        stderr.print(f"  {item.field}: {item.reason}", markup=False, highlight=False)
    raise typer.Exit(EXIT_BAD_INPUT)


def read_text(path: Path) -> str:
    """Read a UTF-8 input file ('-' is standard input); a missing or unreadable file is bad input."""
    if str(path) == "-":
        return sys.stdin.read()
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        fail_bad_input(InputError.single(str(path), "(file)", "no such file"))
    except (OSError, UnicodeDecodeError) as exc:
        fail_bad_input(InputError.single(str(path), "(file)", f"cannot read: {exc}"))


def print_json(value: Any) -> None:
    """Print JSON on stdout exactly (no Rich markup or wrapping)."""
    sys.stdout.write(json.dumps(value, ensure_ascii=False, indent=2, default=str) + "\n")
