"""Magnitude pruning: prune, retrain, repeat — beside pruning everything at once.

A dense network trains first; then two copies of it are pruned to the same target sparsity
with the same retraining budget: "iterative" a little each round, "all at once" in round 1.
One step is one prune or one round of retraining. Each lane has a row: the histogram of its
weights with the cut at ±|w| (the bars the cut removes drawn in their own colour) and its
diagram thinning (pruned connections gone, the ones this prune removes drawn pale). On the
right, accuracy against sparsity for both lanes (down at each prune, up after retraining)
and the data with one lane's decision regions. A click on the data adds a point (left: first
class, right: second), undoably.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore

from algorithms.base import num, param, plural
from algorithms.network import pruning
from algorithms.network.captions import pct
from visualizer.panels import network_base as nb
from visualizer.panels.base import AlgorithmPanel
from visualizer.panels.network_extras import LanePanel, NoteDiagram, say, short_names
from visualizer.panels.overlays import Legend, StatusBox, line_sample, marker_sample
from visualizer.panels.scene import Scene2D
from visualizer.style import STYLE, colour

LANES = pruning.LANES
LANE_COLOURS = {"iterative": colour(2), "all at once": colour(1)}
KEPT, REMOVED = colour(0), colour(5)      # histogram bars: kept weights, cut by this prune
BINS = 40


@dataclass(frozen=True)
class Params(pruning.PruneParams):
    sparsity: float = param(0.9, limits=(0.0, 0.99), step=0.05, label="target sparsity",
                            tip="the fraction of weights (not biases) removed in the end")
    granularity: str = param("round", values=pruning.GRANULARITIES, label="one step is",
                             tip="round: the dense training, then each prune and each round's "
                                 "retraining; epoch: one training epoch or one prune")
    regions_of: str = param("iterative", values=LANES, live=True, label="regions of",
                            tip="whose decision regions shade the data")


def nice_top(value: float) -> float:
    """The next of 0.5, 1, 1.5, 2, 3, 4, 5, … at or above value (a histogram's |w| range)."""
    for top in (0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 5.0, 7.5, 10.0):
        if value <= top:
            return top
    return float(np.ceil(value / 5) * 5)


def histogram(lane, edges) -> tuple[np.ndarray, np.ndarray, int]:
    """Counts of the kept weights and of those this step's prune removed, and how many
    weights sat pruned (exactly 0) before it."""
    kept = np.concatenate([w[k] for w, k in zip(lane.weights, lane.keep, strict=True)])
    removed = np.zeros(0)
    if lane.before is not None and lane.newly_pruned is not None:
        removed = np.concatenate([b[n] for b, n in zip(lane.before, lane.newly_pruned,
                                                       strict=True)])
    top = edges[-1]
    counts = np.histogram(np.clip(kept, -top, top), edges)[0]
    gone = np.histogram(np.clip(removed, -top, top), edges)[0]
    old = sum(int((~k).sum()) for k in lane.keep) - len(removed)
    return counts, gone, old


def summary(step, score: str, params) -> str:
    """The caption's first line once pruning has begun: each lane's sparsity and score."""
    col = pruning.ROUND_COLUMNS.index(score)
    parts = []
    for name in LANES:
        lane = step.lanes[name]
        row = lane.after_prune[-1] if step.phase == "prune" else lane.history.last()
        acc = row[col] if step.phase == "prune" else row[score]
        parts.append(f"{name}: {num(100 * lane.sparsity, 3)} % sparse, {score} {pct(acc)}")
    whole = params.granularity == "round" or step.phase == "done"
    when = ("right after the prune" if step.phase == "prune" or params.retrain == 0
            else "after retraining" if whole else "while retraining")
    return f"Round {step.round} of {params.rounds}, {when} — " + "; ".join(parts) + "."


def hist_note(lane, removed: int, old: int) -> str:
    """The histogram's corner: the cut, what it removed now, the zeros left out."""
    lines = []
    if lane.sparsity > 0:
        cut = " / ".join(num(c, 3) for c in sorted(set(lane.cuts)))
        lines.append(f"cut at |w| = {cut}")
    if removed:
        lines.append(f"{removed} cut now")
    if old:
        lines.append(f"{old} at 0 not drawn")
    return "\n".join(lines) or "dense: nothing cut yet"


class PruningPanel(LanePanel):
    id, title, topic = "pruning", "Pruning: prune, retrain, repeat", "Neural networks"
    Params, Data = Params, nb.Data

    def __init__(self, seed: int = 0):
        super().__init__(seed)
        self.top = 0.0            # the histograms' |w| range: grows only within a run
        self.count_top = 0.0

    # --- building -----------------------------------------------------------------------
    def setup(self, canvas):
        self.hists, self.bars, self.cuts, self.shades = {}, {}, {}, {}
        self.net_plots, self.diagrams, self.hist_notes = {}, {}, {}
        for row, name in enumerate(LANES):
            plot = canvas.addPlot(row=row, col=0, title=f"{name.capitalize()}: w")
            self.hist_notes[name] = StatusBox(plot, "top-right", bold=False)
            plot.setMouseEnabled(x=False, y=False)
            plot.disableAutoRange()
            self.hists[name] = plot
            self.shades[name] = pg.LinearRegionItem(movable=False)
            self.shades[name].setZValue(-5)
            plot.addItem(self.shades[name])
            self.bars[name] = [pg.BarGraphItem(x0=[], x1=[], height=[]) for _ in range(2)]
            for item in self.bars[name]:
                plot.addItem(item)
            self.cuts[name] = pg.PlotCurveItem(connect="pairs")
            self.cuts[name].setZValue(10)
            plot.addItem(self.cuts[name])
            net = canvas.addPlot(row=row, col=1, title=f"{name.capitalize()}: net")
            self.net_plots[name] = net
            self.diagrams[name] = NoteDiagram(net, lines=1)
        self.acc_plot = canvas.addPlot(row=0, col=2, title="Accuracy")
        self.acc_plot.setLabel("bottom", "sparsity (fraction pruned)")
        self.acc_plot.setRange(xRange=(0, 1), yRange=(0, 1.05), padding=0.02)
        self.acc_plot.setMouseEnabled(x=False, y=False)
        self.target_line = pg.InfiniteLine(angle=90)
        self.acc_plot.addItem(self.target_line)
        self.paths = {name: self.acc_plot.plot() for name in LANES}      # lines and markers
        self.retrained = {name: self.acc_plot.plot() for name in LANES}
        self.acc_legend = Legend(self.acc_plot.addLegend(offset=(10, -10)))
        self.main = canvas.addPlot(row=1, col=2, title="Data")
        self.main.setAspectLocked(True)
        self.click_plot = self.main
        self.scene = Scene2D(self.main, self.background, self.failed.emit)
        self.status = StatusBox(self.main, "top-left")
        self.legend = Legend(self.main.addLegend(offset=(-10, -10)),
                             width=lambda: self.main.vb.width() * 0.7)

    def restyle(self):
        AlgorithmPanel.restyle(self)
        self.coloured = None
        lw = STYLE.line_width
        for name in LANES:
            kept, gone = self.bars[name]
            kept.setOpts(brush=pg.mkBrush(KEPT), pen=pg.mkPen("w", width=0.5))
            gone.setOpts(brush=pg.mkBrush(REMOVED), pen=pg.mkPen("w", width=0.5))
            self.cuts[name].setPen(pg.mkPen(colour(19), width=lw, style=QtCore.Qt.DashLine))
            shade = pg.mkColor(REMOVED)
            shade.setAlpha(35)
            self.shades[name].setBrush(pg.mkBrush(shade))
            for line in self.shades[name].lines:
                line.setPen(pg.mkPen(None))
            c = LANE_COLOURS[name]
            self.paths[name].setPen(pg.mkPen(c, width=lw))
            self.paths[name].setSymbol("o")
            self.paths[name].setSymbolBrush(pg.mkBrush("w"))
            self.paths[name].setSymbolPen(pg.mkPen(c, width=2))
            self.paths[name].setSymbolSize(STYLE.marker_size)
            self.retrained[name].setPen(None)
            self.retrained[name].setSymbol("o")
            self.retrained[name].setSymbolBrush(pg.mkBrush(c))
            self.retrained[name].setSymbolPen(pg.mkPen(c, width=2))
            self.retrained[name].setSymbolSize(STYLE.marker_size + 2)
            self.diagrams[name].restyle()
            self.hist_notes[name].restyle(STYLE.tick_px)
        self.target_line.setPen(pg.mkPen(colour(18), width=lw, style=QtCore.Qt.DotLine))
        self.status.restyle()
        self.scene.restyle()
        self._legend_entries()

    def _legend_entries(self):
        entries = self.scene.cloud.legend_items() if self.data is not None else []
        self.legend.fill(entries, key=(id(self.data), self.added))
        acc = [(line_sample(LANE_COLOURS[n]), n) for n in LANES]
        acc += [(marker_sample("o", "w", pen=colour(18)), "right after a prune"),
                (marker_sample("o", colour(18), pen=colour(18)), "after retraining")]
        self.acc_legend.fill(acc, key="acc")

    # --- running ------------------------------------------------------------------------
    def steps(self):
        self.runs += 1
        run = pruning.run(self.data.X, self.data.labels, self.params, self.rng())
        score, params = self._score(), self.params
        return (dataclasses.replace(s, caption=summary(s, score, params) + "\n" + s.caption)
                if s.round else s for s in run)

    def intro(self):
        p = self.params
        return (f"{self.described}. Press Step (→): a dense network trains, then two copies "
                f"are pruned to {num(100 * p.sparsity)} % of their weights removed — one over "
                f"{plural(p.rounds, 'round')} of prune and retrain, one all at once. Click to "
                f"add a point (left: {self.data.names[0]}, right: {self.data.names[1]}).")

    # --- drawing ------------------------------------------------------------------------
    def draw(self, step):
        self.recolour()
        self.scene.ring(None)
        self.target_line.setValue(self.params.sparsity)
        if step is None:
            self.scene.shade(None)
            self.top = self.count_top = 0.0
            sizes = self.sizes()
            for name in LANES:
                self.diagrams[name].set_sizes(sizes, short_names(len(sizes)))
                self.diagrams[name].show(None)
                self.diagrams[name].say("not trained yet")
                self._draw_histogram(name, None)
            for item in (*self.paths.values(), *self.retrained.values()):
                item.setData([], [])
            say(self.status, "not started")
            return
        lanes = {name: step.lanes.get(name, step.lanes.get("dense")) for name in LANES}
        self.top = max(self.top, nice_top(max(float(np.abs(w).max())
                                              for lane in lanes.values()
                                              for w in (lane.before or lane.weights))))
        for name, lane in lanes.items():
            self._draw_histogram(name, lane)
        for name in LANES:   # again: the second may have grown the shared count scale
            self.hists[name].setRange(yRange=(0, self.count_top), padding=0.02)
            line = self.cuts[name]
            if line.isVisible() and line.yData is not None and line.yData.max() < self.count_top:
                line.setData(line.xData, np.where(line.yData > 0, self.count_top, 0.0))
        for name, lane in lanes.items():
            self._draw_diagram(name, lane)
            self._draw_accuracy(name, lane, step.round == 0)
        shaded = lanes[self.params.regions_of]
        model = shaded.model
        self.scene.shade(lambda grid: nb.regions(model, grid),
                         key=(self.runs, self.params.regions_of, step.index))
        say(self.status, self.status_text(step))

    def _draw_histogram(self, name, lane):
        plot, (kept_bars, gone_bars) = self.hists[name], self.bars[name]
        top = self.top or 1.0
        edges = np.linspace(-top, top, BINS + 1)
        if lane is None:
            counts = gone = np.zeros(BINS)
            cut, note = 0.0, "no weights yet"
        else:
            counts, gone, old = histogram(lane, edges)
            cut = max(lane.cuts) if lane.sparsity > 0 else 0.0
            note = hist_note(lane, int(gone.sum()), old)
        say(self.hist_notes[name], note)
        kept_bars.setOpts(x0=edges[:-1], x1=edges[1:], height=counts)
        gone_bars.setOpts(x0=edges[:-1], x1=edges[1:], y0=counts, height=gone)
        # both histograms share one count scale, with room above the bars for the note
        room = self.hist_notes[name].item.boundingRect().height() + 10
        free = max(0.4, 1 - room / max(plot.vb.height(), 1.0))
        self.count_top = max(self.count_top, float((counts + gone).max()) * 1.05 / free, 5.0)
        plot.setRange(xRange=(-top, top), yRange=(0, self.count_top), padding=0.02)
        cuts = sorted({c for c in (lane.cuts if lane is not None else ()) if c > 0})
        if cuts:
            xs = np.repeat([v for c in cuts for v in (-c, c)], 2)
            ys = np.tile([0.0, self.count_top], len(xs) // 2)
            self.cuts[name].setData(xs, ys)
            self.cuts[name].show()
            self.shades[name].setRegion((-cut, cut))
            self.shades[name].show()
        else:
            self.cuts[name].hide()
            self.shades[name].hide()

    def _draw_diagram(self, name, lane):
        sizes = lane.model.spec.sizes
        diagram = self.diagrams[name]
        net = diagram.set_sizes(sizes, short_names(len(sizes)))
        gone = np.concatenate([~k.ravel() for k in lane.keep])
        faint = None
        if lane.newly_pruned is not None:
            faint = np.concatenate([n.ravel() for n in lane.newly_pruned])
            gone &= ~faint
        diagram.show(lane.weights, hidden=gone, faint=faint)
        left = sum(int(k.sum()) for k in lane.keep)
        total = len(net.seg_x) // 2
        self.diagrams[name].say(f"{num(100 * lane.sparsity, 3)} % pruned: {left} of "
                                  f"{plural(total, 'weight')} left")

    def _draw_accuracy(self, name, lane, dense: bool):
        col = pruning.ROUND_COLUMNS.index(self._score())
        if dense:
            self.paths[name].setData([], [])
            self.retrained[name].setData([], [])
            return
        pruned, retrained = lane.after_prune, lane.after_retrain
        # the zig-zag: dense, then per round the prune (down) and, once done, the retraining
        xs, ys = [retrained[0, 1]], [retrained[0, col]]
        for r in range(1, len(pruned)):
            xs.append(pruned[r, 1])
            ys.append(pruned[r, col])
            if r < len(retrained):
                xs.append(retrained[r, 1])
                ys.append(retrained[r, col])
        self.paths[name].setData(xs, ys)
        self.retrained[name].setData(retrained[:, 1], retrained[:, col])

    def _score(self) -> str:
        return "test accuracy" if self.params.test_fraction > 0 else "train accuracy"

    def status_text(self, step) -> str:
        if step.round == 0:
            return f"dense training · epoch {step.epoch}"
        what = {"prune": "prune", "retrain": "retrained", "done": "done ✓"}.get(step.phase, "")
        return f"round {step.round} of {self.params.rounds} · {what}"
