"""Rate-distortion plumbing for the compression recipe: real files, counted alike, and BD-rate.

Recipe 09 (compression) teaches the learned codec itself; this module holds what any codec
comparison needs: JPEG, WebP, JPEG 2000, AVIF and JPEG XL round trips that count every codec's
bytes by one rule (whole files, and streams with the bytes all files share taken out), their
rate-distortion curves, the Bjontegaard delta rate that sums up two curves in one number, and
the learned codec's file: integer probability tables, a range-coded payload, and a header with
which a decoder refuses a cut, damaged or foreign file.

>>> import numpy as np
>>> images = np.random.default_rng(0).random((2, 32, 32, 3)).astype("float32")
>>> decoded, stream_bytes = webp_round_trip(images, quality=50)
>>> decoded.shape, decoded.dtype.name, bool((stream_bytes > 10).all())
((2, 32, 32, 3), 'float32', True)
>>> [sorted(point) for point in rate_distortion_curve(images, "JPEG", [10, 90])]
[['PSNR', 'bpp', 'file bpp', 'quality'], ['PSNR', 'bpp', 'file bpp', 'quality']]
>>> rates, psnrs = np.array([0.25, 0.5, 1.0, 2.0]), np.array([20.0, 23.0, 26.0, 29.0])
>>> round(bd_rate(rates / 2, psnrs, rates, psnrs), 6)
-50.0
"""

from __future__ import annotations

import numpy as np

from aelib import baselines, metrics

__all__ = [
    "CODECS",
    "QUALITIES",
    "bd_rate",
    "curve_arrays",
    "encode_files",
    "integer_tables",
    "lead_changes",
    "model_identity",
    "psnr_at",
    "rate_distortion_curve",
    "read_latents",
    "round_trip",
    "shared_bytes",
    "webp_round_trip",
    "write_latents",
]

CODECS = ("JPEG", "WebP", "JPEG 2000", "AVIF", "JPEG XL")
"""The classical codecs :func:`round_trip` runs, by the names the recipes print."""

QUALITIES = {"JPEG": (1, 95), "WebP": (0, 100), "JPEG 2000": (1, 99), "AVIF": (0, 100)}
QUALITIES["JPEG XL"] = (0, 100)
"""Each codec's lowest and highest ``quality`` (for JPEG 2000, the target PSNR in dB)."""

# The largest side each format stores (VP8, WebP's lossy bitstream, keeps 14 bits a side).
_MAX_SIDE = {"JPEG": 65500, "WebP": 16383, "JPEG 2000": 65535, "AVIF": 65535, "JPEG XL": 65535}


def webp_round_trip(images, quality: int) -> tuple[np.ndarray, np.ndarray]:
    """Save each (n, h, w, 3) RGB image in [0, 1] as lossy WebP with Pillow, and read it back.

    Returns the decoded images (same shape, float32 in [0, 1]) and each image's VP8 bitstream
    size in bytes (the "VP8 " chunk's size field): the file less its 20-byte RIFF container,
    which holds nothing but the file's type and length. The bitstream keeps its own frame header
    (image size, coding modes).
    ``quality`` is Pillow's 0 (smallest) to 100; other settings are Pillow's defaults.
    """
    decoded, files = encode_files(images, "WebP", quality)
    stream_bytes = np.empty(len(files), dtype=np.int64)
    for index, encoded in enumerate(files):
        if encoded[12:16] != b"VP8 ":
            raise ValueError(f"Pillow wrote a {encoded[12:16]!r} chunk, not a simple lossy WebP.")
        stream_bytes[index] = int.from_bytes(encoded[16:20], "little")
    return decoded, stream_bytes


def _imagecodecs_files(pixels, codec: str, quality: int) -> tuple[list[bytes], np.ndarray]:
    """(n, h, w, 3) uint8 pixels written by imagecodecs: the files and the decoded pixels."""
    import imagecodecs

    encoders = {
        # OpenJPEG's fixed-quality mode: the level is the PSNR it aims for, in dB.
        "JPEG 2000": (imagecodecs.jpeg2k_encode, imagecodecs.jpeg2k_decode, {}),
        "AVIF": (imagecodecs.avif_encode, imagecodecs.avif_decode, {"speed": 6}),
        "JPEG XL": (imagecodecs.jpegxl_encode, imagecodecs.jpegxl_decode, {}),
    }
    encode, decode, options = encoders[codec]
    files = [bytes(encode(image, level=quality, **options)) for image in pixels]
    decoded = np.stack([np.asarray(decode(data))[..., :3] for data in files])
    return files, decoded.reshape(pixels.shape)


