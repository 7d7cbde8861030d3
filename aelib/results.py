"""Result records: what a recipe measured, on which data, with which software and hardware.

Each executed recipe writes ``<directory>/<recipe>.json`` with the keys ``recipe``, ``profile``,
``data_source``, ``metrics`` (a flat mapping of metric names to numbers), ``seconds`` (per
phase), ``versions`` and ``hardware``, and the ``headline`` the recipe declares for the results
table (a :class:`Headline`), and the ``config`` the run was started with (see
:func:`aelib.runs.start`). The directory is the ``directory`` argument, else
``$AELIB_RESULTS_DIR``, else ``results/`` under the current folder. Files are written atomically
(mode 0644, flushed to disk before the rename); both functions reject a malformed record.

>>> timer = PhaseTimer()
>>> with timer("train"):
...     pass
>>> sorted(timer.seconds)
['train']
"""

from __future__ import annotations

import contextlib
import dataclasses
import importlib.metadata
import json
import math
import numbers
import os
import platform
import re
import sys
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path

from aelib import settings
from aelib.data import SOURCES
from aelib.profiles import PROFILE_NAMES

__all__ = [
    "HEADLINE_KEYS",
    "Headline",
    "PhaseTimer",
    "describe_hardware",
    "describe_versions",
    "load_record",
    "save_record",
    "write_text_atomically",
]

_REQUIRED_KEYS = ("recipe", "profile", "data_source", "metrics", "seconds", "versions", "hardware")


def _field(meaning: str, **default):
    return dataclasses.field(metadata={"meaning": meaning}, **default)


@dataclasses.dataclass(frozen=True)
class Headline:
    """A recipe's row of the book's results table: its headline metric against its baseline.

    The one statement of the headline's schema: records store these fields, the results table
    reads them, and :data:`HEADLINE_KEYS` lists them with what each holds.
    """

    title: str = _field("the recipe's short name in the results table, e.g. 'Vanilla'")
    metric: str = _field("the key in metrics of the recipe's headline number")
    label: str = _field("what that number is, with its unit, e.g. 'conv autoencoder, PSNR (dB)'")
    baseline_metric: str = _field("the key in metrics of the baseline it is measured against")
    baseline_label: str = _field("what the baseline is, e.g. 'PCA, same 128-number code'")
    seed_figure: str = _field(
        "the seed text's own figure as it gives it, or '' when it gives none", default=""
    )
    percent: bool = _field(
        "True when both numbers are fractions in [0, 1] to show as percentages", default=False
    )
    seeds: int = _field(
        "how many training seeds the headline metric is the mean of (1: a single run)", default=1
    )
    spread_metric: str = _field(
        "the key in metrics of the headline metric's standard deviation over the seeds",
        default="",
    )
    baseline_spread_metric: str = _field(
        "the key in metrics of the baseline's standard deviation, or '' when it is deterministic",
        default="",
    )
    difference_low_metric: str = _field(
        "the key in metrics of the low end of the 95% interval of headline minus baseline",
        default="",
    )
    difference_high_metric: str = _field(
        "the key in metrics of the high end of the 95% interval of headline minus baseline",
        default="",
    )


HEADLINE_KEYS = {field.name: field.metadata["meaning"] for field in dataclasses.fields(Headline)}
"""The fields of :class:`Headline`, each with what it holds (as a record stores them)."""

_HEADLINE_DEFAULTS = {
    field.name: field.default
    for field in dataclasses.fields(Headline)
    if field.default is not dataclasses.MISSING
}
_SEED_KEYS = ("spread_metric", "difference_low_metric", "difference_high_metric")

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
    headline: Headline | Mapping[str, object] | None = None,
    config: Mapping[str, object] | None = None,
) -> Path:
    """Write the recipe's record as JSON (atomically, mode 0644) and return its path.

    ``metrics``: names to finite numbers; ``seconds``: phase names to finite numbers >= 0;
    ``headline``: the recipe's row of the results table (a :class:`Headline`);
    ``config``: the settings the run was started with (names to numbers, strings or booleans).
    """
    record = {
        "recipe": recipe,
        "profile": profile,
        "data_source": data_source,
        "metrics": _check_numbers("metrics", metrics),
        "seconds": _check_numbers("seconds", seconds, minimum=0.0),
        "versions": describe_versions(),
        "hardware": describe_hardware(),
    }
    if config is not None:
        record["config"] = dict(config) if isinstance(config, Mapping) else config
    if headline is not None:
        if isinstance(headline, Headline):
            headline = dataclasses.asdict(headline)
        if not isinstance(headline, Mapping):
            raise ValueError(f"headline must be a Headline, not {_short(headline)}.")
        merged = {**_HEADLINE_DEFAULTS, **dict(headline)}
        # The schema's order first; unknown keys stay, for the check to name them.
        record["headline"] = {key: merged.pop(key) for key in HEADLINE_KEYS if key in merged}
        record["headline"] |= merged
    _check_record(record)
    path = results_folder(directory) / f"{recipe}.json"
    write_text_atomically(path, json.dumps(record, indent=2, sort_keys=False) + "\n")
    return path


