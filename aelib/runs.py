"""One run of a recipe: its profile, seed, data and timer at the start, its record at the end.

A recipe starts with ``run = runs.start("denoising", PROFILE, seed=SEED, dataset="mnist",
epochs=EPOCHS, batch_size=BATCH_SIZE, learning_rate=LEARNING_RATE)`` and ends with
``run.finish(metrics, headline)``. ``start`` seeds Python, numpy and (when installed) Keras,
resolves the profile (the notebook's ``PROFILE`` parameter; an ``AELIB_PROFILE`` override is
printed, never silent), loads the dataset under the ``data`` phase, keeps the profile's share
of it and shows the page's banner. Every keyword beyond the sizes is the run's configuration:
it is printed in the banner, written to the record's ``config`` and read from there by the
benchmarks, so a setting is typed once, in the notebook's parameters cell.

>>> demo = start("demo", "smoke", seed=0, dataset="mnist", epochs=30, batch_size=128,
...              learning_rate=1e-3, show=False)
Loaded mnist from the embedded sample ...
>>> demo.epochs, demo.batch_size, demo.x_train.shape, demo.config["learning_rate"]
(5, 64, (2000, 28, 28, 1), 0.001)
"""

from __future__ import annotations

import contextlib
import importlib.util
import random
import sys
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from aelib import data, profiles, results

__all__ = ["DATASETS", "Run", "show_banner", "start"]

DATASETS = data.DATASETS  # What `dataset=` accepts: aelib.data's datasets, named once there.
"""The datasets ``start`` loads; ``dataset=None`` loads none (the recipe brings its own)."""

# The sizes the profile caps; every other keyword of ``start`` is configuration.
_SIZE_KEYS = ("epochs", "batch_size", "train_size", "test_size")


class Run:
    """A started run: ``profile``, ``dataset``, the taken ``x_train``/``y_train``/``x_test``/
    ``y_test`` (None without a dataset), ``config``, ``seed``, and a phase timer."""

    def __init__(self, recipe: str, profile, seed: int, config: dict, override: str | None):
        self.recipe = recipe
        self.profile = profile
        self.seed = seed
        self.config = config
        self.override = override
        self.dataset = None
        self.x_train = self.y_train = self.x_test = self.y_test = None
        self.record_path: Path | None = None
        self._timer = results.PhaseTimer()

    @property
    def epochs(self) -> int:
        """Training epochs in this profile (the smoke profile caps the recipe's)."""
        return self.profile.epochs

    @property
    def batch_size(self) -> int:
        """Batch size in this profile (the smoke profile caps the recipe's)."""
        return self.profile.batch_size

    @property
    def seconds(self) -> dict[str, float]:
        """Wall-clock seconds per phase so far, as the record will hold them."""
        return self._timer.seconds

    def phase(self, name: str):
        """Time a phase: ``with run.phase("train"): ...`` (the record sums repeated phases)."""
        return self._timer(name)

    def finish(
        self,
        metrics: Mapping[str, float],
        headline: results.Headline | None,
        directory=None,
    ) -> None:
        """Validate and write the record (metrics, phase seconds, config, headline); say so.

        A full-profile run must declare its headline; a smoke run whose few steps cannot measure
        it may pass None. The record's path is ``run.record_path`` afterwards (nothing is
        returned, so the last line of a notebook cell shows no path).
        """
        if headline is None and self.profile.name == "full":
            raise ValueError(f"The full-profile run of {self.recipe} must declare its headline.")
        if headline is not None and not isinstance(headline, results.Headline):
            raise ValueError(
                f"headline must be an aelib.results.Headline, not {type(headline).__name__}."
            )
        source = self.dataset.source if self.dataset is not None else self._source()
        self.record_path = results.save_record(
            self.recipe,
            self.profile.name,
            source,
            metrics,
            self.seconds,
            directory=directory,
            headline=headline,
            config={"seed": self.seed, **self.config},
        )
        minutes = sum(self.seconds.values()) / 60
        row = " and the headline row" if headline is not None else " (no headline row)"
        print(
            f"wrote {self.record_path.name}: {len(metrics)} metrics{row}; "
            f"{minutes:.1f} min of timed phases"
        )

    def _source(self) -> str:
        # A recipe without a dataset of ours still runs on real data only in the full profile.
        return "embedded" if self.profile.data_source == "embedded" else "dir"


