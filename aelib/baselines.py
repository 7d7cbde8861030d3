"""Classical baselines the recipes compare their autoencoders against.

Images are float arrays with the ranges of :mod:`aelib.metrics`: data (PCA's ``x_train`` and
``x_test``, JPEG's input) must lie in [0, 1]; the filters' input, often noisy, may stray 0.5
outside it. Bad images or parameters raise a ValueError that names the argument.

>>> import numpy as np
>>> images = np.random.default_rng(0).random((50, 8, 8, 1)).astype("float32")
>>> pca_reconstruction(images, images, n_components=4).shape
(50, 8, 8, 1)
>>> decoded, file_bytes, header_bytes = jpeg_round_trip(images[:2], quality=75)
>>> decoded.shape, bool((file_bytes > header_bytes).all())
((2, 8, 8, 1), True)
"""

from __future__ import annotations

import dataclasses
import numbers

import numpy as np

from aelib.metrics import _ROUNDING, ESTIMATE_TOLERANCE, _as_images

__all__ = [
    "BernoulliMixture",
    "bernoulli_mixture",
    "gaussian_filter",
    "jpeg_round_trip",
    "median_filter",
    "pca_reconstruction",
]

_JPEG_MAX_SIDE = 65_500
_NEGLIGIBLE_VARIANCE = 1e-10  # Relative to the largest; float32 round-off stays far below.


def pca_reconstruction(x_train, x_test, n_components: int, seed: int = 0) -> np.ndarray:
    """Fit PCA with ``n_components`` on ``x_train``; return ``x_test`` projected and reconstructed.

    Inputs are (n, ...) float arrays in [0, 1] with the same shape after the first axis;
    ``n_components`` is at most the number of training images and of values per image;
    components that explain no variance of ``x_train`` are dropped. The result has ``x_test``'s
    shape, float32 clipped to [0, 1] (an autoencoder with a sigmoid output cannot leave that
    range either).
    """
    from sklearn.decomposition import PCA

    # The arrays keep their float type: scikit-learn fits float32 data in float32.
    x_train = _as_images(x_train, "x_train", min_ndim=2, dtype=None)
    x_test = _as_images(x_test, "x_test", min_ndim=2, dtype=None)
    if x_train.shape[1:] != x_test.shape[1:]:
        raise ValueError(
            f"x_train {x_train.shape} and x_test {x_test.shape} need the same image shape."
        )
    features = int(np.prod(x_train.shape[1:]))
    _check_integer(n_components, "n_components", 1, min(len(x_train), features))
    _check_integer(seed, "seed", 0, 2**32 - 1)
    pca = PCA(n_components=int(n_components), svd_solver="randomized", random_state=int(seed))
    # Constant or single-image training data has no variance to explain; scikit-learn's
    # explained-variance ratio is then 0 / 0, which the reconstruction does not use.
    with np.errstate(divide="ignore", invalid="ignore"):
        pca.fit(x_train.reshape(len(x_train), features))
    codes = pca.transform(x_test.reshape(len(x_test), features))
    # A component that explains no variance of x_train (constant images, or as many components
    # as images) is an arbitrary direction; projecting x_test on it would add noise, so its
    # codes are dropped.
    variances = pca.explained_variance_
    codes[:, variances <= _NEGLIGIBLE_VARIANCE * variances.max()] = 0.0
    reconstruction = pca.inverse_transform(codes).reshape(x_test.shape)
    return np.clip(reconstruction, 0.0, 1.0).astype(np.float32)


@dataclasses.dataclass(frozen=True)
class BernoulliMixture:
    """A mixture of independent-pixel Bernoulli distributions: weights (k,), means (k, pixels)."""

    weights: np.ndarray
    means: np.ndarray

    def negative_log_likelihood(self, images) -> np.ndarray:
        """-log p(x) in nats of each binary (n, ...) image with the mixture's pixel count: (n,)."""
        from scipy.special import logsumexp

        pixels = _binary_pixels(images, "images")
        if pixels.shape[1] != self.means.shape[1]:
            raise ValueError(
                f"images have {pixels.shape[1]} pixels each; the mixture was fitted on "
                f"{self.means.shape[1]}."
            )
        return -logsumexp(_log_joint(pixels, self.weights, self.means), axis=1)


