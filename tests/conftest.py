"""Shared fixtures: every test runs offline on embedded data, whatever the machine has."""

import pytest


@pytest.fixture(autouse=True)
def _offline_and_isolated(monkeypatch, tmp_path):
    """No test may read ../shared, download anything, or write results into the repository."""
    monkeypatch.delenv("AELIB_DATA_DIR", raising=False)
    monkeypatch.delenv("AELIB_PROFILE", raising=False)
    monkeypatch.setenv("AELIB_OFFLINE", "1")
    monkeypatch.setenv("AELIB_RESULTS_DIR", str(tmp_path / "results"))
