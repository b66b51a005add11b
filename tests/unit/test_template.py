"""Placeholders in lesson text: parsing, rendering, number display and errors."""

import math

import numpy as np
import pytest

from ce_tutor.lessons.template import TemplateError, format_value, placeholders, render

ENV = {"p": np.array([0.5677, 0.2, 0.2323]), "z": 1.04, "n": 3.0}


def test_render_fills_formulas_with_specs():
    assert render("p = {p[0]:.2f}, CE = {-ln(p[0]):.3f}", ENV) == f"p = 0.57, CE = {-math.log(0.5677):.3f}"


def test_render_keeps_literal_text_and_doubled_braces():
    assert render("{{not a placeholder}} and {z}", ENV) == "{not a placeholder} and 1.04"


def test_arrays_are_shown_element_by_element():
    assert render("{p:.2f}", ENV) == "0.57, 0.20, 0.23"


@pytest.mark.parametrize(
    ("value", "spec", "shown"),
    [
        (math.inf, ".2f", "∞"),
        (-math.inf, ".2f", "-∞"),
        (-0.001, ".2f", "0.00"),  # a rounded negative zero loses its sign
        (-0.4, ".0f", "0"),
        (-0.5, ".2f", "-0.50"),
        (3.0, "d", "3"),
        (0.25, ".0%", "25%"),
        (True, "", "yes"),
        (0.1 + 0.2, "", "0.3"),
    ],
)
def test_format_value(value, spec, shown):
    assert format_value(value, spec) == shown


def test_whole_number_spec_refuses_fractions():
    with pytest.raises(TemplateError, match="whole numbers"):
        format_value(2.5, "d")


def test_placeholders_report_expression_spec_and_offset():
    text = "a {p[0]:.2f} b {{x}} {z}"
    found = list(placeholders(text))
    assert [(ph.expression, ph.spec) for ph in found] == [("p[0]", ".2f"), ("z", "")]
    assert [text[ph.offset] for ph in found] == ["{", "{"]
    assert text[found[1].offset:].startswith("{z}")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{p!r}", "'!' is not allowed"),
        ("{}", "empty placeholder"),
        ("{p:>>>>}", "unsupported format spec"),
        ("{p", "unbalanced braces"),
        ("}", "unbalanced braces"),
    ],
)
def test_malformed_placeholders_are_template_errors(text, message):
    with pytest.raises(TemplateError, match=message):
        render(text, ENV)


def test_unknown_names_in_placeholders_name_the_placeholder():
    with pytest.raises(TemplateError, match=r"in \{q\[0\]\}.*q") as info:
        render("value: {q[0]:.2f}", ENV)
    assert info.value.offset == len("value: ")


def test_attribute_access_in_placeholders_is_refused():
    with pytest.raises(TemplateError):
        render("{p.__class__}", ENV)


def test_a_choice_picks_a_fixed_phrase_by_its_condition():
    text = '{x > 1 ? "bits" : "nats"}: {x:.1f} {x != 1 ? "is not one" : "is one"}, {y ? "a: b?" : ""}.'
    assert render(text, {"x": 2.0, "y": 0}) == "bits: 2.0 is not one, ."
    assert render(text, {"x": 1.0, "y": True}) == "nats: 1.0 is one, a: b?."
    [choice, number, other, third] = placeholders(text)
    assert (choice.expression, choice.phrases, choice.offset) == ("x > 1", ("bits", "nats"), 0)
    assert (number.expression, number.spec, number.phrases) == ("x", ".1f", None)
    assert other.expression == "x != 1" and third.phrases == ("a: b?", "")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{x ? "a"}', "a choice is written"),
        ('{? "a" : "b"}', "a choice is written"),
        ('{x ? a : b}', "a choice is written"),
        ('{"a"}', "a choice is written"),
        ('{[1, 2] > 1 ? "a" : "b"}', "the condition gives a list"),
        ('{0 / 0 ? "a" : "b"}', "the condition is undefined"),
        ('{nope ? "a" : "b"}', "unknown name 'nope'"),
        ('{x ? "a {x}" : "b"}', "a choice is written"),
    ],
)
def test_bad_choices_are_template_errors(text, message):
    with pytest.raises(TemplateError, match=message):
        render(text, {"x": 1.0})
