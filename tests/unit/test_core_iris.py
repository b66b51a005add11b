"""The lessons' Iris network: the numbers the lessons show, its gradients and gradient descent.

Oracles: the forward pass redone by hand in 50-digit mpmath (not through the core), central finite
differences of the total cross-entropy for every gradient, and the rounded figures from the issue.
"""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest

from ce_tutor.core import (
    FEATURES,
    IRIS_X,
    IRIS_Y,
    PARAMETER_NAMES,
    SPECIES,
    IrisNetwork,
    Trajectory,
    gradient_descent,
    softmax,
)

pytestmark = pytest.mark.filterwarnings("error")

FD_STEP = 1e-6


def mp_forward(net: IrisNetwork, x) -> list[list[mpmath.mpf]]:
    """Raw outputs of ``net`` for rows ``x``, by hand in 50 digits: two ReLU units, three outputs."""
    p = {name: mpmath.mpf(value) for name, value in net.params().items()}
    rows = []
    with mpmath.workdps(50):
        for petal, sepal in np.asarray(x, dtype=float):
            petal, sepal = mpmath.mpf(petal), mpmath.mpf(sepal)
            h1 = max(mpmath.mpf(0), p["h1_petal"] * petal + p["h1_sepal"] * sepal + p["h1_bias"])
            h2 = max(mpmath.mpf(0), p["h2_petal"] * petal + p["h2_sepal"] * sepal + p["h2_bias"])
            rows.append([p["setosa_h1"] * h1 + p["setosa_h2"] * h2 + p["b3"],
                         p["versicolor_h1"] * h1 + p["versicolor_h2"] * h2 + p["b4"],
                         p["virginica_h1"] * h1 + p["virginica_h2"] * h2 + p["b5"]])
    return rows


def mp_row_losses(net: IrisNetwork, x, y) -> list[mpmath.mpf]:
    """-log(e^{z_y} / sum_k e^{z_k}) per row, in 50 digits."""
    with mpmath.workdps(50):
        return [mpmath.log(mpmath.fsum(mpmath.exp(zk) for zk in z)) - z[int(k)]
                for z, k in zip(mp_forward(net, x), y)]


def total_ce_fd(net: IrisNetwork, name: str, h: float = FD_STEP) -> float:
    """Central finite difference of the total cross-entropy over the Iris rows with respect to ``name``."""
    value = net.get(name)
    up = net.with_params({name: value + h}).total_cross_entropy(IRIS_X, IRIS_Y)
    down = net.with_params({name: value - h}).total_cross_entropy(IRIS_X, IRIS_Y)
    return (up - down) / (2 * h)


# --------------------------------------------------------------------------------------------------
# The lessons' numbers.
# --------------------------------------------------------------------------------------------------


def test_dataset_and_names():
    assert SPECIES == ("Setosa", "Versicolor", "Virginica")
    assert FEATURES == ("petal width", "sepal width")
    assert IRIS_X.shape == (3, 2) and IRIS_Y.tolist() == [0, 2, 1]
    assert len(PARAMETER_NAMES) == 15 == len(set(PARAMETER_NAMES))
    assert {"b3", "b4", "b5"} <= set(PARAMETER_NAMES)


def test_default_parameters_are_the_videos():
    params = IrisNetwork().params()
    assert list(params) == list(PARAMETER_NAMES)
    assert params["h1_petal"] == -2.5 and params["h1_sepal"] == 0.6 and params["h1_bias"] == 1.6
    assert params["h2_petal"] == -1.5 and params["h2_sepal"] == 0.4 and params["h2_bias"] == 0.7
    assert (params["setosa_h1"], params["setosa_h2"], params["b3"]) == (-0.1, 1.5, 0.0)
    assert (params["versicolor_h1"], params["versicolor_h2"], params["b4"]) == (2.4, -5.2, 0.0)
    assert (params["virginica_h1"], params["virginica_h2"], params["b5"]) == (-2.2, 3.7, 1.0)


def test_row_one_raw_outputs_softmax_and_cross_entropy():
    net = IrisNetwork()
    z = net.logits(IRIS_X)[0]
    # by hand: h1 = -2.5(0.04) + 0.6(0.42) + 1.6 = 1.752, h2 = -1.5(0.04) + 0.4(0.42) + 0.7 = 0.808
    np.testing.assert_allclose(net.hidden(IRIS_X)[0], [1.752, 0.808], rtol=1e-15)
    np.testing.assert_allclose(z, [1.0368, 0.0032, 0.1352], rtol=1e-12, atol=1e-15)
    np.testing.assert_array_equal(np.round(z, 2), [1.04, 0.00, 0.14])
    p = net.probabilities(IRIS_X)[0]
    np.testing.assert_array_equal(np.round(p, 2), [0.57, 0.20, 0.23])
    ce = net.cross_entropy(IRIS_X, IRIS_Y)[0]
    # The video's 0.56 is -log of the rounded probability 0.57; unrounded, the loss is 0.5662.
    assert round(-math.log(round(p[0], 2)), 2) == 0.56
    assert round(ce, 4) == 0.5662
    assert ce == pytest.approx(-math.log(p[0]), rel=1e-15)


