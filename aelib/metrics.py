"""Image-quality metrics computed per image, then averaged, the way the book reports them.

All functions take two arrays of the same shape, ``(n, height, width, channels)`` (or
``(n, features)`` for MSE and BCE), with values in [0, 1] (``data_range = 1``).

PSNR is computed per image and capped at :data:`PSNR_CAP_DB` (60 dB) before averaging: an image
reproduced exactly (or a near-blank one) would otherwise have an infinite or enormous PSNR and
dominate the mean. :func:`pooled_psnr` gives the other common definition, the PSNR of the mean
squared error over the whole set, which lets the hardest images weigh most and is the fairer
headline where many images are near-constant.

>>> import numpy as np
>>> clean = np.full((2, 4, 4, 1), 0.5, dtype=np.float32)
>>> round(psnr(clean, clean + 0.1), 1)
20.0
"""

from __future__ import annotations

import numpy as np

__all__ = ["PSNR_CAP_DB", "bce", "mse", "pooled_psnr", "psnr", "psnr_per_image", "ssim"]

PSNR_CAP_DB = 60.0
_EPSILON = 1e-7


def mse(reference, estimate) -> float:
    """Mean squared error over every value of two equally shaped arrays in [0, 1]."""
    reference, estimate = _check_pair(reference, estimate, min_ndim=2)
    return float(np.mean((reference - estimate) ** 2))


def bce(reference, estimate) -> float:
    """Binary cross-entropy per value (Keras's mean), targets ``reference`` in [0, 1]."""
    reference, estimate = _check_pair(reference, estimate, min_ndim=2)
    estimate = np.clip(estimate, _EPSILON, 1.0 - _EPSILON)
    values = reference * np.log(estimate) + (1.0 - reference) * np.log(1.0 - estimate)
    return float(-np.mean(values))


def psnr_per_image(reference, estimate) -> np.ndarray:
    """PSNR in dB of each image, capped at 60 dB; returns shape (n,)."""
    reference, estimate = _check_pair(reference, estimate, min_ndim=2)
    errors = np.mean((reference - estimate) ** 2, axis=tuple(range(1, reference.ndim)))
    with np.errstate(divide="ignore"):
        values = 10.0 * np.log10(1.0 / errors)
    return np.minimum(values, PSNR_CAP_DB)


def psnr(reference, estimate) -> float:
    """Mean over images of the per-image PSNR in dB (each capped at 60 dB), data_range 1."""
    return float(np.mean(psnr_per_image(reference, estimate)))


def pooled_psnr(reference, estimate) -> float:
    """PSNR in dB of the mean squared error over the whole set (no per-image cap needed)."""
    error = mse(reference, estimate)
    return PSNR_CAP_DB if error == 0 else float(min(10.0 * np.log10(1.0 / error), PSNR_CAP_DB))


def ssim(reference, estimate) -> float:
    """Mean over images of the structural similarity (scikit-image, data_range 1, 7x7 window)."""
    from skimage.metrics import structural_similarity

    reference, estimate = _check_pair(reference, estimate, min_ndim=4)
    if min(reference.shape[1:3]) < 7:
        raise ValueError(f"SSIM needs images of at least 7x7 pixels, got {reference.shape[1:3]}.")
    values = [
        structural_similarity(ref, est, data_range=1.0, channel_axis=-1)
        for ref, est in zip(reference, estimate, strict=True)
    ]
    return float(np.mean(values))


def _check_pair(reference, estimate, min_ndim: int) -> tuple[np.ndarray, np.ndarray]:
    """Convert to float64 and raise ValueError on mismatched shapes, empty or bad arrays."""
    reference = np.asarray(reference, dtype=np.float64)
    estimate = np.asarray(estimate, dtype=np.float64)
    if reference.shape != estimate.shape:
        raise ValueError(
            f"Shapes differ: reference {reference.shape} vs estimate {estimate.shape}."
        )
    if reference.ndim < min_ndim:
        raise ValueError(
            f"Expected a batch with at least {min_ndim} axes (n, ...), got shape {reference.shape}."
        )
    if reference.size == 0:
        raise ValueError("Cannot compute a metric on an empty batch.")
    if not (np.all(np.isfinite(reference)) and np.all(np.isfinite(estimate))):
        raise ValueError("Images contain NaN or infinite values.")
    return reference, estimate
