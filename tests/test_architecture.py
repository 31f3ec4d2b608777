"""ARCHITECTURE.md's map matches the tree: every path it names exists, every module is named."""

from __future__ import annotations

import re

from tests.support.paths import REPO

MAP = (REPO / "ARCHITECTURE.md").read_text(encoding="utf-8")


def test_every_path_the_map_names_exists() -> None:
    named = set(re.findall(r"`(eslamed/[\w/.]+)`", MAP))
    assert named, "the map names no paths"
    missing = sorted(path for path in named if not (REPO / path).exists())
    assert not missing, f"ARCHITECTURE.md names paths that are gone: {missing}"


def test_every_package_and_module_of_eslamed_is_on_the_map() -> None:
    modules = sorted(
        str(path.relative_to(REPO))
        for path in (REPO / "eslamed").rglob("*.py")
        if path.parent != REPO / "eslamed" / "core" / "sql"
        and not (path.name == "__init__.py" and path.parent != REPO / "eslamed" / "cli")
    )
    unnamed = [
        module for module in modules if module not in MAP and module.removesuffix(".py") + "/" not in MAP
    ]
    assert not unnamed, f"modules missing from ARCHITECTURE.md: {unnamed}"
    packages = sorted(p.name for p in (REPO / "eslamed").iterdir() if (p / "__init__.py").is_file())
    assert all(f"eslamed/{package}/" in MAP for package in packages), packages
