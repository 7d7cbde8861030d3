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
