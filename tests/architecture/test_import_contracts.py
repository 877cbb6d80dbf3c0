"""The layers of docs/architecture.md are kept by import-linter's contracts in pyproject.toml,
which `make test` runs on the tree. These tests show the contracts can fail: each plants one
wrong import (or an unplaced module) in a copy of the packages and expects lint-imports to name
the contract it breaks, and pass again on the untouched copy.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
PACKAGES = ("bot", "actions", "rasa_plugins")


@pytest.fixture(scope="module")
def pristine(tmp_path_factory) -> Path:
    """The packages and the contracts, copied once (sources only)."""
    copy = tmp_path_factory.mktemp("layers")
    for package in PACKAGES:
        shutil.copytree(ROOT / package, copy / package,
                        ignore=shutil.ignore_patterns("__pycache__", "node_modules", "static"))
    shutil.copy(ROOT / "pyproject.toml", copy / "pyproject.toml")
    return copy


@pytest.fixture
def tree(pristine, tmp_path) -> Path:
    copy = tmp_path / "tree"
    shutil.copytree(pristine, copy)
    return copy


def lint_imports(tree: Path) -> subprocess.CompletedProcess[str]:
    """lint-imports on ``tree``'s packages alone (not the installed ones)."""
    env = {**os.environ, "PYTHONPATH": str(tree), "COLUMNS": "250"}  # one line per contract
    return subprocess.run([str(LINT_IMPORTS), "--no-cache"], cwd=tree, env=env,
                          capture_output=True, text=True, timeout=300)


def plant(tree: Path, module: str, line: str) -> None:
    path = tree / module
    path.write_text(path.read_text(encoding="utf-8") + f"\n{line}\n", encoding="utf-8")


def test_the_copied_tree_keeps_every_contract(pristine):
    result = lint_imports(pristine)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "BROKEN" not in result.stdout


@pytest.mark.parametrize(("module", "line", "contract"), [
    # the running engine must not depend on the offline evaluation
    ("bot/engine.py", "import bot.evaluation.metrics", "bot: faces over doors over domain"),
    # storage must not reach up into the domain
    ("bot/store.py", "import bot.profiles", "bot: faces over doors over domain"),
    # a face must go through a door, not around it
    ("actions/runtime.py", "import bot.store", "Faces talk to the doors only"),
    ("bot/web/app.py", "import bot.handoff", "Faces talk to the doors only"),
    # the engine never imports Rasa
    ("bot/recommender.py", "import rasa_sdk", "The engine knows nothing of Rasa"),
    # the actions never import the evaluation
    ("actions/runtime.py", "import bot.evaluation", "The runtime never imports the offline evaluation"),
])
def test_a_wrong_import_breaks_its_contract(tree, module, line, contract):
    plant(tree, module, line)

    result = lint_imports(tree)

    assert result.returncode != 0
    broken = [row for row in result.stdout.splitlines() if "BROKEN" in row]
    assert any(contract in row for row in broken), result.stdout


def test_a_module_without_a_layer_is_refused(tree):
    (tree / "bot" / "stray.py").write_text('"""Placed in no layer."""\n', encoding="utf-8")

    result = lint_imports(tree)

    assert result.returncode != 0
    assert "bot.stray" in result.stdout + result.stderr


def test_the_faces_contract_forbids_every_module_below_the_doors():
    """The exhaustive layers contract makes a new module take a layer; this keeps the faces'
    contract from forgetting it: every domain and storage module is forbidden to the faces."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["importlinter"]
    contracts = {contract["name"]: contract for contract in config["contracts"]}
    layers = next(c for c in contracts.values() if c["type"] == "layers")["layers"]
    below_doors = layers[layers.index("records") + 1:layers.index("vocabulary")]
    modules = {f"bot.{name.strip()}" for layer in below_doors for name in layer.replace("|", ":").split(":")}
    faces = contracts["Faces talk to the doors only (engine, records, maintenance)"]

    assert set(faces["forbidden_modules"]) == modules - {"bot.results"}  # the types the doors answer with
