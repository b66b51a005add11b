"""The safe expression language: what it computes, what it refuses, and that nothing but FormulaError escapes."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ce_tutor import core, formula
from ce_tutor.formula import CONSTANTS, FUNCTIONS, Formula, FormulaError, evaluate, is_reserved, parse

P = np.array([0.1, 0.3, 0.6])
ENV = {"p": P, "x": np.linspace(0.0, 1.0, 5), "z1": 2.0, "z2": 1.0, "z3": 0.1, "i": 2, "y": 1}
B3 = core.IrisNetwork().with_params


def ev(source: str, **env: object) -> object:
    return evaluate(source, {**ENV, **env})


def error(source: str, env: dict | None = None, **parse_kwargs: int) -> FormulaError:
    with pytest.raises(FormulaError) as info:
        parse(source, **parse_kwargs).evaluate({**ENV, **(env or {})})
    return info.value


# -- numbers, names, operators ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("5.6e-1", 0.56), (".56", 0.56), ("3", 3.0), ("1/3", 1 / 3), ("2 + 3 * 4", 14.0), ("(2 + 3) * 4", 20.0),
        ("7 - 10", -3.0), ("2 ** 10", 1024.0), ("2 ^ 10", 1024.0), ("(1-0.57)^2", (1 - 0.57) ** 2),
        ("2 ^ 3 ^ 2", 2.0**9), ("-2 ^ 2", -4.0), ("1 + 2 ^ 2", 5.0), ("2 * 3^2", 18.0), ("e^-1", 1 / math.e), ("+z1", 2.0), ("-z1", -2.0), ("e", math.e), ("pi", math.pi),
        ("-ln(0.57)", -math.log(0.57)), ("z1 * z2 + z3", 2.1),
    ],
)
def test_arithmetic(source: str, expected: float) -> None:
    result = ev(source)
    assert type(result) is float
    assert result == pytest.approx(expected, rel=1e-15)


def test_caret_is_power_with_the_precedence_of_power() -> None:
    for a, b in [("3 ^ 2", "3 ** 2"), ("1 - p^2", "1 - p**2"), ("-z1^2/2", "-z1**2/2"), ("2^-z1^2", "2**-z1**2")]:
        np.testing.assert_array_equal(ev(a), ev(b))
    assert ev("1 - z3^2") == pytest.approx(1 - 0.1**2)  # not (1 - 0.1)**2, as Python's xor precedence would give


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("1 < 2", True), ("2 <= 2", True), ("3 > 4", False), ("3 >= 4", False), ("1 == 1.0", True), ("1 != 1", False),
        ("1 < 2 < 3", True), ("1 < 3 < 2", False), ("3 > 2 > 2", False),
        ("p[0] > 0.05 and p[1] < 0.9", True), ("p[0] > 0.5 or p[2] > 0.5", True), ("p[0] > 0.5 or 0", False),
        ("not 0", True), ("not z1", False), ("True and False", False), ("True", True),
    ],
)
def test_logic_gives_bools(source: str, expected: bool) -> None:
    result = ev(source)
    assert type(result) is bool and result is expected


def test_and_or_short_circuit_like_python() -> None:
    assert ev("0 and nope") is False  # the unknown name is never looked up
    assert ev("1 or nope") is True
    assert ev("1 > 2 > nope") is False
    with pytest.raises(FormulaError, match="unknown name 'nope'"):
        ev("1 and nope")


def test_conditional_expression() -> None:
    assert ev("1 if z1 > 1 else nope") == 1.0
    assert ev("z1 if z1 < 1 else z2") == 1.0
    np.testing.assert_allclose(ev("x if x > 0.5 else 0"), np.where(ENV["x"] > 0.5, ENV["x"], 0.0))


def test_indexing() -> None:
    assert ev("p[0]") == 0.1 and ev("p[-1]") == 0.6 and ev("p[i]") == 0.6 and ev("p[1.0]") == 0.3
    assert ev("p[1 + 1]") == 0.6
    assert ev("q[1][0]", q=np.array([[1.0, 2.0], [3.0, 4.0]])) == 3.0
    assert ev("softmax([z1, z2, z3])[0]") == pytest.approx(core.softmax([2.0, 1.0, 0.1])[0])


@pytest.mark.parametrize(
    ("source", "message", "offset"),
    [
        ("p[3]", "index 3 is out of range for a list of length 3", 2),
        ("p[-4]", "index -4 is out of range for a list of length 3", 2),
        ("p[1.5]", "an index must be a whole number, got 1.5", 2),
        ("p[True]", "an index must be a whole number", 2),
        ("p[p]", "an index must be a whole number", 2),
        ("z1[0]", "only a list can be indexed", 0),
        ("p[0][0]", "only a list can be indexed", 0),
    ],
)
def test_bad_indexing(source: str, message: str, offset: int) -> None:
    err = error(source)
    assert message in str(err) and err.offset == offset and err.source == source


def test_lists_become_float_arrays() -> None:
    result = ev("[z1, 2, True]")
    assert isinstance(result, np.ndarray) and result.dtype == np.float64
    np.testing.assert_array_equal(result, [2.0, 2.0, 1.0])
    np.testing.assert_array_equal(ev("(1, 2)"), [1.0, 2.0])
    np.testing.assert_array_equal(ev("[[1, 2], [3, 4]]"), [[1.0, 2.0], [3.0, 4.0]])
    assert "same shape" in str(error("[[1, 2], [3]]"))


def test_arrays_are_elementwise() -> None:
    x = ENV["x"]
    np.testing.assert_allclose(ev("x ^ 2 + 1"), x**2 + 1)
    np.testing.assert_allclose(ev("(1 - x)^2"), (1 - x) ** 2)
    np.testing.assert_array_equal(ev("x > 0.5"), x > 0.5)
    np.testing.assert_array_equal(ev("x > 0.2 and x < 0.8"), (x > 0.2) & (x < 0.8))
    np.testing.assert_array_equal(ev("not x"), x == 0)
    assert "cannot combine lists of shapes (3,) and (5,)" in str(error("p + x"))


@pytest.mark.filterwarnings("error")
def test_floating_problems_give_inf_or_nan_without_warnings() -> None:
    assert ev("-ln(0)") == math.inf
    assert ev("1 / 0") == math.inf and ev("0 ** -1") == math.inf
    assert math.isnan(ev("ln(-1)")) and math.isnan(ev("0 / 0"))
    assert ev("9**9**9**9") == math.inf and ev("1e400") == math.inf
    assert ev("1" + "0" * 400) == math.inf  # a literal too big for a float
    assert ev("exp(1000)") == math.inf
    result = ev("-ln(x)")
    assert result[0] == math.inf
    np.testing.assert_allclose(result[1:], -np.log(ENV["x"][1:]))


def test_big_int_literal_is_still_an_index() -> None:
    assert "out of range" in str(error("p[" + "9" * 30 + "]"))


# -- names and the environment ---------------------------------------------------------------------------
def test_names_and_functions_are_reported() -> None:
    f = parse("a + b * ln(c) + e + softmax([a, pi])[0]")
    assert f.names == {"a", "b", "c"}
    assert f.functions == {"ln", "softmax"}
    assert f.source == "a + b * ln(c) + e + softmax([a, pi])[0]"


def test_unknown_name_at_evaluate_time() -> None:
    f = parse("1 + foo")
    err = error("1 + foo")
    assert str(err) == "unknown name 'foo'" and err.offset == 4
    assert "did you mean 'food'" in str(pytest.raises(FormulaError, f.evaluate, {"food": 1}).value)
    assert f.evaluate({"foo": 2}) == 3.0


def test_check_names() -> None:
    f = parse("  alpha + bet * gamma + e")
    f.check_names(["alpha", "bet", "gamma"])
    with pytest.raises(FormulaError, match="unknown name 'bet' \\(did you mean 'beta'\\?\\)") as info:
        f.check_names(["alpha", "beta", "gamma"])
    assert info.value.offset == 10
    with pytest.raises(FormulaError, match="unknown names 'alpha', 'gamma'") as info:
        f.check_names(iter(["bet"]))
    assert info.value.offset == 2


def test_offsets_count_characters_not_bytes() -> None:
    with pytest.raises(FormulaError) as info:
        parse("é + ß + foo").check_names(["é", "ß"])
    assert info.value.offset == 8


def test_constants_cannot_be_shadowed() -> None:
    assert ev("e", e=5) == math.e
    assert CONSTANTS["inf"] == math.inf
    assert all(is_reserved(n) for n in ("e", "pi", "inf", "ln", "softmax", "iris_total_ce"))
    assert not is_reserved("p") and not is_reserved("z1")


def test_whitelists_are_read_only() -> None:
    with pytest.raises(TypeError):
        FUNCTIONS["open"] = open  # type: ignore[index]
    with pytest.raises(TypeError):
        CONSTANTS["e"] = 3.0  # type: ignore[index]


@pytest.mark.parametrize(
    ("value", "expected"),
    [(3, 3.0), (np.int64(3), 3.0), (2.5, 2.5), (np.float32(0.5), 0.5), (True, True), (np.bool_(False), False)],
)
def test_env_scalars(value: object, expected: object) -> None:
    result = evaluate("v", {"v": value})
    assert result == expected and type(result) is type(expected)


def test_env_lists_and_bad_env_values() -> None:
    np.testing.assert_array_equal(evaluate("v + 1", {"v": [1, 2]}), [2.0, 3.0])
    for bad in ("text", None, {"a": 1}, np.array(["a"]), 1j):
        with pytest.raises(FormulaError, match="variable 'v' must"):
            evaluate("v", {"v": bad})
    with pytest.raises(FormulaError, match="at most"):
        evaluate("v", {"v": np.zeros(formula.MAX_ARRAY_SIZE + 1)})


# -- functions -------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "reference", "values"),
    [
        ("ln", np.log, [0.25, 1.5, 7.0]), ("log", np.log, [0.25, 1.5, 7.0]), ("log2", np.log2, [0.25, 1.5, 8.0]),
        ("log10", np.log10, [0.25, 1.5, 7.0]), ("exp", np.exp, [-1.0, 0.5, 7.0]),
        ("sqrt", np.sqrt, [0.25, 1.5, 7.0]), ("abs", np.abs, [-2.5, 0.0, 7.0]),
        ("floor", np.floor, [-2.5, 0.25, 7.0]), ("ceil", np.ceil, [-2.5, 0.25, 7.0]),
    ],
)
def test_elementwise_functions(name: str, reference: np.ufunc, values: list[float]) -> None:
    v = np.array(values)
    result = ev(f"{name}(v[1])", v=v)
    assert type(result) is float and result == reference(v[1])
    np.testing.assert_array_equal(ev(f"{name}(v)", v=v), reference(v))


def test_reductions_and_helpers() -> None:
    assert ev("min(p)") == 0.1 and ev("max(p)") == 0.6
    assert ev("max(1, z1, -3)") == 2.0 and ev("min(4, z1)") == 2.0
    np.testing.assert_array_equal(ev("max(x, 0.5)"), np.maximum(ENV["x"], 0.5))
    assert ev("sum(p)") == pytest.approx(1.0) and ev("mean([1, 2, 6])") == 3.0
    assert ev("round(1.23456, 2)") == 1.23 and ev("round(2.5)") == 2.0  # numpy rounds half to even
    np.testing.assert_array_equal(ev("round(p * 10, 0)"), np.round(P * 10))
    assert ev("clip(2, 0, 1)") == 1.0 and ev("clip(-2, 0, 1)") == 0.0
    assert ev("argmax(p)") == 2.0 and ev("len(p)") == 3.0
    np.testing.assert_array_equal(ev("argmax([[1, 5], [7, 2]])"), [1, 0])


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("max([])", "max(): the maximum of an empty list is undefined"),
        ("mean([])", "mean(): the mean of an empty list is undefined"),
        ("round(1.5, 13)", "round(): the number of decimals must be 0 to 12"),
        ("round(1.5, 0.5)", "round(): the number of decimals must be a whole number"),
        ("clip(1, 2, 0)", "clip(): the lower bound must not exceed the upper bound"),
        ("len(3)", "len(): needs a list"),
        ("argmax(3)", "argmax(): needs a non-empty list"),
        ("onehot(1, 10**9)", "onehot(): the number of classes must be 1 to 1000"),
        ("onehot(1, 0)", "onehot(): the number of classes must be 1 to 1000"),
        ("smooth_labels(0, 2000, 0.1)", "smooth_labels(): the number of classes must be 1 to 1000"),
        ("softmax(2)", "softmax(): logits must have at least one dimension"),
        ("cross_entropy([0.5, 0.6], 0)", "cross_entropy(): each row of probabilities must sum to 1"),
        ("cross_entropy([1.5, -0.5], 0)", "cross_entropy(): probabilities must lie in [0, 1]"),
        ("cross_entropy(p, 3)", "cross_entropy(): label 3 is out of range for 3 classes"),
        ("neg_log(2)", "neg_log(): p must lie in [0, 1]"),
        ("kl(p, [0.5, 0.5])", "kl(): p and q must have the same shape"),
    ],
)
def test_function_errors_keep_their_messages(source: str, message: str) -> None:
    err = error(source)
    assert str(err).startswith(message) and err.offset == 0


def test_core_functions_match_the_core() -> None:
    z, q = np.array([2.0, 1.0, 0.1]), np.array([0.2, 0.5, 0.3])
    batch, labels = np.array([[0.7, 0.3], [0.4, 0.6]]), np.array([0, 1])
    env = {"z": z, "q": q, "b": batch, "l": labels}
    cases = {
        "softmax(z)": core.softmax(z), "log_softmax(z)": core.log_softmax(z), "logsumexp(z)": core.logsumexp(z),
        "onehot(1, 3)": core.one_hot(1, 3), "onehot(l, 2)": core.one_hot(labels, 2),
        "cross_entropy(p, 2)": core.cross_entropy(P, 2), "cross_entropy(b, l)": core.cross_entropy(batch, labels),
        "ce_logits(z, 0)": core.cross_entropy_from_logits(z, 0), "total_ce(b, l)": core.total_cross_entropy(batch, labels),
        "mean_ce(b, l)": core.mean_cross_entropy(batch, labels), "ssr(p, 0)": core.ssr(P, 0),
        "neg_log(0.57)": core.neg_log(0.57), "sq_residual(0.57)": core.squared_residual(0.57),
        "neg_log_grad(0.57)": core.neg_log_grad(0.57), "sq_residual_grad(0.57)": core.squared_residual_grad(0.57),
        "ce_grad(z, 0)": core.cross_entropy_grad_logits(z, 0), "entropy(p)": core.entropy(P),
        "kl(p, q)": core.kl_divergence(P, q), "bce(0.8, 1)": core.binary_cross_entropy(0.8, 1),
        "bce_logits(1.5, 0)": core.binary_cross_entropy_with_logits(1.5, 0),
        "smooth_labels(1, 3, 0.1)": core.smooth_labels(1, 3, 0.1),
    }
    for source, expected in cases.items():
        np.testing.assert_allclose(evaluate(source, {**ENV, **env}), expected, rtol=1e-15, err_msg=source)
    assert ev("cross_entropy(softmax([z1, z2, z3]), y)") == pytest.approx(
        core.cross_entropy_from_logits([2.0, 1.0, 0.1], 1), rel=1e-12
    )
    np.testing.assert_allclose(ev("neg_log(x)"), core.neg_log(ENV["x"]))


# -- the Iris network ------------------------------------------------------------------------------------
def test_iris_numbers_match_the_core_and_the_lessons() -> None:
    net, xs, ys = core.IrisNetwork(), core.IRIS_X, core.IRIS_Y
    logits = ev("iris_logits(0.04, 0.42, 0)")
    np.testing.assert_allclose(logits, net.logits([0.04, 0.42])[0], rtol=1e-15)
    np.testing.assert_allclose(logits, [1.0368, 0.0032, 0.1352], atol=1e-12)
    np.testing.assert_allclose(ev("iris_probs(0.04, 0.42, 0)"), net.probabilities([0.04, 0.42])[0], rtol=1e-15)
    np.testing.assert_allclose(ev("iris_hidden(0.04, 0.42)"), net.hidden([0.04, 0.42])[0], rtol=1e-15)
    assert ev("iris_total_ce(0)") == pytest.approx(net.total_cross_entropy(xs, ys), rel=1e-15)
    assert ev("iris_total_ce(0)") == pytest.approx(1.774992, abs=1e-6)
    assert ev("iris_total_ce(-2)") == pytest.approx(B3(b3=-2).total_cross_entropy(xs, ys), rel=1e-15)
    assert ev("iris_total_ce(-2)") == pytest.approx(2.665939, abs=1e-6)
    assert ev("iris_dtotal_db3(-2)") == pytest.approx(B3(b3=-2).gradients(xs, ys)["b3"], rel=1e-15)
    assert ev("iris_dtotal_db3(-2)") == pytest.approx(-0.773201, abs=1e-6)
    step = core.gradient_descent(B3(b3=-2), xs, ys, ("b3",), 1.0, 1).network.get("b3")
    assert ev("iris_step_b3(-2, 1)") == pytest.approx(step, rel=1e-15)
    assert ev("iris_step_b3(-2, 1)") == pytest.approx(-1.2268, abs=1e-4)
    rows = [ev(f"iris_row_ce({r}, -2)") for r in range(3)]
    np.testing.assert_allclose(rows, B3(b3=-2).cross_entropy(xs, ys), rtol=1e-15)
    assert ev("iris_row_ce(0, -2) + iris_row_ce(1, -2) + iris_row_ce(2, -2)") == pytest.approx(2.665939, abs=1e-6)
    np.testing.assert_array_equal(ev("iris_x(1)"), xs[1])
    assert [ev(f"iris_y({r})") for r in range(3)] == list(ys)
    assert "there is no Iris row 3" in str(error("iris_x(3)"))
    assert "there is no Iris row -1" in str(error("iris_y(-1)"))


def test_iris_functions_run_over_a_grid() -> None:
    grid = np.linspace(-3.0, 2.0, 7)
    xs, ys = core.IRIS_X, core.IRIS_Y
    np.testing.assert_allclose(ev("iris_total_ce(x)", x=grid), core.IrisNetwork().loss_curve(xs, ys, "b3", grid))
    expected = [B3(b3=b).gradients(xs, ys)["b3"] for b in grid]
    np.testing.assert_allclose(ev("iris_dtotal_db3(x)", x=grid), expected)
    np.testing.assert_allclose(ev("iris_step_b3(x, 0.5)", x=grid), grid - 0.5 * np.array(expected))
    np.testing.assert_allclose(ev("iris_row_ce(0, x)", x=grid), [B3(b3=b).cross_entropy(xs, ys)[0] for b in grid])
    setosa = ev("iris_probs(x, 0.42, 0)[0]", x=grid)  # outputs first, the grid last
    np.testing.assert_allclose(setosa, core.IrisNetwork().probabilities(np.c_[grid, np.full(7, 0.42)])[:, 0])
    assert ev("iris_logits(x, 0.42, 0)", x=grid).shape == (3, 7)
    assert "at most 1000 points" in str(error("iris_total_ce(x)", {"x": np.zeros(1001)}))


def test_the_deadline_is_checked_inside_iris_grids(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = iter(range(10**6))  # a fake clock: every reading is one second later
    monkeypatch.setattr(formula, "clock", lambda: float(next(clock)))
    f = parse("iris_total_ce(x)")
    assert f.evaluate({"x": np.zeros(3)}, deadline_s=50).shape == (3,)  # a few readings: in time
    with pytest.raises(FormulaError, match="took too long"):  # one reading per grid point: too late
        f.evaluate({"x": np.zeros(100)}, deadline_s=50)


def test_deadline() -> None:
    f = parse("iris_total_ce(-2) + softmax([z1, z2, z3])[0]")
    with pytest.raises(FormulaError, match="took too long") as info:
        f.evaluate(ENV, deadline_s=0)
    assert info.value.source == f.source
    assert f.evaluate(ENV, deadline_s=math.inf) == pytest.approx(2.665939 + core.softmax([2, 1, 0.1])[0], rel=1e-6)
    for bad in (-1, math.nan, "1"):
        with pytest.raises(FormulaError, match="deadline_s"):
            f.evaluate(ENV, deadline_s=bad)  # type: ignore[arg-type]


# -- refusals --------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("().__class__", "attribute access"),
        ("p.sum", "attribute access"),
        ("__import__('os')", "unknown function '__import__'"),
        ("open(1)", "unknown function 'open'"),
        ("sofmax(p)", "unknown function 'sofmax' (did you mean 'softmax'?)"),
        ("lambda: 1", "lambda functions are not allowed"),
        ("[v for v in p]", "comprehensions are not allowed"),
        ("(v for v in p)", "comprehensions are not allowed"),
        ("{v: 1 for v in p}", "comprehensions are not allowed"),
        ("softmax(p, axis=0)", "keyword arguments (name=value) are not allowed"),
        ("'abc'", "text strings are not allowed"),
        ("b'abc'", "byte strings are not allowed"),
        ("f'{p}'", "f-strings are not allowed"),
        ("(v := 1)", "assignment with := is not allowed"),
        ("p[0:2]", "slices like p[0:2] are not allowed"),
        ("p[::-1]", "slices like p[0:2] are not allowed"),
        ("p[0, 1]", "index with one number at a time"),
        ("softmax(*p)", "starred values (*x) are not allowed"),
        ("{1: 2}", "dictionaries are not allowed"),
        ("{1, 2}", "sets are not allowed"),
        ("None", "None is not allowed"),
        ("...", "Ellipsis is not allowed"),
        ("2j", "complex numbers are not allowed"),
        ("7 % 2", "the % operator is not allowed"),
        ("7 // 2", "the // operator is not allowed"),
        ("p @ p", "the @ operator is not allowed"),
        ("1 << 2", "the << operator is not allowed"),
        ("1 | 2", "the | operator is not allowed"),
        ("~1", "the ~ operator is not allowed"),
        ("1 is 1", "the 'is' comparison is not allowed"),
        ("1 in p", "the 'in' comparison is not allowed"),
        ("f()()", "only named functions can be called"),
        ("softmax(p)(1)", "only named functions can be called"),
        ("p[0](1)", "only named functions can be called"),
        ("e(1)", "e is a constant, not a function"),
        ("ln + 1", "ln is a function; call it like ln(...)"),
        ("softmax(p, 2)", "softmax() takes 1 argument, got 2"),
        ("onehot(1)", "onehot() takes 2 arguments, got 1"),
        ("max()", "max() takes at least 1 argument, got 0"),
        ("round(1, 2, 3)", "round() takes 1 to 2 arguments, got 3"),
        ("[1] * " + "[" + ", ".join(["1"] * 65) + "]", "a list may have at most 64 items, this one has 65"),
    ],
)
def test_refused_constructs_are_named_at_parse_time(source: str, message: str) -> None:
    with pytest.raises(FormulaError) as info:
        parse(source)
    assert message in str(info.value)
    assert info.value.source == source and info.value.offset is not None


def test_refusal_offsets_point_at_the_construct() -> None:
    cases = [("1 + p.sum", 4), ("2 * (v := 1)", 5), ("(1 +\n  7 % 2)", 7), ("  ln(p, 1)", 2), ("2^2^p.x", 4)]
    for source, offset in cases:
        with pytest.raises(FormulaError) as info:
            parse(source)
        assert info.value.offset == offset, source


@pytest.mark.parametrize(
    ("source", "offset"), [("1 + * 2", 4), ("ln(p", 2), ("", 0), ("   ", 0), ("1 2", 2), ("2^3^^4", 4), (" 2^^", 3)]
)
def test_syntax_errors(source: str, offset: int) -> None:
    with pytest.raises(FormulaError) as info:
        parse(source)
    assert str(info.value).startswith(f"could not read {source!r}") or "empty" in str(info.value)
    assert info.value.offset == offset


def test_leading_and_trailing_space_is_fine() -> None:
    assert evaluate("  1 + 2 ") == 3.0 and evaluate("\n 1/3\n") == 1 / 3


def test_non_text_source() -> None:
    with pytest.raises(FormulaError, match="must be text"):
        parse(42)  # type: ignore[arg-type]


# -- bounds and hostile input ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    "source",
    [
        "(" * 5000 + "1" + ")" * 5000,
        "1 + " * 5000 + "1",
        "-" * 100_000 + "1",
        "not " * 3000 + "1",
        "[" * 3000 + "]" * 3000,
        "[" + "1, " * 10_000 + "]",
        "9" * 5000,
        "ln(" * 500 + "1" + ")" * 500,
        "x" * 100_000,
        "^" * 100_000,
    ],
)
def test_hostile_input_raises_formula_error(source: str) -> None:
    with pytest.raises(FormulaError):
        parse(source)
    with pytest.raises(FormulaError):
        parse(source, max_length=10**7).evaluate(ENV)


def test_bounds_are_parameters() -> None:
    assert "too long" in str(pytest.raises(FormulaError, parse, "1" * 11, max_length=10).value)
    assert "nested too deeply" in str(pytest.raises(FormulaError, parse, "-(-(-1))", max_depth=3).value)
    assert parse("-(-(-1))", max_depth=4).evaluate() == -1.0
    assert "too many parts" in str(pytest.raises(FormulaError, parse, "1 + 2 + 3", max_nodes=4).value)
    assert parse("1 + 2 + 3", max_nodes=5).evaluate() == 6.0


def test_array_sizes_are_bounded() -> None:
    big = "[" + ", ".join(["1"] * 64) + "]"
    tall = "[" + ", ".join(["[1]"] * 64) + "]"
    assert ev(f"{tall} * {big}").shape == (64, 64)  # 4096 values: allowed
    assert "at most 10000" in str(error(f"q * {big}", {"q": np.zeros((3, 64, 1))}))  # 3 * 64 * 64: refused
    assert "at most 10000" in str(error("onehot(l, 1000)", {"l": np.zeros(20, dtype=int)}))


# -- properties ------------------------------------------------------------------------------------------
FORMULA_ALPHABET = "0123456789.e+-*/^()[], <>=!pxzyiln_abcdefmorstuv\n'\"@%:{}~|&#\\"


def _returns_or_formula_error(source: str) -> None:
    try:
        result = evaluate(source, ENV)
    except FormulaError as exc:
        assert isinstance(exc.source, str) and (exc.offset is None or 0 <= exc.offset <= len(source))
    else:
        assert isinstance(result, (float, bool, np.ndarray))


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_any_text_returns_or_raises_formula_error(source: str) -> None:
    _returns_or_formula_error(source)


@settings(max_examples=500, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.text(FORMULA_ALPHABET, max_size=8),
            st.sampled_from(sorted(FUNCTIONS) + ["p", "x", "z1", "i", "e", "inf", " if ", " else ", " and ", " not "]),
        ),
        max_size=20,
    ).map("".join)
)
def test_formula_like_text_returns_or_raises_formula_error(source: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _returns_or_formula_error(source)


_NUMPY_OPS = {"+": np.add, "-": np.subtract, "*": np.multiply, "/": np.true_divide, "**": np.power, "^": np.power}


def _leaf() -> st.SearchStrategy[tuple[str, np.float64]]:
    ints = st.integers(-(10**6), 10**6).map(lambda n: (f"({n})", np.float64(n)))
    floats = st.floats(allow_nan=False, allow_infinity=False).map(lambda v: (f"({v!r})", np.float64(v)))
    names = st.sampled_from(["z1", "z2", "z3"]).map(lambda n: (n, np.float64(ENV[n])))
    return st.one_of(ints, floats, names)


def _combine(children: st.SearchStrategy[tuple[str, np.float64]]) -> st.SearchStrategy[tuple[str, np.float64]]:
    def binary(op: str, a: tuple[str, np.float64], b: tuple[str, np.float64]) -> tuple[str, np.float64]:
        with np.errstate(all="ignore"):
            return f"({a[0]} {op} {b[0]})", _NUMPY_OPS[op](a[1], b[1])

    binops = st.builds(binary, st.sampled_from(sorted(_NUMPY_OPS)), children, children)
    negations = children.map(lambda a: (f"(-{a[0]})", np.negative(a[1])))
    return st.one_of(binops, negations)


@settings(max_examples=400, deadline=None)
@given(st.recursive(_leaf(), _combine, max_leaves=12))
def test_arithmetic_equals_numpy_float64(case: tuple[str, np.float64]) -> None:
    source, expected = case
    with np.errstate(all="ignore"):
        result = parse(source, max_depth=100, max_nodes=1000).evaluate(ENV)
    assert type(result) is float
    assert result == expected or (math.isnan(result) and math.isnan(expected))


def test_formula_is_a_frozen_value() -> None:
    f, g = parse("1 + z1"), parse("1 + z1")
    assert f == g and hash(f) == hash(g) and isinstance(f, Formula)
    with pytest.raises(AttributeError):
        f.source = "2"  # type: ignore[misc]


def test_iris_descent_follows_the_trainer_step_by_step() -> None:
    xs, ys = core.IRIS_X, core.IRIS_Y
    trajectory = core.gradient_descent(B3(b3=-2), xs, ys, ("b3",), 0.5, 5)
    np.testing.assert_allclose(ev("iris_descent_b3(-2, 0.5, x)", x=np.arange(6.0)), trajectory.value("b3"))
    np.testing.assert_allclose(ev("iris_total_ce(iris_descent_b3(-2, 0.5, x))", x=np.arange(6.0)), trajectory.losses)
    assert ev("iris_descent_b3(-2, 1, 1)") == pytest.approx(ev("iris_step_b3(-2, 1)"), rel=1e-15)
    assert "from 0 to 1000" in str(error("iris_descent_b3(0, 1, 5000)"))
    assert "number of steps" in str(error("iris_descent_b3(0, 1, 1.5)"))


def test_parsed_formulas_are_shared() -> None:
    assert formula.parse("1 + p[0]") is formula.parse("1 + p[0]")


@pytest.mark.parametrize(
    ("source", "elementwise"),
    [
        ("-ln(x)", True), ("x^2 + 1 if x > 0 else 0", True), ("max(x, 0.5)", True), ("2", True),
        ("iris_probs(x, 0.42, 0)[0]", True), ("log(x, 2) * p[0]", True), ("sigmoid(x) - bce(x, 1)", True),
        ("softmax([0, x])[1]", False), ("sum(x)", False), ("max(x)", False), ("kl(p, [x, 1 - x])", False),
        ("p[x]", False), ("entropy([x, 1 - x])", False), ("iris_probs(x, 0.42, 0)[x]", False),
    ],
)
def test_elementwise_in_tells_whether_a_list_of_x_gives_the_list_of_results(source, elementwise):
    assert parse(source).elementwise_in("x") is elementwise


def test_evaluate_over_a_grid_at_once_or_point_by_point():
    grid = np.array([-2.0, 0.0, 3.0])
    np.testing.assert_allclose(parse("softmax([0, x])[1]").evaluate_over("x", grid), core.sigmoid(grid))
    np.testing.assert_allclose(parse("x * 2").evaluate_over("x", grid), grid * 2)
    np.testing.assert_allclose(parse("7").evaluate_over("x", grid), [7.0, 7.0, 7.0])
    np.testing.assert_allclose(parse("sum([x, x])").evaluate_over("x", grid), 2 * grid)
    with pytest.raises(FormulaError, match="gives 2 values at x = -2"):
        parse("softmax([0, x])").evaluate_over("x", grid)


def test_evaluate_over_has_one_deadline_for_all_points():
    grid = np.linspace(0, 1, 2000)
    with pytest.raises(FormulaError, match="took too long"):
        parse("sum([x, x])").evaluate_over("x", grid, deadline_s=0.0)