def test_per_row_and_total_cross_entropy_at_b3_zero():
    net = IrisNetwork()
    losses = net.cross_entropy(IRIS_X, IRIS_Y)
    np.testing.assert_array_equal(np.round(losses, 4), [0.5662, 0.5514, 0.6573])
    total = net.total_cross_entropy(IRIS_X, IRIS_Y)
    assert round(total, 6) == 1.774992
    np.testing.assert_allclose(losses, [float(v) for v in mp_row_losses(net, IRIS_X, IRIS_Y)], rtol=1e-14)
    assert total == pytest.approx(float(mpmath.fsum(mp_row_losses(net, IRIS_X, IRIS_Y))), rel=1e-14)


def test_hidden_units_and_probabilities_for_all_rows():
    net = IrisNetwork()
    exact = mp_forward(net, IRIS_X)
    # versicolor = 2.4 h1 - 5.2 h2 cancels from ~4.2 down to 0.0032: judge errors on the scale of 4
    np.testing.assert_allclose(net.logits(IRIS_X), [[float(v) for v in row] for row in exact],
                               rtol=1e-14, atol=1e-14)
    # the second row switches both hidden units off: its raw outputs are the output biases
    np.testing.assert_array_equal(net.hidden(IRIS_X)[1], [0.0, 0.0])
    np.testing.assert_array_equal(net.logits(IRIS_X)[1], [0.0, 0.0, 1.0])
    np.testing.assert_allclose(net.probabilities(IRIS_X).sum(axis=1), 1.0, rtol=0, atol=4e-16)
    # a single row of inputs is accepted as a batch of one (BLAS may round a lone row differently)
    np.testing.assert_allclose(net.logits(IRIS_X[0]), net.logits(IRIS_X)[:1], rtol=0, atol=1e-14)


def test_b3_minus_two_total_and_gradient():
    net = IrisNetwork().with_params(b3=-2)
    total = net.total_cross_entropy(IRIS_X, IRIS_Y)
    assert round(total, 6) == 2.665939
    assert total == pytest.approx(float(mpmath.fsum(mp_row_losses(net, IRIS_X, IRIS_Y))), rel=1e-14)

    grad = net.gradients(IRIS_X, IRIS_Y)["b3"]
    assert round(grad, 6) == -0.773201
    # the lesson's formula: p_setosa - 1 on Setosa rows, p_setosa on the others, summed
    p_setosa = net.probabilities(IRIS_X)[:, 0]
    by_rows = sum(p - 1 if label == 0 else p for p, label in zip(p_setosa, IRIS_Y))
    assert grad == pytest.approx(by_rows, rel=1e-14)
    assert grad == pytest.approx(total_ce_fd(net, "b3"), abs=1e-8)


def test_one_step_of_gradient_descent_from_b3_minus_two():
    start = IrisNetwork().with_params(b3=-2)
    trajectory = gradient_descent(start, IRIS_X, IRIS_Y, params=("b3",), learning_rate=1.0, steps=1)
    b3 = trajectory.value("b3")
    assert b3[0] == -2.0
    assert round(b3[1], 4) == -1.2268
    assert b3[1] == pytest.approx(-2.0 - start.gradients(IRIS_X, IRIS_Y)["b3"], rel=1e-15)
    assert trajectory.network.get("b3") == b3[1]
    assert round(trajectory.losses[0], 6) == 2.665939
    assert trajectory.losses[1] < trajectory.losses[0]


# --------------------------------------------------------------------------------------------------
# Every gradient against finite differences.
# --------------------------------------------------------------------------------------------------


def perturbed_network() -> IrisNetwork:
    rng = np.random.default_rng(2024)
    net = IrisNetwork()
    return net.with_params({name: value + rng.normal(scale=0.3) for name, value in net.params().items()})


NETWORKS = {
    "default": IrisNetwork(),
    "b3=-2": IrisNetwork().with_params(b3=-2),
    "perturbed": perturbed_network(),
    # the second row's hidden units on as well: every weight gets a gradient from every row
    "all-active": IrisNetwork().with_params(h1_bias=3.0, h2_bias=2.0),
}


