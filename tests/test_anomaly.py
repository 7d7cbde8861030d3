"""aelib.anomaly: the scores the anomaly-detection recipes share, on small made-up data."""

import numpy as np
import pytest

from aelib import anomaly

RNG = np.random.default_rng(0)


def test_reconstruction_errors_are_the_squared_error_and_its_share_of_the_energy():
    images = RNG.random((6, 3, 3, 1))
    errors, relative = anomaly.reconstruction_errors(images, np.zeros_like(images))
    energy = np.sum(np.square(images.reshape(6, -1)), axis=1)
    np.testing.assert_allclose(errors, energy)
    np.testing.assert_allclose(relative, 1.0)
    # An all-black image has no energy: its relative error stays finite.
    _, relative = anomaly.reconstruction_errors(np.zeros((2, 4)), np.ones((2, 4)))
    assert np.all(np.isfinite(relative)) and np.all(relative > 1e5)


def test_code_density_ranks_a_far_code_as_less_probable():
    train = RNG.normal(size=(300, 2))
    near, far = np.zeros((1, 2)), np.full((1, 2), 6.0)
    scores = anomaly.code_density(train, [near, far], components=2, seed=0)
    assert scores[1][0] > scores[0][0] + 10


def test_standardized_sum_puts_each_kind_on_the_normal_images_scale():
    normal = np.array([True, True, True, False])
    first = [np.array([1.0, 2.0, 3.0, 10.0]), np.array([2.0])]
    second = [np.array([10.0, 20.0, 30.0, 100.0]), np.array([20.0])]
    summed = anomaly.standardized_sum([first, second], normal)
    # Both kinds are the same ranking at different scales: each contributes equally.
    scale = np.std([1.0, 2.0, 3.0])
    np.testing.assert_allclose(summed[0], 2 * (first[0] - 2.0) / scale)
    np.testing.assert_allclose(summed[1], [0.0], atol=1e-12)


def test_nearest_neighbour_distances_average_the_closest_training_images():
    train = np.array([[0.0], [1.0], [3.0]])
    distances = anomaly.nearest_neighbour_distances(train, (1, 2), [np.array([[0.0], [10.0]])])
    np.testing.assert_allclose(distances[1][0], [0.0, 7.0])
    np.testing.assert_allclose(distances[2][0], [0.5, 8.0])


def test_one_class_svm_scores_rank_like_minus_its_decision_function():
    from sklearn.svm import OneClassSVM

    train, test = RNG.normal(size=(200, 3)), RNG.normal(size=(50, 3)) * 2
    scores = anomaly.one_class_svm_scores(train, [test], gamma=0.5, nu=0.1)[0]
    reference = -OneClassSVM(gamma=0.5, nu=0.1).fit(train).decision_function(test)
    np.testing.assert_allclose(scores - reference, (scores - reference)[0], atol=1e-8)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: anomaly.reconstruction_errors(np.ones((2, 3)), np.ones((3, 3))), "same shape"),
        (lambda: anomaly.reconstruction_errors(np.ones(3), np.ones(3)), "images must be"),
        (lambda: anomaly.reconstruction_errors([[np.nan]], [[0.0]]), "not finite"),
        (lambda: anomaly.code_density(np.ones((5, 2)), [np.ones((1, 2))], 9), "components"),
        (lambda: anomaly.code_density(np.ones((5, 2)), [np.ones((1, 3))], 1), "code_sets"),
        (lambda: anomaly.standardized_sum([], slice(None)), "score_kinds is empty"),
        (lambda: anomaly.standardized_sum([[np.ones(4)]], slice(None)), "constant"),
        (
            lambda: anomaly.standardized_sum([[np.arange(4.0)], [np.arange(4.0)] * 2], slice(None)),
            "same number of sets",
        ),
        (lambda: anomaly.nearest_neighbour_distances(np.ones((3, 2)), (4,), []), "counts"),
        (lambda: anomaly.one_class_svm_scores(np.ones((3, 2)), [], gamma=0), "gamma"),
        (lambda: anomaly.one_class_svm_scores(np.ones((3, 2)), [], gamma=1, nu=2), "nu"),
    ],
)
def test_bad_input_is_refused_with_a_message_that_names_it(call, message):
    with pytest.raises(ValueError, match=message):
        call()
