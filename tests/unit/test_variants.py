"""Drawing quiz variants: seeds, parameter kinds, rounding, require redraws, answers and options."""

from __future__ import annotations

import math

import pydantic
import pytest

from ce_tutor.lessons.loader import validate
from ce_tutor.lessons.schema import QuizStep
from ce_tutor.quiz import Variant, VariantError, draw_variant, variant_seed
from ce_tutor.quiz.variants import option_order


def quiz(**fields: object) -> QuizStep:
    return validate(QuizStep, {"type": "quiz", "id": "q1", "prompt": "?", "answer": "0", **fields})


def draw(step: QuizStep, seed: int = 7, env: dict[str, object] | None = None) -> Variant:
    return draw_variant(step, env or {}, "lesson", seed)


# -- seeds ------------------------------------------------------------------------------------------------
def test_variant_seed_is_pinned_so_it_is_the_same_on_every_machine() -> None:
    # BLAKE2b of the inputs: if this changes, every learner's variants change.
    assert variant_seed(0, "softmax", "q1", 0) == 4107235596397254766
    assert variant_seed(12345, "cross-entropy", "ce-of-p", 3) == 5477269757623274378


def test_variant_seed_depends_on_every_input() -> None:
    base = variant_seed(1, "lesson", "quiz", 0)
    assert variant_seed(1, "lesson", "quiz", 0) == base
    others = {
        variant_seed(2, "lesson", "quiz", 0),
        variant_seed(1, "lesson2", "quiz", 0),
        variant_seed(1, "lesson", "quiz2", 0),
        variant_seed(1, "lesson", "quiz", 1),
    }
    assert base not in others and len(others) == 4


def test_variant_seeds_fit_a_signed_64_bit_column() -> None:
    seeds = [variant_seed(learner, "l", "q", i) for learner in (0, -1, 2**62) for i in range(50)]
    assert all(0 <= s < 2**63 for s in seeds)


def test_different_learners_get_different_values() -> None:
    step = quiz(params={"p": {"uniform": [0.1, 0.9], "round": 3}})
    drawn = {draw(step, variant_seed(learner, "l", "q1", 0)).values["p"] for learner in range(20)}
    assert len(drawn) > 10


def test_the_same_seed_draws_the_same_variant() -> None:
    step = quiz(params={"p": {"uniform": [0.1, 0.9]}, "n": {"randint": [1, 9]}}, prompt="p={p}, n={n}", answer="p*n")
    first, second = draw(step, 99), draw(step, 99)
    assert (first.values, first.prompt, first.answer) == (second.values, second.prompt, second.answer)
    assert first.seed == 99 and first.quiz_id == "q1" and first.lesson_id == "lesson"


# -- parameters ---------------------------------------------------------------------------------------------
def test_uniform_params_are_rounded_before_the_answer_is_computed() -> None:
    step = quiz(params={"p": {"uniform": [0.05, 0.95], "round": 2}}, answer="-ln(p)")
    for seed in range(30):
        variant = draw(step, seed)
        p = variant.values["p"]
        assert 0.05 <= p <= 0.95 and p == round(p, 2)
        assert variant.answer == -math.log(p)


def test_normal_params_are_rounded() -> None:
    step = quiz(params={"z": {"normal": [0, 2], "round": 1}})
    values = [draw(step, seed).values["z"] for seed in range(30)]
    assert all(z == round(z, 1) for z in values) and len(set(values)) > 5


def test_randint_is_inclusive_and_gives_ints() -> None:
    step = quiz(params={"n": {"randint": [1, 3]}})
    values = [draw(step, seed).values["n"] for seed in range(60)]
    assert set(values) == {1, 2, 3} and all(type(n) is int for n in values)


