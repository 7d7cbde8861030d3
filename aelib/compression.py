"""Rate-distortion plumbing for the compression recipe: WebP at real bytes, and the BD-rate.

Recipe 09 (compression) teaches the learned codec itself; this module holds what any codec
comparison needs: JPEG and WebP round trips that count the bytes a decoder reads, their
rate-distortion curves, and the Bjontegaard delta rate that sums up two curves in one number.

>>> import numpy as np
>>> images = np.random.default_rng(0).random((2, 32, 32, 3)).astype("float32")
>>> decoded, stream_bytes = webp_round_trip(images, quality=50)
>>> decoded.shape, decoded.dtype.name, bool((stream_bytes > 10).all())
((2, 32, 32, 3), 'float32', True)
>>> [sorted(point) for point in rate_distortion_curve(images, "JPEG", [10, 90])]
[['PSNR', 'bpp', 'quality'], ['PSNR', 'bpp', 'quality']]
>>> rates, psnrs = np.array([0.25, 0.5, 1.0, 2.0]), np.array([20.0, 23.0, 26.0, 29.0])
>>> round(bd_rate(rates / 2, psnrs, rates, psnrs), 6)
-50.0
"""

from __future__ import annotations

import numpy as np

from aelib import baselines, metrics

__all__ = [
    "CODECS",
    "bd_rate",
    "psnr_at",
    "rate_distortion_curve",
    "round_trip",
    "webp_round_trip",
]

CODECS = ("JPEG", "WebP")
"""The classical codecs :func:`round_trip` runs, by the names the recipes print."""

# A lossy WebP file is a RIFF container ("RIFF", size, "WEBP") around one "VP8 " chunk
# (name, size, payload): 20 bytes that only frame the VP8 bitstream.
_WEBP_CONTAINER_BYTES = 20
_WEBP_MAX_SIDE = 16383  # VP8 stores each side in 14 bits.


def webp_round_trip(images, quality: int) -> tuple[np.ndarray, np.ndarray]:
    """Save each (n, h, w, 3) RGB image in [0, 1] as lossy WebP with Pillow, and read it back.

    Returns the decoded images (same shape, float32 in [0, 1]) and each image's VP8 bitstream
    size in bytes: the file less its 20-byte RIFF container, which holds nothing but the file's
    type and length. The bitstream keeps its own frame header (image size, coding modes).
    ``quality`` is Pillow's 0 (smallest) to 100; other settings are Pillow's defaults.
    """
    import io

    from PIL import Image

    shape = np.shape(images)
    if len(shape) != 4 or shape[-1] != 3:
        raise ValueError(f"WebP needs RGB images shaped (n, h, w, 3), got {shape}.")
    # The checks JPEG's round trip makes: float, finite, in [0, 1] (0-255 pixels are refused).
    images = baselines._check_images(images)
    if max(images.shape[1:3]) > _WEBP_MAX_SIDE:
        raise ValueError(
            f"WebP images are at most {_WEBP_MAX_SIDE} pixels a side, got images shaped "
            f"{images.shape}."
        )
    baselines._check_integer(quality, "quality", 0, 100)
    quality = int(quality)
    pixels = np.round(np.clip(images, 0.0, 1.0) * 255).astype(np.uint8)
    decoded = np.empty_like(images)
    stream_bytes = np.empty(len(images), dtype=np.int64)
    for index, image in enumerate(pixels):
        buffer = io.BytesIO()
        Image.fromarray(image).save(buffer, format="WEBP", quality=quality)
        encoded = buffer.getvalue()
        if encoded[12:16] != b"VP8 ":
            raise ValueError(f"Pillow wrote a {encoded[12:16]!r} chunk, not a simple lossy WebP.")
        stream_bytes[index] = int.from_bytes(encoded[16:20], "little")
        with Image.open(io.BytesIO(encoded)) as reader:
            decoded[index] = np.asarray(reader.convert("RGB"), dtype=np.float32) / 255.0
    return decoded, stream_bytes


