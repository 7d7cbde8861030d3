"""Image-quality metrics computed per image, then averaged, the way the book reports them.

All functions take two arrays of the same shape, ``(n, height, width, channels)`` (or
``(n, features)`` for MSE, BCE and PSNR), float images with ``data_range = 1``:

- ``reference``, the ground truth, must lie in [0, 1] (float rounding of 1e-6 is tolerated);
- ``estimate``, often a model's linear output, may stray :data:`ESTIMATE_TOLERANCE` (0.5)
  outside [0, 1] and is scored as it is (clip it first to score the clipped image); BCE alone
  needs its estimate in [0, 1], as a probability.

Integer or boolean arrays, 0-255 pixels, NaN or infinite values, mismatched shapes, empty
arrays and the wrong number of axes raise a ValueError that names the argument: a metric on
such input would be a wrong number, not a bad score.

PSNR is computed per image and capped at :data:`PSNR_CAP_DB` (60 dB) before averaging: an image
reproduced exactly (or a near-blank one) would otherwise have an infinite or enormous PSNR and
dominate the mean. :func:`pooled_psnr` gives the other common definition, the PSNR of the mean
squared error over the whole set, which lets the hardest images weigh most and is the fairer
headline where many images are near-constant.

>>> import numpy as np
>>> clean = np.full((2, 4, 4, 1), 0.5, dtype=np.float32)
>>> round(psnr(clean, clean + 0.1), 1)
20.0
>>> psnr(clean, clean)
60.0
>>> psnr(np.full((2, 4, 4, 1), 128, dtype=np.uint8), clean)
Traceback (most recent call last):
...
ValueError: reference has dtype uint8; expected float images in [0, 1]: divide by 255.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "ESTIMATE_TOLERANCE",
    "PSNR_CAP_DB",
    "bce",
    "frechet_distance",
    "mse",
    "pooled_psnr",
    "psnr",
    "psnr_per_image",
    "psnr_y",
    "ssim",
]

PSNR_CAP_DB = 60.0
ESTIMATE_TOLERANCE = 0.5
_ROUNDING = 1e-6
_EPSILON = 1e-7
_SSIM_WINDOW = 7


def mse(reference, estimate) -> float:
    """Mean squared error over every value of two equally shaped (n, ...) arrays; >= 0."""
    reference, estimate = _check_pair(reference, estimate, min_ndim=2)
    return float(np.mean((reference - estimate) ** 2))


def bce(reference, estimate) -> float:
    """Binary cross-entropy per value (Keras's mean), >= 0; both (n, ...) arrays in [0, 1].

    ``reference`` holds the targets, ``estimate`` the predicted probabilities, clipped to
    [1e-7, 1 - 1e-7] as Keras does so that a confident 0 or 1 costs a finite amount.
    """
    reference, estimate = _check_pair(reference, estimate, min_ndim=2, tolerance=_ROUNDING)
    estimate = np.clip(estimate, _EPSILON, 1.0 - _EPSILON)
    values = reference * np.log(estimate) + (1.0 - reference) * np.log(1.0 - estimate)
    return float(-np.mean(values))


def psnr_per_image(reference, estimate) -> np.ndarray:
    """PSNR in dB of each of n images (n, ...), data range 1, capped at 60 dB; shape (n,)."""
    reference, estimate = _check_pair(reference, estimate, min_ndim=2)
    errors = np.mean((reference - estimate) ** 2, axis=tuple(range(1, reference.ndim)))
    with np.errstate(divide="ignore"):
        values = 10.0 * np.log10(1.0 / errors)
    return np.minimum(values, PSNR_CAP_DB)


def psnr(reference, estimate) -> float:
    """Mean over images of the per-image PSNR in dB (each capped at 60 dB), data range 1."""
    return float(np.mean(psnr_per_image(reference, estimate)))


def pooled_psnr(reference, estimate) -> float:
    """PSNR in dB of the mean squared error over the whole set, capped at 60 dB, data range 1."""
    error = mse(reference, estimate)
    return PSNR_CAP_DB if error == 0 else float(min(10.0 * np.log10(1.0 / error), PSNR_CAP_DB))


def psnr_y(reference, estimate, shave: int = 0) -> float:
    """Mean PSNR in dB on the luma of (n, h, w, 3) RGB images, ``shave`` border pixels cut.

    The super-resolution literature's convention (SRCNN, EDSR and their tables): ITU-R BT.601
    luma as MATLAB's ``rgb2ycbcr`` computes it, ``Y = 16 + 65.481 R + 128.553 G + 24.966 B``
    in [16, 235] for RGB in [0, 1], PSNR against a peak of 255, each image capped at 60 dB, and
    ``shave`` rows and columns removed at every edge (usually the scale factor) first.

    >>> import numpy as np
    >>> white = np.ones((1, 8, 8, 3))
    >>> round(psnr_y(white, white * 0.9, shave=2), 2)  # Y falls by 21.9 of 255.
    21.32
    """
    reference, estimate = _check_pair(reference, estimate, ndim=4)
    if reference.shape[-1] != 3:
        raise ValueError(f"psnr_y needs RGB images (3 channels), got shape {reference.shape}.")
    if isinstance(shave, bool) or not isinstance(shave, int | np.integer) or shave < 0:
        raise ValueError(f"shave must be a non-negative integer, not {shave!r}.")
    if 2 * shave >= min(reference.shape[1:3]):
        raise ValueError(
            f"shave={shave} leaves no pixel of {reference.shape[1]}x{reference.shape[2]} images."
        )
    weights = np.array([65.481, 128.553, 24.966])
    inner = (slice(None), slice(shave, reference.shape[1] - shave))
    inner += (slice(shave, reference.shape[2] - shave),)
    # Luma over 255 is PSNR's data range 1, so psnr_per_image measures it and applies the cap.
    reference_luma = (16.0 + reference[inner] @ weights) / 255.0
    estimate_luma = (16.0 + estimate[inner] @ weights) / 255.0
    return float(np.mean(psnr_per_image(reference_luma, estimate_luma)))


def ssim(reference, estimate) -> float:
    """Mean structural similarity in [-1, 1] of (n, h, w, c) images, h and w >= 7 (skimage).

    scikit-image's ``structural_similarity`` with data range 1 and a 7x7 window, per image.
    """
    from skimage.metrics import structural_similarity

    reference, estimate = _check_pair(reference, estimate, ndim=4)
    if min(reference.shape[1:3]) < _SSIM_WINDOW:
        raise ValueError(
            f"SSIM needs images of at least 7x7 pixels, got reference and estimate of "
            f"{reference.shape[1]}x{reference.shape[2]}."
        )
    values = [
        structural_similarity(ref, est, data_range=1.0, channel_axis=-1, win_size=_SSIM_WINDOW)
        for ref, est in zip(reference, estimate, strict=True)
    ]
    return float(np.mean(values))


def frechet_distance(features, reference_features) -> float:
    """Fréchet distance between Gaussians fitted to two sets of features, (n, d) and (m, d); >= 0.

    ``|mu_1 - mu_2|^2 + Tr(S_1 + S_2 - 2 (S_1 S_2)^(1/2))``, the FID of Heusel et al. (2017)
    when the features are an Inception network's; any fixed network's features will do. Both
    sets need at least two rows and the same number of columns. A ridge of 1e-6 on each
    covariance keeps the square root defined when a feature never varies, as FID code does.

    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> features = rng.standard_normal((2000, 3))
    >>> round(frechet_distance(features + [2.0, 0.0, 0.0], features), 3)
    4.0
    """
    from scipy import linalg

    found = _as_features(features, "features")
    reference = _as_features(reference_features, "reference_features")
    if found.shape[1] != reference.shape[1]:
        raise ValueError(
            f"features have {found.shape[1]} columns, reference_features {reference.shape[1]}."
        )
    ridge = 1e-6 * np.eye(found.shape[1])
    first = np.atleast_2d(np.cov(found, rowvar=False)) + ridge
    second = np.atleast_2d(np.cov(reference, rowvar=False)) + ridge
    root = linalg.sqrtm(first @ second).real
    mean_gap = np.sum(np.square(found.mean(axis=0) - reference.mean(axis=0)))
    return float(max(mean_gap + np.trace(first + second - 2.0 * root), 0.0))


def _as_features(value, name: str) -> np.ndarray:
    """``value`` as a finite float64 (n, d) array with n >= 2, or ValueError naming ``name``."""
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{name} is not a numeric array: {error}") from None
    if array.ndim != 2 or array.shape[0] < 2 or array.shape[1] < 1:
        raise ValueError(f"{name} must be shaped (n, d) with n >= 2, got shape {array.shape}.")
    if not np.isfinite(array).all():
        raise ValueError(f"{name} contains NaN or infinite values.")
    return array


def _check_pair(
    reference, estimate, *, ndim=None, min_ndim=None, tolerance=ESTIMATE_TOLERANCE
) -> tuple[np.ndarray, np.ndarray]:
    """Both as float64 after the module's checks; ``estimate`` may stray ``tolerance``."""
    reference = _as_images(reference, "reference", ndim=ndim, min_ndim=min_ndim)
    estimate = _as_images(estimate, "estimate", ndim=ndim, min_ndim=min_ndim, tolerance=tolerance)
    if reference.shape != estimate.shape:
        raise ValueError(
            f"Shapes differ: reference {reference.shape} vs estimate {estimate.shape}."
        )
    return reference, estimate


def _as_images(
    value,
    name: str,
    *,
    ndim: int | None = None,
    min_ndim: int | None = None,
    tolerance: float = _ROUNDING,
    dtype=np.float64,
) -> np.ndarray:
    """``value`` as a ``dtype`` array, or ValueError naming ``name``: float, finite, in range.

    The range is [0, 1] widened by ``tolerance`` on each side; ``ndim`` asks for exactly that
    many axes, ``min_ndim`` for at least that many; ``dtype=None`` keeps the float type.
    """
    try:
        array = np.asarray(value)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{name} is not a numeric array: {error}") from None
    if array.dtype.kind in "iub":
        advice = (
            "divide by 255"
            if array.dtype.kind != "b" and array.size and array.max() > 1
            else "convert with .astype('float32')"
        )
        raise ValueError(
            f"{name} has dtype {array.dtype}; expected float images in [0, 1]: {advice}."
        )
    if array.dtype.kind != "f":
        raise ValueError(f"{name} has dtype {array.dtype}; expected float images in [0, 1].")
    if ndim is not None and array.ndim != ndim:
        axes = "(n, height, width, channels)" if ndim == 4 else f"{ndim} axes"
        raise ValueError(f"{name} must be shaped {axes}, got shape {array.shape}.")
    if min_ndim is not None and array.ndim < min_ndim:
        raise ValueError(
            f"{name} must be a batch with at least {min_ndim} axes (n, ...), "
            f"got shape {array.shape}."
        )
    if array.size == 0:
        raise ValueError(f"{name} is empty (shape {array.shape}).")
    finite = np.isfinite(array)
    if not finite.all():
        raise ValueError(
            f"{name} contains {array.size - int(finite.sum())} NaN or infinite values."
        )
    low, high = float(array.min()), float(array.max())
    if low < -tolerance or high > 1.0 + tolerance:
        allowed = "[0, 1]" if tolerance <= _ROUNDING else f"[0, 1] give or take {tolerance:g}"
        if high > 2.0:
            advice = "; 0-255 pixels must be divided by 255"
        elif low < -0.5:
            advice = "; images scaled to [-1, 1] map back with (x + 1) / 2"
        else:
            advice = "; clip it to [0, 1] first"
        raise ValueError(
            f"{name} has values in [{low:.4g}, {high:.4g}]; expected {allowed}{advice}."
        )
    return array if dtype is None else array.astype(dtype, copy=False)
