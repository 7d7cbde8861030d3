"""Anomaly scores shared by the anomaly-detection recipes: higher means more unusual.

Images are (n, ...) float arrays; codes are (n, d) float arrays; a list of image or code sets
gives one score array per set (for example held-out images and test images). Bad input raises a
ValueError that names the argument.

>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> images = rng.random((40, 4, 4, 1))
>>> errors, relative = reconstruction_errors(images, images * 0.5)
>>> bool(np.allclose(relative, 0.25))
True
>>> distances = nearest_neighbour_distances(images[:30], (1, 5), [images[30:]])
>>> sorted(distances), distances[5][0].shape
([1, 5], (10,))
"""

from __future__ import annotations

import numbers

import numpy as np

__all__ = [
    "code_density",
    "nearest_neighbour_distances",
    "one_class_svm_scores",
    "reconstruction_errors",
    "standardized_sum",
]


def reconstruction_errors(images, reconstructions) -> tuple[np.ndarray, np.ndarray]:
    """Per image, the squared error e = ||x - x_hat||^2 and the relative error e / ||x||^2
    (the share of the image's energy the reconstruction misses); two (n,) float64 arrays."""
    images = _as_rows(images, "images")
    reconstructions = _as_rows(reconstructions, "reconstructions")
    if images.shape != reconstructions.shape:
        raise ValueError(
            f"images {images.shape} and reconstructions {reconstructions.shape} must have the "
            "same shape."
        )
    errors = np.sum(np.square(images - reconstructions), axis=1)
    # An all-black image has no energy: its relative error counts its error against 1e-6.
    return errors, errors / np.maximum(np.sum(np.square(images), axis=1), 1e-6)


def code_density(train_codes, code_sets, components: int, seed: int = 0) -> list[np.ndarray]:
    """Minus the log-density of each code under a mixture of ``components`` full-covariance
    Gaussians fitted to ``train_codes`` (n, d); one (m,) array per set in ``code_sets``."""
    from sklearn.mixture import GaussianMixture
    from threadpoolctl import threadpool_limits

    train_codes = _as_rows(train_codes, "train_codes")
    if not isinstance(components, numbers.Integral) or not 1 <= components <= len(train_codes):
        raise ValueError(
            f"components must be an integer from 1 to the {len(train_codes)} training codes, "
            f"not {components!r}."
        )
    sets = [_as_rows(codes, f"code_sets[{index}]") for index, codes in enumerate(code_sets)]
    for index, codes in enumerate(sets):
        if codes.shape[1] != train_codes.shape[1]:
            raise ValueError(
                f"code_sets[{index}] has {codes.shape[1]} numbers per code, train_codes "
                f"{train_codes.shape[1]}."
            )
    mixture = GaussianMixture(int(components), reg_covar=1e-4, random_state=seed)
    # A mixture multiplies small matrices, which one thread does several times faster than two
    # that wait for each other on a 2-core machine.
    with threadpool_limits(limits=1):
        mixture.fit(train_codes)
        return [-mixture.score_samples(codes) for codes in sets]


def standardized_sum(score_kinds, normal) -> list[np.ndarray]:
    """Add several kinds of score, each first standardized by its mean and standard deviation on
    the ``normal`` images of its first set.

    ``score_kinds`` is a list of kinds, each a list of (n_i,) arrays, one per image set (the
    same sets in the same order for every kind); ``normal`` selects the images of the first set
    that set the scale (a boolean mask or a slice). Returns one summed array per set.
    """
    if not score_kinds:
        raise ValueError("score_kinds is empty: give at least one kind of score.")
    counts = {len(kind) for kind in score_kinds}
    if len(counts) != 1:
        raise ValueError(f"every kind of score needs the same number of sets, not {counts}.")
    summed = None
    for index, kind in enumerate(score_kinds):
        sets = [np.asarray(values, dtype=np.float64) for values in kind]
        reference = sets[0][normal]
        if reference.size < 2 or not np.all(np.isfinite(reference)):
            raise ValueError(
                f"score_kinds[{index}] needs at least 2 finite scores on the normal images to "
                f"set its scale, not {reference.size}."
            )
        deviation = reference.std()
        if deviation == 0.0:
            raise ValueError(f"score_kinds[{index}] is constant on the normal images.")
        standardized = [(values - reference.mean()) / deviation for values in sets]
        if summed is None:
            summed = standardized
        else:
            if [values.shape for values in standardized] != [values.shape for values in summed]:
                raise ValueError(f"score_kinds[{index}] does not pair set by set with the first.")
            summed = [total + values for total, values in zip(summed, standardized, strict=True)]
    return summed


def nearest_neighbour_distances(train_images, counts, image_sets) -> dict[int, list[np.ndarray]]:
    """{count: for each set in ``image_sets``, the (m,) mean Euclidean distance from each image
    to its ``count`` nearest ``train_images``}; one search serves every count."""
    from sklearn.neighbors import NearestNeighbors

    rows = _as_rows(train_images, "train_images")
    counts = [int(count) for count in counts]
    if not counts or min(counts) < 1 or max(counts) > len(rows):
        raise ValueError(
            f"counts must be integers from 1 to the {len(rows)} training images, not {counts}."
        )
    index = NearestNeighbors(n_neighbors=max(counts)).fit(rows)
    sets = [_as_rows(images, f"image_sets[{i}]") for i, images in enumerate(image_sets)]
    distances = [index.kneighbors(images)[0] for images in sets]
    return {count: [found[:, :count].mean(axis=1) for found in distances] for count in counts}


def one_class_svm_scores(train_images, image_sets, gamma: float, nu: float = 0.1):
    """Fit scikit-learn's RBF one-class SVM (Schölkopf et al. 2001) on ``train_images`` and
    return, for each set, minus its decision function less the constant offset: the same
    ranking, computed as one kernel product per set."""
    from sklearn.metrics.pairwise import rbf_kernel
    from sklearn.svm import OneClassSVM

    rows = _as_rows(train_images, "train_images")
    if not isinstance(gamma, numbers.Real) or not gamma > 0:
        raise ValueError(f"gamma must be a positive number, not {gamma!r}.")
    if not isinstance(nu, numbers.Real) or not 0 < nu <= 1:
        raise ValueError(f"nu must be in (0, 1], not {nu!r}.")
    svm = OneClassSVM(gamma=float(gamma), nu=float(nu)).fit(rows)
    support, weights = svm.support_vectors_, svm.dual_coef_[0]
    sets = [_as_rows(images, f"image_sets[{i}]") for i, images in enumerate(image_sets)]
    return [-(rbf_kernel(images, support, gamma=float(gamma)) @ weights) for images in sets]


def _as_rows(values, name: str) -> np.ndarray:
    """``values`` (n, ...) as a finite (n, features) float array, or a ValueError naming it."""
    array = np.asarray(values)
    if array.ndim < 2 or array.shape[0] == 0 or not np.issubdtype(array.dtype, np.number):
        raise ValueError(
            f"{name} must be a non-empty numeric array of shape (n, ...), not {array.shape} "
            f"{array.dtype}."
        )
    # Floats keep their precision (float32 images stay float32, half the memory and time).
    dtype = array.dtype if np.issubdtype(array.dtype, np.floating) else np.float64
    rows = array.reshape(len(array), -1).astype(dtype, copy=False)
    if not np.all(np.isfinite(rows)):
        raise ValueError(f"{name} holds values that are not finite.")
    return rows