def round_trip(images, codec: str, quality: int) -> tuple[np.ndarray, np.ndarray]:
    """Compress (n, h, w, 3) images in [0, 1] with ``codec`` ("JPEG" or "WebP") and decode them.

    Returns the decoded images (same shape, float32 in [0, 1]) and each image's stream bytes:
    for JPEG the scan data alone (its header of tables, the same for every image of one size
    and quality, is taken as shared), for WebP the VP8 bitstream (see :func:`webp_round_trip`).
    """
    if codec == "JPEG":
        decoded, file_bytes, header_bytes = baselines.jpeg_round_trip(images, quality)
        return decoded, file_bytes - header_bytes
    if codec == "WebP":
        return webp_round_trip(images, quality)
    raise ValueError(f"codec must be one of {CODECS}, not {codec!r}.")


def rate_distortion_curve(images, codec: str, qualities) -> list[dict[str, float]]:
    """One point per quality: ``{"quality", "bpp", "PSNR"}``, the mean rate and mean PSNR (dB).

    ``bpp`` is 8 x the mean stream bytes of :func:`round_trip` over the pixel count (h x w).
    """
    images = np.asarray(images, dtype=np.float32)
    pixels = images.shape[1] * images.shape[2] if images.ndim == 4 else 0
    points = []
    for quality in qualities:
        decoded, stream_bytes = round_trip(images, codec, quality)
        bpp = 8 * float(stream_bytes.mean()) / pixels
        points.append({"quality": quality, "bpp": bpp, "PSNR": metrics.psnr(images, decoded)})
    return points


def psnr_at(curve, bpp: float) -> float:
    """A curve's PSNR at ``bpp``, linear in log-rate between its points; NaN outside them.

    ``curve`` is a list of points with "bpp" and "PSNR", as :func:`rate_distortion_curve` makes.
    ValueError for a malformed curve (no points, a point without "bpp" or "PSNR", a rate that
    is not positive and finite, a PSNR that is not finite, two points at one rate) or a ``bpp``
    that is not positive and finite: an answer read off such a curve would be a wrong number.
    """
    if isinstance(curve, dict | str | bytes) or not hasattr(curve, "__len__") or not len(curve):
        raise ValueError(f"curve must be a non-empty list of points, not {curve!r:.80}.")
    rates, psnrs = [], []
    for index, point in enumerate(curve):
        if not isinstance(point, dict) or not {"bpp", "PSNR"} <= point.keys():
            raise ValueError(f"curve[{index}] must be a dict with 'bpp' and 'PSNR': {point!r:.80}")
        try:
            rate, psnr = float(point["bpp"]), float(point["PSNR"])
        except (TypeError, ValueError):
            raise ValueError(f"curve[{index}] holds a non-number: {point!r:.80}") from None
        if not (np.isfinite(rate) and rate > 0 and np.isfinite(psnr)):
            raise ValueError(
                f"curve[{index}] needs a positive, finite 'bpp' and a finite 'PSNR': {point!r:.80}"
            )
        rates.append(rate)
        psnrs.append(psnr)
    rates, psnrs = np.array(rates), np.array(psnrs)
    order = np.argsort(rates, kind="stable")
    rates, psnrs = rates[order], psnrs[order]
    if (np.diff(rates) == 0).any():
        twice = rates[1:][np.diff(rates) == 0][0]
        raise ValueError(f"curve has two points at {twice:g} bpp; one rate, one PSNR.")
    if isinstance(bpp, bool) or not isinstance(bpp, int | float | np.number):
        raise ValueError(f"bpp must be a number, not {bpp!r}.")
    if not (np.isfinite(bpp) and bpp > 0):
        raise ValueError(f"bpp must be positive and finite, not {bpp!r}.")
    if not rates[0] <= bpp <= rates[-1]:
        return float("nan")
    return float(np.interp(np.log(bpp), np.log(rates), psnrs))


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
