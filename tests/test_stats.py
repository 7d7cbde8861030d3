import math

import numpy as np
import pytest
from scipy import stats as scipy_stats

from aelib import stats


def test_the_interval_is_students_t_around_the_mean():
    values = [1.0, 2.0, 3.0, 4.0]
    summary = stats.summarize(values)
    half_width = scipy_stats.t.ppf(0.975, 3) * np.std(values, ddof=1) / 2
    assert summary.mean == 2.5 and summary.seeds == 4
    assert summary.std == pytest.approx(np.std(values, ddof=1))
    assert (summary.low, summary.high) == pytest.approx((2.5 - half_width, 2.5 + half_width))


def test_one_value_has_no_spread():
    summary = stats.summarize([3.0])
    assert (summary.std, summary.low, summary.high, summary.seeds) == (0.0, 3.0, 3.0, 1)
    assert stats.describe(summary) == "3.00 (1 seed)"


def test_paired_differences_cancel_what_the_seeds_share():
    # Each seed moves both methods alike: the pairs differ by exactly 0.5.
    ours = [10.5, 11.5, 12.5]
    baseline = [10.0, 11.0, 12.0]
    difference = stats.paired_difference(ours, baseline)
    assert difference.mean == pytest.approx(0.5) and difference.std == pytest.approx(0.0)
    assert stats.verdict(difference) == "wins"
    assert stats.verdict(difference, higher_is_better=False) == "loses"


def test_an_interval_that_covers_zero_is_a_tie():
    difference = stats.paired_difference([1.0, -1.0, 0.5, -0.4, 0.1], 0.0)
    assert difference.low < 0 < difference.high
    assert stats.verdict(difference) == "ties"


def test_a_scalar_baseline_is_subtracted_from_every_seed():
    difference = stats.paired_difference([13.0, 13.2], 12.0)
    assert difference.mean == pytest.approx(1.1)
    assert stats.describe_interval(difference).startswith("+1.10 (95% interval")


def test_record_metrics_name_every_part():
    entries = stats.record_metrics("gain", stats.summarize([1.0, 2.0]))
    assert set(entries) == {"gain", "gain_std", "gain_seeds", "gain_low", "gain_high"}
    assert entries["gain_seeds"] == 2 and math.isfinite(entries["gain_low"])


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: stats.summarize([]), "non-empty 1-d"),
        (lambda: stats.summarize([1.0, float("nan")]), "finite"),
        (lambda: stats.summarize(["a"]), "sequence of numbers"),
        (lambda: stats.paired_difference([1.0, 2.0], [1.0]), "pair seed by seed"),
        (lambda: stats.verdict(0.5), "stats.Summary"),
        (lambda: stats.record_metrics("", stats.summarize([1.0])), "non-empty string"),
    ],
)
def test_bad_input_is_named(call, message):
    with pytest.raises(ValueError, match=message):
        call()