@pytest.mark.parametrize("net", NETWORKS.values(), ids=NETWORKS.keys())
def test_network_is_away_from_relu_kinks(net):
    # a finite difference across a kink measures neither one-sided slope; keep every unit clear of 0
    assert np.abs(net.hidden_pre(IRIS_X)).min() > 1e-3


@pytest.mark.parametrize("name", PARAMETER_NAMES)
@pytest.mark.parametrize("net", NETWORKS.values(), ids=NETWORKS.keys())
def test_every_gradient_matches_finite_differences(net, name):
    grad = net.gradients(IRIS_X, IRIS_Y)[name]
    fd = total_ce_fd(net, name)
    assert grad == pytest.approx(fd, rel=1e-6, abs=1e-8)


def test_all_active_network_has_no_zero_gradients():
    # guards the test above against passing only because ReLUs zero out most of the gradients
    grads = NETWORKS["all-active"].gradients(IRIS_X, IRIS_Y)
    assert all(abs(g) > 1e-4 for g in grads.values()), grads


def test_output_bias_gradients_are_summed_softmax_minus_one_hot():
    net = NETWORKS["perturbed"]
    grads = net.gradients(IRIS_X, IRIS_Y)
    delta = net.probabilities(IRIS_X) - np.eye(3)[IRIS_Y]
    for k, name in enumerate(("b3", "b4", "b5")):
        assert grads[name] == pytest.approx(delta[:, k].sum(), rel=1e-13, abs=1e-15)
    assert grads["b3"] + grads["b4"] + grads["b5"] == pytest.approx(0.0, abs=1e-15)


# --------------------------------------------------------------------------------------------------
# Gradient descent.
# --------------------------------------------------------------------------------------------------


def test_loss_is_recorded_at_every_step():
    start = IrisNetwork()
    trajectory = gradient_descent(start, IRIS_X, IRIS_Y, params=("b3", "b4"), learning_rate=0.5, steps=5)
    assert isinstance(trajectory, Trajectory)
    assert trajectory.names == ("b3", "b4")
    assert trajectory.values.shape == (6, 2)
    assert trajectory.losses.shape == (6,)
    assert trajectory.gradients.shape == (6, 2)
    for step in range(6):
        at = start.with_params(dict(zip(trajectory.names, trajectory.values[step])))
        assert trajectory.losses[step] == at.total_cross_entropy(IRIS_X, IRIS_Y)
        grads = at.gradients(IRIS_X, IRIS_Y)
        assert trajectory.gradients[step].tolist() == [grads["b3"], grads["b4"]]
        if step:
            expected = trajectory.values[step - 1] - 0.5 * trajectory.gradients[step - 1]
            np.testing.assert_array_equal(trajectory.values[step], expected)
    # untouched parameters stay put
    assert trajectory.network.get("b5") == 1.0
    assert trajectory.network.get("h1_petal") == -2.5
    np.testing.assert_array_equal(trajectory.value("b4"), trajectory.values[:, 1])


@pytest.mark.parametrize(("params", "learning_rate"),
                         [(("b3",), 0.05), (("b3", "b4", "b5"), 0.05), (PARAMETER_NAMES, 0.01)])
def test_loss_decreases_for_a_small_learning_rate(params, learning_rate):
    # small means below 2 / (largest curvature): the output biases alone tolerate more than all 15
    trajectory = gradient_descent(IrisNetwork().with_params(b3=-2), IRIS_X, IRIS_Y, params=params,
                                  learning_rate=learning_rate, steps=40)
    assert np.all(np.diff(trajectory.losses) < 0), trajectory.losses
    assert trajectory.losses[-1] < trajectory.losses[0] - 0.1


def test_training_b3_converges_to_where_its_gradient_vanishes():
    trajectory = gradient_descent(IrisNetwork().with_params(b3=-2), IRIS_X, IRIS_Y, learning_rate=1.0, steps=200)
    assert abs(trajectory.gradients[-1, 0]) < 1e-8
    final = trajectory.network
    assert total_ce_fd(final, "b3") == pytest.approx(0.0, abs=1e-7)
    # a minimum: both neighbours are higher
    b3 = final.get("b3")
    curve = final.loss_curve(IRIS_X, IRIS_Y, "b3", [b3 - 0.01, b3, b3 + 0.01])
    assert curve[1] < curve[0] and curve[1] < curve[2]


def test_zero_steps_records_only_the_start():
    start = IrisNetwork().with_params(b3=-2)
    trajectory = gradient_descent(start, IRIS_X, IRIS_Y, steps=0)
    assert trajectory.values.shape == (1, 1) and trajectory.values[0, 0] == -2.0
    assert trajectory.losses.shape == (1,)
    assert trajectory.losses[0] == start.total_cross_entropy(IRIS_X, IRIS_Y)
    assert trajectory.gradients[0, 0] == start.gradients(IRIS_X, IRIS_Y)["b3"]
    assert trajectory.network.params() == start.params()


