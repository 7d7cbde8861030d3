import numpy as np
import pytest

from aelib import baselines, metrics


def test_pca_error_falls_with_more_components():
    rng = np.random.default_rng(0)
    basis = rng.random((5, 64))
    images = (rng.random((200, 5)) @ basis / 5).reshape(200, 8, 8, 1)
    errors = [
        metrics.mse(images[150:], baselines.pca_reconstruction(images[:150], images[150:], k))
        for k in (1, 3, 5)
    ]
    assert errors[0] > errors[1] > errors[2]
    assert errors[2] < 1e-8  # Five components recover rank-five data exactly.


@pytest.mark.parametrize("n_components", [0, 65, 2.5, True])
def test_bad_component_counts_raise_value_error(n_components):
    images = np.zeros((100, 8, 8, 1))
    with pytest.raises(ValueError, match="n_components"):
        baselines.pca_reconstruction(images, images, n_components)


def test_mismatched_image_shapes_raise_value_error():
    with pytest.raises(ValueError, match="same image shape"):
        baselines.pca_reconstruction(np.zeros((10, 8, 8, 1)), np.zeros((10, 7, 8, 1)), 2)


def test_median_filter_removes_salt_noise_and_keeps_flat_regions():
    images = np.full((2, 9, 9, 1), 0.25, dtype=np.float32)
    noisy = images.copy()
    noisy[:, 4, 4, 0] = 1.0  # One isolated bright pixel per image.
    filtered = baselines.median_filter(noisy, size=3)
    np.testing.assert_allclose(filtered, images)


def test_median_filter_treats_channels_separately():
    images = np.zeros((1, 5, 5, 3), dtype=np.float32)
    images[..., 1] = 1.0
    np.testing.assert_allclose(baselines.median_filter(images), images)


def test_gaussian_filter_smooths_noise_and_keeps_the_mean():
    rng = np.random.default_rng(0)
    noisy = rng.normal(0.5, 0.2, (3, 16, 16, 1)).astype(np.float32)
    blurred = baselines.gaussian_filter(noisy, sigma=1.5)
    assert blurred.std() < 0.5 * noisy.std()
    assert abs(blurred.mean() - noisy.mean()) < 1e-3


@pytest.mark.parametrize(
    ("function", "argument"),
    [
        (baselines.median_filter, 0),
        (baselines.median_filter, 2.5),
        (baselines.gaussian_filter, 0),
        (baselines.gaussian_filter, -1.0),
    ],
)
def test_bad_filter_sizes_raise_value_error(function, argument):
    with pytest.raises(ValueError):
        function(np.zeros((1, 8, 8, 1)), argument)


@pytest.mark.parametrize("function", [baselines.median_filter, baselines.gaussian_filter])
def test_filters_need_a_batch_of_images(function):
    with pytest.raises(ValueError, match="height, width"):
        function(np.zeros((8, 8)))


def _smooth_colour_images(count=6, size=32):
    rows, columns = np.mgrid[0:size, 0:size] / size
    return np.stack(
        [
            np.stack([rows * k / count, columns, 0.5 + 0.3 * np.sin(rows * k)], -1)
            for k in range(count)
        ]
    ).astype(np.float32)


def test_jpeg_quality_trades_size_for_fidelity():
    images = _smooth_colour_images()
    low, low_bytes, low_header = baselines.jpeg_round_trip(images, quality=10)
    high, high_bytes, high_header = baselines.jpeg_round_trip(images, quality=90)
    assert low.shape == images.shape and low.dtype == np.float32
    assert low.min() >= 0.0 and low.max() <= 1.0
    # Higher quality: bigger files, closer images.
    assert high_bytes.mean() > low_bytes.mean()
    assert metrics.psnr(images, high) > metrics.psnr(images, low) + 3.0
    # The header (tables) is identical in size for every image of one size and quality.
    assert len(set(low_header)) == 1 and len(set(high_header)) == 1
    assert (low_header < low_bytes).all()


