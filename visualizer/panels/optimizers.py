"""Optimizers racing on a loss surface: coloured paths, arrows, loss and distance per step."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
import shiboken6
from PySide6 import QtCore

from algorithms import optimizers, surfaces
from algorithms.base import num, param
from visualizer.panels.base import AlgorithmPanel
from visualizer.panels.overlays import CACHED, Legend, StatusBox, line_sample, marker_sample
from visualizer.panels.ranges import FixedRanges
from visualizer.panels.surface_view import (
    SurfaceLayer,
    ViewCurve,
    scaled_arrow,
    show_curve,
    until_it_leaves,
)
from visualizer.style import INK, STYLE, colour

NAMES = tuple(optimizers.OPTIMIZERS)  # GD, Momentum, Nesterov, AdaGrad, RMSProp, Adam
# Fixed palette slots, yellow left out (it vanishes on the pale surface); the three
# optimizers ticked by default get the three most different hues.
HUE = {"GD": 5, "Momentum": 0, "Nesterov": 4, "AdaGrad": 1, "RMSProp": 3, "Adam": 2}
# Colour alone is not enough for six (the two blues, the two oranges): each also has its
# own marker and line style, in the paths, the loss plots and the legend.
MARK = {"GD": "o", "Momentum": "s", "Nesterov": "t", "AdaGrad": "d", "RMSProp": "p",
        "Adam": "h"}
DASH = {"GD": QtCore.Qt.SolidLine, "Momentum": QtCore.Qt.SolidLine,
        "Nesterov": QtCore.Qt.DashLine, "AdaGrad": QtCore.Qt.DotLine,
        "RMSProp": QtCore.Qt.DashDotLine, "Adam": QtCore.Qt.SolidLine}
ROLLING = tuple(n for n in NAMES if optimizers.OPTIMIZERS[n].velocity_slot)  # have a velocity
ARROWS = ("gradient", "update", "velocity")
ARROW_LABELS = {"gradient": "−gradient (scaled)", "update": "step (scaled)",
                "velocity": "velocity (scaled)"}


@dataclass(frozen=True)
class Params(optimizers.RaceParams):
    show_gradient: bool = param(True, live=True, label="show −gradient arrows",
                                tip="downhill direction −g of the last step, scaled to be seen")
    show_update: bool = param(True, live=True, label="show step arrows",
                              tip="the last move each optimizer made, scaled to be seen")
    show_velocity: bool = param(False, live=True, label="show velocity arrows",
                                tip="momentum and Nesterov: where the ball is rolling")


def _for_the_class(snap):
    """The snapshot as the panel shows it: a first caption line in words (the numbers of
    each update follow, behind the window's "numbers" toggle), and short metrics —
    "loss GD 5.75 · Momentum 0.31 · Adam 1.2" keeps six optimizers on one line."""
    metrics = {("loss " if i == 0 else "") + name: float(r.losses[-1])
               for i, (name, r) in enumerate(snap.runners.items())}
    return dataclasses.replace(snap, metrics=metrics,
                               caption=summary(snap) + "\n" + snap.caption)


def summary(snap) -> str:
    """'Step 10: GD is lowest (loss 0.052), then Momentum (0.065) and Adam (1.47).'"""
    running = sorted((r for r in snap.runners.values() if r.diverged_at is None),
                     key=lambda r: r.losses[-1])
    stopped = [r.name for r in snap.runners.values() if r.diverged_at is not None]
    text = f"Step {snap.step}: "
    if running:
        first, rest = running[0], running[1:]
        text += f"{first.name} is lowest (loss {num(first.losses[-1], 3)})"
        if rest:
            others = [f"{r.name} ({num(r.losses[-1], 3)})" for r in rest]
            text += ", then " + (" and ".join(others) if len(others) < 3
                                 else ", ".join(others[:-1]) + " and " + others[-1])
    if stopped:
        text += ("; " if running else "") + f"{' and '.join(stopped)} stopped"
    return text + "."


def _surface_key(p) -> tuple:
    if p.surface == "Quadratic bowl":
        return p.surface, p.condition, p.angle
    return (p.surface, p.formula.strip()) if p.surface == "Custom" else (p.surface,)


class OptimizersPanel(AlgorithmPanel):
    id, title, topic = "optimizers", "Optimizers on a loss surface", "Optimization"
    Params = Params

    def __init__(self, seed: int = 0):
        super().__init__(seed)
        self.start_point: tuple[float, float] | None = None   # None: the surface's own
        self.surface = optimizers.make_surface(self.params)
        self._marked = None
        self.refused: str | None = None   # the message about a formula that was refused

    def start(self):
        self._use_surface(self.surface)

    # --- building -----------------------------------------------------------------------
    def setup(self, canvas):
        self.main = main = canvas.addPlot(row=0, col=0, rowspan=2)
        main.setAspectLocked(True)
        # A fixed view: no panning, zooming or autorange, whatever a diverging run does.
        main.setMouseEnabled(False, False)
        main.setMenuEnabled(False)
        main.hideButtons()
        main.disableAutoRange()
        self.click_plot = main
        self.layer = SurfaceLayer(main)
        # The map fills the view whatever its shape: redrawn a moment after a resize.
        self.refit = QtCore.QTimer(self, singleShot=True, interval=120,
                                   timeout=lambda: self._fill_view() and self.redraw.emit())
        main.vb.sigResized.connect(self._resized)
        self.paths = {n: self._add(main, ViewCurve(), 5) for n in NAMES}
        # Every item costs a little each frame: the black −gradient arrows share one item.
        self.arrows = {"gradient": self._add(main, ViewCurve(connect="pairs"), 8)}
        self.arrows |= {(n, kind): self._add(main, ViewCurve(connect="pairs"), 8)
                        for kind, names in (("update", NAMES), ("velocity", ROLLING))
                        for n in names}
        self.start_mark = self._add(main, pg.ScatterPlotItem(symbol="o", brush=None), 9)
        self.start_mark.setCacheMode(CACHED)
        self.points = self._add(main, pg.ScatterPlotItem(pxMode=True), 10)
        self.status = StatusBox(main, "top-left")

        self.loss_plot = canvas.addPlot(row=0, col=1)
        self.loss_plot.setLabel("bottom", "step")
        self.dist_plot = canvas.addPlot(row=1, col=1)
        self.dist_plot.setLabel("bottom", "step")
        for plot in (self.loss_plot, self.dist_plot):
            plot.showGrid(x=True, y=True, alpha=0.2)
            plot.hideButtons()
        self.loss_range, self.dist_range = FixedRanges(self.loss_plot), FixedRanges(self.dist_plot)
        # Plain curves fed log10 values: PlotDataItem's own log mode costs ~0.3 ms per curve
        # per frame, and PlotItem.setLogMode would switch autorange back on. Without
        # antialiasing these small plots draw as line segments, ~2 ms a frame cheaper.
        self.loss_curves, self.dist_curves = (
            {n: self._add(plot, ViewCurve(antialias=False), 0) for n in NAMES}
            for plot in (self.loss_plot, self.dist_plot))
        for item in [*self.paths.values(), *self.loss_curves.values(),
                     *self.dist_curves.values()]:
            item.setSkipFiniteCheck(True)  # the race only keeps finite points
        self.legend_item = pg.LegendItem(colCount=4)
        self.legend = Legend(self.legend_item, width=lambda: self.canvas.width() - 40)
        canvas.addItem(self.legend_item, row=2, col=0, colspan=2)
        layout = canvas.ci.layout
        layout.setColumnStretchFactor(0, 3)
        layout.setColumnStretchFactor(1, 2)

    @staticmethod
    def _add(plot, item, z):
        item.setZValue(z)
        plot.addItem(item)
        return item

    def restyle(self):
        super().restyle()
        width = STYLE.line_width
        self.status.restyle()
        self.layer.restyle()
        self.brushes = {n: pg.mkBrush(colour(HUE[n])) for n in NAMES}
        for n in NAMES:
            self.paths[n].setPen(pg.mkPen(colour(HUE[n]), width=width + 1, style=DASH[n]))
            thinner = pg.mkPen(colour(HUE[n]), width=width, style=DASH[n])  # wide costs most
            self.loss_curves[n].setPen(thinner)
            self.dist_curves[n].setPen(thinner)
            self.arrows[n, "update"].setPen(pg.mkPen(colour(HUE[n]), width=width + 2))
            if n in ROLLING:
                self.arrows[n, "velocity"].setPen(pg.mkPen(colour(HUE[n]), width=width + 1,
                                                           style=QtCore.Qt.DashLine))
        self.arrows["gradient"].setPen(pg.mkPen(INK, width=width))
        self.points.setSize(STYLE.marker_size * 1.8)
        self.points.setPen(pg.mkPen(INK, width=1.5))
        self.start_mark.setSize(STYLE.marker_size * 2.6)
        self.start_mark.setPen(pg.mkPen(INK, width=width, style=QtCore.Qt.DashLine))
        self._legend_entries()

    def _legend_entries(self):
        rates = tuple((n, getattr(self.params, f"{n.lower()}_lr")) for n in self._enabled())
        shown = tuple(kind for kind in ARROWS if getattr(self.params, f"show_{kind}"))
        width, size = STYLE.line_width, STYLE.marker_size * 1.6
        entries = [(line_sample(colour(HUE[n]), width + 1, DASH[n], MARK[n], size),
                    f"{n} (η {lr:g})") for n, lr in rates]
        styles = {"gradient": (width, QtCore.Qt.SolidLine), "update": (width + 2,
                  QtCore.Qt.SolidLine), "velocity": (width + 1, QtCore.Qt.DashLine)}
        entries += [(line_sample(INK, styles[k][0], styles[k][1]), ARROW_LABELS[k]) for k in shown]
        if self.surface.minima:
            entries.append((marker_sample("star", "#ffffff", size=size * 1.5), "known minimum"))
        entries.append((marker_sample("o", None, size=size * 1.5, style=QtCore.Qt.DashLine),
                        "start: click to move"))
        self.legend.fill(entries, key=(rates, shown, bool(self.surface.minima)))

    # --- the surface --------------------------------------------------------------------
    def _use_surface(self, surface):
        self.surface = surface
        self._key = _surface_key(self.params)
        self.layer.show(surface, self._aspect())
        # Titles set the layout's minimum width, and a custom formula may be 200 characters
        # long: the formula goes in the text box inside the view, which clips it instead.
        self.set_title(self.main, surface.name)
        self.gap = bool(surface.minima)  # the loss plot shows f − f* on a log axis
        self.loss_plot.getAxis("left").setLogMode(False, self.gap)
        self.set_title(self.loss_plot, "loss above the minimum" if self.gap else "loss f")
        self.dist_plot.getAxis("left").setLogMode(False, True)
        self.set_title(self.dist_plot, "distance to a minimum" if self.gap
                       else "distance: no minimum known here")

    def _resized(self, *_):
        if shiboken6.isValid(self.refit):  # resizes still arrive while the canvas goes
            self.refit.start()

    def _aspect(self) -> float | None:
        box = self.main.vb.boundingRect()
        return box.width() / box.height() if box.height() > 10 else None

    def _fill_view(self, tolerance: float = 0.03):
        if not shiboken6.isValid(self.main.vb):
            return False  # the canvas is being taken down
        region, aspect = self.layer.region, self._aspect()
        shape = (region[1] - region[0]) / (region[3] - region[2])
        if aspect and abs(shape / aspect - 1) > tolerance:
            self.layer.show(self.surface, aspect)
            return True
        return False

    def set_params(self, params, live=False):
        if live:
            self.params = params
            self._legend_entries()
            self.redraw.emit()
            return
        refused = None
        if params.formula != self.params.formula:
            try:
                surfaces.parse_formula(params.formula)  # refuse it even while unused
            except ValueError as err:
                # The typed formula stays in its field to be corrected; the run keeps the
                # formula in use, and every other change still applies.
                refused = f"Cannot use that formula: {err}. Still using {self.params.formula}."
                params = dataclasses.replace(params, formula=self.params.formula)
        if refused:
            self.message.emit("error", refused)
        elif self.refused:
            self.message.emit("clear", "")  # a formula was accepted, or the surface changed
        self.refused = refused
        if params == self.params:
            return
        key = _surface_key(params)
        try:
            surface = self.surface if key == self._key else optimizers.make_surface(params)
        except ValueError as err:  # a formula with no finite value in the plotted region
            self.refused = f"Cannot use that formula: {err}."
            self.message.emit("error", self.refused)
            return
        if params.surface != self.params.surface:
            self.start_point = None  # a point clicked on the old surface may be off the new one
        self.params = params
        if key != self._key:
            self._use_surface(surface)
        self._legend_entries()
        self.restart.emit()

    # --- running ------------------------------------------------------------------------
    def _enabled(self) -> list[str]:
        return [n for n in NAMES if getattr(self.params, n.lower())]

    def _start(self) -> tuple[float, float]:
        return self.surface.start if self.start_point is None else self.start_point

    def steps(self):
        if not self._enabled():
            raise ValueError("Tick at least one optimizer to race.")
        race = optimizers.run(self.surface, self.params, start=self.start_point)
        # The start is what the panel shows before step 1, so step N is update N.
        return (_for_the_class(snap) for snap in race if snap.phase != "start")

    def intro(self):
        x, y = self._start()
        who = ", ".join(self._enabled()) or "No optimizer (tick one)"
        return (f"{who} start at ({x:.3g}, {y:.3g}) on {self.surface.name}. Click anywhere on "
                f"the surface to restart them all from there; press Step (→) or Play (Space).")

    def on_click(self, x, y, button):
        if button != QtCore.Qt.LeftButton:
            return
        self.start_point = (float(x), float(y))
        self.message.emit("info", f"All optimizers restart from ({x:.3g}, {y:.3g}).")
        self.restart.emit()

    # --- drawing ------------------------------------------------------------------------
    def draw(self, step):
        # Refitting costs ~30 ms: in a frame only when the view changed shape a lot (the
        # window was just shown); small changes (an axis grew wider) wait for the timer.
        self._fill_view(tolerance=0.10)
        runners = {} if step is None else step.runners
        if step is None:  # a new run fits its own ranges
            self.loss_range.show_empty(self.gap)
            self.dist_range.show_empty(log=True)
        if self._marked != self._start():  # it rarely changes: keep its cached pixels
            self._marked = self._start()
            self.start_mark.setData(pos=[self._marked])
        pos, brushes, symbols, downhill = [], [], [], []
        lows, highs, longest = [], [], 1
        for n in NAMES:
            r = runners.get(n)
            if r is None:  # hidden items are skipped by the painter altogether
                for item in (self.paths[n], self.loss_curves[n], self.dist_curves[n]):
                    item.hide()
                self.arrows[n, "update"].hide()
                if n in ROLLING:
                    self.arrows[n, "velocity"].hide()
                continue
            path = r.path if r.diverged_at is None else until_it_leaves(r.path,
                                                                        self.surface.region)
            show_curve(self.paths[n], path[:, 0], path[:, 1])
            pos.append(path[-1] if r.diverged_at is not None else r.point)
            brushes.append(self.brushes[n])
            symbols.append(MARK[n] if r.diverged_at is None else "x")
            downhill.append(self._arrows_of(n, r))
            k = np.arange(len(r.losses))
            shown = r.log_gaps if r.log_gaps is not None else r.losses
            show_curve(self.loss_curves[n], k, shown)
            lows.append(shown.min())
            highs.append(shown.max())
            longest = max(longest, len(k))
            if r.log_distances is not None:
                show_curve(self.dist_curves[n], k, r.log_distances)
            else:
                self.dist_curves[n].hide()
        self.points.setData(pos=np.reshape(pos, (-1, 2)), brush=brushes, symbol=symbols)
        downhill = [d for d in downhill if d[0] is not None]
        show_curve(self.arrows["gradient"], *(map(np.concatenate, zip(*downhill, strict=True))
                                              if downhill else (None, None)))
        if runners:
            self.loss_range.fit(longest, min(lows), max(highs), self.gap)
            span = np.log10(np.hypot(*np.ptp(np.reshape(self.surface.region, (2, 2)), 1)))
            self.dist_range.fit(longest, span - 4, span, True)
        when = "not started" if step is None else f"step {step.step}"
        self.status.set_text(f"{when}\n{self.surface.formula}")  # the formula whole

    def _arrows_of(self, n, r):
        """Draw n's step and velocity arrows; return its −gradient arrow for the shared item."""
        p, span = self.params, self.surface.span
        moving = r.diverged_at is None
        reference = 0.05 * span  # steps and velocities are lengths on the plot
        show_curve(self.arrows[n, "update"], *scaled_arrow(
            r.point, r.update if moving and p.show_update else None, reference, span))
        if n in ROLLING:
            v = -r.velocity if moving and p.show_velocity and r.velocity is not None else None
            show_curve(self.arrows[n, "velocity"], *scaled_arrow(r.point, v, reference, span))
        g = -r.gradient if moving and p.show_gradient and r.gradient is not None else None
        return scaled_arrow(r.point, g, self.layer.grad_scale, span)
