"""Input and target pairs: the low-resolution images a super-resolution model learns to undo.

Resizing goes through Pillow, one channel at a time in 32-bit float mode, so the low-resolution
images are not rounded to 8 bits and Pillow's bicubic filter (which widens its support when it
shrinks an image, to avoid aliasing) is exactly the one the book's bicubic baseline uses.

Images are float arrays as in :mod:`aelib.metrics`: the photos :func:`super_resolution_pairs`
shrinks must lie in [0, 1]; :func:`resize` also takes a model's output, 0.5 outside [0, 1] at
most, and clips its result. Bad images or parameters raise a ValueError naming the argument.

>>> import numpy as np
>>> images = np.random.default_rng(0).random((4, 32, 32, 3)).astype("float32")
>>> low, upscaled = super_resolution_pairs(images, factor=2)
>>> low.shape, upscaled.shape
((4, 16, 16, 3), (4, 32, 32, 3))
"""

from __future__ import annotations

import numbers

import numpy as np

from aelib.baselines import _check_images, _check_integer
from aelib.metrics import ESTIMATE_TOLERANCE

__all__ = ["MAX_SIDE", "RESIZE_METHODS", "resize", "super_resolution_pairs"]

RESIZE_METHODS = ("nearest", "bilinear", "bicubic")
MAX_SIDE = 8192  # Pixels; far beyond this book's images, and small enough to fit in memory.


def resize(images, height: int, width: int, method: str = "bicubic") -> np.ndarray:
    """Resize (n, h, w, channels) float images to (n, height, width, channels), in [0, 1].

    ``images`` lie in [0, 1] give or take 0.5 (a model's output); ``height`` and ``width`` are
    integers from 1 to :data:`MAX_SIDE`; ``method`` is ``nearest``, ``bilinear`` or
    ``bicubic`` (Pillow's filters). Bicubic overshoots at sharp edges, so the result is clipped
    back to [0, 1].
    """
    from PIL import Image

    images = _check_images(images, tolerance=ESTIMATE_TOLERANCE)
    if not isinstance(method, str) or method not in RESIZE_METHODS:
        raise ValueError(f"method must be one of {RESIZE_METHODS}, not {method!r}.")
    _check_integer(height, "height", 1, MAX_SIDE)
    _check_integer(width, "width", 1, MAX_SIDE)
    height, width = int(height), int(width)
    resample = {
        "nearest": Image.Resampling.NEAREST,
        "bilinear": Image.Resampling.BILINEAR,
        "bicubic": Image.Resampling.BICUBIC,
    }[method]
    resized = np.empty((len(images), height, width, images.shape[-1]), dtype=np.float32)
    for index, image in enumerate(images):
        for channel in range(images.shape[-1]):
            # Mode "F" keeps 32-bit floats, so nothing is quantized on the way down.
            plane = Image.fromarray(np.ascontiguousarray(image[:, :, channel]), mode="F")
            resized[index, :, :, channel] = np.asarray(plane.resize((width, height), resample))
    return np.clip(resized, 0.0, 1.0)


def super_resolution_pairs(images, factor: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """Shrink (n, h, w, c) images by ``factor`` with bicubic; return (low, low upscaled back).

    ``images`` are floats in [0, 1], their sides divisible by ``factor``, an integer of at
    least 2. ``low`` is (n, h / factor, w / factor, c), the input of a post-upsampling model;
    the bicubic upscaled copy is (n, h, w, c), the input of a pre-upsampling model and the
    classical baseline. The original images are the targets. Values stay in [0, 1].
    """
    images = _check_images(images)
    if (
        isinstance(factor, bool | np.bool_)
        or not isinstance(factor, numbers.Integral)
        or factor < 2
    ):
        raise ValueError(f"factor must be an integer of at least 2, not {factor!r}.")
    factor = int(factor)
    height, width = images.shape[1:3]
    if height % factor or width % factor:
        raise ValueError(
            f"images of {height}x{width} pixels are not divisible by the factor {factor}; "
            "crop the images first."
        )
    low = resize(images, height // factor, width // factor, "bicubic")
    return low, resize(low, height, width, "bicubic")
