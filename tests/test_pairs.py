import numpy as np
import pytest

from aelib import metrics, pairs


@pytest.fixture
def smooth_images():
    """Four smooth 32x32 RGB images in [0, 1]: bicubic should undo a 2x shrink well."""
    rows, columns = np.mgrid[0:32, 0:32] / 31.0
    planes = [0.5 + 0.4 * np.sin(2 * rows + phase) * np.cos(3 * columns) for phase in range(12)]
    return np.stack(planes, axis=-1).reshape(32, 32, 4, 3).transpose(2, 0, 1, 3).astype("float32")


def test_pairs_have_the_right_shapes_and_range(smooth_images):
    low, upscaled = pairs.super_resolution_pairs(smooth_images, factor=2)
    assert low.shape == (4, 16, 16, 3) and upscaled.shape == smooth_images.shape
    assert low.dtype == upscaled.dtype == np.float32
    assert low.min() >= 0 and upscaled.max() <= 1


def test_bicubic_beats_nearest_on_smooth_images(smooth_images):
    low, upscaled = pairs.super_resolution_pairs(smooth_images, factor=2)
    nearest = pairs.resize(low, 32, 32, "nearest")
    assert metrics.psnr(smooth_images, upscaled) > metrics.psnr(smooth_images, nearest) + 3
    assert metrics.psnr(smooth_images, upscaled) > 35


def test_shrinking_averages_instead_of_picking_pixels():
    # A one-pixel checkerboard: picking every other pixel would give a flat 0 or 1 image;
    # Pillow's bicubic filter widens its support when shrinking, so the result is close to 0.5.
    checkerboard = (np.indices((32, 32)).sum(axis=0) % 2).astype("float32")
    low = pairs.resize(checkerboard[None, :, :, None], 16, 16, "bicubic")
    assert abs(float(low[0, 4:-4, 4:-4].mean()) - 0.5) < 0.05


def test_resize_keeps_constant_images_constant():
    images = np.full((2, 8, 8, 3), 0.3, dtype="float32")
    for method in pairs.RESIZE_METHODS:
        np.testing.assert_allclose(pairs.resize(images, 16, 16, method), 0.3, atol=1e-6)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ((np.zeros((2, 8, 8)), 4, 4, "bicubic"), "shaped"),
        ((np.zeros((2, 8, 8, 1)), 4, 4, "lanczos"), "method must be one of"),
        ((np.zeros((2, 8, 8, 1)), 0, 4, "bicubic"), "height"),
        ((np.zeros((2, 8, 8, 1)), 4, 2.5, "bicubic"), "width"),
    ],
)
def test_bad_resize_arguments_raise_value_error(arguments, message):
    with pytest.raises(ValueError, match=message):
        pairs.resize(*arguments)


@pytest.mark.parametrize(
    ("shape", "factor", "message"),
    [
        ((2, 32, 32, 3), 1, "factor"),
        ((2, 32, 32, 3), 2.0, "factor"),
        ((2, 30, 31, 3), 2, "divisible"),
    ],
)
def test_bad_pair_arguments_raise_value_error(shape, factor, message):
    with pytest.raises(ValueError, match=message):
        pairs.super_resolution_pairs(np.zeros(shape), factor)


def test_pairs_refuse_uint8_and_0_255_photos():
    photos = np.full((2, 8, 8, 3), 128, dtype=np.uint8)
    with pytest.raises(ValueError, match=r"images has dtype uint8; .*divide by 255"):
        pairs.super_resolution_pairs(photos)
    with pytest.raises(ValueError, match=r"images has values in .*divided by 255"):
        pairs.super_resolution_pairs(photos.astype(np.float32))
    with pytest.raises(ValueError, match=r"images has values in .*divided by 255"):
        pairs.resize(photos.astype(np.float32), 4, 4)


def test_photos_must_lie_in_0_1_but_resize_takes_model_outputs():
    overshoot = np.full((2, 8, 8, 3), 1.2, dtype=np.float32)
    with pytest.raises(ValueError, match=r"images has values in \[1\.2, 1\.2\]"):
        pairs.super_resolution_pairs(overshoot)
    np.testing.assert_allclose(pairs.resize(overshoot, 4, 4, "nearest"), 1.0)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ((np.zeros((2, 8, 8, 1)), pairs.MAX_SIDE + 1, 4), "height must be an integer from 1"),
        ((np.zeros((2, 8, 8, 1)), 4, True), "width must be an integer"),
        ((np.zeros((2, 8, 8, 1)), 4, 4, None), "method must be one of"),
        ((np.zeros((0, 8, 8, 1)), 4, 4), r"images is empty"),
    ],
)
def test_more_bad_resize_arguments_raise_value_error(arguments, message):
    with pytest.raises(ValueError, match=message):
        pairs.resize(*arguments)


def test_numpy_integer_factors_are_accepted():
    low, upscaled = pairs.super_resolution_pairs(np.full((1, 8, 8, 1), 0.5), np.int64(4))
    assert low.shape == (1, 2, 2, 1) and upscaled.shape == (1, 8, 8, 1)
    with pytest.raises(ValueError, match="factor must be an integer of at least 2"):
        pairs.super_resolution_pairs(np.full((1, 8, 8, 1), 0.5), np.float64(2))