def encode_files(images, codec: str, quality: int) -> tuple[np.ndarray, list[bytes]]:
    """Write each (n, h, w, 3) RGB image in [0, 1] as a whole ``codec`` file; read it back.

    Returns the decoded images (same shape, float32 in [0, 1]) and the files. ``quality`` is each
    codec's own knob (:data:`QUALITIES` gives its range): Pillow's quality for JPEG and WebP, the
    target PSNR in dB for JPEG 2000 (OpenJPEG), libavif's quality for AVIF (speed 6) and libjxl's
    quality for JPEG XL; other settings are the libraries' defaults (4:2:0 chroma for JPEG and
    WebP, 4:4:4 for AVIF).
    """
    import io

    from PIL import Image

    if codec not in CODECS:
        raise ValueError(f"codec must be one of {CODECS}, not {codec!r}.")
    shape = np.shape(images)
    if len(shape) != 4 or shape[-1] != 3:
        raise ValueError(f"{codec} needs RGB images shaped (n, h, w, 3), got {shape}.")
    images = baselines._check_images(images)
    if max(images.shape[1:3]) > _MAX_SIDE[codec]:
        raise ValueError(
            f"{codec} images are at most {_MAX_SIDE[codec]} pixels a side, got images shaped "
            f"{images.shape}."
        )
    baselines._check_integer(quality, "quality", *QUALITIES[codec])
    quality = int(quality)
    pixels = np.round(np.clip(images, 0.0, 1.0) * 255).astype(np.uint8)
    if codec in ("JPEG", "WebP"):
        files, decoded = [], np.empty_like(pixels)
        for index, image in enumerate(pixels):
            buffer = io.BytesIO()
            Image.fromarray(image).save(buffer, format=codec.upper(), quality=quality)
            files.append(buffer.getvalue())
            with Image.open(io.BytesIO(files[-1])) as reader:
                decoded[index] = np.asarray(reader.convert("RGB"))
    else:
        files, decoded = _imagecodecs_files(pixels, codec, quality)
    return decoded.astype(np.float32) / 255.0, files


def shared_bytes(files) -> int:
    """How many byte positions, counted from the start or from the end, hold the same byte in
    every one of ``files``.

    A store of many files written by one codec at one size and setting would keep those bytes
    once (JPEG's tables, a container's fixed boxes, a frame header's constant fields, an end
    marker), so each file's *stream* is the rest; a field that varies (a length, a checksum)
    stays in every stream. The end is scanned only where the shortest file has no shared byte
    counted from the start, so no byte counts twice. Needs at least two non-empty files; with
    few files a payload byte may agree by chance (1 in 256 for two).
    """
    files = [bytes(data) for data in files]
    if len(files) < 2 or not all(files):
        raise ValueError("shared_bytes needs at least two non-empty files to compare.")
    shortest = min(len(data) for data in files)
    starts = np.array([np.frombuffer(data[:shortest], np.uint8) for data in files])
    from_start = np.flatnonzero((starts == starts[0]).all(axis=0))
    rest = shortest - (int(from_start[-1]) + 1 if len(from_start) else 0)
    ends = np.array([np.frombuffer(data[len(data) - rest :], np.uint8) for data in files])
    return len(from_start) + int((ends == ends[0]).all(axis=0).sum()) if rest else len(from_start)