def test_normal_params_follow_the_normal_distribution() -> None:
    step = quiz(params={"z": {"normal": [3, 2], "round": 6}})
    values = [draw(step, seed).values["z"] for seed in range(4000)]
    mean = sum(values) / len(values)
    sd = math.sqrt(sum((z - mean) ** 2 for z in values) / (len(values) - 1))
    within_one_sd = sum(abs(z - 3) < 2 for z in values) / len(values)
    # standard errors: 0.03 for the mean, 0.02 for the sd, 0.007 for the share (0.6827)
    assert abs(mean - 3) < 0.15 and abs(sd - 2) < 0.1 and abs(within_one_sd - 0.6827) < 0.035


def test_uniform_params_cover_their_whole_range() -> None:
    step = quiz(params={"p": {"uniform": [-1, 1], "round": 6}})
    values = [draw(step, seed).values["p"] for seed in range(2000)]
    assert min(values) < -0.99 and max(values) > 0.99 and abs(sum(values) / len(values)) < 0.05


def test_draws_are_pinned_so_a_python_upgrade_keeps_every_learners_numbers() -> None:
    # Draws use only random.random(), whose sequence Python promises to keep for a seed; if this changes,
    # every learner's quiz numbers change.
    step = quiz(params={"p": {"uniform": [0, 1], "round": 6}, "n": {"randint": [1, 100]}})
    assert dict(draw(step, 1).values) == {"p": 0.134364, "n": 85}


def test_a_randint_range_too_wide_to_draw_evenly_is_a_variant_error() -> None:
    with pytest.raises(VariantError, match="too wide"):
        draw(quiz(params={"n": {"randint": [0, 2**60]}}))


def test_choice_picks_one_of_the_listed_values() -> None:
    step = quiz(params={"y": {"choice": [0, 1, 2]}})
    assert {draw(step, seed).values["y"] for seed in range(60)} == {0, 1, 2}


def test_values_hold_the_lesson_env_params_and_rounded_derived_values() -> None:
    step = quiz(
        params={"p": {"uniform": [0.1, 0.9]}},
        derived={"loss": {"formula": "-ln(p) * k", "round": 3}},
        prompt="k={k}, p={p}, loss={loss}",
        answer="loss",
    )
    variant = draw(step, env={"k": 2.0})
    assert variant.values["k"] == 2.0
    assert variant.values["loss"] == round(-math.log(variant.values["p"]) * 2, 3)
    assert variant.prompt == f"k=2, p={variant.values['p']:g}, loss={variant.values['loss']:g}"


@pytest.mark.parametrize(
    ("params", "words"),
    [({"n": {"randint": [5, 2]}}, "low \\(5\\) must not be above high"),
     ({"z": {"normal": [0, -1]}}, "standard deviation must not be negative")],
)
def test_a_param_that_cannot_be_drawn_is_refused_when_the_lesson_is_read(params: dict[str, object], words: str) -> None:
    with pytest.raises(pydantic.ValidationError, match=words):
        quiz(params=params)


# -- require ------------------------------------------------------------------------------------------------
def test_require_redraws_until_every_condition_holds() -> None:
    step = quiz(params={"p": {"uniform": [0, 1]}, "q": {"uniform": [0, 1]}}, require=["p > 0.8", "q < p"])
    for seed in range(30):
        values = draw(step, seed).values
        assert values["p"] > 0.8 and values["q"] < values["p"]


def test_unmeetable_require_names_the_condition_that_failed_most() -> None:
    step = quiz(params={"p": {"uniform": [0, 1]}}, require=["p > 0.5", "p > 2"])
    with pytest.raises(VariantError, match=r"'p > 2' failed most often") as caught:
        draw_variant(step, {}, "lesson", 1, max_redraws=20)
    assert "p" in caught.value.values


# -- answers, texts, options -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("answer", "words"),
    [("ln(p - p)", "not a finite number"), ("[p, p]", "one number"), ("p > 0", "true/false"), ("x", "unknown")],
)
def test_an_answer_that_is_not_one_finite_number_is_a_variant_error(answer: str, words: str) -> None:
    with pytest.raises(VariantError, match=words):
        draw(quiz(params={"p": {"uniform": [0.1, 0.9]}}, answer=answer))


