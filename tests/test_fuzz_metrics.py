"""Property-based tests: metrics and baselines on random shapes, dtypes and value ranges.

Every call either returns a value that is right (checked against NumPy or an invariant) or
raises a ValueError whose message names the argument at fault; nothing else is allowed, and an
input that breaks the documented rules must not return a number.
"""

import itertools

import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from aelib import baselines, metrics, pairs

FUZZ = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None
)

ROUNDING = 1e-6
DTYPES = [np.float64, np.float32, np.float16, np.uint8, np.int64, np.bool_]
# Value ranges an image array might arrive in: right, slightly off (a linear output), 0-255,
# scaled to [-1, 1], or far off.
RANGES = [(0.0, 1.0), (0.0, 1.0), (0.0, 1.0), (-0.5, 1.5), (-0.6, 1.0), (0.0, 255.0), (-1.0, 1.0)]

image_shapes = st.tuples(
    st.integers(1, 3), st.integers(7, 12), st.integers(7, 12), st.sampled_from([1, 3])
)
any_shapes = st.lists(st.integers(0, 9), min_size=0, max_size=5).map(tuple)


@st.composite
def arrays(draw, shape=None, dtypes=DTYPES, ranges=RANGES, special=True):
    """A random array: a shape (or a strategy for one), a dtype, a range, maybe NaN or inf."""
    if shape is None:
        shape = st.one_of(image_shapes, image_shapes, any_shapes)
    if isinstance(shape, st.SearchStrategy):
        shape = draw(shape)
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    if draw(st.integers(0, 2)):
        # Two arrays in three follow the rules, so that values get checked as often as refusals.
        return rng.uniform(0, 1, shape).astype(draw(st.sampled_from([np.float32, np.float64])))
    low, high = draw(st.sampled_from(ranges))
    values = rng.uniform(low, high, shape)
    if values.size and draw(st.booleans()):
        values.flat[0], values.flat[-1] = low, high  # The range's ends are exact.
    if special and values.size and draw(st.integers(0, 9)) == 0:
        values.flat[rng.integers(values.size)] = draw(st.sampled_from([np.nan, np.inf, -np.inf]))
    dtype = draw(st.sampled_from(dtypes))
    if np.dtype(dtype).kind in "iub":
        with np.errstate(invalid="ignore"):
            values = np.nan_to_num(np.round(values), nan=0, posinf=255, neginf=0)
            return (np.clip(values, 0, 255) if dtype == np.uint8 else values).astype(dtype)
    with np.errstate(over="ignore"):
        return values.astype(dtype)


def problem(array, tolerance, ndim=None, min_ndim=None):
    """What the documented rules find wrong with ``array``, or None."""
    if array.dtype.kind != "f":
        return "dtype"
    if (ndim is not None and array.ndim != ndim) or (
        min_ndim is not None and array.ndim < min_ndim
    ):
        return "axes"
    if array.size == 0:
        return "empty"
    if not np.isfinite(array).all():
        return "NaN or infinite"
    values = array.astype(np.float64)
    if values.min() < -tolerance or values.max() > 1 + tolerance:
        return "range"
    return None


def expect_value_error(call, *names):
    """Run ``call``; it must raise ValueError naming one of ``names``. Returns the message."""
    event("refused")
    with pytest.raises(ValueError) as raised:
        call()
    message = str(raised.value)
    assert any(name in message for name in names), message
    return message


def pair_problem(reference, estimate, estimate_tolerance, ndim=None, min_ndim=None):
    problems = [
        problem(reference, ROUNDING, ndim, min_ndim),
        problem(estimate, estimate_tolerance, ndim, min_ndim),
    ]
    if not any(problems) and reference.shape != estimate.shape:
        problems.append("shape")
    return next((found for found in problems if found), None)


@st.composite
def metric_pairs(draw):
    reference = draw(arrays())
    # Mostly the same shape as the reference, sometimes any other.
    same_shape = draw(st.integers(0, 4)) > 0
    return reference, draw(arrays(shape=reference.shape if same_shape else None))


@FUZZ
@given(metric_pairs())
def test_mse_and_psnr_are_right_or_refused(pair):
    reference, estimate = pair
    bad = pair_problem(reference, estimate, metrics.ESTIMATE_TOLERANCE, min_ndim=2)
    for function in (metrics.mse, metrics.psnr, metrics.psnr_per_image, metrics.pooled_psnr):
        if bad:
            expect_value_error(lambda f=function: f(reference, estimate), "reference", "estimate")
            continue
        errors = (reference.astype(np.float64) - estimate.astype(np.float64)) ** 2
        per_image = errors.reshape(len(errors), -1).mean(axis=1)
        with np.errstate(divide="ignore"):
            expected_psnr = np.minimum(10 * np.log10(1 / per_image), metrics.PSNR_CAP_DB)
        value = function(reference, estimate)
        if function is metrics.mse:
            assert value >= 0 and value == pytest.approx(errors.mean(), rel=1e-9, abs=1e-300)
        elif function is metrics.psnr_per_image:
            np.testing.assert_allclose(value, expected_psnr, rtol=1e-9)
        elif function is metrics.psnr:
            assert value == pytest.approx(expected_psnr.mean(), rel=1e-9)
            assert value <= metrics.PSNR_CAP_DB
        else:
            pooled = min(10 * np.log10(1 / errors.mean()), 60) if errors.mean() else 60.0
            assert value == pytest.approx(pooled, rel=1e-9)
    if not bad and problem(estimate, ROUNDING) is None:
        # Both in [0, 1]: the squared error does not care which is the reference.
        assert metrics.mse(estimate, reference) == metrics.mse(reference, estimate)


