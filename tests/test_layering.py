"""The architecture as a test: the pure domain core imports no shell, no store, no service, and no I/O.

DESIGN.md: the core never imports store, services or a shell; store never imports services or a shell;
services never import a shell.
"""

import ast
import re
from pathlib import Path

import pytest

SRC = Path(__file__).parents[1] / "src" / "cartrial"
CORE = ("protocol", "clinical", "eligibility", "escalation", "safety", "kinetics", "response")
SHELLS = ("cartrial.cli", "cartrial.api", "cartrial.web")
FORBIDDEN_FOR_CORE = (*SHELLS, "cartrial.store", "cartrial.services", "cartrial.data", "cartrial.synthetic")
# Modules that read clocks, files, sockets or databases have no place in the pure core.
IO_MODULES = ("os", "pathlib", "socket", "sqlite3", "sqlalchemy", "time", "random", "subprocess")


def imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def core_files() -> list[Path]:
    return [p for package in CORE for p in sorted((SRC / package).rglob("*.py")) if (SRC / package).is_dir()]


@pytest.mark.parametrize("path", core_files(), ids=lambda p: str(p.relative_to(SRC)))
def test_core_module_imports_no_shell_store_or_io(path: Path) -> None:
    for name in imported_modules(path):
        inside = [name == layer or name.startswith(layer + ".") for layer in FORBIDDEN_FOR_CORE]
        assert not any(inside), f"{path.relative_to(SRC)} imports {name}"
        assert name.split(".")[0] not in IO_MODULES, f"{path.relative_to(SRC)} imports {name}"


@pytest.mark.parametrize("path", core_files(), ids=lambda p: str(p.relative_to(SRC)))
def test_core_reads_no_clock(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    for call in ("date.today", "datetime.now", "datetime.utcnow", "time.time", "open"):
        # A call of the name itself, not of a longer name that ends with it (`_highest_open(`).
        assert not re.search(rf"(?<![\w]){re.escape(call)}\(", text), f"{path.relative_to(SRC)} calls {call}"


@pytest.mark.parametrize("path", sorted((SRC / "api").rglob("*.py")), ids=lambda p: str(p.relative_to(SRC)))
def test_api_reaches_the_store_only_through_services(path: Path) -> None:
    for name in imported_modules(path):
        assert not (name == "cartrial.store" or name.startswith("cartrial.store.")), (
            f"{path.relative_to(SRC)} imports {name}"
        )


def test_services_import_no_shell() -> None:
    for path in sorted((SRC / "services").rglob("*.py")):
        for name in imported_modules(path):
            inside = [name == shell or name.startswith(shell + ".") for shell in SHELLS]
            assert not any(inside), f"{path.relative_to(SRC)} imports {name}"
