import numpy as np
import pytest

from aelib import compression, metrics


def _smooth_images(count=4, size=32):
    """Smooth colour gradients in [0, 1]: easy for WebP, so quality shows in PSNR."""
    rows, columns = np.mgrid[0:size, 0:size] / (size - 1)
    phases = np.random.default_rng(0).random((count, 3))
    images = 0.5 + 0.4 * np.sin(
        3 * rows[None, :, :, None] + 2 * columns[None, :, :, None] + phases[:, None, None, :] * 6
    )
    return images.astype(np.float32)


def test_webp_spends_more_bytes_for_more_quality():
    images = _smooth_images()
    points = [compression.webp_round_trip(images, quality) for quality in (5, 50, 95)]
    sizes = [stream_bytes.mean() for _, stream_bytes in points]
    psnrs = [metrics.psnr(images, decoded) for decoded, _ in points]
    assert sizes == sorted(sizes) and sizes[0] < sizes[-1], sizes
    assert psnrs[-1] > psnrs[0] + 3, psnrs


def test_webp_counts_the_bitstream_without_its_container():
    import io

    from PIL import Image

    images = _smooth_images(count=1)
    _, stream_bytes = compression.webp_round_trip(images, 80)
    buffer = io.BytesIO()
    Image.fromarray(np.round(images[0] * 255).astype(np.uint8)).save(
        buffer, format="WEBP", quality=80
    )
    # The VP8 payload is the file less its 20 container bytes (and a pad byte if odd).
    assert 0 <= len(buffer.getvalue()) - 20 - stream_bytes[0] <= 1


@pytest.mark.parametrize(
    ("shape", "quality", "match"),
    [((2, 8, 8, 1), 50, "RGB"), ((8, 8, 3), 50, "RGB"), ((1, 8, 8, 3), 101, "quality")],
)
def test_webp_rejects_bad_arguments(shape, quality, match):
    with pytest.raises(ValueError, match=match):
        compression.webp_round_trip(np.zeros(shape), quality)


def test_bd_rate_of_a_curve_shifted_in_rate_is_the_shift():
    rates = np.array([0.2, 0.4, 0.8, 1.6, 3.2])
    psnrs = np.array([21.0, 24.0, 26.5, 29.0, 33.0])
    assert compression.bd_rate(rates * 0.7, psnrs, rates, psnrs) == pytest.approx(-30.0)
    assert compression.bd_rate(rates, psnrs, rates, psnrs) == pytest.approx(0.0, abs=1e-9)
    # Against itself at a higher PSNR everywhere, a curve needs fewer bits: negative BD-rate.
    assert compression.bd_rate(rates, psnrs + 1.0, rates, psnrs) < 0


def test_bd_rate_averages_only_over_the_common_psnr_range():
    rates = np.array([0.25, 0.5, 1.0, 2.0])
    psnrs = np.array([20.0, 23.0, 26.0, 29.0])
    # Extra reference points far outside the first curve's PSNR range change nothing.
    wide_rates = np.concatenate([[0.05], rates * 2, [40.0]])
    wide_psnrs = np.concatenate([[12.0], psnrs, [50.0]])
    assert compression.bd_rate(rates, psnrs, wide_rates, wide_psnrs) == pytest.approx(
        -50.0, abs=1.0
    )


def test_bd_rate_is_nan_where_undefined():
    reference = ([0.5, 1.0, 2.0], [22.0, 25.0, 28.0])
    # No common PSNR range...
    assert np.isnan(compression.bd_rate([5.0, 6.0], [40.0, 41.0], *reference))
    # ...or a curve whose PSNR falls as its rate rises.
    assert np.isnan(compression.bd_rate([0.5, 1.0], [26.0, 25.0], *reference))
    assert np.isnan(compression.bd_rate(*reference, [0.5, 1.0, 1.5], [23.0, 25.0, 24.0]))


