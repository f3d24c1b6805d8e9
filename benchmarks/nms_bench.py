"""NMS and detector figures.

1. Greedy NMS on 100 / 1,000 / 10,000 clustered, detector-like boxes (`nms.sample_boxes`:
   about 25 jittered boxes per object, IoU threshold 0.5): the vectorized `nms.nms` and the
   literal double loop `nms.nms_literal`, each beside `cv2.dnn.NMSBoxes` given the same
   numpy arrays. Ours and OpenCV's are timed in alternation, so a burst of load from
   elsewhere on the machine falls on both alike; each figure is a median. At 100 boxes, two
   parts of `nms` alone beside OpenCV (input checks with ranking; the pair test) show the
   floor a numpy version cannot go below.
2. The Haar face detector on 640×480 frames of the bundled clip at the default working
   width (320), median milliseconds per frame, beside the same cascade run on the full
   frame. Plus the cat-face cascade, and NMS on the real detections of a frame.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import cv2
import numpy as np

from algorithms import detectors, nms
from benchmarks import Result, median_time

SIZES = (100, 1_000, 10_000)
IOU = 0.5
VS_OPENCV = 2.0            # target: vectorized NMS within this many times OpenCV's time
REPEAT = {100: 301, 1_000: 101, 10_000: 15}
LITERAL_REPEAT = {100: 51, 1_000: 11, 10_000: 3}
CLIP = Path(__file__).resolve().parent.parent / "resources" / "sample_faces.mp4"
FRAMES = 30                # frames of the clip timed, spread over its length
DETECT_TARGET_MS = 40      # one frame's detection within a 25 frames/s budget


def run() -> Iterator[Result]:
    load, cores = os.getloadavg()[0], os.cpu_count()
    print(f"nms_bench: load average {load:.1f} on {cores} cores", file=sys.stderr)
    yield from nms_results()
    yield from detector_results()


def paired_medians(first: Callable, second: Callable, repeat: int) -> tuple[float, float]:
    """Median seconds per call of each, the two timed in alternation."""
    first(), second()   # warm caches and lazy imports
    times: tuple[list[float], list[float]] = ([], [])
    for _ in range(repeat):
        for fn, kept in zip((first, second), times, strict=True):
            start = time.perf_counter()
            fn()
            kept.append(time.perf_counter() - start)
    return statistics.median(times[0]), statistics.median(times[1])


def nms_results() -> Iterator[Result]:
    for n in SIZES:
        boxes, scores = nms.sample_boxes(n, np.random.default_rng(0))
        kept = nms.nms(boxes, scores, IOU)

        def opencv(boxes=boxes, scores=scores):
            return cv2.dnn.NMSBoxes(boxes, scores, 0.0, IOU)

        if not np.array_equal(np.asarray(opencv()).reshape(-1), kept):
            raise RuntimeError(f"nms and cv2.dnn.NMSBoxes disagree on {n} boxes")
        ours, theirs = paired_medians(lambda b=boxes, s=scores: nms.nms(b, s, IOU), opencv,
                                      REPEAT[n])
        yield Result(f"NMS vectorized, {n:,} boxes ({len(kept)} kept)", ours * 1e3, "ms",
                     baseline=theirs * 1e3, baseline_name="cv2.dnn.NMSBoxes",
                     target=f"≤ {VS_OPENCV:g}× OpenCV", met=ours <= VS_OPENCV * theirs)
        literal = median_time(lambda b=boxes, s=scores: nms.nms_literal(b, s, IOU),
                              repeat=LITERAL_REPEAT[n])
        yield Result(f"NMS literal loop, {n:,} boxes", literal * 1e3, "ms",
                     baseline=ours * 1e3, baseline_name="vectorized")
        if n <= nms.SMALL:
            yield from floor_results(boxes, scores, opencv, REPEAT[n])


def floor_results(boxes, scores, opencv, repeat) -> Iterator[Result]:
    """Two parts no numpy `nms` can skip, each timed beside OpenCV's whole call: checking the
    input and ranking the scores, and one decision for every pair of boxes (the small
    path's pair test, `nms._pair_hits`). Their sum is a floor for the small path."""
    n = len(boxes)
    ranked = boxes[nms.ranking(scores, 0.0)]
    parts = {"checks + ranking": lambda: (nms.check_boxes(boxes, scores),
                                          nms.ranking(scores, 0.0)),
             "every pair tested once": lambda: nms._pair_hits(ranked, IOU)}
    for name, part in parts.items():
        ours, theirs = paired_medians(part, opencv, repeat)
        yield Result(f"NMS floor: {name}, {n:,} boxes", ours * 1e3, "ms",
                     baseline=theirs * 1e3, baseline_name="cv2.dnn.NMSBoxes")


def clip_frames() -> list[np.ndarray]:
    capture = cv2.VideoCapture(str(CLIP))
    total = int(capture.get(cv2.CAP_PROP_FRAME_COUNT))
    wanted = set(np.linspace(0, total - 1, FRAMES).round().astype(int).tolist())
    frames = []
    for i in range(total):
        ok, frame = capture.read()
        if not ok:
            break
        if i in wanted:
            frames.append(frame)
    capture.release()
    if not frames:
        raise RuntimeError(f"cannot read {CLIP}")
    return frames


def per_frame(frames, fn) -> float:
    """Median seconds of fn(frame) over the frames (after one warm-up call)."""
    fn(frames[0])
    times = []
    for frame in frames:
        start = time.perf_counter()
        fn(frame)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def detector_results() -> Iterator[Result]:
    frames = clip_frames()
    height, width = frames[0].shape[:2]
    params = detectors.Params()
    full = detectors.Params(working_width=width)
    ours_times, full_times = [], []
    # alternate shrunk and full-frame detection frame by frame, as in paired_medians
    detectors.detect(frames[0], params), detectors.detect(frames[0], full)
    for frame in frames:
        for p, kept in ((params, ours_times), (full, full_times)):
            start = time.perf_counter()
            detectors.detect(frame, p)
            kept.append(time.perf_counter() - start)
    ours, theirs = statistics.median(ours_times), statistics.median(full_times)
    work = detectors.working_size(width, height, params.working_width)
    counts = [len(detectors.detect(f, params)) for f in frames]
    yield Result(f"Haar face, {width}×{height} → {work[0]}×{work[1]} "
                 f"(median {statistics.median(counts):.0f} raw boxes)", ours * 1e3, "ms",
                 baseline=theirs * 1e3, baseline_name=f"same cascade on {width}×{height}",
                 target=f"≤ {DETECT_TARGET_MS} ms", met=ours * 1e3 <= DETECT_TARGET_MS)
    cat = per_frame(frames, lambda f: detectors.detect(f, detectors.Params(detector="cat face")))
    yield Result(f"Haar cat face, {width}×{height} → {work[0]}×{work[1]}", cat * 1e3, "ms",
                 target=f"≤ {DETECT_TARGET_MS} ms", met=cat * 1e3 <= DETECT_TARGET_MS)
    found = max((detectors.detect(f, params) for f in frames), key=len)
    seconds = median_time(lambda: nms.nms(found.boxes, found.scores, 0.3), repeat=101)
    yield Result(f"NMS on one frame's detections ({len(found)} boxes)", seconds * 1e3, "ms")