@pytest.mark.parametrize("learning_rate", [0, 0.0, -1.0, math.nan, math.inf, -math.inf, "0.1", None, True,
                                           np.float64(-0.5), 1j])
def test_bad_learning_rate_is_refused(learning_rate):
    with pytest.raises(ValueError, match="learning rate must be a positive number"):
        gradient_descent(IrisNetwork(), IRIS_X, IRIS_Y, learning_rate=learning_rate)


@pytest.mark.parametrize("steps", [-1, 1.5, 2.0, "3", None, True, 100_001])
def test_bad_steps_are_refused(steps):
    with pytest.raises(ValueError, match="steps must be a whole number from 0 to 100000"):
        gradient_descent(IrisNetwork(), IRIS_X, IRIS_Y, steps=steps)


@pytest.mark.parametrize(("params", "pattern"), [(("nope",), "unknown parameter 'nope'"),
                                                  (("b3", "B4"), "unknown parameter 'B4'; known: h1_petal"),
                                                  ((), "at least one parameter")])
def test_bad_parameter_names_are_refused(params, pattern):
    with pytest.raises(ValueError, match=pattern):
        gradient_descent(IrisNetwork(), IRIS_X, IRIS_Y, params=params)


def test_a_single_name_as_a_string_is_refused_not_split_into_letters():
    with pytest.raises(TypeError, match=r"sequence of parameter names, such as \('b3',\), not a string"):
        gradient_descent(IrisNetwork(), IRIS_X, IRIS_Y, params="b3")


def test_learning_rate_and_steps_accept_numpy_numbers():
    trajectory = gradient_descent(IrisNetwork(), IRIS_X, IRIS_Y, learning_rate=np.float64(0.5), steps=np.int64(2))
    assert trajectory.losses.shape == (3,)


# --------------------------------------------------------------------------------------------------
# Parameters by name, immutability, input checks.
# --------------------------------------------------------------------------------------------------


def test_with_params_returns_a_changed_copy():
    net = IrisNetwork()
    changed = net.with_params({"b3": -2.0}, b5=0.5)
    assert changed.get("b3") == -2.0 and changed.get("b5") == 0.5
    assert net.get("b3") == 0.0 and net.get("b5") == 1.0  # the original is untouched
    assert changed.w_out is not net.w_out
    with pytest.raises(AttributeError):
        net.b_out = np.zeros(3)  # frozen dataclass


@pytest.mark.parametrize(("call", "pattern"), [
    (lambda net: net.get("b6"), "unknown parameter 'b6'"),
    (lambda net: net.with_params(b6=1.0), "unknown parameter 'b6'"),
    (lambda net: net.with_params(b3=math.nan), "b3 must be a finite number"),
    (lambda net: net.with_params(b3=math.inf), "b3 must be a finite number"),
    (lambda net: net.logits([[0.1, 0.2, 0.3]]), r"rows of \(petal width, sepal width\)"),
    (lambda net: net.logits([[0.1, math.nan]]), "inputs must be finite"),
    (lambda net: net.total_cross_entropy(IRIS_X, [0, 2]), "got 2 labels for 3 rows"),
    (lambda net: net.gradients(IRIS_X, [0, 3, 1]), "out of range for 3 classes"),
    (lambda net: net.gradients(IRIS_X, [0, -1, 1]), "must not be negative"),
    (lambda net: net.loss_curve(IRIS_X, IRIS_Y, "nope", [0.0]), "unknown parameter 'nope'"),
])
def test_bad_network_input_is_refused(call, pattern):
    with pytest.raises(ValueError, match=pattern):
        call(IrisNetwork())


def test_loss_curve_sweeps_one_parameter():
    net = IrisNetwork()
    curve = net.loss_curve(IRIS_X, IRIS_Y, "b3", [-2.0, 0.0])
    np.testing.assert_array_equal(np.round(curve, 6), [2.665939, 1.774992])
    assert net.get("b3") == 0.0
    values = np.linspace(-3, 3, 7)
    np.testing.assert_array_equal(
        net.loss_curve(IRIS_X, IRIS_Y, "b5", values),
        [net.with_params(b5=v).total_cross_entropy(IRIS_X, IRIS_Y) for v in values])


def test_probabilities_are_softmax_of_the_logits():
    net = NETWORKS["perturbed"]
    np.testing.assert_array_equal(net.probabilities(IRIS_X), softmax(net.logits(IRIS_X)))
