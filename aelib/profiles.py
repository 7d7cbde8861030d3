"""Run profiles: how much data and training a recipe uses.

A recipe states its full-profile sizes in its parameters cell; the ``smoke`` profile caps them so
that every recipe runs in seconds on a CPU with the embedded data (tests, nbval, ``make book``).
The ``full`` profile loads the real dataset only (``data_source='auto'``, see :mod:`aelib.data`).
A notebook's ``PROFILE`` parameter is the one channel that chooses the profile; the named
override ``AELIB_PROFILE`` (for running a recipe as a plain script) is resolved by
:func:`resolve_name`, and :func:`aelib.runs.start` prints it on the page whenever it applies.

>>> profile = get_profile("smoke", epochs=50, batch_size=256)
>>> profile.epochs, profile.batch_size, profile.data_source
(5, 64, 'embedded')
"""

from __future__ import annotations

import dataclasses
import numbers
import operator

from aelib import settings
from aelib.data import SOURCES

__all__ = ["DATA_SOURCES", "PROFILE_NAMES", "SMOKE_CAPS", "Profile", "get_profile", "resolve_name"]

PROFILE_NAMES = ("smoke", "full")

# Which data each profile loads: real data only for the published numbers, the sample for smoke.
DATA_SOURCES = {"full": "auto", "smoke": "embedded"}


@dataclasses.dataclass(frozen=True)
class Profile:
    """Sizes for one run: positive integers; ``train_size``/``test_size`` None = whole split."""

    name: str
    data_source: str
    epochs: int
    batch_size: int
    train_size: int | None
    test_size: int | None

    def __post_init__(self) -> None:
        if self.name not in PROFILE_NAMES:
            raise ValueError(f"Profile name must be one of {PROFILE_NAMES}, not {self.name!r}.")
        if self.data_source not in SOURCES:
            raise ValueError(f"data_source must be one of {SOURCES}, not {self.data_source!r}.")
        for key in ("epochs", "batch_size", "train_size", "test_size"):
            value = getattr(self, key)
            if value is None and key.endswith("_size"):
                continue
            # numpy integers become plain ints, so a record or a slice never sees np.int64.
            object.__setattr__(self, key, _positive_integer(key, value))

    def take(self, array, split: str):
        """The first ``train_size`` (or ``test_size``) items of ``array``; split: train or test."""
        if split not in ("train", "test"):
            raise ValueError(f"split must be 'train' or 'test', not {split!r}.")
        size = self.train_size if split == "train" else self.test_size
        return array if size is None else array[:size]


# The smoke caps: enough steps for a model to beat a trivial baseline, in under a minute of CPU.
SMOKE_CAPS = {"epochs": 5, "batch_size": 64, "train_size": 2000, "test_size": 500}


def get_profile(
    name: str,
    *,
    epochs: int = 20,
    batch_size: int = 128,
    train_size: int | None = None,
    test_size: int | None = None,
) -> Profile:
    """The profile ``name`` (``smoke`` or ``full``) with the recipe's full-profile sizes.

    ``full`` keeps the given sizes and loads real data only (``data_source='auto'``); ``smoke``
    caps each size (:data:`SMOKE_CAPS`) and uses the embedded data. Sizes are positive integers
    (numpy integers too); None means the whole split.
    """
    if not isinstance(name, str) or name not in PROFILE_NAMES:
        raise ValueError(f"Unknown profile {name!r}; expected one of {PROFILE_NAMES}.")
    sizes = {"epochs": epochs, "batch_size": batch_size}
    sizes.update(train_size=train_size, test_size=test_size)
    for key, value in sizes.items():
        if value is not None or key in ("epochs", "batch_size"):
            sizes[key] = _positive_integer(key, value)
    if name == "smoke":
        sizes = {
            key: SMOKE_CAPS[key] if value is None else min(value, SMOKE_CAPS[key])
            for key, value in sizes.items()
        }
    return Profile(name=name, data_source=DATA_SOURCES[name], **sizes)


def resolve_name(parameter) -> tuple[str, str | None]:
    """The profile to run and, when ``AELIB_PROFILE`` overrides ``parameter``, a sentence saying so.

    >>> resolve_name("full")
    ('full', None)
    """
    override = settings.value(settings.PROFILE)
    if not override:
        return parameter, None
    if override not in PROFILE_NAMES:
        raise ValueError(f"{settings.PROFILE} is {override!r}; expected one of {PROFILE_NAMES}.")
    if override == parameter:
        return parameter, None
    return override, (
        f"{settings.PROFILE}={override} overrides the notebook's PROFILE parameter "
        f"({parameter!r}): this run uses the {override} profile."
    )


def _positive_integer(key: str, value) -> int:
    """``value`` as an int >= 1 (Python or numpy integer, not bool); ValueError names ``key``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(f"{key} must be a positive integer, not {value!r}.")
    value = operator.index(value)
    if value < 1:
        raise ValueError(f"{key} must be a positive integer, not {value!r}.")
    return value
