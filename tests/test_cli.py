"""The command line, run as a user would: a separate process, offscreen."""

import os
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"


def stepwise(*args, timeout=120):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    return subprocess.run([sys.executable, str(ROOT / "main.py"), *map(str, args)],
                          capture_output=True, text=True, timeout=timeout, env=env, cwd=ROOT)


def test_list_panels_prints_id_then_title():
    from visualizer import registry

    run = stepwise("--list-panels")
    assert run.returncode == 0
    lines = run.stdout.strip().splitlines()
    assert [line.split("\t")[0] for line in lines] == [p.id for p in registry.PANELS]
    assert lines[0] == "kmeans\tk-means clustering"


def test_screenshot_is_a_large_picture_with_content(tmp_path):
    png = tmp_path / "k.png"
    run = stepwise("--panel", "kmeans", "--steps", 8, "--screenshot", png)
    assert run.returncode == 0, run.stderr
    image = cv2.imread(str(png))
    h, w = image.shape[:2]
    assert w >= 1024 and h >= 700
    colours = len(np.unique(image.reshape(-1, 3)[::5], axis=0))
    assert colours > 100 and image.std() > 20


@pytest.mark.parametrize("panel", ["optimizers", "minibatch"])
def test_every_screenshot_exits_cleanly(tmp_path, panel):
    """Left to interpreter exit, PySide tore the scene down in an order that segfaulted
    after the PNG was written (3.11 with PySide6 6.11: about 3 runs in 8)."""
    png = tmp_path / f"{panel}.png"
    run = stepwise("--panel", panel, "--steps", 20, "--screenshot", png)
    assert run.returncode == 0, run.stderr
    assert png.stat().st_size > 10_000


def test_screenshot_with_a_csv_and_named_columns(tmp_path):
    png = tmp_path / "csv.png"
    run = stepwise("--panel", "kmeans", "--data", DATA / "good_semicolon.csv",
                   "--columns", "length,depth,kind", "--steps", 3, "--screenshot", png)
    assert run.returncode == 0, run.stderr
    assert png.stat().st_size > 10_000
    assert "Loaded" in run.stderr


def test_export_gif_has_one_frame_per_step(tmp_path):
    gif = tmp_path / "run.gif"
    run = stepwise("--panel", "kmeans", "--steps", 6, "--export", gif)
    assert run.returncode == 0, run.stderr
    ok, animation = cv2.imreadanimation(str(gif))
    assert ok and len(animation.frames) == 6
    first, last = animation.frames[0], animation.frames[-1]
    assert first.shape == last.shape and np.abs(first.astype(int) - last).sum() > 0


@pytest.mark.parametrize(("args", "message"), [
    (["--panel", "nope"], "unknown panel 'nope'"),
    (["--steps", "-3"], "--steps must be 0 or more"),
    (["--steps", "many"], "invalid int value"),
    (["--export", "run.avi", "--steps", "3"], ".gif or .mp4"),
    (["--export", "run.gif"], "--export needs --steps"),
    (["--screenshot", "shot.jpg"], ".png"),
    (["--data", DATA / "empty.csv", "--screenshot", "x.png"], "empty"),
    (["--data", DATA / "missing.csv", "--screenshot", "x.png"], "no such file"),
    (["--data", DATA / "good_semicolon.csv", "--columns", "length,nope",
      "--screenshot", "x.png"], "no column named 'nope'"),
    (["--columns", "a,b"], "--columns goes with --data"),
    (["--seed", "-1"], "--seed must be 0 or more"),
    (["--panel", "kmeans", "--data", DATA / "good_semicolon.csv", "--columns",
      "length,depth", "--seed", "1", "--steps", "2", "--screenshot", "x.png", "--presentation"],
     None),
    (["--data", DATA / "tiny.csv", "--steps", "3", "--screenshot", "x.png"],
     "need at least 3 points"),
    (["--data", DATA / "picture.png", "--screenshot", "x.png"], "cannot open an image"),
    (["--bogus"], "unrecognized arguments"),
])
def test_bad_arguments_exit_2_with_one_clear_line(tmp_path, args, message):
    run = stepwise(*[tmp_path / a if str(a).endswith((".png", ".gif", ".avi", ".jpg"))
                     and "/" not in str(a) else a for a in args])
    if message is None:  # the control case: the same kind of call, with nothing wrong
        assert run.returncode == 0, run.stderr
        return
    assert run.returncode == 2
    errors = [line for line in run.stderr.splitlines() if line.strip()]
    assert len(errors) == 1, run.stderr
    assert errors[0].startswith("stepwise: error:") and message.lower() in errors[0].lower()
