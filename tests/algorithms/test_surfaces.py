"""Analytic gradients against central differences; the custom-formula whitelist."""

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import brentq

from algorithms import surfaces
from algorithms.surfaces import (
    SURFACES,
    Surface,
    bowl,
    custom,
    make,
    parse_formula,
    two_minima,
)

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


# --- each named surface at points worked out by hand ---

E = np.e
KNOWN_VALUES = [
    # Rosenbrock (1 − x)² + 100·(y − x²)²: the minimum, then points that expose the 100
    ("Rosenbrock", (1, 1), 0.0), ("Rosenbrock", (0, 0), 1.0), ("Rosenbrock", (-1, 1), 4.0),
    ("Rosenbrock", (0, 1), 101.0), ("Rosenbrock", (1, 0), 100.0), ("Rosenbrock", (2, 4), 1.0),
    # Himmelblau (x² + y − 11)² + (x + y² − 7)²: (3, 2) is an exact zero
    ("Himmelblau", (3, 2), 0.0), ("Himmelblau", (0, 0), 121 + 49),
    ("Himmelblau", (1, 1), 81 + 25),
    # Beale: (3, 0.5) is an exact zero; at y = 1 every x·yⁿ − x cancels: 1.5² + 2.25² + 2.625²
    ("Beale", (3, 0.5), 0.0), ("Beale", (0, 0), 14.203125), ("Beale", (1, 1), 14.203125),
    ("Beale", (2, 0), 0.25 + 0.0625 + 0.390625),
    # bowl ½(x² + 10·y²) when not turned
    ("Quadratic bowl", (1, 0), 0.5), ("Quadratic bowl", (0, 1), 5.0),
    ("Quadratic bowl", (2, -1), 7.0),
    ("Saddle", (1, 2), -3.0), ("Saddle", (3, 0), 9.0),
    # (x² − 1)² + 0.3·x + y²
    ("Local and global minimum", (0, 0), 1.0), ("Local and global minimum", (1, 0), 0.3),
    ("Local and global minimum", (-1, 0), -0.3), ("Local and global minimum", (0, 2), 5.0),
    ("Local and global minimum", (2, 0), 9.6),
    # 1 − exp(−r²/2) with r the distance to (1, 1)
    ("Plateau", (1, 1), 0.0), ("Plateau", (3, 1), 1 - E**-2), ("Plateau", (2, 2), 1 - E**-1),
]


@pytest.mark.parametrize(("name", "point", "value"), KNOWN_VALUES)
def test_value_at_known_points(name, point, value):
    assert make(name).value(point) == pytest.approx(value, rel=1e-12, abs=1e-12)


KNOWN_GRADIENTS = [
    # Rosenbrock: (−2(1 − x) − 400·x·(y − x²), 200·(y − x²))
    ("Rosenbrock", (0, 0), (-2, 0)), ("Rosenbrock", (-1, 1), (-4, 0)),
    ("Rosenbrock", (0, 1), (-2, 200)), ("Rosenbrock", (1, 0), (400, -200)),
    # Himmelblau with a = x² + y − 11, b = x + y² − 7: (4x·a + 2b, 2a + 4y·b)
    ("Himmelblau", (0, 0), (-14, -22)), ("Himmelblau", (1, 1), (-46, -38)),
    # Beale at (1, 1): every (yⁿ − 1) vanishes, ∂/∂y = 2·1.5 + 4·2.25 + 6·2.625
    ("Beale", (1, 1), (0, 27.75)), ("Beale", (0, 0), (-2 * (1.5 + 2.25 + 2.625), 0)),
    ("Quadratic bowl", (1, 1), (1, 10)), ("Saddle", (1, 2), (2, -4)),
    # 4x(x² − 1) + 0.3, 2y
    ("Local and global minimum", (0, 0), (0.3, 0)),
    ("Local and global minimum", (2, 1), (24.3, 2)),
    # (x − 1, y − 1)·exp(−r²/2)
    ("Plateau", (3, 1), (2 * E**-2, 0)), ("Plateau", (1, 1), (0, 0)),
]


@pytest.mark.parametrize(("name", "point", "gradient"), KNOWN_GRADIENTS)
def test_gradient_at_known_points(name, point, gradient):
    np.testing.assert_allclose(make(name).gradient(point), gradient, rtol=1e-12, atol=1e-12)


def test_how_many_minima_each_surface_knows():
    counts = {name: len(make(name).minima) for name in NAMED}
    assert counts == {"Quadratic bowl": 1, "Rosenbrock": 1, "Himmelblau": 4, "Beale": 1,
                      "Saddle": 0, "Local and global minimum": 2, "Plateau": 1}


