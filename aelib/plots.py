"""Figures every recipe draws: image grids (originals against outputs) and training curves.

Functions return a matplotlib ``Figure`` that pyplot no longer tracks: a notebook shows it once,
as the cell's value, a script saves it with ``figure.savefig(path)``, and a test can inspect it.
Importing this module changes no global matplotlib setting.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

__all__ = ["plot_history", "plot_latent_space", "show_image_rows"]


def show_image_rows(rows: Mapping[str, np.ndarray], count: int = 10, title: str | None = None):
    """Draw one row per entry of ``rows`` (label -> (n, height, width, channels) in [0, 1]).

    The first ``count`` images of every row are shown, column by column, so row *k* of column
    *j* is the *k*-th version (original, noisy, reconstructed, ...) of image *j*.
    """
    if not rows:
        raise ValueError("rows is empty; pass at least one label -> images entry.")
    if count < 1:
        raise ValueError(f"count must be at least 1, not {count}.")
    arrays = {label: np.asarray(images) for label, images in rows.items()}
    for label, images in arrays.items():
        if images.ndim not in (3, 4) or (images.ndim == 4 and images.shape[-1] not in (1, 3)):
            raise ValueError(
                f"Row {label!r} has shape {images.shape}; expected (n, height, width[, 1 or 3])."
            )
        if len(images) < count:
            raise ValueError(f"Row {label!r} has {len(images)} images; {count} were asked for.")
    figure = _new_figure(figsize=(1.1 * count, 1.2 * len(arrays)))
    axes = figure.subplots(len(arrays), count, squeeze=False)
    for row_axes, (label, images) in zip(axes, arrays.items(), strict=True):
        for column, axis in enumerate(row_axes):
            image = np.clip(images[column], 0.0, 1.0)
            if image.ndim == 3 and image.shape[-1] == 1:
                image = image[..., 0]
            axis.imshow(image, cmap="gray" if image.ndim == 2 else None, vmin=0.0, vmax=1.0)
            axis.set_xticks([])
            axis.set_yticks([])
        row_axes[0].set_ylabel(label, rotation=0, ha="right", va="center", fontsize=9)
    if title:
        figure.suptitle(title)
    figure.tight_layout()
    return figure


def plot_history(histories: Mapping[str, object], metric: str = "loss", title: str | None = None):
    """Plot training (solid) and validation (dashed) ``metric`` per epoch for each named run.

    ``histories`` maps a label to a Keras ``History`` or to its ``.history`` dict.
    """
    if not histories:
        raise ValueError("histories is empty; pass at least one label -> History entry.")
    figure = _new_figure(figsize=(6, 3.5))
    axis = figure.subplots()
    for index, (label, history) in enumerate(histories.items()):
        curves = getattr(history, "history", history)
        if not isinstance(curves, Mapping) or metric not in curves:
            raise ValueError(f"Run {label!r} has no {metric!r} curve (found {list(curves)}).")
        color = f"C{index}"
        epochs = np.arange(1, len(curves[metric]) + 1)
        axis.plot(epochs, curves[metric], color=color, label=f"{label} (train)")
        if f"val_{metric}" in curves:
            axis.plot(
                epochs,
                curves[f"val_{metric}"],
                color=color,
                linestyle="--",
                label=f"{label} (validation)",
            )
    axis.set_xlabel("epoch")
    axis.set_ylabel(metric)
    axis.legend(fontsize=8)
    axis.grid(alpha=0.3)
    if title:
        axis.set_title(title)
    figure.tight_layout()
    return figure


def plot_latent_space(
    codes: Mapping[str, np.ndarray], labels: np.ndarray, title: str | None = None
):
    """Scatter 2-d codes, one panel per entry of ``codes`` (name -> (n, 2)), coloured by label.

    ``labels``: (n,) integer classes, shared by every panel; a colour bar names the classes.
    """
    if not codes:
        raise ValueError("codes is empty; pass at least one name -> (n, 2) array entry.")
    labels = np.asarray(labels)
    if labels.ndim != 1:
        raise ValueError(f"labels must be one-dimensional, not of shape {labels.shape}.")
    arrays = {name: np.asarray(points) for name, points in codes.items()}
    for name, points in arrays.items():
        if points.shape != (len(labels), 2):
            raise ValueError(
                f"Panel {name!r} has shape {points.shape}; expected ({len(labels)}, 2), "
                "one 2-d point per label."
            )
    figure = _new_figure(figsize=(4.2 * len(arrays) + 0.6, 4.0))
    axes = figure.subplots(1, len(arrays), squeeze=False)[0]
    classes = np.unique(labels)
    for axis, (name, points) in zip(axes, arrays.items(), strict=True):
        scatter = axis.scatter(
            points[:, 0],
            points[:, 1],
            c=labels,
            cmap="tab10",
            vmin=classes.min() - 0.5,
            vmax=classes.max() + 0.5,
            s=4,
            alpha=0.7,
        )
        axis.set_title(name)
        axis.set_xticks([])
        axis.set_yticks([])
    figure.colorbar(scatter, ax=list(axes), ticks=classes, fraction=0.03, pad=0.02)
    if title:
        figure.suptitle(title)
    return figure


def _new_figure(figsize: tuple[float, float]):
    """A pyplot figure, closed at once: IPython shows it once (as the cell's value), not twice.

    Creating it through pyplot loads the notebook backend, which is what registers IPython's PNG
    formatter for figures; closing it keeps pyplot from also showing it at the end of the cell.
    """
    import matplotlib.pyplot as plt

    figure = plt.figure(figsize=figsize)
    plt.close(figure)
    return figure
