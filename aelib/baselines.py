"""Classical baselines the recipes compare their autoencoders against.

>>> import numpy as np
>>> images = np.random.default_rng(0).random((50, 8, 8, 1)).astype("float32")
>>> pca_reconstruction(images, images, n_components=4).shape
(50, 8, 8, 1)
"""

from __future__ import annotations

import numpy as np

__all__ = ["gaussian_filter", "median_filter", "pca_reconstruction"]


def pca_reconstruction(x_train, x_test, n_components: int, seed: int = 0) -> np.ndarray:
    """Fit PCA with ``n_components`` on ``x_train``; return ``x_test`` projected and reconstructed.

    Inputs are (n, ...) arrays in [0, 1]; the result has ``x_test``'s shape, clipped to [0, 1]
    (an autoencoder with a sigmoid output cannot leave that range either).
    """
    from sklearn.decomposition import PCA

    x_train, x_test = np.asarray(x_train), np.asarray(x_test)
    if x_train.ndim < 2 or x_train.shape[1:] != x_test.shape[1:]:
        raise ValueError(
            f"x_train {x_train.shape} and x_test {x_test.shape} need the same image shape."
        )
    features = int(np.prod(x_train.shape[1:]))
    if isinstance(n_components, bool) or not isinstance(n_components, int):
        raise ValueError(f"n_components must be an integer, not {n_components!r}.")
    if not 1 <= n_components <= min(len(x_train), features):
        raise ValueError(
            f"n_components must be between 1 and {min(len(x_train), features)}, not {n_components}."
        )
    pca = PCA(n_components=n_components, svd_solver="randomized", random_state=seed)
    pca.fit(x_train.reshape(len(x_train), features))
    codes = pca.transform(x_test.reshape(len(x_test), features))
    reconstruction = pca.inverse_transform(codes).reshape(x_test.shape)
    return np.clip(reconstruction, 0.0, 1.0).astype(np.float32)


def median_filter(images, size: int = 3) -> np.ndarray:
    """Filter each image of (n, height, width, channels) with a ``size`` x ``size`` median.

    Each channel of each image is filtered on its own; values stay in the input's range.
    """
    from scipy import ndimage

    images = _check_images(images)
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise ValueError(f"size must be a positive integer, not {size!r}.")
    return ndimage.median_filter(images, size=(1, size, size, 1), mode="reflect")


def gaussian_filter(images, sigma: float = 1.0) -> np.ndarray:
    """Blur each image of (n, height, width, channels) with a Gaussian of ``sigma`` pixels."""
    from scipy import ndimage

    images = _check_images(images)
    if isinstance(sigma, bool) or not isinstance(sigma, int | float) or not sigma > 0:
        raise ValueError(f"sigma must be a positive number of pixels, not {sigma!r}.")
    return ndimage.gaussian_filter(images, sigma=(0, sigma, sigma, 0), mode="reflect")


def _check_images(images) -> np.ndarray:
    images = np.asarray(images, dtype=np.float32)
    if images.ndim != 4:
        raise ValueError(
            f"Expected images shaped (n, height, width, channels), got {images.shape}."
        )
    return images