def test_a_prompt_that_cannot_be_filled_is_a_variant_error() -> None:
    with pytest.raises(VariantError, match="cannot show the question"):
        draw(quiz(prompt="What is {nope}?"))


def test_a_derived_value_that_fails_is_a_variant_error() -> None:
    with pytest.raises(VariantError, match="derived value d"):
        draw(quiz(derived={"d": "nope + 1"}))


def test_options_are_rendered_and_correctness_can_be_a_formula() -> None:
    step = quiz(
        answer=None,
        params={"p": {"uniform": [0.1, 0.9]}},
        shuffle=False,
        choices=[
            {"text": "p = {p}", "correct": "p > 0.5"},
            {"text": "not {p}", "correct": "p <= 0.5"},
            {"text": "never", "correct": False},
        ],
    )
    for seed in range(20):
        variant = draw(step, seed)
        p = variant.values["p"]
        assert variant.options == (f"p = {p:g}", f"not {p:g}", "never")
        assert variant.correct_options == frozenset({0 if p > 0.5 else 1})
        assert variant.answer is None


def test_a_choice_quiz_without_a_correct_option_is_a_variant_error() -> None:
    step = quiz(answer=None, choices=[{"text": "a", "correct": False}, {"text": "b", "correct": "1 > 2"}])
    with pytest.raises(VariantError, match="no option is correct"):
        draw(step)


def test_render_fills_a_text_and_turns_a_broken_placeholder_into_a_note() -> None:
    variant = draw(quiz(params={"p": {"uniform": [0.5, 0.5]}}))
    assert variant.render("p is {p:.1f}") == "p is 0.5"
    note = variant.render("p is {nope}")
    assert "could not be filled in" in note and "nope" in note


def test_variant_values_cannot_be_changed() -> None:
    variant = draw(quiz(params={"p": {"uniform": [0.1, 0.9]}}))
    with pytest.raises(TypeError):
        variant.values["p"] = 1.0  # type: ignore[index]


def test_option_order_varies_across_seeds_and_is_stable_for_a_seed() -> None:
    step = quiz(
        answer=None,
        choices=[{"text": t, "correct": t == "b"} for t in ("a", "b", "c", "d")],
    )
    orders = {draw(step, seed).options for seed in range(200)}
    assert len(orders) == 24  # all 4! orders occur
    for seed in (0, 7, 123456789):
        first, again = draw(step, seed), draw(step, seed)
        assert first.options == again.options and first.order == again.order
        assert first.options == tuple("abcd"[i] for i in first.order)
        assert first.correct_options == frozenset({first.options.index("b")})
    # the right option is not stuck in one place: each place holds it in some variant
    assert {next(iter(draw(step, seed).correct_options)) for seed in range(200)} == {0, 1, 2, 3}
    # the order has a generator of its own: the values of a variant do not depend on it
    numeric = quiz(params={"p": {"uniform": [0.1, 0.9]}})
    unshuffled = quiz(params={"p": {"uniform": [0.1, 0.9]}}, answer=None, shuffle=False,
                      choices=[{"text": "x", "correct": True}, {"text": "y", "correct": False}])
    shuffled = quiz(params={"p": {"uniform": [0.1, 0.9]}}, answer=None,
                    choices=[{"text": "x", "correct": True}, {"text": "y", "correct": False}])
    for seed in range(10):
        assert draw(numeric, seed).values["p"] == draw(shuffled, seed).values["p"] == draw(unshuffled, seed).values["p"]
        assert draw(unshuffled, seed).options == ("x", "y")


def test_option_order_is_pinned_for_a_seed() -> None:
    """Learners' recorded answers name options by place: the order for a seed must never change."""
    assert [option_order(seed, 4) for seed in range(3)] == [(0, 2, 3, 1), (2, 3, 0, 1), (2, 3, 0, 1)]
    assert sorted(option_order(5, 6)) == list(range(6)) and option_order(5, 1) == (0,) and option_order(5, 0) == ()
