"""Analytic gradients against central differences; the custom-formula whitelist."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from algorithms.surfaces import SURFACES, bowl, custom, make, parse_formula, two_minima

NAMED = [name for name in SURFACES if name != "Custom"]
unit = st.floats(0.0, 1.0)


def numeric_gradient(surface, p, h=1e-6):
    x, y = p
    fx = (surface.value((x + h, y)) - surface.value((x - h, y))) / (2 * h)
    fy = (surface.value((x, y + h)) - surface.value((x, y - h))) / (2 * h)
    return np.array([fx, fy])


@pytest.mark.parametrize("name", NAMED + ["rotated bowl"])
@settings(max_examples=40, deadline=None)
@given(u=unit, v=unit)
def test_gradient_matches_central_differences(name, u, v):
    surface = bowl(7.0, angle=25.0) if name == "rotated bowl" else make(name)
    xmin, xmax, ymin, ymax = surface.region
    p = (xmin + u * (xmax - xmin), ymin + v * (ymax - ymin))
    g = surface.gradient(p)
    assert g.shape == (2,)
    np.testing.assert_allclose(g, numeric_gradient(surface, p),
                               rtol=1e-5, atol=1e-6 * (1 + abs(surface.value(p))))


@pytest.mark.parametrize("name", NAMED)
def test_surface_metadata(name):
    surface = make(name)
    xmin, xmax, ymin, ymax = surface.region
    assert xmin < surface.start[0] < xmax and ymin < surface.start[1] < ymax
    for m in surface.minima:
        assert xmin < m[0] < xmax and ymin < m[1] < ymax
        np.testing.assert_allclose(surface.gradient(m), 0.0, atol=1e-4)


def test_two_minima_global_first():
    surface = two_minima()
    (gx, gy), (lx, ly) = surface.minima
    assert surface.value((gx, gy)) < surface.value((lx, ly))
    assert gx < 0 < lx
    # From its default start, plain descent settles in the local (right-hand) minimum.
    p = np.array(surface.start)
    for _ in range(2000):
        p = p - 0.05 * surface.gradient(p)
    np.testing.assert_allclose(p, (lx, ly), atol=1e-6)


def test_grid_orientation_and_shape():
    surface = make("Rosenbrock")
    xs, ys, z = surface.grid(400, 300)
    assert xs.shape == (400,) and ys.shape == (300,) and z.shape == (300, 400)
    assert (xs[0], xs[-1], ys[0], ys[-1]) == surface.region
    assert z[120, 33] == pytest.approx(surface.value((xs[33], ys[120])))


def test_constant_custom_formula_fills_the_grid():
    _, _, z = custom("2.5").grid(20)
    assert z.shape == (20, 20) and np.all(z == 2.5)


# --- custom formulas ---

@pytest.mark.parametrize("text, reference", [
    ("sin(x) + cos(y)", lambda x, y: np.sin(x) + np.cos(y)),
    ("exp(-x**2 - y**2)", lambda x, y: np.exp(-x**2 - y**2)),
    ("log(1 + x**2) * sqrt(y**2 + 1)", lambda x, y: np.log(1 + x**2) * np.sqrt(y**2 + 1)),
    ("abs(x) + abs(y)**1.5", lambda x, y: np.abs(x) + np.abs(y) ** 1.5),
    ("tanh(x) - tan(y / 4) / 2", lambda x, y: np.tanh(x) - np.tan(y / 4) / 2),
    ("-x**3 + +y * pi - e", lambda x, y: -x**3 + y * np.pi - np.e),
    ("(x - 1)**2 + 10*(y - x**2)**2", lambda x, y: (x - 1) ** 2 + 10 * (y - x**2) ** 2),
])
def test_formula_accepted_and_evaluated(text, reference):
    fn = parse_formula(text)
    x, y = np.array([0.3, -1.2, 2.0]), np.array([0.7, 0.1, -1.9])
    np.testing.assert_allclose(fn(x, y), reference(x, y), rtol=1e-12)


@pytest.mark.parametrize("text, message", [
    ("os", "unknown name 'os'"),
    ("x + os.system", "attribute"),
    ("x.__class__", r"attribute access \('.__class__'\)"),
    ("open('f')", "function 'open' is not allowed"),
    ("__import__('os')", "function '__import__' is not allowed"),
    ("x[0]", "indexing"),
    ("(lambda: x)()", "only the functions"),
    ("lambda: x", "lambda"),
    ("[x for x in (1, 2)]", "comprehension"),
    ("sum(x for x in (1, 2))", "function 'sum'"),
    ("x" + "+x" * 100, "at most 200"),
    ("x ^ 2", r"write powers as x\*\*2"),
    ("sin(x, y)", "exactly one argument"),
    ("exp(x=1)", "exactly one argument"),
    ("'abc'", "real numbers"),
    ("True", "real numbers"),
    ("x < y", "comparison"),
    ("x if y else 1", "if/else"),
    ("x +", "not a valid formula"),
    ("", "empty"),
    ("x % 2", r"only \+ - \* / and \*\*"),
])
def test_formula_rejected(text, message):
    with pytest.raises(ValueError, match=message):
        parse_formula(text)


def test_custom_surface_gradient_and_start():
    surface = custom("x**2 + 3*y**2 + sin(x*y)")
    for p in [(0.5, -1.0), (2.0, 1.5), (-2.7, 0.2)]:
        x, y = p
        exact = (2 * x + y * np.cos(x * y), 6 * y + x * np.cos(x * y))
        np.testing.assert_allclose(surface.gradient(p), exact, rtol=1e-6, atol=1e-8)
    assert surface.minima == () and surface.formula == "f = x**2 + 3*y**2 + sin(x*y)"
    # A start point where the formula is defined, even when half the region is not.
    logged = custom("log(x) + y**2")
    assert logged.start[0] > 0 and np.isfinite(logged.value(logged.start))


def test_custom_overflow_is_inf_not_an_exception():
    assert parse_formula("9**9**9")(0.0, 0.0) == np.inf
    surface = custom("x**2 + 10**(400*x)")
    assert surface.value((2.0, 0.0)) == np.inf
    assert surface.value((-1.0, 0.0)) == pytest.approx(1.0)


@pytest.mark.parametrize("text", ["log(-1 - x**2)", "sqrt(-1 - abs(y))", "1/0"])
def test_formula_never_finite_is_rejected(text):
    with pytest.raises(ValueError, match="no finite value"):
        custom(text)


def test_make_passes_options_and_rejects_unknown():
    assert make("Quadratic bowl", condition=50.0).lipschitz == 50.0
    assert make("Custom", formula="x*y").value((2.0, 3.0)) == 6.0
    with pytest.raises(ValueError, match="unknown surface"):
        make("Ackley")
