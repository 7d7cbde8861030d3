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

    images = _smooth_images(count=3)
    decoded, file_bytes, stream_bytes = compression.round_trip(images, "JPEG", 50)
    _, jpeg_file_bytes, header_bytes = baselines.jpeg_round_trip(images, 50)
    np.testing.assert_array_equal(file_bytes, jpeg_file_bytes)
    # The shared bytes hold JPEG's whole header of tables (and at most its 2-byte end marker and
    # a few scan bytes that agree by chance), so the stream is at most the scan.
    assert (stream_bytes <= file_bytes - header_bytes).all()
    assert (stream_bytes >= file_bytes - header_bytes - 8).all()
    assert decoded.shape == images.shape
    with pytest.raises(ValueError, match="codec"):
        compression.round_trip(images, "PNG", 50)


@pytest.mark.parametrize("codec", compression.CODECS)
def test_every_codec_spends_more_bytes_for_more_quality(codec):
    images = _smooth_images(count=3)
    low, high = compression.QUALITIES[codec][0] + 10, compression.QUALITIES[codec][1] - 10
    points = compression.rate_distortion_curve(images, codec, [low, high])
    assert points[0]["PSNR"] + 3 < points[1]["PSNR"], points
    assert points[0]["file bpp"] < points[1]["file bpp"], points
    for point in points:
        assert 0 < point["bpp"] <= point["file bpp"], point
    decoded, files = compression.encode_files(images, codec, high)
    assert decoded.shape == images.shape and decoded.dtype == np.float32 and len(files) == 3
    assert decoded.min() >= 0.0 and decoded.max() <= 1.0


@pytest.mark.parametrize("codec", ["JPEG 2000", "AVIF", "JPEG XL"])
@pytest.mark.parametrize(
    ("images", "quality", "match"),
    [
        (np.zeros((2, 8, 8, 1), dtype=np.float32), 50, "RGB"),
        (np.full((2, 8, 8, 3), 128, dtype=np.uint8), 50, "divide by 255"),
        (np.full((2, 8, 8, 3), np.nan, dtype=np.float32), 50, "NaN|finite"),
        (np.zeros((2, 8, 8, 3), dtype=np.float32), 101, "quality"),
    ],
)
def test_the_imagecodecs_codecs_check_their_arguments(codec, images, quality, match):
    with pytest.raises(ValueError, match=match):
        compression.round_trip(images, codec, quality)


def test_shared_bytes_counts_constant_positions_from_both_ends():
    rng = np.random.default_rng(0)
    header, trailer = b"HEADER" + bytes(10), b"\xff\xd9"
    files = [
        header + bytes([length]) + rng.integers(0, 256, length, dtype=np.uint8).tobytes() + trailer
        for length in (40, 55, 70, 90)
    ]
    # 16 header bytes, then a length byte that varies, then payloads, then a 2-byte trailer.
    assert compression.shared_bytes(files) == 16 + 2
    # Identical files share everything, once.
    assert compression.shared_bytes([files[0], files[0]]) == len(files[0])
    for bad in ([files[0]], [files[0], b""], []):
        with pytest.raises(ValueError, match="at least two non-empty files"):
            compression.shared_bytes(bad)


def test_rate_distortion_curve_has_one_point_per_quality():
    images = _smooth_images(count=2)
    curve = compression.rate_distortion_curve(images, "WebP", [10, 90])
    assert [point["quality"] for point in curve] == [10, 90]
    _, file_bytes, stream_bytes = compression.round_trip(images, "WebP", 90)
    assert curve[1]["bpp"] == pytest.approx(8 * stream_bytes.mean() / (32 * 32))
    assert curve[1]["file bpp"] == pytest.approx(8 * file_bytes.mean() / (32 * 32))
    assert curve[0]["PSNR"] < curve[1]["PSNR"]


def _tables(channels=3, tail=4, seed=0):
    """Integer tables of a peaked, random prior over -tail..tail for each channel."""
    rng = np.random.default_rng(seed)
    values = np.arange(-tail, tail + 1)
    widths = rng.uniform(0.5, 2.0, (channels, 1))
    return compression.integer_tables(np.exp(-np.abs(values) / widths))


def test_integer_tables_sum_to_a_power_of_two_and_keep_every_symbol():
    probabilities = np.array([[0.5, 0.5, 0.0, 1e-12], [0.1, 0.2, 0.3, 0.4]])
    tables = compression.integer_tables(probabilities, precision=12)
    assert tables.dtype == np.int64 and (tables.sum(axis=1) == 4096).all()
    assert tables.min() == 1  # A zero probability still gets a count: every symbol codable.
    np.testing.assert_allclose(tables[1] / 4096, probabilities[1], atol=2 / 4096)
    for bad, match in (
        (np.array([0.5, 0.5]), "channels, symbols"),
        (np.array([[0.5, np.nan]]), "finite"),
        (np.array([[0.0, 0.0]]), "positive row sum"),
    ):
        with pytest.raises(ValueError, match=match):
            compression.integer_tables(bad)
    with pytest.raises(ValueError, match="precision"):
        compression.integer_tables(probabilities, precision=30)


