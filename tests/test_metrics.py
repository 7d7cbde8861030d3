import numpy as np
import pytest

from aelib import metrics


@pytest.fixture
def images():
    return np.random.default_rng(0).random((6, 16, 16, 3)).astype(np.float32)


def test_psnr_matches_its_definition(images):
    noisy = np.clip(images + 0.05, 0, 1)
    errors = np.mean((images - noisy) ** 2, axis=(1, 2, 3))
    expected = np.mean(10 * np.log10(1 / errors))
    assert metrics.psnr(images, noisy) == pytest.approx(expected, rel=1e-6)
    assert metrics.pooled_psnr(images, noisy) == pytest.approx(
        10 * np.log10(1 / np.mean(errors)), rel=1e-6
    )


def test_psnr_is_capped_per_image(images):
    estimate = images.copy()
    estimate[1:] = np.clip(estimate[1:] + 0.1, 0, 1)  # image 0 is exact: infinite PSNR.
    per_image = metrics.psnr_per_image(images, estimate)
    assert per_image[0] == metrics.PSNR_CAP_DB
    assert np.all(per_image[1:] < 30)
    assert metrics.psnr(images, estimate) == pytest.approx(per_image.mean())


def test_known_values():
    reference = np.zeros((1, 8, 8, 1))
    assert metrics.mse(reference, reference + 0.1) == pytest.approx(0.01)
    assert metrics.psnr(reference, reference + 0.1) == pytest.approx(20.0)
    half = np.full((1, 4), 0.5)
    assert metrics.bce(half, half) == pytest.approx(np.log(2), rel=1e-6)
    assert metrics.ssim(np.full((1, 8, 8, 1), 0.3), np.full((1, 8, 8, 1), 0.3)) == pytest.approx(1)


def test_ssim_drops_with_noise(images):
    noise = np.random.default_rng(1).normal(0, 0.2, images.shape)
    assert metrics.ssim(images, images) == pytest.approx(1.0)
    assert metrics.ssim(images, np.clip(images + noise, 0, 1)) < 0.9


@pytest.mark.parametrize("function", [metrics.mse, metrics.bce, metrics.psnr, metrics.ssim])
def test_shape_mismatch_raises_value_error(function, images):
    with pytest.raises(ValueError, match="Shapes differ"):
        function(images, images[:, :8])


