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
    with pytest.raises(ValueError, match="axes"):
        metrics.ssim(np.zeros((8, 8)), np.zeros((8, 8)))
    with pytest.raises(ValueError, match="7x7"):
        metrics.ssim(np.zeros((2, 5, 5, 1)), np.zeros((2, 5, 5, 1)))
