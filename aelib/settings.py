"""The ``AELIB_*`` environment settings: every one the library reads, named and read here.

>>> sorted(SETTINGS)[:2]
['AELIB_ALLOW_SAMPLE', 'AELIB_DATA_DIR']
"""

from __future__ import annotations

import os

__all__ = [
    "ALLOW_SAMPLE",
    "DATA_DIR",
    "OFFLINE",
    "PROFILE",
    "RESULTS_DIR",
    "SETTINGS",
    "flag",
    "value",
]

DATA_DIR = "AELIB_DATA_DIR"
RESULTS_DIR = "AELIB_RESULTS_DIR"
PROFILE = "AELIB_PROFILE"
OFFLINE = "AELIB_OFFLINE"
ALLOW_SAMPLE = "AELIB_ALLOW_SAMPLE"

SETTINGS = {
    DATA_DIR: "a folder holding mnist.npz and cifar10.npz in the keras.datasets layout; "
    "the full profile loads from it instead of downloading",
    RESULTS_DIR: "where a run writes its record (default: results/ under the current folder)",
    PROFILE: "overrides a notebook's PROFILE parameter; the run says so on its page",
    OFFLINE: "1: never try to download a dataset (the tests set it)",
    ALLOW_SAMPLE: "1: let the full profile fall back to the embedded sample, whose numbers are "
    "not the published ones (the record and the page say so)",
}
"""Each setting's name and what it does."""


def value(name: str) -> str:
    """The setting's value with surrounding blanks removed; '' when it is unset."""
    if name not in SETTINGS:
        raise ValueError(f"{name!r} is not an aelib setting; expected one of {sorted(SETTINGS)}.")
    return os.environ.get(name, "").strip()


def flag(name: str) -> bool:
    """A 0/1 setting: True for 1, False for 0 or unset; ValueError naming it for anything else."""
    text = value(name)
    if text in ("", "0"):
        return False
    if text == "1":
        return True
    raise ValueError(f"{name} is {text!r}; expected 1 or 0 (or unset): {SETTINGS[name]}.")