def test_jpeg_header_size_matches_an_independent_count():
    import io

    from PIL import Image

    images = _smooth_colour_images(count=1)
    _, file_bytes, header_bytes = baselines.jpeg_round_trip(images, quality=50)
    buffer = io.BytesIO()
    Image.fromarray(np.round(images[0] * 255).astype(np.uint8)).save(buffer, "JPEG", quality=50)
    encoded = buffer.getvalue()
    assert file_bytes[0] == len(encoded)
    # The scan starts right after the SOS segment: FF DA, then its length field's bytes.
    start = encoded.index(b"\xff\xda")
    assert header_bytes[0] == start + 2 + int.from_bytes(encoded[start + 2 : start + 4], "big")
    assert encoded[-2:] == b"\xff\xd9"  # What follows is scan data up to the end marker.


def test_jpeg_grayscale_round_trip_keeps_one_channel():
    images = _smooth_colour_images()[..., :1]
    decoded, _, _ = baselines.jpeg_round_trip(images, quality=95)
    assert decoded.shape == images.shape
    assert metrics.psnr(images, decoded) > 35.0


@pytest.mark.parametrize("quality", [0, 96, 50.0, True])
def test_jpeg_bad_quality_raises_value_error(quality):
    with pytest.raises(ValueError, match="quality"):
        baselines.jpeg_round_trip(np.zeros((1, 8, 8, 3)), quality)


def test_jpeg_needs_one_or_three_channels():
    with pytest.raises(ValueError, match="1 or 3 channels"):
        baselines.jpeg_round_trip(np.zeros((1, 8, 8, 2)), 50)


@pytest.mark.parametrize(
    ("function", "arguments"),
    [
        (baselines.pca_reconstruction, (np.zeros((10, 8, 8, 1)), 2)),
        (baselines.median_filter, ()),
        (baselines.gaussian_filter, ()),
        (baselines.jpeg_round_trip, (50,)),
    ],
)
def test_uint8_and_0_255_images_are_refused(function, arguments):
    pixels = np.full((10, 8, 8, 1), 200, dtype=np.uint8)
    name = "x_train" if function is baselines.pca_reconstruction else "images"
    with pytest.raises(ValueError, match=f"{name} has dtype uint8; .*divide by 255"):
        function(pixels, *arguments)
    with pytest.raises(ValueError, match=f"{name} has values in .*divided by 255"):
        function(pixels.astype(np.float32), *arguments)
    bad = np.zeros((10, 8, 8, 1))
    bad[0, 0, 0, 0] = np.nan
    with pytest.raises(ValueError, match=f"{name} contains 1 NaN"):
        function(bad, *arguments)


def test_pca_checks_x_test_and_its_range():
    train = np.random.default_rng(0).random((20, 8, 8, 1))
    with pytest.raises(ValueError, match="x_test has values in"):
        baselines.pca_reconstruction(train, train + 0.5, 2)
    with pytest.raises(ValueError, match="x_test is empty"):
        baselines.pca_reconstruction(train, train[:0], 2)
    with pytest.raises(ValueError, match="x_train must be a batch"):
        baselines.pca_reconstruction(train[0, 0, :, 0], train, 2)
    with pytest.raises(ValueError, match="seed must be an integer"):
        baselines.pca_reconstruction(train, train, 2, seed=-1)
    assert baselines.pca_reconstruction(train, train, np.int64(2)).shape == train.shape


def test_pca_drops_components_that_explain_no_variance():
    test = np.random.default_rng(1).random((4, 8, 8, 1))
    # Constant training images: every test image is reconstructed as that constant.
    flat = np.full((5, 8, 8, 1), 0.25)
    np.testing.assert_allclose(baselines.pca_reconstruction(flat, test, 2), 0.25, atol=1e-6)
    # Three centred images span two directions; a third component would be arbitrary.
    train = np.random.default_rng(0).random((3, 8, 8, 1))
    np.testing.assert_allclose(
        baselines.pca_reconstruction(train, test, 3),
        baselines.pca_reconstruction(train, test, 2),
        atol=1e-6,
    )


def test_filters_take_noisy_images_within_the_tolerance():
    noisy = np.full((1, 8, 8, 1), 0.5, dtype=np.float32)
    noisy[0, ::2, ::2, 0] = [1.5, -0.5, 1.4, -0.4]
    assert baselines.median_filter(noisy).shape == noisy.shape
    with pytest.raises(ValueError, match="images has values in"):
        baselines.gaussian_filter(noisy * 2)