def test_latents_come_back_exactly_from_their_file():
    tables = _tables()
    rng = np.random.default_rng(1)
    for shape in ((4, 4, 3), (1, 300, 3), (7, 2, 3)):  # A grid wider than 255 latents too.
        latents = rng.integers(-4, 5, shape)
        data = compression.write_latents(latents, tables)
        np.testing.assert_array_equal(compression.read_latents(data, tables), latents)
    # Peaked latents cost fewer bytes than uniform ones under a peaked prior.
    peaked = np.clip(np.round(rng.laplace(0, 0.5, (8, 8, 3))), -4, 4).astype(int)
    spread = rng.integers(-4, 5, (8, 8, 3))
    assert len(compression.write_latents(peaked, tables)) < len(
        compression.write_latents(spread, tables)
    )


def test_a_bad_latent_file_ends_in_a_clear_error():
    tables, latents = _tables(), np.random.default_rng(2).integers(-4, 5, (4, 4, 3))
    data = compression.write_latents(latents, tables)
    flipped = bytearray(data)
    flipped[len(data) // 2 + 3] ^= 0x10
    cases = {
        "cut or padded": data[: len(data) // 2 + 10],
        "damaged": bytes(flipped),
        "header": b"",
        "magic": b"XX" + data[2:],
        "padded": data + b"\x00",
    }
    for match, bad in cases.items():
        with pytest.raises(ValueError, match=match):
            compression.read_latents(bad, tables)
    other = _tables(seed=5)
    with pytest.raises(ValueError, match="entropy model"):
        compression.read_latents(data, other)
    with pytest.raises(ValueError, match="bytes"):
        compression.read_latents("not bytes", tables)


@pytest.mark.parametrize(
    ("latents", "match"),
    [
        (np.full((2, 2, 3), 5), r"\[-4, 4\]"),
        (np.full((2, 2, 3), 0.5), "integers"),
        (np.zeros((2, 2, 2), dtype=int), r"\(h, w, 3\)"),
        (np.zeros((0, 2, 3), dtype=int), "1 to 65,535"),
    ],
)
def test_write_latents_refuses_what_it_cannot_code(latents, match):
    with pytest.raises(ValueError, match=match):
        compression.write_latents(latents, _tables())


def test_tables_must_be_what_integer_tables_makes():
    for bad, match in (
        (np.ones((3, 4), dtype=int), "2 \\* tail \\+ 1"),
        (np.zeros((3, 5), dtype=int), "positive integers"),
        (np.array([[1, 2, 5], [1, 1, 2]]), "power of two"),
    ):
        with pytest.raises(ValueError, match=match):
            compression.model_identity(bad)


def test_files_written_in_one_process_decode_exactly_in_another(tmp_path):
    import subprocess
    import sys

    tables = _tables(channels=4, tail=6)
    rng = np.random.default_rng(3)
    latents = [rng.integers(-6, 7, (3, 5, 4)) for _ in range(5)]
    np.save(tmp_path / "tables.npy", tables)
    np.save(tmp_path / "latents.npy", np.stack(latents))
    for index, grid in enumerate(latents):
        (tmp_path / f"{index}.bin").write_bytes(compression.write_latents(grid, tables))
    script = (
        "import numpy as np, pathlib, sys\n"
        "from aelib import compression\n"
        "folder = pathlib.Path(sys.argv[1])\n"
        "tables = np.load(folder / 'tables.npy')\n"
        "expected = np.load(folder / 'latents.npy')\n"
        "for index, grid in enumerate(expected):\n"
        "    data = (folder / f'{index}.bin').read_bytes()\n"
        "    assert np.array_equal(compression.read_latents(data, tables), grid), index\n"
        "print('decoded', len(expected))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "decoded 5"


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


def test_curve_arrays_sorts_by_the_chosen_rate():
    curve = [
        {"bpp": 1.0, "file bpp": 1.5, "PSNR": 30.0},
        {"bpp": 0.5, "file bpp": 0.9, "PSNR": 25.0},
    ]
    rates, psnrs = compression.curve_arrays(curve)
    np.testing.assert_array_equal(rates, [0.5, 1.0])
    np.testing.assert_array_equal(psnrs, [25.0, 30.0])
    np.testing.assert_array_equal(compression.curve_arrays(curve, "file bpp")[0], [0.9, 1.5])
    with pytest.raises(ValueError, match="'file bpp'"):
        compression.curve_arrays([{"bpp": 1.0, "PSNR": 30.0}], "file bpp")


def test_lead_changes_finds_where_two_curves_cross():
    # PSNR 20 + 10 log2(bpp) against a flatter curve through 25 dB at 1 bpp: they cross at 1.
    rates = [0.25, 0.5, 1.0, 2.0, 4.0]
    steep = [{"bpp": r, "PSNR": 25 + 10 * np.log2(r)} for r in rates]
    flat = [{"bpp": r, "PSNR": 25 + 5 * np.log2(r)} for r in rates[1:]]
    ahead, low, high, changes = compression.lead_changes(steep, flat)
    assert not ahead and (low, high) == (0.5, 4.0)
    assert len(changes) == 1 and changes[0] == pytest.approx(1.0, rel=0.01)
    # A curve ahead everywhere never changes hands; ranges that do not meet give NaN ends.
    assert compression.lead_changes(flat, [{**p, "PSNR": p["PSNR"] - 1} for p in flat])[0::3] == (
        True,
        [],
    )
    apart = compression.lead_changes(
        steep[:2], [{"bpp": 3.0, "PSNR": 30}, {"bpp": 5.0, "PSNR": 31}]
    )
    assert np.isnan(apart[1]) and apart[3] == []
