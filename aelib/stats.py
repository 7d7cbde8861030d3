"""Numbers over several training seeds: mean, spread, the 95% interval, and a verdict.

A recipe that compares two numbers less than a noise level apart trains several seeds (the data
fixed) and reports the mean, the standard deviation and the paired difference with its 95%
interval (Student's t); the difference is a tie when the interval covers zero.

>>> ours = [13.1, 13.4, 13.2, 13.3, 13.0]
>>> summary = summarize(ours)
>>> describe(summary, digits=2, unit=" dB")
'13.20 ± 0.16 dB (5 seeds)'
>>> difference = paired_difference(ours, 12.8)
>>> describe_interval(difference, digits=2, unit=" dB")
'+0.40 dB (95% interval +0.20 to +0.60)'
>>> verdict(difference)
'wins'
"""

from __future__ import annotations

import dataclasses
import math
import numbers

import numpy as np
from scipy import stats as _scipy_stats

__all__ = [
    "Summary",
    "describe",
    "describe_interval",
    "paired_difference",
    "record_metrics",
    "summarize",
    "verdict",
]


@dataclasses.dataclass(frozen=True)
class Summary:
    """Mean and sample standard deviation of ``seeds`` values, and the 95% interval of the mean
    (``low``, ``high``; both equal the mean when there is one value)."""

    mean: float
    std: float
    seeds: int
    low: float
    high: float


def summarize(values) -> Summary:
    """Summarize per-seed values (a 1-d sequence of finite numbers, at least one)."""
    array = _as_values(values, "values")
    mean = float(array.mean())
    if array.size == 1:
        return Summary(mean, 0.0, 1, mean, mean)
    std = float(array.std(ddof=1))
    half_width = float(_scipy_stats.t.ppf(0.975, array.size - 1)) * std / math.sqrt(array.size)
    return Summary(mean, std, int(array.size), mean - half_width, mean + half_width)


def paired_difference(ours, baseline) -> Summary:
    """Summarize ``ours[i] - baseline[i]`` over seeds; ``baseline`` may be one number (a
    deterministic method such as PCA), subtracted from every seed's value."""
    ours_array = _as_values(ours, "ours")
    if isinstance(baseline, numbers.Real):
        baseline_array = np.full_like(ours_array, float(baseline))
    else:
        baseline_array = _as_values(baseline, "baseline")
    if baseline_array.shape != ours_array.shape:
        raise ValueError(
            f"ours and baseline must pair seed by seed: {ours_array.size} values against "
            f"{baseline_array.size}."
        )
    if not np.isfinite(baseline_array).all():
        raise ValueError("baseline must be finite numbers.")
    return summarize(ours_array - baseline_array)


def verdict(difference: Summary, higher_is_better: bool = True) -> str:
    """'wins', 'ties' or 'loses' for a paired difference (ours minus the baseline): a tie when
    its 95% interval covers zero; with one seed, the sign alone decides."""
    if not isinstance(difference, Summary):
        raise ValueError(f"difference must be a stats.Summary, not {type(difference).__name__}.")
    if difference.low <= 0.0 <= difference.high:
        return "ties"
    ahead = difference.mean > 0.0
    return "wins" if ahead == higher_is_better else "loses"


def describe(summary: Summary, digits: int = 2, unit: str = "") -> str:
    """'mean ± std unit (n seeds)'; one seed prints 'value unit (1 seed)'."""
    if summary.seeds == 1:
        return f"{summary.mean:.{digits}f}{unit} (1 seed)"
    return f"{summary.mean:.{digits}f} ± {summary.std:.{digits}f}{unit} ({summary.seeds} seeds)"


def describe_interval(difference: Summary, digits: int = 2, unit: str = "") -> str:
    """'+mean unit (95% interval +low to +high)' for a paired difference."""
    if difference.seeds == 1:
        return f"{difference.mean:+.{digits}f}{unit} (1 seed, no interval)"
    return (
        f"{difference.mean:+.{digits}f}{unit} (95% interval {difference.low:+.{digits}f} to "
        f"{difference.high:+.{digits}f})"
    )


def record_metrics(name: str, summary: Summary) -> dict[str, float]:
    """The record's entries for a summary: ``name`` (the mean), ``name_std``, ``name_seeds``,
    ``name_low`` and ``name_high`` (the 95% interval)."""
    if not isinstance(name, str) or not name:
        raise ValueError(f"name must be a non-empty string, not {name!r}.")
    return {
        name: summary.mean,
        f"{name}_std": summary.std,
        f"{name}_seeds": summary.seeds,
        f"{name}_low": summary.low,
        f"{name}_high": summary.high,
    }


def _as_values(values, name: str) -> np.ndarray:
    try:
        array = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{name} must be a sequence of numbers: {error}") from None
    if array.ndim == 0:
        array = array.reshape(1)
    if array.ndim != 1 or array.size == 0:
        raise ValueError(f"{name} must be a non-empty 1-d sequence, not shape {array.shape}.")
    if not np.isfinite(array).all():
        raise ValueError(f"{name} must be finite numbers, got {array.tolist()}.")
    return array