def start(
    recipe: str,
    profile: str,
    *,
    seed: int,
    dataset: str | None = None,
    epochs: int = 20,
    batch_size: int = 128,
    train_size: int | None = None,
    test_size: int | None = None,
    show: bool = True,
    **config,
) -> Run:
    """Start ``recipe``'s run in ``profile`` (smoke or full): seed, load, take, show the banner.

    ``epochs``, ``batch_size``, ``train_size`` and ``test_size`` are the full profile's sizes
    (the smoke profile caps them); every other keyword (numbers, strings, booleans) is recorded
    as the run's configuration.
    """
    if not isinstance(recipe, str) or not recipe.isidentifier() or recipe != recipe.lower():
        raise ValueError(f"recipe must be a lowercase identifier like 'denoising', not {recipe!r}.")
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ValueError(f"seed must be an integer >= 0, not {seed!r}.")
    if dataset is not None and dataset not in DATASETS:
        raise ValueError(f"dataset must be one of {DATASETS} or None, not {dataset!r}.")
    name, override = profiles.resolve_name(profile)
    chosen = profiles.get_profile(
        name, epochs=epochs, batch_size=batch_size, train_size=train_size, test_size=test_size
    )
    for key, value in config.items():
        if value is not None and not isinstance(value, bool | int | float | str | np.number):
            raise ValueError(f"{key}={value!r}: a run's settings are numbers, strings or booleans.")
    settings = {key: _plain(value) for key, value in config.items()}
    settings.update(epochs=epochs, batch_size=batch_size)
    if train_size is not None:
        settings["train_size"] = train_size
    if test_size is not None:
        settings["test_size"] = test_size
    run = Run(recipe, chosen, int(seed), settings, override)
    seed_everything(int(seed))
    if dataset is not None:
        with run.phase("data"):
            run.dataset = data.load_dataset(dataset, source=chosen.data_source)
        run.x_train = chosen.take(run.dataset.x_train, "train")
        run.y_train = chosen.take(run.dataset.y_train, "train")
        run.x_test = chosen.take(run.dataset.x_test, "test")
        run.y_test = chosen.take(run.dataset.y_test, "test")
    if show:
        show_banner(run)
    return run


def seed_everything(seed: int) -> None:
    """Seed Python's and numpy's global generators, and Keras's (TensorFlow's) when installed."""
    random.seed(seed)
    np.random.seed(seed)
    if "keras" in sys.modules or importlib.util.find_spec("keras") is not None:
        import keras

        keras.utils.set_random_seed(seed)


def show_banner(run: Run) -> None:
    """Display which profile, data, sizes, seed and settings this page was executed with."""
    from IPython.display import Markdown, display

    profile, dataset = run.profile, run.dataset
    source = dataset.source if dataset is not None else None
    if profile.name == "full" and source == "embedded":
        # Only AELIB_ALLOW_SAMPLE=1 gets here (aelib.data); the page must not pass for the real one.
        note = (
            "**on the embedded sample, NOT the real dataset: these are NOT the published "
            "numbers** (AELIB_ALLOW_SAMPLE=1 allowed it)"
        )
    elif profile.name == "full":
        note = "the published numbers"
    elif source == "embedded" or dataset is None:
        note = "a quick check on a small embedded sample, not the published numbers"
    else:
        note = "a quick check on a small subset, not the published numbers"
    if dataset is not None:
        where = (
            f" on {dataset.description}: {len(dataset.x_train):,} training and "
            f"{len(dataset.x_test):,} test images available, {len(run.x_train):,} and "
            f"{len(run.x_test):,} used"
        )
    else:
        where = ""
    settings = ", ".join(
        f"{key.replace('_', ' ')} {value}"
        for key, value in run.config.items()
        if key not in _SIZE_KEYS
    )
    lines = [
        f"> **Executed with the `{profile.name}` profile** ({note}){where}; {profile.epochs} "
        f"epochs, batch size {profile.batch_size}, seed {run.seed}"
        + (f"; {settings}." if settings else ".")
    ]
    if run.override:
        lines.append(f">\n> **{run.override}**")
    display(Markdown("\n".join(lines)))


def _plain(value):
    """numpy scalars as Python numbers, so the record's JSON holds plain values."""
    with contextlib.suppress(AttributeError):
        return value.item()
    return value