@pytest.mark.parametrize("sigma", [np.inf, np.nan, 1e6, 8.5, -np.inf, "1", None, True])
def test_gaussian_sigma_must_be_finite_positive_and_at_most_the_image_side(sigma):
    with pytest.raises(ValueError, match=r"sigma must be .* at most 8 \(the larger image side\)"):
        baselines.gaussian_filter(np.zeros((1, 8, 4, 1)), sigma)


def test_gaussian_sigma_at_the_bound_leaves_about_the_mean():
    images = np.random.default_rng(0).random((2, 8, 8, 1)).astype(np.float32)
    blurred = baselines.gaussian_filter(images, np.float32(8))
    assert blurred.std() < 0.2 * images.std()


@pytest.mark.parametrize("size", [9, 10**6, np.int64(0), None])
def test_median_size_is_bounded_by_the_image(size):
    with pytest.raises(ValueError, match="size must be an integer from 1 to 8"):
        baselines.median_filter(np.zeros((1, 8, 4, 1)), size)


def test_jpeg_refuses_images_out_of_range_and_accepts_numpy_quality():
    with pytest.raises(ValueError, match="images has values in"):
        baselines.jpeg_round_trip(np.full((1, 8, 8, 3), 1.2), 50)
    decoded, _, _ = baselines.jpeg_round_trip(np.full((1, 8, 8, 3), 0.5), np.int64(50))
    assert abs(float(decoded.mean()) - 0.5) < 0.01


def _two_prototype_images(count=400, seed=0):
    """Binary 4x4 images drawn from two clear prototypes with 5% of their pixels flipped."""
    rng = np.random.default_rng(seed)
    prototypes = np.array([[1] * 8 + [0] * 8, [0] * 8 + [1] * 8], dtype=float)
    images = prototypes[rng.integers(0, 2, count)]
    flips = rng.random(images.shape) < 0.05
    return np.abs(images - flips).reshape(count, 4, 4, 1)


def test_one_bernoulli_component_is_the_smoothed_mean_image_in_closed_form():
    images = _two_prototype_images()
    mixture = baselines.bernoulli_mixture(images, components=1, iterations=3)
    pixels = images.reshape(len(images), -1)
    means = (pixels.sum(axis=0) + 1.0) / (len(pixels) + 2.0)
    expected = -(pixels @ np.log(means) + (1 - pixels) @ np.log1p(-means))
    np.testing.assert_allclose(mixture.means[0], means)
    np.testing.assert_allclose(mixture.negative_log_likelihood(images), expected)


def test_two_components_find_the_two_prototypes_and_explain_the_images_better():
    images = _two_prototype_images()
    held_out = _two_prototype_images(seed=1)
    one = baselines.bernoulli_mixture(images, components=1).negative_log_likelihood(held_out)
    two = baselines.bernoulli_mixture(images, components=2).negative_log_likelihood(held_out)
    # Each prototype pixel is right 95% of the time: about 16 * 0.199 nats per image, against
    # 16 * log 2 for a pixel that is ink half the time.
    assert two.mean() < 16 * 0.25 < one.mean(), (two.mean(), one.mean())
    found = baselines.bernoulli_mixture(images, components=2).means.round()
    assert sorted(map(tuple, found)) == [(0.0,) * 8 + (1.0,) * 8, (1.0,) * 8 + (0.0,) * 8]


@pytest.mark.parametrize(
    ("images", "components", "message"),
    [
        (np.full((10, 4), 0.5), 2, "only 0s and 1s"),
        (np.zeros((10, 4)), 11, "components must be an integer from 1 to 10"),
        (np.zeros((10, 4)), 0, "components must be an integer from 1 to 10"),
        (np.full((10, 4), np.nan), 2, "images"),
    ],
)
def test_bernoulli_mixture_refuses_what_it_cannot_fit(images, components, message):
    with pytest.raises(ValueError, match=message):
        baselines.bernoulli_mixture(images, components=components)


def test_bernoulli_mixture_refuses_images_of_another_size():
    mixture = baselines.bernoulli_mixture(np.zeros((10, 4)), components=2)
    with pytest.raises(ValueError, match="images have 9 pixels each; the mixture was fitted on 4"):
        mixture.negative_log_likelihood(np.zeros((3, 9)))
