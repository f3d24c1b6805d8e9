"""The algorithm contract's small helpers: parameter checks and caption wording."""

import dataclasses
import math
from dataclasses import dataclass

import numpy as np
import pytest

from algorithms.base import frozen, num, param, plural, validate


@dataclass(frozen=True)
class Knobs:
    k: int = param(3, limits=(1, 5))
    mode: str = param("a", values=("a", "b"))


def test_validate_names_the_field_out_of_its_limits_or_choices():
    validate(Knobs())
    with pytest.raises(ValueError, match="k must be between 1 and 5, got 6"):
        validate(Knobs(k=6))
    with pytest.raises(ValueError, match="mode must be one of a, b, got 'c'"):
        validate(Knobs(mode="c"))


def test_limits_are_inclusive():
    validate(Knobs(k=1))
    validate(Knobs(k=5))
    with pytest.raises(ValueError, match="got 0"):
        validate(Knobs(k=0))


def test_param_keeps_every_given_option_and_only_those():
    """The parameter tree is generated from this metadata: each option under its own name,
    unset options absent (so the tree can tell 'not given' from a value)."""
    @dataclass(frozen=True)
    class Everything:
        rate: float = param(0.5, tip="how fast", limits=(0.0, 1.0), step=0.1, live=True,
                            label="rate η", when=("mode", ("a",)))
        mode: str = param("a", values=("a", "b"))
        plain: int = param(7)

    rate, mode, plain = dataclasses.fields(Everything)
    assert dict(rate.metadata) == {"tip": "how fast", "limits": (0.0, 1.0), "step": 0.1,
                                   "live": True, "label": "rate η", "when": ("mode", ("a",))}
    assert dict(mode.metadata) == {"tip": "", "values": ("a", "b"), "live": False}
    assert dict(plain.metadata) == {"tip": "", "live": False}
    assert Everything() == Everything(0.5, "a", 7)


def test_frozen_is_a_read_only_copy():
    source = np.arange(3.0)
    copy = frozen(source)
    source[0] = 9
    assert copy[0] == 0 and not copy.flags.writeable


@pytest.mark.parametrize(("n", "text"), [(0, "0 points"), (1, "1 point"), (2, "2 points"),
                                         (1200, "1,200 points")])
def test_plural(n, text):
    assert plural(n, "point") == text


def test_plural_with_an_irregular_form():
    assert plural(3, "box", "boxes") == "3 boxes" and plural(1, "box", "boxes") == "1 box"


@pytest.mark.parametrize(("x", "text"), [(-0.0, "0"), (-1e-300 * 1e-300, "0"), (2.5, "2.5"),
                                         (-2.5, "−2.5"), (math.nan, "—"), (math.inf, "∞"),
                                         (-math.inf, "−∞"), (1234.5678, "1235"),
                                         (0.000123456, "0.0001235")])
def test_num_never_prints_minus_zero_or_nan(x, text):
    assert num(x) == text
