"""Classical baselines the recipes compare their autoencoders against.

>>> import numpy as np
>>> images = np.random.default_rng(0).random((50, 8, 8, 1)).astype("float32")
>>> pca_reconstruction(images, images, n_components=4).shape
(50, 8, 8, 1)
>>> decoded, file_bytes, header_bytes = jpeg_round_trip(images[:2], quality=75)
>>> decoded.shape, bool((file_bytes > header_bytes).all())
((2, 8, 8, 1), True)
"""

from __future__ import annotations

import numpy as np

__all__ = ["gaussian_filter", "jpeg_round_trip", "median_filter", "pca_reconstruction"]


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


def jpeg_round_trip(images, quality: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Save each (n, h, w, 1 or 3) image in [0, 1] as a JPEG file with Pillow, and read it back.

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
    if isinstance(quality, bool) or not isinstance(quality, int) or not 1 <= quality <= 95:
        raise ValueError(f"quality must be an integer from 1 to 95, not {quality!r}.")
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


def _check_images(images) -> np.ndarray:
    images = np.asarray(images, dtype=np.float32)
    if images.ndim != 4:
        raise ValueError(
            f"Expected images shaped (n, height, width, channels), got {images.shape}."
        )
    return images