@pytest.mark.parametrize("function", [metrics.mse, metrics.psnr, metrics.ssim])
def test_bad_values_raise_value_error(function, images):
    bad = images.copy()
    bad[0, 0, 0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        function(images, bad)
    with pytest.raises(ValueError, match="empty"):
        function(images[:0], images[:0])


def test_ssim_needs_a_batch_of_images():
    with pytest.raises(ValueError, match=r"reference must be shaped \(n, height, width, chan"):
        metrics.ssim(np.zeros((8, 8)), np.zeros((8, 8)))
    with pytest.raises(ValueError, match="reference must be shaped"):
        metrics.ssim(np.zeros((1, 8, 8, 1, 1)), np.zeros((1, 8, 8, 1, 1)))
    with pytest.raises(ValueError, match="7x7"):
        metrics.ssim(np.zeros((2, 5, 5, 1)), np.zeros((2, 5, 5, 1)))


ALL_METRICS = [
    metrics.mse,
    metrics.bce,
    metrics.psnr,
    metrics.pooled_psnr,
    metrics.psnr_per_image,
    metrics.ssim,
]


@pytest.mark.parametrize("function", ALL_METRICS)
def test_uint8_images_are_refused_with_advice(function, images):
    pixels = np.round(images * 255).astype(np.uint8)
    with pytest.raises(ValueError, match=r"reference has dtype uint8; .*divide by 255"):
        function(pixels, images)
    with pytest.raises(ValueError, match=r"estimate has dtype uint8; .*divide by 255"):
        function(images, pixels)
    # Integers that only hold 0 and 1 need a cast, not a division.
    with pytest.raises(ValueError, match=r"estimate has dtype int64; .*astype"):
        function(images, (images > 0.5).astype(np.int64))
    with pytest.raises(ValueError, match="reference has dtype bool"):
        function(images > 0.5, images)


@pytest.mark.parametrize("function", ALL_METRICS)
def test_float_images_in_0_255_are_refused(function, images):
    with pytest.raises(
        ValueError, match=r"reference has values in \[0\.\d+, 254\.9\]; .*divided by 255"
    ):
        function(images * 255, images)
    with pytest.raises(ValueError, match=r"estimate has values in .*divided by 255"):
        function(images, images * 255)


@pytest.mark.parametrize("function", ALL_METRICS)
def test_images_scaled_to_minus_one_one_are_refused(function, images):
    with pytest.raises(ValueError, match=r"reference has values in .*\(x \+ 1\) / 2"):
        function(images * 2 - 1, images)
    with pytest.raises(ValueError, match=r"estimate has values in .*\(x \+ 1\) / 2"):
        function(images, images * 2 - 1)


def test_estimates_may_stray_by_the_documented_tolerance(images):
    # A linear output layer overshoots a little; the error is real and is scored as it is.
    estimate = images.copy()
    estimate[0, 0, 0, 0] = 1.0 + metrics.ESTIMATE_TOLERANCE
    estimate[1, 0, 0, 0] = -metrics.ESTIMATE_TOLERANCE
    expected = np.mean((images.astype(np.float64) - estimate) ** 2)
    assert metrics.mse(images, estimate) == pytest.approx(expected)
    assert -1 <= metrics.ssim(images, estimate) <= 1
    estimate[2, 0, 0, 0] = 1.0 + metrics.ESTIMATE_TOLERANCE + 0.01
    with pytest.raises(ValueError, match=r"estimate has values in .*clip it"):
        metrics.psnr(images, estimate)
    # The reference is ground truth: it gets no tolerance beyond float rounding.
    with pytest.raises(ValueError, match="reference has values in"):
        metrics.psnr(np.clip(images + 0.01, 0, 1.01), images)
    assert metrics.mse(np.minimum(images, 1 + 1e-7), images) == 0.0


def test_bce_needs_probabilities_and_is_never_negative(images):
    with pytest.raises(ValueError, match="estimate has values in"):
        metrics.bce(images, images + 0.2)
    with pytest.raises(ValueError, match="reference has values in"):
        metrics.bce(images * 1.2, images)
    binary = (images > 0.5).astype(np.float32)
    assert 0 <= metrics.bce(binary, binary) < 1e-6
    # The minimum over estimates is the targets' own entropy, reached at estimate == reference.
    entropy = metrics.bce(images, images)
    assert entropy > 0 and metrics.bce(images, np.clip(images + 0.1, 0, 1)) > entropy


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (None, "estimate has dtype object"),
        ("images", "estimate has dtype <U6"),
        ([[0.1, 0.2], [0.3]], "estimate is not a numeric array"),
        (np.zeros((6, 16, 16, 3), dtype=complex), "estimate has dtype complex128"),
    ],
)
def test_non_arrays_are_refused(bad, message, images):
    with pytest.raises(ValueError, match=message):
        metrics.mse(images, bad)


def test_infinite_values_and_ranks_name_the_argument(images):
    bad = images.copy()
    bad[0, 0, 0, 0] = np.inf
    with pytest.raises(ValueError, match="reference contains 1 NaN or infinite"):
        metrics.mse(bad, images)
    with pytest.raises(ValueError, match=r"estimate contains 1 NaN or infinite"):
        metrics.psnr(images, bad)
    with pytest.raises(ValueError, match=r"reference must be a batch with at least 2 axes"):
        metrics.mse(np.zeros(4), np.zeros(4))
    with pytest.raises(ValueError, match=r"reference is empty \(shape \(6, 0, 16, 3\)\)"):
        metrics.psnr(images[:, :0], images[:, :0])


