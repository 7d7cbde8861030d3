"""Run profiles: how much data and training a recipe uses.

A recipe states its full-profile sizes in its parameters cell; the ``smoke`` profile caps them so
that every recipe runs in seconds on a CPU with the embedded data (tests, nbval, ``make book``).
The ``AELIB_PROFILE`` environment variable overrides the recipe's ``PROFILE`` parameter.

>>> profile = get_profile("smoke", epochs=50, batch_size=256)
>>> profile.epochs, profile.batch_size, profile.data_source
(5, 64, 'embedded')
"""

from __future__ import annotations

import dataclasses
import os

__all__ = ["PROFILE_NAMES", "Profile", "get_profile"]

PROFILE_NAMES = ("smoke", "full")


@dataclasses.dataclass(frozen=True)
class Profile:
    """Sizes for one run: ``train_size``/``test_size`` of None mean the whole split."""

    name: str
    data_source: str
    epochs: int
    batch_size: int
    train_size: int | None
    test_size: int | None

    def take(self, array, split: str):
        """The first ``train_size`` (or ``test_size``) items of ``array``; split: train or test."""
        if split not in ("train", "test"):
            raise ValueError(f"split must be 'train' or 'test', not {split!r}.")
        size = self.train_size if split == "train" else self.test_size
        return array if size is None else array[:size]


# The smoke caps: enough steps for a model to beat a trivial baseline, in under a minute of CPU.
_SMOKE_CAPS = {"epochs": 5, "batch_size": 64, "train_size": 2000, "test_size": 500}


def get_profile(
    name: str | None = None,
    *,
    epochs: int = 20,
    batch_size: int = 128,
    train_size: int | None = None,
    test_size: int | None = None,
) -> Profile:
    """Resolve a profile name (``AELIB_PROFILE`` wins) and the recipe's full-profile sizes.

    ``full`` keeps the given sizes and loads real data (``data_source='auto'``); ``smoke`` caps
    each size (5 epochs, batch 64, 2,000 training and 500 test examples) and uses the embedded data.
    """
    name = os.environ.get("AELIB_PROFILE") or name or "full"
    if name not in PROFILE_NAMES:
        raise ValueError(f"Unknown profile {name!r}; expected one of {PROFILE_NAMES}.")
    sizes = {
        "epochs": epochs,
        "batch_size": batch_size,
        "train_size": train_size,
        "test_size": test_size,
    }
    for key, value in sizes.items():
        if value is None and key in ("train_size", "test_size"):
            continue
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{key} must be a positive integer, not {value!r}.")
    if name == "full":
        return Profile(name=name, data_source="auto", **sizes)
    capped = {
        key: _SMOKE_CAPS[key] if value is None else min(value, _SMOKE_CAPS[key])
        for key, value in sizes.items()
    }
    return Profile(name=name, data_source="embedded", **capped)
