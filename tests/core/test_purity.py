"""core/ must stay pure Python: no Qt and no httpx, so it runs (and is tested) anywhere."""

from __future__ import annotations

import ast
from pathlib import Path

import kimai_tray.core

FORBIDDEN = (
    "PySide6",
    "shiboken6",
    "qasync",
    "httpx",
    "httpcore",
    "keyring",
    "kimai_tray.ui",
    "kimai_tray.api",
    "kimai_tray.platform",
    "kimai_tray.simulator",
    "starlette",
    "uvicorn",
)


def test_core_imports_no_qt_no_httpx() -> None:
    core_dir = Path(kimai_tray.core.__file__).parent
    offenders: list[str] = []
    for path in sorted(core_dir.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                if name.startswith(FORBIDDEN):
                    offenders.append(f"{path.name}: {name}")
    assert list(core_dir.rglob("*.py")), "core/ has no modules?"
    assert offenders == []
