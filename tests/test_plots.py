import io

import matplotlib.pyplot as plt
import numpy as np
import pytest

from aelib import plots


def test_image_rows_draw_one_axis_per_image():
    images = np.random.default_rng(0).random((12, 28, 28, 1))
    figure = plots.show_image_rows({"original": images, "output": images[::-1]}, count=5)
    assert len(figure.axes) == 10
    assert figure.axes[0].get_ylabel() == "original"
    np.testing.assert_allclose(figure.axes[5].images[0].get_array(), images[-1, ..., 0])


def test_image_rows_accept_colour():
    images = np.random.default_rng(0).random((3, 32, 32, 3))
    figure = plots.show_image_rows({"colour": images}, count=3)
    assert figure.axes[0].images[0].get_array().shape == (32, 32, 3)


@pytest.mark.parametrize(
    ("rows", "count", "message"),
    [
        ({}, 3, "empty"),
        ({"a": np.zeros((2, 8, 8, 1))}, 3, "3 were asked"),
        ({"a": np.zeros((4, 8))}, 3, "shape"),
        ({"a": np.zeros((4, 8, 8, 2))}, 3, "shape"),
        ({"a": np.zeros((4, 8, 8, 1))}, 0, "count"),
    ],
)
def test_image_rows_reject_bad_input(rows, count, message):
    with pytest.raises(ValueError, match=message):
        plots.show_image_rows(rows, count=count)


def test_history_plots_train_and_validation_curves():
    class FakeHistory:
        def __init__(self):
            self.history = {"loss": [0.3, 0.2, 0.1], "val_loss": [0.35, 0.25, 0.2]}

    figure = plots.plot_history({"dense": FakeHistory(), "deep": {"loss": [0.4, 0.3]}})
    lines = figure.axes[0].get_lines()
    assert len(lines) == 3
    np.testing.assert_allclose(lines[1].get_ydata(), [0.35, 0.25, 0.2])


def test_history_without_metric_raises_value_error():
    with pytest.raises(ValueError, match="no 'mse' curve"):
        plots.plot_history({"dense": {"loss": [1.0]}}, metric="mse")
    with pytest.raises(ValueError, match="empty"):
        plots.plot_history({})


def test_figures_are_not_tracked_by_pyplot_and_render_to_png():
    before = plt.get_fignums()
    figure = plots.show_image_rows({"a": np.zeros((2, 8, 8, 1))}, count=2)
    assert plt.get_fignums() == before  # A notebook shows the returned figure once, not twice.
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    assert buffer.getvalue().startswith(b"\x89PNG")


def test_latent_space_draws_one_panel_per_code_and_a_colour_bar():
    rng = np.random.default_rng(0)
    labels = np.repeat(np.arange(3), 4)
    codes = {"autoencoder": rng.normal(size=(12, 2)), "PCA": rng.normal(size=(12, 2))}
    figure = plots.plot_latent_space(codes, labels, title="codes")
    panels = [axis for axis in figure.axes if axis.get_title()]
    assert [axis.get_title() for axis in panels] == ["autoencoder", "PCA"]
    np.testing.assert_allclose(panels[1].collections[0].get_offsets(), codes["PCA"])
    assert len(figure.axes) == 3  # Two panels and the colour bar.


@pytest.mark.parametrize(
    ("codes", "labels", "message"),
    [
        ({}, np.zeros(3), "empty"),
        ({"a": np.zeros((3, 3))}, np.zeros(3), "expected \\(3, 2\\)"),
        ({"a": np.zeros((4, 2))}, np.zeros(3), "expected \\(3, 2\\)"),
        ({"a": np.zeros((3, 2))}, np.zeros((3, 1)), "one-dimensional"),
    ],
)
def test_latent_space_rejects_bad_input(codes, labels, message):
    with pytest.raises(ValueError, match=message):
        plots.plot_latent_space(codes, labels)