@pytest.mark.parametrize(
    ("rates", "psnrs", "match"),
    [
        ([0.5], [25.0], "length"),
        ([0.0, 1.0], [20.0, 25.0], "positive"),
    ],
)
def test_bd_rate_rejects_bad_curves(rates, psnrs, match):
    with pytest.raises(ValueError, match=match):
        compression.bd_rate(rates, psnrs, [0.5, 1.0, 2.0], [22.0, 25.0, 28.0])


def test_round_trip_counts_jpeg_scan_bytes_and_rejects_unknown_codecs():
    from aelib import baselines

    images = _smooth_images(count=2)
    decoded, stream_bytes = compression.round_trip(images, "JPEG", 50)
    _, file_bytes, header_bytes = baselines.jpeg_round_trip(images, 50)
    np.testing.assert_array_equal(stream_bytes, file_bytes - header_bytes)
    assert decoded.shape == images.shape
    with pytest.raises(ValueError, match="codec"):
        compression.round_trip(images, "PNG", 50)


def test_rate_distortion_curve_has_one_point_per_quality():
    images = _smooth_images(count=2)
    curve = compression.rate_distortion_curve(images, "WebP", [10, 90])
    assert [point["quality"] for point in curve] == [10, 90]
    _, stream_bytes = compression.webp_round_trip(images, 90)
    assert curve[1]["bpp"] == pytest.approx(8 * stream_bytes.mean() / (32 * 32))
    assert curve[0]["PSNR"] < curve[1]["PSNR"]


def test_psnr_at_interpolates_in_log_rate_and_is_nan_outside():
    curve = [{"bpp": 1.0, "PSNR": 30.0}, {"bpp": 0.25, "PSNR": 20.0}]
    assert compression.psnr_at(curve, 0.5) == pytest.approx(25.0)
    assert compression.psnr_at(curve, 1.0) == pytest.approx(30.0)
    assert np.isnan(compression.psnr_at(curve, 2.0))
    assert np.isnan(compression.psnr_at(curve, 0.1))


@pytest.mark.parametrize(
    ("images", "match"),
    [
        (np.full((1, 8, 8, 3), 128, dtype=np.uint8), "divide by 255"),
        (np.full((1, 8, 8, 3), 128.0), r"\[0, 1\]"),
        (np.full((1, 8, 8, 3), np.nan), "NaN|finite"),
        (np.zeros((1, 16384, 1, 3), dtype=np.float32), "16383 pixels"),
    ],
)
def test_webp_checks_its_images_as_jpeg_does(images, match):
    with pytest.raises(ValueError, match=match):
        compression.webp_round_trip(images, 50)


@pytest.mark.parametrize(
    ("curve", "match"),
    [
        ([], "non-empty"),
        ({"bpp": 1.0, "PSNR": 30.0}, "non-empty list"),
        ([{"bpp": 1.0}], r"curve\[0\] must be a dict with 'bpp' and 'PSNR'"),
        ([{"bpp": 1.0, "PSNR": 30.0}, {"PSNR": 20.0}], r"curve\[1\]"),
        ([{"bpp": "a lot", "PSNR": 30.0}], "non-number"),
        ([{"bpp": 0.0, "PSNR": 30.0}, {"bpp": 1.0, "PSNR": 31.0}], "positive, finite"),
        ([{"bpp": 1.0, "PSNR": np.inf}, {"bpp": 2.0, "PSNR": 31.0}], "finite 'PSNR'"),
        ([{"bpp": 1.0, "PSNR": 30.0}, {"bpp": 1.0, "PSNR": 31.0}], "two points at 1 bpp"),
    ],
)
def test_psnr_at_refuses_a_malformed_curve(curve, match):
    with pytest.raises(ValueError, match=match):
        compression.psnr_at(curve, 0.5)


@pytest.mark.parametrize("bpp", [0.0, -1.0, np.nan, np.inf, "0.5", True])
def test_psnr_at_refuses_a_rate_that_is_not_positive_and_finite(bpp):
    curve = [{"bpp": 1.0, "PSNR": 30.0}, {"bpp": 0.25, "PSNR": 20.0}]
    with pytest.raises(ValueError, match="bpp must be"):
        compression.psnr_at(curve, bpp)
