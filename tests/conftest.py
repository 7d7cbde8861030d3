"""Shared fixtures: every test runs offline on embedded data, whatever the machine has."""

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def _offline_and_isolated(monkeypatch, tmp_path):
    """No test may read ../shared, download anything, or write results into the repository."""
    monkeypatch.delenv("AELIB_DATA_DIR", raising=False)
    monkeypatch.delenv("AELIB_PROFILE", raising=False)
    monkeypatch.setenv("AELIB_OFFLINE", "1")
    monkeypatch.setenv("AELIB_RESULTS_DIR", str(tmp_path / "results"))


@pytest.fixture
def synced_copy(tmp_path):
    """A copy of what `make sync` reads and writes: config, README, recipe sources, records."""
    for name in ("_config.yml", "README.md"):
        shutil.copy(ROOT / name, tmp_path / name)
    shutil.copytree(
        ROOT / "recipes", tmp_path / "recipes", ignore=shutil.ignore_patterns("*.ipynb")
    )
    shutil.copytree(ROOT / "results", tmp_path / "results")
    return tmp_path