@pytest.mark.parametrize("name", NAMED)
def test_gradients_are_float_arrays_even_at_integer_points(name):
    g = make(name).gradient((1, 2))
    assert g.dtype == np.float64 and g.shape == (2,)


def test_every_known_minimum_is_a_minimum():
    """f there is the lowest value of its neighbourhood, and the global one (listed first)
    is the lowest of all; Himmelblau's four minima are all zeros."""
    for name in NAMED:
        surface = make(name)
        values = [surface.value(m) for m in surface.minima]
        for m, v in zip(surface.minima, values, strict=True):
            ring = [(m[0] + 1e-3 * np.cos(t), m[1] + 1e-3 * np.sin(t))
                    for t in np.linspace(0, 2 * np.pi, 12, endpoint=False)]
            assert all(surface.value(p) > v for p in ring), (name, m)
        assert values == [] or values[0] == min(values)
    np.testing.assert_allclose([make("Himmelblau").value(m) for m in make("Himmelblau").minima],
                               0.0, atol=1e-9)


def test_turned_bowl_has_curvature_1_and_kappa_along_its_axes():
    """Turned by θ, the bowl's u axis points along (cos θ, sin θ) and its w axis along
    (−sin θ, cos θ): one unit along them costs ½ and κ/2."""
    for kappa, angle in [(9.0, 30.0), (4.0, 90.0), (2.5, -45.0), (0.5, 10.0)]:
        surface = bowl(kappa, angle)
        t = np.radians(angle)
        assert surface.value((np.cos(t), np.sin(t))) == pytest.approx(0.5)
        assert surface.value((-np.sin(t), np.cos(t))) == pytest.approx(kappa / 2)
        assert surface.lipschitz == max(1.0, kappa)
    with pytest.raises(ValueError, match="condition number"):
        bowl(0.0)


def shown_as_python(formula):
    """The formula as students read it, rewritten in the custom-formula syntax."""
    text = formula.removeprefix("f = ")
    for shown, typed in [("−", "-"), ("·", "*"), ("²", "**2"), ("³", "**3"), ("xy", "x*y")]:
        text = text.replace(shown, typed)
    return text


@pytest.mark.parametrize("name", [n for n in NAMED if n != "Quadratic bowl"])
def test_the_formula_shown_is_the_function_computed(name):
    surface = make(name)
    assert surface.name == name
    shown = parse_formula(shown_as_python(surface.formula))
    rng = np.random.default_rng(0)
    x, y = rng.uniform(-3, 3, 50), rng.uniform(-3, 3, 50)
    np.testing.assert_allclose(surface.f(x, y), shown(x, y), rtol=1e-12, atol=1e-12)


def test_the_bowl_says_its_condition_and_turn():
    surface = make("Quadratic bowl", condition=7.5, angle=-20.0)
    assert surface.name == "Quadratic bowl"
    assert "7.5·w²" in surface.formula and "20°" in surface.formula


def hessian(surface, p, h=1e-4):
    cols = [(surface.gradient(np.add(p, h * e)) - surface.gradient(np.subtract(p, h * e)))
            / (2 * h) for e in np.eye(2)]
    return np.column_stack(cols)


@pytest.mark.parametrize("name", NAMED + ["rotated bowl"])
def test_lipschitz_is_the_top_curvature_when_that_is_constant(name):
    surface = bowl(7.0, angle=25.0) if name == "rotated bowl" else make(name)
    tops = [np.linalg.eigvalsh(hessian(surface, p)).max()
            for p in [(0.3, -0.7), (1.2, 0.4), (-1.1, 1.6)]]
    if surface.lipschitz is None:
        assert np.ptp(tops) > 1e-3          # the curvature changes, so no single L exists
    else:
        np.testing.assert_allclose(tops, surface.lipschitz, rtol=1e-6)


@pytest.mark.parametrize("name", NAMED)
def test_plain_descent_at_the_hinted_rate_never_climbs(name):
    """lr_hint is 'a learning rate at which plain descent behaves': from the start, 300
    steps of it never raise f and never leave the finite numbers."""
    surface = make(name)
    p, values = np.array(surface.start, float), [surface.value(surface.start)]
    for _ in range(300):
        p = p - surface.lr_hint * surface.gradient(p)
        values.append(surface.value(p))
    assert np.isfinite(values).all()
    assert np.all(np.diff(values) <= 1e-12)


