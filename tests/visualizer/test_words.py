"""Words and numbers a student reads: every caption, metric and status text of a whole run
of every panel, scanned for the slips that crept in before ("inertia nan", "loss -0",
"1 points", "step 0 / 0+")."""

import re

import pyqtgraph as pg
import pytest

from visualizer import registry
from visualizer.banner import format_metrics
from visualizer.session import Session
from visualizer.transport import position_text

NOUNS = ("points", "clusters", "centres", "examples", "steps", "updates", "iterations",
         "epochs", "rows", "boxes", "trees", "splits", "neighbours", "folds", "classes",
         "components", "layers", "units", "weights", "filters", "maps", "cells")
SLIPS = {
    "nan": re.compile(r"\bnan\b", re.IGNORECASE),
    "minus zero": re.compile(r"(?<![\w.])[−-]0(?:\.0*)?(?![\w.])"),
    "plural after 1": re.compile(r"(?<![\d.,])\b1 (?:" + "|".join(NOUNS) + r")\b"),
    "(s)": re.compile(r"\w\(s\)"),
    "0+": re.compile(r"\b0\+"),
}
MAX_STEPS = 150


def words_on_canvas(panel) -> list[str]:
    """The text of every text item on the canvas: status boxes, legends, titles."""
    texts = []
    for item in panel.canvas.scene().items():
        if isinstance(item, pg.TextItem):
            texts.append(item.toPlainText())
        elif isinstance(item, pg.LabelItem):
            texts.append(re.sub(r"<[^>]+>", "", item.text or ""))
    return texts


def slips_in(text: str) -> list[str]:
    return [name for name, pattern in SLIPS.items() if pattern.search(text)]


@pytest.mark.parametrize("entry", registry.PANELS, ids=lambda e: e.id)
def test_a_whole_run_reads_without_slips(qtbot, entry):
    session = Session(entry.load(), seed=2)
    qtbot.addWidget(session.panel.canvas)
    found = []

    def read(where):
        player = session.player
        texts = [session.caption(), format_metrics(player.current.metrics if player.current
                                                    else {}), position_text(player)]
        for text in texts + words_on_canvas(session.panel):
            for slip in slips_in(text):
                found.append(f"{where}: {slip} in {text!r}")

    read("before the first step")
    for step in range(MAX_STEPS):
        if not session.player.step_now():
            break
        read(f"step {step + 1}")
    session.close()
    assert not found, "\n".join(found[:10])


@pytest.mark.parametrize(("text", "slip"), [("inertia nan", "nan"), ("loss GD -0", "minus zero"),
                                            ("1 points", "plural after 1"),
                                            ("2 update(s)", "(s)"), ("step 0 / 0+", "0+")])
def test_the_scanner_sees_each_slip(text, slip):
    assert slip in slips_in(text)


@pytest.mark.parametrize("text", ["loss −0.5", "x − 0.31", "21 points", "1 point", "step 10+",
                                  "1.5 points", "inertia 0"])
def test_the_scanner_lets_good_text_through(text):
    assert slips_in(text) == []