def bernoulli_mixture(
    images, components: int, iterations: int = 50, seed: int = 0
) -> BernoulliMixture:
    """Fit a mixture of ``components`` Bernoulli distributions to binary (n, ...) images by EM.

    The classical density model of binary images: each component is one independent Bernoulli
    probability per pixel. Each M-step adds one pseudo-count of ink and one of blank to every
    pixel of every component (a Beta(2, 2) prior), so no probability reaches 0 or 1 and an
    unseen pixel value costs finitely many nats.
    """
    from scipy.special import logsumexp

    pixels = _binary_pixels(images, "images")
    _check_integer(components, "components", 1, len(pixels))
    _check_integer(iterations, "iterations", 1, 10_000)
    _check_integer(seed, "seed", 0, 2**32 - 1)
    rng = np.random.default_rng(seed)
    # Start each component at a random training image, pulled halfway to the mean image.
    starts = pixels[rng.choice(len(pixels), size=components, replace=False)]
    means = 0.5 * starts + 0.5 * pixels.mean(axis=0)
    means = np.clip(means, 0.05, 0.95).astype(np.float32)
    weights = np.full(components, 1.0 / components, dtype=np.float32)
    for _ in range(iterations):
        log_joint = _log_joint(pixels, weights, means)
        responsibilities = np.exp(log_joint - logsumexp(log_joint, axis=1, keepdims=True))
        counts = responsibilities.sum(axis=0)
        weights = (counts + 1e-12) / (counts.sum() + components * 1e-12)
        means = ((responsibilities.T @ pixels + 1.0) / (counts[:, None] + 2.0)).astype(np.float32)
    return BernoulliMixture(weights=weights, means=means)


def _log_joint(pixels: np.ndarray, weights: np.ndarray, means: np.ndarray) -> np.ndarray:
    """log(weight_k) + log p(x | component k) for each image and component: (n, k)."""
    return np.log(weights) + pixels @ np.log(means).T + (1.0 - pixels) @ np.log1p(-means).T


def _binary_pixels(images, name: str) -> np.ndarray:
    """(n, ...) images of 0s and 1s as an (n, pixels) float32 array, or ValueError naming them."""
    # float32 halves the time of EM's matrix products; a sum over a few thousand pixels of
    # log-probabilities stays within 1e-4 nats of float64.
    pixels = _as_images(images, name, min_ndim=2, dtype=np.float32)
    if not np.isin(pixels, (0.0, 1.0)).all():
        raise ValueError(f"{name} must hold only 0s and 1s (binarize the images first).")
    return pixels.reshape(len(pixels), -1)


def median_filter(images, size: int = 3) -> np.ndarray:
    """Filter each image of (n, height, width, channels) with a ``size`` x ``size`` median.

    ``images`` are floats in [0, 1] give or take 0.5 (noisy pixels); ``size`` is from 1 to the
    larger image side. Each channel of each image is filtered on its own; the result is
    float32 in the input's range.
    """
    from scipy import ndimage

    images = _check_images(images, tolerance=ESTIMATE_TOLERANCE)
    _check_integer(size, "size", 1, max(images.shape[1:3]))
    size = int(size)
    return ndimage.median_filter(images, size=(1, size, size, 1), mode="reflect")