def test_the_hinted_rate_brings_the_bowl_to_its_minimum():
    for kappa in (0.5, 1.0, 10.0, 40.0):
        surface = bowl(kappa, angle=35.0)
        p = np.array(surface.start, float)
        for _ in range(3000):
            p = p - surface.lr_hint * surface.gradient(p)
        assert np.hypot(*p) < 1e-6, kappa


def test_the_bowls_hinted_rate_settles_the_steep_axis_in_one_step():
    """lr_hint = 1/L: along the steepest axis (curvature L) one step multiplies the
    coordinate by 1 − L·(1/L) = 0, the fastest rate that does not overshoot."""
    for kappa in (2.0, 10.0, 250.0):
        surface = bowl(kappa)
        p = np.array(surface.start) - surface.lr_hint * surface.gradient(surface.start)
        assert p[1] == 0.0 and p[0] == pytest.approx(surface.start[0] * (1 - 1 / kappa))


def test_the_saddle_run_nears_the_saddle_point_then_slides_off():
    """Started almost on the ridge y = 0, plain descent first rolls towards the saddle
    point (0, 0), then the tiny y grows (×1.2 a step at the hinted rate) until it leaves."""
    surface = make("Saddle")
    p, closest = np.array(surface.start, float), np.inf
    xmin, xmax, ymin, ymax = surface.region
    for _ in range(200):
        p = p - surface.lr_hint * surface.gradient(p)
        closest = min(closest, np.hypot(*p))
        if not (xmin <= p[0] <= xmax and ymin <= p[1] <= ymax):
            break
    assert closest < 0.2
    assert abs(p[1]) > ymax


@pytest.mark.parametrize("tilt", [0.3, -0.3])
def test_the_global_minimum_is_listed_first_whichever_way_the_well_tilts(tilt, monkeypatch):
    monkeypatch.setattr(surfaces, "_TILT", tilt)
    surface = two_minima()
    (gx, _), (lx, _) = surface.minima
    assert surface.value((gx, 0.0)) < surface.value((lx, 0.0))
    assert np.sign(gx) == -np.sign(tilt)


def test_the_plateau_start_is_on_the_flat():
    """The lesson: tiny gradients far from the basin stall plain descent, so the start
    sits where the slope is below 0.01 and 300 steps at the hinted rate barely move f."""
    surface = make("Plateau")
    assert np.hypot(*surface.gradient(surface.start)) < 0.01
    p = np.array(surface.start, float)
    for _ in range(300):
        p = p - surface.lr_hint * surface.gradient(p)
    assert surface.value(p) > 0.99


def test_evaluating_outside_the_domain_is_silent():
    """A heat map over a region where f is undefined (log of a negative) or overflows gets
    nan/inf, without a RuntimeWarning per frame."""
    raw = Surface("raw", "", lambda x, y: np.log(x) + np.exp(800 * y), None,
                  (-1.0, 1.0, -1.0, 1.0), (0.5, 0.0))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _, _, z = raw.grid(11)
        assert np.isnan(z).any() and np.isinf(z).any()
        assert np.isnan(parse_formula("log(x)")(-1.0, 0.0))
        assert np.isnan(custom("log(x) + y").gradient((-2.0, 0.0))[0])


def test_distance_to_the_nearest_known_minimum():
    assert make("Rosenbrock").distance_to_minimum((4.0, 5.0)) == pytest.approx(5.0)
    # Himmelblau from the origin: (3, 2) is nearest, √13 away
    assert make("Himmelblau").distance_to_minimum((0.0, 0.0)) == pytest.approx(np.sqrt(13))
    assert make("Saddle").distance_to_minimum((1.0, 1.0)) is None


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
    # From its default start, plain descent at the hinted rate settles in the local
    # (right-hand) minimum: the lesson this surface exists for.
    p = np.array(surface.start)
    for _ in range(2000):
        p = p - surface.lr_hint * surface.gradient(p)
    np.testing.assert_allclose(p, (lx, ly), atol=1e-6)