def test_float16_and_lists_of_floats_are_accepted():
    reference = np.full((1, 8, 8, 1), 0.5, dtype=np.float16)
    assert metrics.psnr(reference, reference + np.float16(0.1)) == pytest.approx(20, abs=0.1)
    assert metrics.mse([[0.0, 1.0]], [[0.5, 0.5]]) == pytest.approx(0.25)


def test_psnr_y_of_gray_images_is_the_rgb_psnr_shifted_by_the_luma_range():
    # On gray images R = G = B, so Y moves by 219/255 of each change: a fixed offset in dB.
    rng = np.random.default_rng(0)
    gray = rng.uniform(0.2, 0.8, size=(4, 12, 12, 1))
    reference = np.repeat(gray, 3, axis=-1)
    estimate = np.clip(reference + rng.normal(0, 0.05, size=(4, 12, 12, 1)), 0, 1)
    estimate = np.repeat(estimate[..., :1], 3, axis=-1)
    offset = 20 * np.log10(255 / 219)
    expected = np.mean(metrics.psnr_per_image(reference, estimate)) + offset
    assert metrics.psnr_y(reference, estimate) == pytest.approx(expected)


def test_psnr_y_shaves_the_border_before_measuring():
    reference = np.full((2, 10, 10, 3), 0.5)
    estimate = reference.copy()
    estimate[:, :2] = 0.0  # Errors only in the top two rows.
    assert metrics.psnr_y(reference, estimate, shave=2) == metrics.PSNR_CAP_DB
    assert metrics.psnr_y(reference, estimate, shave=1) < 20


@pytest.mark.parametrize(
    ("shape", "shave", "message"),
    [
        ((1, 8, 8, 1), 0, "3 channels"),
        ((1, 8, 8, 3), -1, "non-negative integer"),
        ((1, 8, 8, 3), 1.5, "non-negative integer"),
        ((1, 8, 8, 3), True, "non-negative integer"),
        ((1, 8, 8, 3), 4, "leaves no pixel"),
    ],
)
def test_psnr_y_refuses_what_it_cannot_measure(shape, shave, message):
    images = np.zeros(shape)
    with pytest.raises(ValueError, match=message):
        metrics.psnr_y(images, images, shave=shave)


def test_frechet_distance_of_shifted_gaussians_is_the_squared_shift():
    rng = np.random.default_rng(0)
    features = rng.standard_normal((4000, 5))
    assert metrics.frechet_distance(features, features) == pytest.approx(0.0, abs=1e-6)
    shifted = features + np.array([3.0, 0.0, 0.0, 0.0, 0.0])
    assert metrics.frechet_distance(shifted, features) == pytest.approx(9.0, rel=1e-6)
    # Scaling one feature by 2 adds (2 - 1)^2 times its variance, 1 here.
    scaled = features * np.array([2.0, 1.0, 1.0, 1.0, 1.0])
    assert metrics.frechet_distance(scaled, features) == pytest.approx(1.0, abs=0.1)
    other = rng.standard_normal((3000, 5))
    assert metrics.frechet_distance(features, other) == pytest.approx(
        metrics.frechet_distance(other, features), rel=1e-6
    )


@pytest.mark.parametrize(
    ("features", "reference", "message"),
    [
        (np.zeros((5, 3)), np.zeros((5, 4)), "columns"),
        (np.zeros((1, 3)), np.zeros((5, 3)), "n >= 2"),
        (np.zeros(5), np.zeros((5, 1)), "shaped"),
        (np.full((5, 3), np.nan), np.zeros((5, 3)), "NaN"),
        ("abc", np.zeros((5, 3)), "numeric"),
    ],
)
def test_frechet_distance_refuses_what_it_cannot_measure(features, reference, message):
    with pytest.raises(ValueError, match=message):
        metrics.frechet_distance(features, reference)
