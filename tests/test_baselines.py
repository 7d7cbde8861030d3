import numpy as np
import pytest

from aelib import baselines, metrics


def test_pca_error_falls_with_more_components():
    rng = np.random.default_rng(0)
    basis = rng.random((5, 64))
    images = (rng.random((200, 5)) @ basis / 5).reshape(200, 8, 8, 1)
    errors = [
        metrics.mse(images[150:], baselines.pca_reconstruction(images[:150], images[150:], k))
        for k in (1, 3, 5)
    ]
    assert errors[0] > errors[1] > errors[2]
    assert errors[2] < 1e-8  # Five components recover rank-five data exactly.


@pytest.mark.parametrize("n_components", [0, 65, 2.5, True])
def test_bad_component_counts_raise_value_error(n_components):
    images = np.zeros((100, 8, 8, 1))
    with pytest.raises(ValueError, match="n_components"):
        baselines.pca_reconstruction(images, images, n_components)


def test_mismatched_image_shapes_raise_value_error():
    with pytest.raises(ValueError, match="same image shape"):
        baselines.pca_reconstruction(np.zeros((10, 8, 8, 1)), np.zeros((10, 7, 8, 1)), 2)