def round_trip(images, codec: str, quality: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Compress (n, h, w, 3) images in [0, 1] with ``codec`` at ``quality`` and decode them.

    Returns the decoded images (same shape, float32 in [0, 1]), each image's whole file in
    bytes, and each image's stream bytes: its file less the :func:`shared_bytes` of all the
    files (at least two images), the same rule for every codec.
    """
    decoded, files = encode_files(images, codec, quality)
    file_bytes = np.array([len(data) for data in files], dtype=np.int64)
    return decoded, file_bytes, file_bytes - shared_bytes(files)


def rate_distortion_curve(images, codec: str, qualities) -> list[dict[str, float]]:
    """One point per quality: ``{"quality", "bpp", "file bpp", "PSNR"}``, means over the images.

    ``bpp`` counts the streams of :func:`round_trip` (8 x bytes over the h x w pixels), ``file
    bpp`` the whole files; ``PSNR`` is in dB over all the pixels.
    """
    images = np.asarray(images, dtype=np.float32)
    pixels = images.shape[1] * images.shape[2] if images.ndim == 4 else 0
    points = []
    for quality in qualities:
        decoded, file_bytes, stream_bytes = round_trip(images, codec, quality)
        points.append(
            {
                "quality": quality,
                "bpp": 8 * float(stream_bytes.mean()) / pixels,
                "file bpp": 8 * float(file_bytes.mean()) / pixels,
                "PSNR": metrics.psnr(images, decoded),
            }
        )
    return points


def integer_tables(probabilities, precision: int = 16) -> np.ndarray:
    """Each row of (channels, symbols) probabilities as integer counts that sum to 2**precision.

    Every count is at least 1, so every symbol stays codable. A decoder that builds its coding
    model from these integers, not from a network's floating-point output, reads the same
    stream on any machine. Returns int64 counts of the same shape.
    """
    table = np.asarray(probabilities, dtype=np.float64)
    if table.ndim != 2 or table.shape[1] < 2:
        raise ValueError(f"probabilities must be (channels, symbols >= 2), got {table.shape}.")
    if not (np.isfinite(table).all() and (table >= 0).all() and (table.sum(axis=1) > 0).all()):
        raise ValueError("probabilities must be finite, non-negative, with a positive row sum.")
    baselines._check_integer(precision, "precision", 8, 24)
    total, symbols = 2 ** int(precision), table.shape[1]
    if symbols > total // 2:
        raise ValueError(f"{symbols} symbols need a precision above {precision} bits.")
    # One count each, then the rest in proportion; what rounding down leaves goes to the
    # largest remainders, so each row sums to the total exactly.
    shares = table / table.sum(axis=1, keepdims=True) * (total - symbols)
    counts = np.floor(shares).astype(np.int64) + 1
    for row, share in zip(counts, shares, strict=True):
        missing = total - int(row.sum())
        row[np.argsort(share - np.floor(share), kind="stable")[::-1][:missing]] += 1
    return counts


def model_identity(tables) -> bytes:
    """Four bytes that name an entropy model: a hash of its integer tables (see integer_tables)."""
    import hashlib

    tables = _check_tables(tables)
    digest = hashlib.sha256(np.ascontiguousarray(tables, dtype="<i8").tobytes())
    return digest.digest()[:4]


# A latent file: magic, version, model identity (4), grid height and width (2 + 2, so up to
# 65,535 latents a side), payload length (4), CRC-32 of everything else (4), then the payload:
# the range coder's 32-bit words, little-endian.
_MAGIC, _VERSION = b"AE", 1
_HEADER = "<2sB4sHHII"


def write_latents(latents, tables) -> bytes:
    """One image's integer latents (h, w, channels), each in [-tail, tail], as a file's bytes.

    ``tables`` are the (channels, 2 * tail + 1) counts of :func:`integer_tables`, one row per
    channel; the latents are range-coded channel by channel under them with ``constriction``.
    """
    import struct
    import zlib

    import constriction

    tables = _check_tables(tables)
    channels, tail = tables.shape[0], tables.shape[1] // 2
    latents = np.asarray(latents)
    if latents.ndim != 3 or latents.shape[-1] != channels:
        raise ValueError(f"latents must be (h, w, {channels}), got {latents.shape}.")
    if not np.issubdtype(latents.dtype, np.integer) and not np.array_equal(
        latents, np.round(latents)
    ):
        raise ValueError("latents must be integers; round them first.")
    if latents.size and np.abs(latents).max() > tail:
        raise ValueError(f"latents must lie in [-{tail}, {tail}]; clip them first.")
    if max(latents.shape[:2]) > 65535 or min(latents.shape[:2]) < 1:
        raise ValueError(f"latent grids are 1 to 65,535 a side, got {latents.shape[:2]}.")
    coder = constriction.stream.queue.RangeEncoder()
    for channel, model in enumerate(_coding_models(tables)):
        coder.encode((latents[..., channel].ravel() + tail).astype(np.int32), model)
    payload = coder.get_compressed().astype("<u4").tobytes()
    height, width = latents.shape[:2]
    identity = model_identity(tables)
    header = struct.pack(_HEADER, _MAGIC, _VERSION, identity, height, width, len(payload), 0)
    checksum = zlib.crc32(header[:-4] + payload)
    return header[:-4] + struct.pack("<I", checksum) + payload


def read_latents(data, tables) -> np.ndarray:
    """The (h, w, channels) int32 latents back from :func:`write_latents`'s bytes, exactly.

    ValueError, naming the problem, for bytes that are not such a file, were cut short or
    padded, are damaged (the checksum differs), or were written under another model's tables.
    """
    import struct
    import zlib

    import constriction

    tables = _check_tables(tables)
    channels, tail = tables.shape[0], tables.shape[1] // 2
    if not isinstance(data, bytes | bytearray | memoryview):
        raise ValueError(f"data must be bytes, not {type(data).__name__}.")
    data, size = bytes(data), struct.calcsize(_HEADER)
    if len(data) < size:
        raise ValueError(f"a latent file has a {size}-byte header; got {len(data)} bytes.")
    magic, version, identity, height, width, length, checksum = struct.unpack(_HEADER, data[:size])
    if magic != _MAGIC or version != _VERSION:
        raise ValueError("not a latent file of this codec (wrong magic bytes or version).")
    if len(data) - size != length:
        raise ValueError(
            f"the file is cut or padded: its header promises {length} payload bytes, "
            f"{len(data) - size} follow."
        )
    if zlib.crc32(data[: size - 4] + data[size:]) != checksum:
        raise ValueError("the file is damaged: its CRC-32 checksum does not match.")
    if identity != model_identity(tables):
        raise ValueError(
            f"the file was written under entropy model {identity.hex()}, not this decoder's "
            f"{model_identity(tables).hex()}: load the model it was written with."
        )
    if length % 4:
        raise ValueError(f"the payload must be whole 32-bit words, got {length} bytes.")
    decoder = constriction.stream.queue.RangeDecoder(np.frombuffer(data[size:], "<u4"))
    count = height * width
    values = [decoder.decode(model, count) - tail for model in _coding_models(tables)]
    return np.stack(values, axis=-1).reshape(height, width, channels).astype(np.int32)


def _check_tables(tables) -> np.ndarray:
    """(channels, 2 * tail + 1) integer counts, each row summing to one power of two."""
    tables = np.asarray(tables)
    if tables.ndim != 2 or tables.shape[1] < 3 or tables.shape[1] % 2 == 0:
        raise ValueError(f"tables must be (channels, 2 * tail + 1), got {tables.shape}.")
    if not np.issubdtype(tables.dtype, np.integer) or (tables < 1).any():
        raise ValueError("tables must be positive integers, as integer_tables makes them.")
    totals = np.unique(tables.sum(axis=1))
    if len(totals) != 1 or int(totals[0]) & (int(totals[0]) - 1):
        raise ValueError("each row of tables must sum to the same power of two.")
    return tables.astype(np.int64)


def _coding_models(tables):
    """One constriction Categorical per row of integer counts (exact dyadic probabilities)."""
    import constriction

    total = float(tables[0].sum())
    return [constriction.stream.model.Categorical(row / total, perfect=False) for row in tables]


def psnr_at(curve, bpp: float) -> float:
    """A curve's PSNR at ``bpp``, linear in log-rate between its points; NaN outside them.

    ``curve`` is a list of points with "bpp" and "PSNR", as :func:`rate_distortion_curve` makes.
    ValueError for a malformed curve (no points, a point without "bpp" or "PSNR", a rate that
    is not positive and finite, a PSNR that is not finite, two points at one rate) or a ``bpp``
    that is not positive and finite: an answer read off such a curve would be a wrong number.
    """
    rates, psnrs = curve_arrays(curve)
    if isinstance(bpp, bool) or not isinstance(bpp, int | float | np.number):
        raise ValueError(f"bpp must be a number, not {bpp!r}.")
    if not (np.isfinite(bpp) and bpp > 0):
        raise ValueError(f"bpp must be positive and finite, not {bpp!r}.")
    if not rates[0] <= bpp <= rates[-1]:
        return float("nan")
    return float(np.interp(np.log(bpp), np.log(rates), psnrs))


def curve_arrays(curve, rate: str = "bpp") -> tuple[np.ndarray, np.ndarray]:
    """A curve's rates (its points' ``rate`` key) and PSNRs as two float arrays, by rate."""
    _check_points(curve, rate)
    rates = np.array([float(point[rate]) for point in curve])
    psnrs = np.array([float(point["PSNR"]) for point in curve])
    order = np.argsort(rates, kind="stable")
    return rates[order], psnrs[order]


def lead_changes(curve, reference, samples: int = 400) -> tuple[bool, float, float, list[float]]:
    """Where ``curve`` has the higher PSNR than ``reference``, over the rates both cover.

    Returns whether it is ahead at the lowest common rate, that range's ends (bpp), and the
    rates at which the lead changes hands, found on ``samples`` log-spaced rates (so to within
    a 1/``samples`` share of the range). NaN ends and no changes when the ranges do not meet.
    """
    rates = [curve_arrays(points)[0] for points in (curve, reference)]
    low, high = max(r[0] for r in rates), min(r[-1] for r in rates)
    if not low < high:
        return False, float("nan"), float("nan"), []
    grid = np.geomspace(low, high, samples)
    ahead = np.array([psnr_at(curve, rate) > psnr_at(reference, rate) for rate in grid])
    changes = [float(grid[i]) for i in np.flatnonzero(ahead[1:] != ahead[:-1]) + 1]
    return bool(ahead[0]), float(low), float(high), changes


def bd_rate(rates, psnrs, reference_rates, reference_psnrs) -> float:
    """Bjontegaard delta rate: the mean rate change, in percent, against a reference curve.

    Each curve is its points' bits per pixel and PSNR (dB), at least two points with PSNR
    rising as the rate rises. Log-rate is interpolated against PSNR piecewise-cubically
    (PCHIP, as in current codec reports) and averaged over the PSNR range both curves cover;
    a negative result means the first curve needs that many percent fewer bits for the same
    quality. NaN where it is undefined: a curve whose PSNR does not rise with its rate, or two
    curves that share no PSNR range. ValueError for malformed arrays.
    """
    from scipy.interpolate import PchipInterpolator

    curves = []
    for name, rate, psnr in (
        ("rates/psnrs", rates, psnrs),
        ("reference_rates/reference_psnrs", reference_rates, reference_psnrs),
    ):
        rate, psnr = np.asarray(rate, dtype=np.float64), np.asarray(psnr, dtype=np.float64)
        if rate.ndim != 1 or rate.shape != psnr.shape or len(rate) < 2:
            raise ValueError(f"{name} must be two 1-d arrays of equal length >= 2.")
        if not (np.isfinite(rate).all() and np.isfinite(psnr).all() and (rate > 0).all()):
            raise ValueError(f"{name} must be finite, with positive rates.")
        order = np.argsort(rate)
        if not ((np.diff(psnr[order]) > 0).all() and (np.diff(rate[order]) > 0).all()):
            return float("nan")
        curves.append(PchipInterpolator(psnr[order], np.log(rate[order])))
    low = max(curve.x[0] for curve in curves)
    high = min(curve.x[-1] for curve in curves)
    if not low < high:
        return float("nan")
    mean_difference = (curves[0].integrate(low, high) - curves[1].integrate(low, high)) / (
        high - low
    )
    return float(100.0 * np.expm1(mean_difference))


def _check_points(curve, rate: str) -> None:
    """ValueError unless ``curve`` is a non-empty list of points, each with a positive, finite
    ``rate`` and a finite "PSNR", no two at one rate: a number read off it would be wrong."""
    if isinstance(curve, dict | str | bytes) or not hasattr(curve, "__len__") or not len(curve):
        raise ValueError(f"curve must be a non-empty list of points, not {curve!r:.80}.")
    seen = set()
    for index, point in enumerate(curve):
        if not isinstance(point, dict) or not {rate, "PSNR"} <= point.keys():
            raise ValueError(
                f"curve[{index}] must be a dict with {rate!r} and 'PSNR': {point!r:.80}"
            )
        try:
            value, psnr = float(point[rate]), float(point["PSNR"])
        except (TypeError, ValueError):
            raise ValueError(f"curve[{index}] holds a non-number: {point!r:.80}") from None
        if not (np.isfinite(value) and value > 0 and np.isfinite(psnr)):
            raise ValueError(
                f"curve[{index}] needs a positive, finite {rate!r} and a finite 'PSNR': "
                f"{point!r:.80}"
            )
        if value in seen:
            raise ValueError(f"curve has two points at {value:g} {rate}; one rate, one PSNR.")
        seen.add(value)