@FUZZ
@given(metric_pairs())
def test_bce_is_right_and_never_negative_or_refused(pair):
    reference, estimate = pair
    if pair_problem(reference, estimate, ROUNDING, min_ndim=2):
        expect_value_error(lambda: metrics.bce(reference, estimate), "reference", "estimate")
        return
    targets = reference.astype(np.float64)
    clipped = np.clip(estimate.astype(np.float64), 1e-7, 1 - 1e-7)
    expected = -np.mean(targets * np.log(clipped) + (1 - targets) * np.log(1 - clipped))
    value = metrics.bce(reference, estimate)
    assert value >= 0 and value == pytest.approx(expected, rel=1e-9)
    # The estimate equal to the targets is the best one can do.
    assert value >= metrics.bce(reference, reference) - 1e-12


@FUZZ
@given(metric_pairs())
def test_ssim_is_in_range_symmetric_or_refused(pair):
    reference, estimate = pair
    bad = pair_problem(reference, estimate, metrics.ESTIMATE_TOLERANCE, ndim=4)
    if not bad and min(reference.shape[1:3]) < 7:
        bad = "size"
    if bad:
        expect_value_error(lambda: metrics.ssim(reference, estimate), "reference", "estimate")
        return
    value = metrics.ssim(reference, estimate)
    assert -1 - 1e-9 <= value <= 1 + 1e-9
    assert metrics.ssim(reference, reference) == pytest.approx(1.0)
    if problem(estimate, ROUNDING) is None:
        assert metrics.ssim(estimate, reference) == pytest.approx(value, abs=1e-9)


@FUZZ
@given(
    arrays(image_shapes, dtypes=[np.float32, np.float64], ranges=[(0.0, 1.0)], special=False),
    st.integers(0, 2**32 - 1),
)
def test_psnr_never_rises_as_noise_grows(reference, seed):
    noise = np.random.default_rng(seed).normal(0, 1, reference.shape)
    values = [
        metrics.psnr(reference, np.clip(reference + scale * noise, 0, 1))
        for scale in (0.0, 0.01, 0.05, 0.2, 1.0)
    ]
    assert values[0] == metrics.PSNR_CAP_DB
    assert all(later <= earlier + 1e-9 for earlier, later in itertools.pairwise(values))


@FUZZ
@given(
    arrays(),
    st.one_of(
        st.floats(allow_nan=True, allow_infinity=True),
        st.floats(1e-3, 7),
        st.floats(1e-3, 20),
        st.integers(-3, 40),
        st.sampled_from([None, "2", True]),
    ),
)
def test_gaussian_filter_is_a_weighted_mean_or_refused(images, sigma):
    bad = problem(images, metrics.ESTIMATE_TOLERANCE, ndim=4)
    if not bad and not (
        isinstance(sigma, int | float)
        and not isinstance(sigma, bool)
        and 0 < sigma <= max(images.shape[1:3])
    ):
        bad = "sigma"
    if bad:
        expect_value_error(lambda: baselines.gaussian_filter(images, sigma), "images", "sigma")
        return
    blurred = baselines.gaussian_filter(images, sigma)
    values = images.astype(np.float32)
    assert blurred.shape == images.shape and blurred.dtype == np.float32
    # Positive weights that sum to one: each output lies between the input's extremes.
    assert values.min() - 1e-5 <= blurred.min() and blurred.max() <= values.max() + 1e-5


@FUZZ
@given(arrays(), st.one_of(st.integers(-2, 15), st.sampled_from([2.0, None, 10**9])))
def test_median_filter_keeps_values_or_refuses(images, size):
    bad = problem(images, metrics.ESTIMATE_TOLERANCE, ndim=4)
    if not bad and not (
        isinstance(size, int) and not isinstance(size, bool) and 1 <= size <= max(images.shape[1:3])
    ):
        bad = "size"
    if bad:
        expect_value_error(lambda: baselines.median_filter(images, size), "images", "size")
        return
    filtered = baselines.median_filter(images, size)
    # A median picks one of the values it sees.
    assert filtered.shape == images.shape
    assert np.isin(filtered, images.astype(np.float32)).all()


