"""Dropout and DropConnect: three copies of one network, one mini-batch update at a time.

The same network (same start, same batches) trains three ways: plain, with dropout (hidden
units dropped with probability p) and with DropConnect (weights dropped with probability p).
Two diagrams show this update's masks for the example ringed on the data — dropped units
greyed, dropped connections gone — with the inverted rescaling written on the kept units;
two plots put the three lanes' training and test losses side by side; the data shows the
decision regions of the lane chosen in "regions of". A click on the data adds a point
(left: first class, right: second), undoably, as on the other network panels.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg

from algorithms.base import num, param, plural
from algorithms.network import regularise
from algorithms.network.captions import pct
from visualizer.panels import network_base as nb
from visualizer.panels import network_diagram as nd
from visualizer.panels.base import AlgorithmPanel
from visualizer.panels.network_extras import LanePanel, NoteDiagram, curve, say, short_names
from visualizer.panels.overlays import Legend, StatusBox, line_sample, marker_sample
from visualizer.panels.ranges import FixedRanges
from visualizer.panels.scene import Scene2D
from visualizer.style import INK, STYLE, colour

LANES = regularise.LANES
LANE_COLOURS = {"none": INK, "dropout": colour(2), "DropConnect": colour(3)}
TITLES = {"dropout": "Dropout", "DropConnect": "Drop&shy;Connect"}  # breaks as Drop-/Connect
CURVES = (("train loss", "Train loss"), ("test loss", "Test loss"),
          ("test accuracy", "Test accuracy"))


@dataclass(frozen=True)
class Params(regularise.CompareParams):
    hidden: str = param("8, 8", label="hidden layers",
                        tip="units per hidden layer, comma-separated (up to 3 layers)")
    granularity: str = param("batch", values=regularise.GRANULARITIES, label="one step is",
                             tip="batch: one mini-batch update of all three networks; "
                                 "epoch: one pass over the data by all three")
    regions_of: str = param("dropout", values=LANES, live=True, label="regions of",
                            tip="whose decision regions shade the data")


@dataclass(frozen=True)
class Data(nb.Data):
    dataset: str = param("moons", values=tuple(nb.GENERATORS),
                         tip="a generated data set; File ▸ Open data… loads a CSV with a "
                             "label column instead")
    points: int = param(120, limits=(4, 100_000), step=20, tip="number of points")
    noise: float = param(0.3, limits=(0.0, 2.0), step=0.02,
                         tip="spread of the points: noisy data is where a net overfits")


def lane_masks(lane, net: nd.Layout):
    """Per-unit dropped (greyed) and per-edge dropped (hidden) masks of a lane, or None."""
    return nb.mask_arrays(lane.unit_masks, lane.weight_masks, net)


def dead_edges(greyed: np.ndarray, net: nd.Layout) -> np.ndarray:
    """Edges into or out of a dropped unit: they carry nothing for this example."""
    out = np.zeros(len(net.seg_x) // 2, bool)
    for layer in range(1, net.layers + 1):
        src = greyed[net.column(layer - 1)]
        dst = greyed[net.column(layer)]
        out[net.edges_into(layer)] = (src[:, None] | dst[None, :]).ravel()
    return out


class DropoutPanel(LanePanel):
    id, title, topic = "dropout", "Dropout and DropConnect", "Neural networks"
    Params, Data = Params, Data

    # --- building -----------------------------------------------------------------------
    def setup(self, canvas):
        self.main = canvas.addPlot(row=0, col=0, title="Data")
        self.main.setAspectLocked(True)
        self.click_plot = self.main
        self.scene = Scene2D(self.main, self.background, self.failed.emit)
        self.status = StatusBox(self.main, "top-left")
        self.legend = Legend(self.main.addLegend(offset=(-10, -10)),
                             width=lambda: self.main.vb.width() * 0.7)
        self.net_plots, self.diagrams = {}, {}
        for col, name in enumerate(("dropout", "DropConnect"), 1):
            plot = canvas.addPlot(row=0, col=col, title=TITLES[name])
            self.net_plots[name] = plot
            self.diagrams[name] = NoteDiagram(plot, lines=3, numbers=name == "dropout")
        self.loss_plots, self.curves, self.ranges = {}, {}, {}
        for col, (what, title) in enumerate(CURVES):
            plot = canvas.addPlot(row=1, col=col, title=title)
            plot.setLabel("bottom", "updates")
            self.loss_plots[what] = plot
            self.ranges[what] = FixedRanges(plot)
            for name in LANES:
                self.curves[what, name] = curve(plot)
        self.lane_legend = Legend(self.loss_plots["train loss"].addLegend(offset=(-10, 10)))
        layout = canvas.ci.layout
        layout.setRowStretchFactor(0, 3)
        layout.setRowStretchFactor(1, 2)

    def restyle(self):
        AlgorithmPanel.restyle(self)
        self.coloured = None
        for (_, name), item in self.curves.items():
            item.setPen(pg.mkPen(LANE_COLOURS[name], width=STYLE.line_width))
        self.status.restyle()
        self.scene.restyle()
        for diagram in self.diagrams.values():
            diagram.restyle()
        self._legend_entries()

    def _legend_entries(self):
        entries = [(marker_sample("o", None, width=2, size=STYLE.marker_size + 8),
                    "masks shown")]
        if self.data is not None:
            entries += self.scene.cloud.legend_items()
        self.legend.fill(entries, key=(id(self.data), self.added))
        self.lane_legend.fill([(line_sample(LANE_COLOURS[n]), n) for n in LANES], key="lanes")

    # --- running ------------------------------------------------------------------------
    def steps(self):
        self.runs += 1
        run = regularise.run(self.data.X, self.data.labels, self.params, self.rng())
        return (dataclasses.replace(s, caption=summary(s) + "\n" + s.caption) for s in run)

    def intro(self):
        p = self.params.rate
        return (f"{self.described}. Press Step (→): one step is one mini-batch update of three "
                f"copies of one network — plain, dropout and DropConnect at p = {num(p)}. "
                f"Click to add a point (left: {self.data.names[0]}, right: "
                f"{self.data.names[1]}).")

    # --- drawing ------------------------------------------------------------------------
    def draw(self, step):
        self.recolour()
        sizes = self.sizes()
        names = short_names(len(sizes))
        scale = 1 / (1 - self.params.rate)
        if step is None:
            self.scene.ring(None)
            self.scene.shade(None)
            for name, diagram in self.diagrams.items():
                diagram.set_sizes(sizes, names)
                diagram.show(None)
                self.diagrams[name].say(self._note(name, scale, None))
            for item in self.curves.values():
                item.setData([], [])
            for r in self.ranges.values():
                r.forget()
                r.show_empty()
            say(self.status, "not started")
            return
        shown = step.example is not None
        self.scene.ring(self.data.X[[step.example]] if shown else None)
        lane = step.lanes[self.params.regions_of]
        model = lane.model
        self.scene.shade(lambda grid: nb.regions(model, grid),
                         key=(self.runs, self.params.regions_of, step.index))
        for name, diagram in self.diagrams.items():
            self._draw_diagram(diagram, step.lanes[name], step.keep_scale, shown)
            self.diagrams[name].say(self._note(name, step.keep_scale, step.lanes[name]))
        self._draw_losses(step)
        say(self.status, self.status_text(step))

    def _draw_diagram(self, diagram, lane, scale, shown):
        sizes = lane.model.spec.sizes
        net = diagram.set_sizes(sizes, short_names(len(sizes)))
        greyed, hidden = lane_masks(lane, net) if shown else (None, None)
        faint = texts = None
        if greyed is not None:
            faint = dead_edges(greyed, net)
            texts = ["" if layer in (0, net.layers) or g else f"×{num(scale, 3)}"
                     for layer, g in zip(net.units[:, 0].astype(int), greyed, strict=True)]
        diagram.show(lane.weights, hidden=hidden, faint=faint, greyed=greyed, texts=texts)

    def _note(self, name, scale, lane) -> str:
        p, s = num(self.params.rate), num(scale, 3)
        what = "unit" if name == "dropout" else "weight"
        head = f"p = {p}: kept {what}s ×{s}\nat test: all kept, ×1"
        if lane is not None:
            dropped, total = counted(lane, what)
            if total:
                return head + f"\nnow: {dropped} of {plural(total, what)} dropped"
        return head

    def _draw_losses(self, step):
        for what, r in self.ranges.items():
            top = 1.0 if what.endswith("accuracy") else 0.0
            for name in LANES:
                h = step.lanes[name].history
                y = h[what]
                ok = np.isfinite(y)
                self.curves[what, name].setData(h["update"][ok], y[ok])
                if ok.any():
                    top = max(top, float(y[ok].max()))
            r.fit(step.updates + 1, 0.0, top)

    def status_text(self, step) -> str:
        tail = " · done ✓" if step.phase == "done" else ""
        return f"update {step.updates} · epoch {step.epoch}{tail}"


def summary(step) -> str:
    """The caption's first line: the masks of the ringed example, the rescaling, accuracy."""
    scale = num(step.keep_scale, 3)
    if step.example is None:
        return (f"Inverted dropout and DropConnect at p = {num(step.rate)}: kept units or "
                f"weights are ×1/(1 − p) = ×{scale} while training and used as they are "
                f"(×1) at test time.")
    units, n_units = counted(step.lanes["dropout"], "unit")
    weights, n_weights = counted(step.lanes["DropConnect"], "weight")
    if n_units == 0:
        return ("No hidden layer: dropout has no unit to drop and DropConnect no weight "
                "between hidden units, so the three networks train alike.")
    accs = [f"{name} {pct(acc)}" for name in LANES
            if np.isfinite(acc := step.lanes[name].history.last()["test accuracy"])]
    score = f" Test accuracy: {', '.join(accs)}." if accs else ""
    return (f"Masks for the ringed example: dropout dropped {units} of "
            f"{plural(n_units, 'hidden unit')}, DropConnect {weights} of "
            f"{plural(n_weights, 'weight')}; kept ones ×{scale} while training, nothing "
            f"dropped or scaled at test time.{score}")


def counted(lane, what: str) -> tuple[int, int]:
    """(dropped, total) units or weights under this lane's masks."""
    masks = lane.unit_masks if what == "unit" else lane.weight_masks
    arrays = [np.asarray(m) for m in masks if m is not None]
    return sum(int((a == 0).sum()) for a in arrays), sum(a.size for a in arrays)