def test_two_minima_are_the_roots_scipy_finds():
    """∂f/∂x = 4x³ − 4x + 0.3 has roots near −1, 0 and 1; the outer two are the minima
    (the middle one is a maximum along x). brentq on brackets found by hand."""
    def slope(x):
        return 4 * x**3 - 4 * x + 0.3
    left, right = brentq(slope, -2, -0.5, xtol=1e-15), brentq(slope, 0.5, 2, xtol=1e-15)
    np.testing.assert_allclose(two_minima().minima, [(left, 0.0), (right, 0.0)], rtol=1e-12)


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
    ("max(x, y)", "use one of sin, cos, tan, exp, log, sqrt, abs, tanh"),
    ("x" + "+x" * 100, "201 characters long"),
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
    # The start: the point of the 41 × 41 probe grid (step 0.15 on [−3, 3]) nearest to the
    # middle of the upper-left quarter, (−1.5, 1.5) ...
    assert custom("x**2 + y**2").start == pytest.approx((-1.5, 1.5), abs=1e-12)
    # ... or, where the formula is undefined there, the nearest grid point where it is
    # defined: log(x) needs x > 0 and the first such column is x = 0.15.
    logged = custom("log(x) + y**2")
    assert logged.start == pytest.approx((0.15, 1.5), abs=1e-12)
    assert custom("sqrt(-y) + x", region=(0, 4, 0, 8)).start == pytest.approx((1.0, 0.0))
    assert custom("x", start=(0.5, 0.25)).start == (0.5, 0.25)
    assert custom("x").name == "Custom"


def test_custom_gradient_stays_accurate_far_from_the_origin():
    """Central differences are exact for a quadratic up to rounding; a step relative to the
    coordinate keeps that rounding small at 1e4 (a fixed 1e-5 step would lose 6 digits)."""
    surface = custom("x**2 + 3*y**2", region=(-3e4, 3e4, -3e4, 3e4))
    for p in [(1e4, -2e4), (0.0, 0.0), (-3.0, 0.5), (1.0, -1.0)]:
        np.testing.assert_allclose(surface.gradient(p), (2 * p[0], 6 * p[1]), rtol=1e-9,
                                   atol=1e-9)


def test_custom_values_broadcast_like_the_named_surfaces():
    surface = custom("x + 0*y")
    assert surface.f(np.arange(3.0), 0.0).shape == (3,)
    assert surface.f(1.0, np.zeros((2, 1))).shape == (2, 1)
    np.testing.assert_array_equal(surface.f(np.arange(3.0)[None, :], np.zeros((2, 1))),
                                  [[0.0, 1.0, 2.0]] * 2)


@pytest.mark.parametrize("thing", [3, None, b"x"])
def test_a_formula_must_be_text(thing):
    with pytest.raises(ValueError, match="the formula must be text"):
        parse_formula(thing)


def test_a_formula_of_the_longest_allowed_length_is_accepted():
    exact = "1" + "+1" * 98 + "+10"    # 200 characters: 99 ones and a ten
    assert len(exact) == 200 and parse_formula(exact)(0.0, 0.0) == 109.0


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


# --- what mutation testing left (see the closing note of issue 6) -------------------------
@pytest.mark.parametrize(("call", "message"), [
    (lambda: surfaces.parse_formula(3), "^the formula must be text$"),
    (lambda: surfaces.parse_formula("   "), "^the formula is empty$"),
    (lambda: surfaces.parse_formula("x^2"), r"^'\^' is not a power here; write powers as x\*\*2$"),
    (lambda: surfaces.parse_formula("x % y"), r"^only \+ - \* / and \*\* may combine terms$"),
    (lambda: surfaces.parse_formula("x[0]"), r"^indexing with \[\.\.\.\] is not allowed$"),
    (lambda: surfaces.custom("log(-1 - x**2)"),
     "^the formula has no finite value anywhere in the plotted region$"),
    (lambda: surfaces.make("Nope"), "^unknown surface 'Nope'; choose one of Quadratic bowl, "
                                    "Rosenbrock, Himmelblau, Beale, Saddle, "),
    (lambda: surfaces.make("Custom"), "^the formula is empty$"),
])
def test_each_refusal_says_what_is_wrong_in_its_own_words(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_grid_samples_the_window_asked_for_and_gives_floats():
    bowl = surfaces.bowl()
    xs, ys, z = bowl.grid(5, 3, region=(0.0, 1.0, 2.0, 4.0))
    assert (xs[0], xs[-1], ys[0], ys[-1]) == (0.0, 1.0, 2.0, 4.0) and z.shape == (3, 5)
    whole = surfaces.Surface("ints", "", lambda x, y: np.zeros(np.broadcast(x, y).shape, int),
                             None, (0.0, 1.0, 0.0, 1.0), (0.0, 0.0))
    assert whole.grid(4)[2].dtype == np.float64, "an integer-valued function still gives floats"
    assert surfaces.custom("3").f(0, 0).dtype == np.float64


@pytest.mark.parametrize("name", [n for n in surfaces.SURFACES if n != "Custom"])
def test_the_start_and_the_minima_are_in_the_window_shown(name):
    surface = make(name)
    xmin, xmax, ymin, ymax = surface.region
    for x, y in (surface.start, *surface.minima):
        assert xmin <= x <= xmax and ymin <= y <= ymax