def gaussian_filter(images, sigma: float = 1.0) -> np.ndarray:
    """Blur each image of (n, height, width, channels) with a Gaussian of ``sigma`` pixels.

    ``images`` are floats in [0, 1] give or take 0.5 (noisy pixels); ``sigma`` is positive and
    at most the larger image side (wider blurs leave only the mean, at a cost that grows with
    ``sigma``). The result is float32 in the input's range.
    """
    from scipy import ndimage

    images = _check_images(images, tolerance=ESTIMATE_TOLERANCE)
    largest = max(images.shape[1:3])
    if (
        isinstance(sigma, bool | np.bool_)
        or not isinstance(sigma, numbers.Real)
        or not 0 < sigma <= largest
    ):
        raise ValueError(
            f"sigma must be a number of pixels above 0 and at most {largest} (the larger image "
            f"side), not {sigma!r}."
        )
    sigma = float(sigma)
    return ndimage.gaussian_filter(images, sigma=(0, sigma, sigma, 0), mode="reflect")


def jpeg_round_trip(images, quality: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Save each (n, h, w, 1 or 3) float image in [0, 1] as a JPEG file with Pillow; read it back.

    ``quality`` is an integer from 1 to 95 (Pillow's advice: above 95 the file grows for
    almost no gain). Sides are at most 65,500 pixels, JPEG's limit.

    Returns the decoded images (same shape, float32 in [0, 1]), each file's size in bytes, and
    each file's header size: every byte before the compressed scan (markers, quantization and
    Huffman tables), which is the same for all images of one size and quality. Pillow's defaults
    apply otherwise: baseline JPEG, standard Huffman tables, 4:2:0 chroma subsampling for colour.
    """
    import io

    from PIL import Image

    images = _check_images(images)
    if images.shape[-1] not in (1, 3):
        raise ValueError(f"JPEG needs 1 or 3 channels, got images shaped {images.shape}.")
    if max(images.shape[1:3]) > _JPEG_MAX_SIDE:
        raise ValueError(
            f"JPEG images are at most {_JPEG_MAX_SIDE} pixels a side, got images shaped "
            f"{images.shape}."
        )
    _check_integer(quality, "quality", 1, 95)
    quality = int(quality)
    pixels = np.round(np.clip(images, 0.0, 1.0) * 255).astype(np.uint8)
    decoded = np.empty_like(images)
    file_bytes = np.empty(len(images), dtype=np.int64)
    header_bytes = np.empty(len(images), dtype=np.int64)
    for index, image in enumerate(pixels):
        buffer = io.BytesIO()
        Image.fromarray(image[..., 0] if image.shape[-1] == 1 else image).save(
            buffer, format="JPEG", quality=quality
        )
        encoded = buffer.getvalue()
        file_bytes[index], header_bytes[index] = len(encoded), _jpeg_header_size(encoded)
        with Image.open(io.BytesIO(encoded)) as reader:
            array = np.asarray(reader, dtype=np.float32) / 255.0
        decoded[index] = array.reshape(image.shape)
    return decoded, file_bytes, header_bytes


def _jpeg_header_size(encoded: bytes) -> int:
    """Bytes up to the end of the start-of-scan segment, walking the marker segments."""
    position = 2  # After the start-of-image marker FF D8.
    while position + 4 <= len(encoded):
        marker = encoded[position + 1]
        length = int.from_bytes(encoded[position + 2 : position + 4], "big")
        position += 2 + length
        if marker == 0xDA:  # Start of scan: the entropy-coded data follows its header.
            return position
    raise ValueError("No start-of-scan marker found; not a baseline JPEG file.")


def _check_images(images, name: str = "images", tolerance: float = _ROUNDING) -> np.ndarray:
    """(n, height, width, channels) float32 images in [0, 1] give or take ``tolerance``."""
    return _as_images(images, name, ndim=4, tolerance=tolerance, dtype=np.float32)


def _check_integer(value, name: str, low: int, high: int) -> None:
    """Raise ValueError naming ``name`` unless ``value`` is an integer from ``low`` to ``high``."""
    if (
        isinstance(value, bool | np.bool_)
        or not isinstance(value, numbers.Integral)
        or not low <= value <= high
    ):
        raise ValueError(f"{name} must be an integer from {low} to {high}, not {value!r}.")
