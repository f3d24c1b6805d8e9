"""Two-dimensional loss surfaces with analytic gradients, plus a safely parsed custom formula.

Every function takes numpy arrays ``x`` and ``y`` that broadcast together, so the same code
gives one value for an optimizer and a whole heat map for the plot.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

Region = tuple[float, float, float, float]  # xmin, xmax, ymin, ymax


@dataclass(frozen=True, eq=False)
class Surface:
    """A function f(x, y) with its gradient and what the plot needs to show it.

    ``minima`` lists the known minima, global first. ``lipschitz`` is L, the largest
    Hessian eigenvalue, when that is a constant (plain gradient descent is stable for
    lr < 2/L there). ``lr_hint`` is a learning rate at which plain descent behaves.
    """

    name: str
    formula: str
    f: Callable
    df: Callable
    region: Region
    start: tuple[float, float]
    minima: tuple[tuple[float, float], ...] = ()
    log_colors: bool = False
    lipschitz: float | None = None
    lr_hint: float = 0.01

    def value(self, p) -> float:
        return float(self.f(p[0], p[1]))

    def gradient(self, p) -> np.ndarray:
        gx, gy = self.df(p[0], p[1])
        return np.array([gx, gy], dtype=float)

    def grid(self, n: int = 400, m: int | None = None, region: Region | None = None):
        """Sample the region (or another window): xs (n,), ys (m,) and Z (m, n) with
        Z[i, j] = f(xs[j], ys[i])."""
        xmin, xmax, ymin, ymax = self.region if region is None else region
        xs = np.linspace(xmin, xmax, n)
        ys = np.linspace(ymin, ymax, n if m is None else m)
        # A row of x against a column of y broadcasts to the full grid without a meshgrid.
        with np.errstate(all="ignore"):
            z = self.f(xs[None, :], ys[:, None])
        return xs, ys, np.array(np.broadcast_to(z, (len(ys), len(xs))), dtype=float)

    @property
    def span(self) -> float:
        xmin, xmax, ymin, ymax = self.region
        return max(xmax - xmin, ymax - ymin)

    def distance_to_minimum(self, p) -> float | None:
        """Distance from p to the nearest known minimum, or None when none is known."""
        if not self.minima:
            return None
        return float(np.min(np.linalg.norm(np.asarray(self.minima) - np.asarray(p), axis=1)))


def bowl(condition: float = 10.0, angle: float = 0.0) -> Surface:
    """f = ½(u² + κ·w²) in axes (u, w) turned by ``angle`` degrees: Hessian eigenvalues 1 and κ."""
    if condition <= 0:
        raise ValueError(f"the condition number must be positive, got {condition}")
    c, s = np.cos(np.radians(angle)), np.sin(np.radians(angle))

    def f(x, y):
        u, w = c * x + s * y, -s * x + c * y
        return 0.5 * (u**2 + condition * w**2)

    def df(x, y):
        u, w = c * x + s * y, -s * x + c * y
        return c * u - s * condition * w, s * u + c * condition * w

    big = max(1.0, condition)
    return Surface("Quadratic bowl", f"f = ½(u² + {condition:g}·w²), axes turned {angle:g}°",
                   f, df, (-3.0, 3.0, -3.0, 3.0), (-2.5, 2.0), ((0.0, 0.0),),
                   log_colors=True, lipschitz=big, lr_hint=1.0 / big)


def rosenbrock() -> Surface:
    def f(x, y):
        return (1 - x) ** 2 + 100 * (y - x**2) ** 2

    def df(x, y):
        return -2 * (1 - x) - 400 * x * (y - x**2), 200 * (y - x**2)

    return Surface("Rosenbrock", "f = (1 − x)² + 100·(y − x²)²", f, df, (-2.0, 2.0, -1.0, 3.0),
                   (-1.5, 2.0), ((1.0, 1.0),), log_colors=True, lr_hint=0.001)


def himmelblau() -> Surface:
    def f(x, y):
        return (x**2 + y - 11) ** 2 + (x + y**2 - 7) ** 2

    def df(x, y):
        a, b = x**2 + y - 11, x + y**2 - 7
        return 4 * x * a + 2 * b, 2 * a + 4 * y * b

    # Four equal minima; the last three are only known numerically.
    minima = ((3.0, 2.0), (-2.805118, 3.131312), (-3.779310, -3.283186), (3.584428, -1.848126))
    return Surface("Himmelblau", "f = (x² + y − 11)² + (x + y² − 7)²", f, df,
                   (-5.0, 5.0, -5.0, 5.0), (-0.5, -0.5), minima, log_colors=True, lr_hint=0.01)


def beale() -> Surface:
    def terms(x, y):
        return 1.5 - x + x * y, 2.25 - x + x * y**2, 2.625 - x + x * y**3

    def f(x, y):
        a, b, c = terms(x, y)
        return a**2 + b**2 + c**2

    def df(x, y):
        a, b, c = terms(x, y)
        gx = 2 * a * (y - 1) + 2 * b * (y**2 - 1) + 2 * c * (y**3 - 1)
        gy = 2 * a * x + 4 * b * x * y + 6 * c * x * y**2
        return gx, gy

    return Surface("Beale", "f = (1.5 − x + xy)² + (2.25 − x + xy²)² + (2.625 − x + xy³)²", f, df,
                   (-4.5, 4.5, -4.5, 4.5), (1.0, 1.4), ((3.0, 0.5),), log_colors=True,
                   lr_hint=0.002)


def saddle() -> Surface:
    # Unbounded below, so it has no minimum: a run is expected to slide off the plot.
    return Surface("Saddle", "f = x² − y²", lambda x, y: x**2 - y**2,
                   lambda x, y: (2 * x, -2 * y), (-2.0, 2.0, -2.0, 2.0), (-1.8, 0.01),
                   lipschitz=2.0, lr_hint=0.1)


_TILT = 0.3


def _tilted_well_minima() -> tuple[tuple[float, float], ...]:
    # ∂f/∂x = 4x³ − 4x + tilt vanishes at three real roots; the outer two are minima.
    roots = np.sort(np.roots([4.0, 0.0, -4.0, _TILT]).real)
    outer = [r for r in roots if 12 * r**2 - 4 > 0]
    outer.sort(key=lambda r: (r**2 - 1) ** 2 + _TILT * r)  # global first
    return tuple((float(r), 0.0) for r in outer)


def two_minima() -> Surface:
    """A tilted double well: the left minimum is global, the right one only local."""
    return Surface("Local and global minimum", f"f = (x² − 1)² + {_TILT}·x + y²",
                   lambda x, y: (x**2 - 1) ** 2 + _TILT * x + y**2,
                   lambda x, y: (4 * x * (x**2 - 1) + _TILT, 2 * y),
                   (-2.0, 2.0, -1.5, 1.5), (1.8, 1.2), _tilted_well_minima(), lr_hint=0.05)


def plateau() -> Surface:
    """A narrow basin in an almost flat plain: tiny gradients far away stall plain descent."""
    def f(x, y):
        return 1 - np.exp(-((x - 1) ** 2 + (y - 1) ** 2) / 2)

    def df(x, y):
        bump = np.exp(-((x - 1) ** 2 + (y - 1) ** 2) / 2)
        return (x - 1) * bump, (y - 1) * bump

    return Surface("Plateau", "f = 1 − exp(−((x − 1)² + (y − 1)²) / 2)", f, df,
                   (-4.0, 4.0, -4.0, 4.0), (-3.0, -2.5), ((1.0, 1.0),), lr_hint=0.5)


# --- custom formulas ---------------------------------------------------------------------

MAX_FORMULA_LENGTH = 200
FUNCTIONS = {"sin": np.sin, "cos": np.cos, "tan": np.tan, "exp": np.exp, "log": np.log,
             "sqrt": np.sqrt, "abs": np.abs, "tanh": np.tanh}
CONSTANTS = {"pi": np.pi, "e": np.e}
_BINARY = {ast.Add: np.add, ast.Sub: np.subtract, ast.Mult: np.multiply,
           ast.Div: np.divide, ast.Pow: np.power}
_UNARY = {ast.USub: np.negative, ast.UAdd: np.positive}
_NAMED = {ast.Lambda: "lambda", ast.Compare: "comparison", ast.BoolOp: "and/or",
          ast.IfExp: "if/else", ast.NamedExpr: "':='", ast.ListComp: "a comprehension",
          ast.SetComp: "a comprehension", ast.DictComp: "a comprehension",
          ast.GeneratorExp: "a comprehension", ast.List: "a list", ast.Tuple: "a tuple",
          ast.Dict: "a dict", ast.Set: "a set", ast.JoinedStr: "an f-string",
          ast.Starred: "'*'", ast.Await: "await"}


def parse_formula(text: str) -> Callable:
    """Turn a formula in x and y into a vectorized numpy function, or raise ValueError.

    The text is parsed with ``ast`` and every node is checked against a whitelist while
    the evaluator is built from numpy functions; the text itself is never executed.
    """
    if not isinstance(text, str):
        raise ValueError("the formula must be text")
    text = text.strip()
    if not text:
        raise ValueError("the formula is empty")
    if len(text) > MAX_FORMULA_LENGTH:
        raise ValueError(f"the formula is {len(text)} characters long; "
                         f"at most {MAX_FORMULA_LENGTH} are allowed")
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError as err:
        raise ValueError(f"not a valid formula: {err.msg} (column {err.offset})") from None
    raw = _build(tree.body)

    def evaluate(x, y):
        with np.errstate(all="ignore"):  # overflow and bad domains become inf and nan
            return raw(x, y)
    return evaluate


def _build(node: ast.AST) -> Callable:
    allowed = ", ".join(FUNCTIONS)
    match node:
        case ast.Constant(value=bool() | str() | bytes() | complex() | None):
            raise ValueError(f"only real numbers may appear, not {node.value!r}")
        case ast.Constant(value=int() | float()):
            c = np.float64(node.value)  # numpy floats overflow to inf instead of raising
            return lambda x, y: c
        case ast.Name(id="x"):
            return lambda x, y: x
        case ast.Name(id="y"):
            return lambda x, y: y
        case ast.Name(id=name) if name in CONSTANTS:
            c = np.float64(CONSTANTS[name])
            return lambda x, y: c
        case ast.Name(id=name):
            raise ValueError(f"unknown name {name!r}: only x, y, pi and e may appear")
        case ast.BinOp(op=ast.BitXor()):
            raise ValueError("'^' is not a power here; write powers as x**2")
        case ast.BinOp(op=op) if type(op) in _BINARY:
            fn, left, right = _BINARY[type(op)], _build(node.left), _build(node.right)
            return lambda x, y: fn(left(x, y), right(x, y))
        case ast.BinOp():
            raise ValueError("only + - * / and ** may combine terms")
        case ast.UnaryOp(op=op) if type(op) in _UNARY:
            fn, inner = _UNARY[type(op)], _build(node.operand)
            return lambda x, y: fn(inner(x, y))
        case ast.Call(func=ast.Name(id=name), args=[arg], keywords=[]) if name in FUNCTIONS:
            fn, inner = FUNCTIONS[name], _build(arg)
            return lambda x, y: fn(inner(x, y))
        case ast.Call(func=ast.Name(id=name)) if name in FUNCTIONS:
            raise ValueError(f"{name}() takes exactly one argument")
        case ast.Call(func=ast.Name(id=name)):
            raise ValueError(f"function {name!r} is not allowed; use one of {allowed}")
        case ast.Call():
            raise ValueError(f"only the functions {allowed} may be called, by name")
        case ast.Attribute(attr=attr):
            raise ValueError(f"attribute access ('.{attr}') is not allowed")
        case ast.Subscript():
            raise ValueError("indexing with [...] is not allowed")
        case _:
            what = _NAMED.get(type(node), type(node).__name__)
            raise ValueError(f"{what} is not allowed in a formula")


def _central_gradient(f: Callable) -> Callable:
    def df(x, y):
        x, y = np.asarray(x, float), np.asarray(y, float)
        # A step relative to the coordinate keeps rounding error small far from the origin.
        hx, hy = 1e-5 * (1 + np.abs(x)), 1e-5 * (1 + np.abs(y))
        with np.errstate(all="ignore"):
            gx = (f(x + hx, y) - f(x - hx, y)) / (2 * hx)
            gy = (f(x, y + hy) - f(x, y - hy)) / (2 * hy)
        return gx, gy
    return df


def custom(formula: str, region: Region = (-3.0, 3.0, -3.0, 3.0),
           start: tuple[float, float] | None = None) -> Surface:
    """A surface from a typed formula; the gradient comes from central differences."""
    raw = parse_formula(formula)

    def f(x, y):
        out = raw(np.asarray(x, float), np.asarray(y, float))
        return np.array(np.broadcast_to(out, np.broadcast(x, y).shape), dtype=float)

    probe = Surface("Custom", "", f, None, region, (0.0, 0.0))
    xs, ys, z = probe.grid(41)
    finite = np.isfinite(z)
    if not finite.any():
        raise ValueError("the formula has no finite value anywhere in the plotted region")
    if start is None:
        # Prefer the upper-left quarter, but settle for the nearest point where f is defined.
        want = (xs[0] + 0.25 * (xs[-1] - xs[0]), ys[0] + 0.75 * (ys[-1] - ys[0]))
        iy, ix = np.nonzero(finite)
        best = np.argmin((xs[ix] - want[0]) ** 2 + (ys[iy] - want[1]) ** 2)
        start = (float(xs[ix[best]]), float(ys[iy[best]]))
    return Surface("Custom", f"f = {formula.strip()}", f, _central_gradient(f), region, start)


SURFACES: dict[str, Callable[..., Surface]] = {
    "Quadratic bowl": bowl, "Rosenbrock": rosenbrock, "Himmelblau": himmelblau,
    "Beale": beale, "Saddle": saddle, "Local and global minimum": two_minima,
    "Plateau": plateau, "Custom": custom,
}


def make(name: str, *, condition: float = 10.0, angle: float = 0.0,
         formula: str = "") -> Surface:
    """Build a surface by its registry name; extra arguments reach the surfaces that use them."""
    if name == "Quadratic bowl":
        return bowl(condition, angle)
    if name == "Custom":
        return custom(formula)
    if name not in SURFACES:
        raise ValueError(f"unknown surface {name!r}; choose one of {', '.join(SURFACES)}")
    return SURFACES[name]()