@FUZZ
@given(
    arrays(),
    st.one_of(st.integers(1, 95), st.integers(-5, 120), st.sampled_from([50.0, None])),
)
def test_jpeg_round_trip_returns_images_in_range_or_refuses(images, quality):
    bad = problem(images, ROUNDING, ndim=4)
    if not bad and images.shape[-1] not in (1, 3):
        bad = "channels"
    if not bad and not (isinstance(quality, int) and 1 <= quality <= 95):
        bad = "quality"
    if bad:
        expect_value_error(lambda: baselines.jpeg_round_trip(images, quality), "images", "quality")
        return
    decoded, file_bytes, header_bytes = baselines.jpeg_round_trip(images, quality)
    assert decoded.shape == images.shape and decoded.dtype == np.float32
    assert decoded.min() >= 0 and decoded.max() <= 1
    assert (file_bytes > header_bytes).all() and len(set(header_bytes)) == 1


@FUZZ
@given(
    st.tuples(st.integers(1, 30), st.integers(1, 4), st.integers(1, 4)).flatmap(
        lambda shape: st.tuples(arrays(shape=shape), arrays(shape=(3, *shape[1:])))
    ),
    st.one_of(st.integers(1, 3), st.integers(-1, 20), st.sampled_from([2.0, None])),
)
def test_pca_reconstruction_stays_in_range_or_refuses(train_test, n_components):
    x_train, x_test = train_test
    bad = problem(x_train, ROUNDING, min_ndim=2) or problem(x_test, ROUNDING, min_ndim=2)
    limit = min(len(x_train), int(np.prod(x_train.shape[1:])))
    if not bad and not (
        isinstance(n_components, int)
        and not isinstance(n_components, bool)
        and 1 <= n_components <= limit
    ):
        bad = "n_components"
    if bad:
        expect_value_error(
            lambda: baselines.pca_reconstruction(x_train, x_test, n_components),
            "x_train",
            "x_test",
            "n_components",
        )
        return
    reconstruction = baselines.pca_reconstruction(x_train, x_test, n_components)
    assert reconstruction.shape == x_test.shape and reconstruction.dtype == np.float32
    assert np.isfinite(reconstruction).all()
    assert reconstruction.min() >= 0 and reconstruction.max() <= 1
    if n_components == limit and limit == x_train[0].size and len(x_train) > limit:
        # As many components as values per image: the projection is the identity.
        np.testing.assert_allclose(reconstruction, x_test, atol=1e-3)


@FUZZ
@given(
    st.data(),
    st.one_of(st.sampled_from([2, 3, 4]), st.integers(-1, 8), st.sampled_from([2.0, None])),
)
def test_super_resolution_pairs_have_the_right_shapes_or_refuse(data, factor):
    shape = None
    if isinstance(factor, int) and factor >= 2 and data.draw(st.booleans()):
        # Mostly sides that the factor divides.
        side = st.integers(1, 4).map(lambda multiple: multiple * factor)
        shape = st.tuples(st.integers(1, 3), side, side, st.sampled_from([1, 3]))
    images = data.draw(arrays(shape))
    bad = problem(images, ROUNDING, ndim=4)
    if not bad and not (isinstance(factor, int) and not isinstance(factor, bool) and factor >= 2):
        bad = "factor"
    if not bad and (images.shape[1] % factor or images.shape[2] % factor):
        bad = "divisible"
    if bad:
        expect_value_error(lambda: pairs.super_resolution_pairs(images, factor), "images", "factor")
        return
    low, upscaled = pairs.super_resolution_pairs(images, factor)
    n, height, width, channels = images.shape
    assert low.shape == (n, height // factor, width // factor, channels)
    assert upscaled.shape == images.shape
    for result in (low, upscaled):
        assert result.dtype == np.float32 and result.min() >= 0 and result.max() <= 1


@FUZZ
@given(
    arrays(),
    st.one_of(st.integers(1, 40), st.integers(-1, 0), st.just(pairs.MAX_SIDE + 1)),
    st.one_of(
        st.integers(1, 40), st.integers(1, 40), st.sampled_from([0, 2.5, pairs.MAX_SIDE + 1])
    ),
    st.sampled_from([*pairs.RESIZE_METHODS, "lanczos", None]),
)
def test_resize_returns_the_asked_size_or_refuses(images, height, width, method):
    bad = problem(images, metrics.ESTIMATE_TOLERANCE, ndim=4)
    valid_side = lambda side: isinstance(side, int) and 1 <= side <= pairs.MAX_SIDE  # noqa: E731
    names = ("images",)
    if not bad and method not in pairs.RESIZE_METHODS:
        bad, names = "method", ("method",)
    if not bad and not (valid_side(height) and valid_side(width)):
        bad, names = "side", ("height", "width")
    if bad:
        expect_value_error(lambda: pairs.resize(images, height, width, method), *names)
        return
    resized = pairs.resize(images, height, width, method)
    assert resized.shape == (len(images), height, width, images.shape[-1])
    assert resized.min() >= 0 and resized.max() <= 1