def results_folder(directory: str | os.PathLike | None = None) -> Path:
    """The folder records go to: ``directory``, else ``$AELIB_RESULTS_DIR``, else ``results``.

    ValueError when the folder named is empty text or an existing file (naming where it came
    from); the folder is created when it does not exist.
    """
    if directory is not None:
        where, text = "directory", os.fspath(directory)
    else:
        where, text = settings.RESULTS_DIR, settings.value(settings.RESULTS_DIR) or "results"
    if not str(text).strip():
        raise ValueError(f"{where} is empty; name the folder for the record (or pass None).")
    folder = Path(text)
    if folder.exists() and not folder.is_dir():
        raise ValueError(f"{where} is {text!r}, which is a file, not a folder for records.")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ValueError(f"{where} is {text!r}, where no folder can be made: {error}") from None
    return folder


def write_text_atomically(path: str | os.PathLike, text: str, mode: int | None = 0o644) -> None:
    """Write ``text`` to ``path`` through a temporary file in the same folder.

    The temporary file is flushed to disk before it replaces ``path``, so a reader (or a crash)
    sees the old file or the new one, never half of one. The file gets ``mode``; with
    ``mode=None`` it keeps the mode of the file it replaces (0644 for a new file).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if mode is None:
        mode = path.stat().st_mode & 0o777 if path.exists() else 0o644
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        # mkstemp creates the file readable by its owner only; records and pages are public.
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    _fsync_folder(path.parent)


def load_record(path: str | os.PathLike) -> dict:
    """Read a record written by :func:`save_record`; ValueError naming ``path`` if malformed."""
    try:
        with open(path, encoding="utf-8") as file:
            record = json.load(file)
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as error:
        raise ValueError(f"{path} is not valid JSON: {error}") from None
    _check_record(record, str(path))
    return record


def _check_record(record, where: str | None = None) -> None:
    """ValueError (naming the file ``where``) unless ``record`` has every key, of the right type."""
    prefix = f"{where}: " if where else ""
    if not isinstance(record, dict):
        raise ValueError(
            f"{where or 'the record'} holds {json.dumps(record)[:80]}; expected "
            f"a JSON object with the keys {list(_REQUIRED_KEYS)}."
        )
    missing = [key for key in _REQUIRED_KEYS if key not in record]
    if missing:
        raise ValueError(f"{where or 'the record'} lacks the keys {missing}.")
    recipe = record["recipe"]
    if not isinstance(recipe, str) or not re.fullmatch(r"[a-z0-9_]+", recipe):
        raise ValueError(
            f"{prefix}recipe must be a lowercase identifier like 'vanilla', not {_short(recipe)}."
        )
    if not isinstance(record["profile"], str) or record["profile"] not in PROFILE_NAMES:
        raise ValueError(
            f"{prefix}profile must be one of {PROFILE_NAMES}, not {_short(record['profile'])}."
        )
    # A record names the source that was used, never "auto".
    if not isinstance(record["data_source"], str) or record["data_source"] not in SOURCES[1:]:
        raise ValueError(
            f"{prefix}data_source must be one of {SOURCES[1:]}, "
            f"not {_short(record['data_source'])}."
        )
    _check_numbers("metrics", record["metrics"], where=where)
    _check_numbers("seconds", record["seconds"], minimum=0.0, where=where)
    versions = record["versions"]
    if not isinstance(versions, dict) or not all(
        isinstance(key, str) and isinstance(value, str) for key, value in versions.items()
    ):
        raise ValueError(f"{prefix}versions must map package names to version strings.")
    if not isinstance(record["hardware"], dict):
        raise ValueError(
            f"{prefix}hardware must be a mapping (cpu, cpu_count, gpus), "
            f"not {_short(record['hardware'])}."
        )
    if "config" in record:
        _check_config(record["config"], prefix)
    if "headline" in record:
        _check_headline(record["headline"], record["metrics"], prefix)


def _check_config(config, prefix: str) -> None:
    """ValueError unless ``config`` maps names to numbers, strings, booleans or None."""
    if not isinstance(config, dict):
        raise ValueError(
            f"{prefix}config must be a mapping of names to settings, not {_short(config)}."
        )
    for name, value in config.items():
        if not isinstance(name, str) or not name:
            raise ValueError(f"{prefix}config keys must be non-empty strings, got {name!r}.")
        if value is not None and not isinstance(value, bool | int | float | str):
            raise ValueError(
                f"{prefix}config[{name!r}] is {_short(value)}; expected a number, a string, "
                "a boolean or None."
            )


def _check_headline(headline, metrics, prefix: str) -> None:
    """ValueError unless ``headline`` has HEADLINE_KEYS (those with defaults may be absent, as in
    records written before they existed), each of its type, naming metrics that exist."""
    if not isinstance(headline, dict):
        raise ValueError(f"{prefix}headline must be a mapping, not {_short(headline)}.")
    missing = sorted(set(HEADLINE_KEYS) - set(headline) - set(_HEADLINE_DEFAULTS))
    unknown = sorted(set(headline) - set(HEADLINE_KEYS))
    if missing or unknown:
        raise ValueError(
            f"{prefix}headline lacks {missing} and has unknown keys {unknown}; "
            f"expected {list(HEADLINE_KEYS)}."
        )
    headline = {**_HEADLINE_DEFAULTS, **headline}
    for key in HEADLINE_KEYS:
        expected = {"percent": bool, "seeds": int}.get(key, str)
        value = headline[key]
        if not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
            raise ValueError(
                f"{prefix}headline[{key!r}] must be {expected.__name__} "
                f"({HEADLINE_KEYS[key]}), not {_short(value)}."
            )
    for key in ("title", "metric", "label", "baseline_metric", "baseline_label"):
        if not headline[key].strip():
            raise ValueError(f"{prefix}headline[{key!r}] is empty: {HEADLINE_KEYS[key]}.")
    if headline["seeds"] < 1:
        raise ValueError(f"{prefix}headline['seeds'] is {headline['seeds']}; it must be >= 1.")
    if headline["seeds"] > 1:
        empty = [key for key in _SEED_KEYS if not headline[key].strip()]
        if empty:
            raise ValueError(
                f"{prefix}headline['seeds'] is {headline['seeds']} but {empty} are empty: a mean "
                "over seeds comes with its spread and the 95% interval of its difference."
            )
    named = ("metric", "baseline_metric", "baseline_spread_metric", *_SEED_KEYS)
    for key in named:
        if headline[key] and headline[key] not in metrics:
            raise ValueError(
                f"{prefix}headline[{key!r}] is {headline[key]!r}, which is not in metrics."
            )
    for key in ("metric", "baseline_metric"):
        # A percentage is a fraction shown times 100: a dB or nats value is not one.
        if headline["percent"] and not 0.0 <= metrics[headline[key]] <= 1.0:
            raise ValueError(
                f"{prefix}headline['percent'] is True but {headline[key]} is "
                f"{metrics[headline[key]]!r}, not a fraction in [0, 1]."
            )
    if headline["difference_low_metric"] and headline["difference_high_metric"]:
        low = metrics[headline["difference_low_metric"]]
        high = metrics[headline["difference_high_metric"]]
        difference = metrics[headline["metric"]] - metrics[headline["baseline_metric"]]
        # The interval is around the mean paired difference, which is the difference of means.
        tolerance = 1e-6 * max(1.0, abs(difference))
        if not low - tolerance <= difference <= high + tolerance:
            raise ValueError(
                f"{prefix}the headline's difference {difference!r} (metric minus baseline) lies "
                f"outside its 95% interval [{low!r}, {high!r}]: the keys name another comparison."
            )
    for key in ("title", "label", "baseline_label", "seed_figure"):
        if "|" in headline[key] or "\n" in headline[key] or "\r" in headline[key]:
            raise ValueError(
                f"{prefix}headline[{key!r}] is {headline[key]!r}: a table cell holds one line "
                "and no '|'."
            )


def _short(value) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _fsync_folder(folder: Path) -> None:
    """Flush the folder entry of a renamed file too; best effort (not every system allows it)."""
    with contextlib.suppress(OSError, AttributeError):
        descriptor = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)


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


def _check_numbers(
    label: str, values, minimum: float | None = None, where: str | None = None
) -> dict[str, float]:
    """``values`` as names to finite floats (>= ``minimum``), or ValueError naming the key."""
    prefix = f"{where}: " if where else ""
    if not isinstance(values, Mapping):
        raise ValueError(
            f"{prefix}{label} must be a mapping of names to numbers, not {type(values).__name__}."
        )
    checked = {}
    for name, value in values.items():
        if not isinstance(name, str) or not name:
            raise ValueError(f"{prefix}{label} keys must be non-empty strings, got {name!r}.")
        number = _as_number(value)
        if number is None:
            raise ValueError(
                f"{prefix}{label}[{name!r}] is not a number: {_short(value)}; expected a finite "
                f"int or float."
            )
        if not math.isfinite(number):
            raise ValueError(f"{prefix}{label}[{name!r}] is not finite: {number!r}.")
        if minimum is not None and number < minimum:
            raise ValueError(f"{prefix}{label}[{name!r}] is {number!r}; expected >= {minimum}.")
        checked[name] = number
    return checked


def _as_number(value) -> float | None:
    """A real number (Python or numpy, or a 0-d numeric array) as float; None for anything else.

    Strings, booleans and None are not numbers here, even where ``float()`` would take them.
    """
    if isinstance(value, bool | str | bytes) or value is None:
        return None
    dtype = getattr(value, "dtype", None)
    is_scalar_array = getattr(value, "shape", None) == () and getattr(dtype, "kind", "") in "iuf"
    if not (isinstance(value, numbers.Real) or is_scalar_array):
        return None
    try:
        return float(value)
    except OverflowError:  # An integer too large for a float is no measurement either.
        return math.inf
