"""Result records: what a recipe measured, on which data, with which software and hardware.

Each executed recipe writes ``<directory>/<recipe>.json`` with the keys ``recipe``, ``profile``,
``data_source``, ``metrics`` (a flat mapping of metric names to numbers), ``seconds`` (per
phase), ``versions`` and ``hardware``. The directory is the ``directory`` argument, else
``$AELIB_RESULTS_DIR``, else ``results/`` under the current folder. Files are written atomically.

>>> timer = PhaseTimer()
>>> with timer("train"):
...     pass
>>> sorted(timer.seconds)
['train']
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import json
import math
import os
import platform
import re
import sys
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path

from aelib.data import SOURCES
from aelib.profiles import PROFILE_NAMES

__all__ = [
    "PhaseTimer",
    "describe_hardware",
    "describe_versions",
    "load_record",
    "save_record",
    "write_text_atomically",
]

_REQUIRED_KEYS = ("recipe", "profile", "data_source", "metrics", "seconds", "versions", "hardware")
_PACKAGES = ("aelib", "tensorflow", "jax", "keras", "numpy", "scikit-learn", "scikit-image")


class PhaseTimer:
    """Measure wall-clock seconds per named phase: ``with timer("train"): ...``."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    @contextlib.contextmanager
    def __call__(self, phase: str):
        start = time.perf_counter()
        try:
            yield
        finally:
            elapsed = time.perf_counter() - start
            self.seconds[phase] = round(self.seconds.get(phase, 0.0) + elapsed, 3)


def save_record(
    recipe: str,
    profile: str,
    data_source: str,
    metrics: Mapping[str, float],
    seconds: Mapping[str, float],
    directory: str | os.PathLike | None = None,
) -> Path:
    """Write the recipe's record as JSON (atomically) and return its path."""
    if not re.fullmatch(r"[a-z0-9_]+", recipe or ""):
        raise ValueError(f"recipe must be a lowercase identifier like 'vanilla', not {recipe!r}.")
    if profile not in PROFILE_NAMES:
        raise ValueError(f"profile must be one of {PROFILE_NAMES}, not {profile!r}.")
    # A record names the source that was used, never "auto".
    if data_source not in SOURCES[1:]:
        raise ValueError(f"data_source must be one of {SOURCES[1:]}, not {data_source!r}.")
    record = {
        "recipe": recipe,
        "profile": profile,
        "data_source": data_source,
        "metrics": _check_numbers("metrics", metrics),
        "seconds": _check_numbers("seconds", seconds),
        "versions": describe_versions(),
        "hardware": describe_hardware(),
    }
    folder = Path(directory or os.environ.get("AELIB_RESULTS_DIR") or "results")
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{recipe}.json"
    write_text_atomically(path, json.dumps(record, indent=2, sort_keys=False) + "\n")
    return path


def write_text_atomically(path: str | os.PathLike, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file in the same folder, then rename it.

    A reader sees the old file or the new one, never half of one.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "w") as file:
            file.write(text)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def load_record(path: str | os.PathLike) -> dict:
    """Read a record written by :func:`save_record`; ValueError if a key is missing."""
    with open(path) as file:
        try:
            record = json.load(file)
        except json.JSONDecodeError as error:
            raise ValueError(f"{path} is not valid JSON: {error}") from None
    missing = [key for key in _REQUIRED_KEYS if key not in record]
    if missing:
        raise ValueError(f"{path} lacks the keys {missing}.")
    return record


def describe_versions() -> dict[str, str]:
    """Python and the installed versions of the packages the recipes depend on."""
    versions = {"python": platform.python_version()}
    for package in _PACKAGES:
        try:
            versions[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            continue
    # Keras 3 runs on TensorFlow, JAX or PyTorch; which one ran matters as much as its version.
    keras = sys.modules.get("keras")
    if keras is not None:
        versions["keras_backend"] = keras.backend.backend()
    return versions


def describe_hardware() -> dict[str, object]:
    """CPU model and core count, and the GPUs TensorFlow or JAX sees (if either is imported)."""
    hardware: dict[str, object] = {"cpu": _cpu_name(), "cpu_count": os.cpu_count() or 0}
    hardware["gpus"] = _gpu_names()
    return hardware


def _cpu_name() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def _gpu_names() -> list[str]:
    # Importing TensorFlow or JAX here just to ask would cost seconds; only ask one a recipe loaded.
    names = []
    tensorflow = sys.modules.get("tensorflow")
    if tensorflow is not None:
        for device in tensorflow.config.list_physical_devices("GPU"):
            details = tensorflow.config.experimental.get_device_details(device)
            names.append(details.get("device_name", device.name))
    jax = sys.modules.get("jax")
    if jax is not None and not names:
        with contextlib.suppress(RuntimeError):
            names = [device.device_kind for device in jax.devices("gpu")]
    return names


def _check_numbers(label: str, values: Mapping[str, float]) -> dict[str, float]:
    if not isinstance(values, Mapping):
        raise ValueError(f"{label} must be a mapping of names to numbers, not {type(values)}.")
    checked = {}
    for name, value in values.items():
        if not isinstance(name, str) or not name:
            raise ValueError(f"{label} keys must be non-empty strings, got {name!r}.")
        if isinstance(value, bool) or not isinstance(value, int | float):
            try:
                value = float(value)  # numpy scalars
            except (TypeError, ValueError):
                raise ValueError(f"{label}[{name!r}] is not a number: {value!r}.") from None
        if not math.isfinite(value):
            raise ValueError(f"{label}[{name!r}] is not finite: {value!r}.")
        checked[name] = float(value)
    return checked
