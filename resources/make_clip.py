"""Regenerate the bundled sample clip: ``python resources/make_clip.py``.

sample_faces.mp4 (640×480, 25 frames/s, 6 s, MPEG-4 Part 2 'mp4v') is composed from the
pictures in resources/pictures/ (public domain and CC0, see resources/README.md): several
copies of the astronaut's portrait, at different sizes and one mirrored, and the cat, on
the coffee photograph as a backdrop. Faces slide in and out, one grows as if walking
towards the camera, and the camera itself pans and zooms, so a face detector gives many
overlapping boxes on almost every frame — the material non-maximum suppression works on.
Nothing is random: the same pictures always give the same frames.

``python resources/make_clip.py --extract WHEEL`` first rewrites resources/pictures/ from a
scikit-image wheel (a zip file, e.g. scikit_image-0.26.0-*.whl from PyPI), as they were made.
"""

from __future__ import annotations

import argparse
import zipfile
from pathlib import Path

import cv2
import numpy as np

HERE = Path(__file__).resolve().parent
PICTURES = HERE / "pictures"
CLIP = HERE / "sample_faces.mp4"
SIZE = (640, 480)            # frame width, height
FPS = 25
SECONDS = 6
WORLD = (1000, 750)          # the scene the camera moves over, in pixels
JPEG_QUALITY = 90

# (name in the wheel, file written, crop (x0, y0, x1, y1) or None)
SOURCES = (
    ("skimage/data/astronaut.png", "astronaut.jpg", None),
    ("skimage/data/chelsea.png", "chelsea.jpg", None),
    ("skimage/data/coffee.png", "coffee.jpg", None),
)

# Sprites cut from the pictures: (picture, crop x0, y0, x1, y1), chosen by eye so the
# crop holds a whole head with a margin (the cascade looks at the face in its context).
HEAD = ("astronaut.jpg", 110, 0, 340, 300)
CAT = ("chelsea.jpg", 80, 20, 400, 300)


def extract(wheel: Path) -> None:
    """Write the pictures from the scikit-image wheel (as JPEG, quality 90, uncropped)."""
    PICTURES.mkdir(exist_ok=True)
    with zipfile.ZipFile(wheel) as archive:
        for member, name, crop in SOURCES:
            data = np.frombuffer(archive.read(member), np.uint8)
            image = cv2.imdecode(data, cv2.IMREAD_COLOR)
            if crop is not None:
                x0, y0, x1, y1 = crop
                image = image[y0:y1, x0:x1]
            cv2.imwrite(str(PICTURES / name), image, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])


def picture(name: str) -> np.ndarray:
    image = cv2.imread(str(PICTURES / name), cv2.IMREAD_COLOR)
    if image is None:
        raise SystemExit(f"missing {PICTURES / name}: run with --extract WHEEL first")
    return image


def sprite(spec) -> tuple[np.ndarray, np.ndarray]:
    """A crop of a picture and its alpha mask: an ellipse with a soft edge."""
    name, x0, y0, x1, y1 = spec
    image = picture(name)[y0:y1, x0:x1].astype(np.float32)
    h, w = image.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w]
    r = np.hypot((xx - w / 2) / (w / 2), (yy - h / 2) / (h / 2))
    alpha = np.clip((1.0 - r) / 0.15, 0.0, 1.0).astype(np.float32)   # 15 % feathered rim
    return image, alpha


def paste(world: np.ndarray, image: np.ndarray, alpha: np.ndarray, centre, width: float,
          mirror: bool = False) -> None:
    """Blend `image` into `world` (in place), `width` pixels wide, centred at `centre`."""
    scale = width / image.shape[1]
    w = max(2, round(image.shape[1] * scale))
    h = max(2, round(image.shape[0] * scale))
    interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    im = cv2.resize(image, (w, h), interpolation=interpolation)
    al = cv2.resize(alpha, (w, h), interpolation=interpolation)
    if mirror:
        im, al = im[:, ::-1], al[:, ::-1]
    x0, y0 = round(centre[0] - w / 2), round(centre[1] - h / 2)
    # clip to the world, so sprites can slide in and out over its edges
    wx0, wy0 = max(x0, 0), max(y0, 0)
    wx1, wy1 = min(x0 + w, world.shape[1]), min(y0 + h, world.shape[0])
    if wx0 >= wx1 or wy0 >= wy1:
        return
    sub_im = im[wy0 - y0:wy1 - y0, wx0 - x0:wx1 - x0]
    sub_al = al[wy0 - y0:wy1 - y0, wx0 - x0:wx1 - x0, None]
    region = world[wy0:wy1, wx0:wx1]
    region += (sub_im - region) * sub_al


def ease(t: float) -> float:
    """Smooth 0 → 1 for t in [0, 1] (clamped): no jerk at either end."""
    t = min(max(t, 0.0), 1.0)
    return t * t * (3 - 2 * t)


def between(a, b, t: float):
    return tuple(x + (y - x) * t for x, y in zip(a, b, strict=True))


class Scene:
    """The backdrop, the sprites and where each sprite is at time t in [0, 1]."""

    def __init__(self):
        back = picture("coffee.jpg")
        back = cv2.resize(back, WORLD, interpolation=cv2.INTER_LINEAR)
        back = cv2.GaussianBlur(back, (0, 0), 2.0)
        self.back = back.astype(np.float32) * 0.8 + 20   # a little darker: faces stand out
        self.sprites = {"head": sprite(HEAD), "cat": sprite(CAT)}

    @staticmethod
    def places(t: float) -> list[tuple[str, tuple[float, float], float, bool]]:
        """(sprite, centre in the world, width, mirrored) of everything, back to front."""
        bob = 12 * np.sin(2 * np.pi * 1.5 * t)
        return [
            # a medium face in the upper right waits, then slides out over the right edge
            ("head", between((640, 250), (1150, 260), ease((t - 0.35) / 0.55)), 200, False),
            # a small face far back comes closer (grows) while drifting right
            ("head", between((330, 470), (640, 340), ease(t)), 170 + 130 * ease(t), False),
            # a large mirrored face slides in from the left edge and settles, nodding
            ("head", (between((-150,), (370,), ease(t / 0.45))[0], 330 + bob), 270, True),
            # a face drops in from above in the second half
            ("head", between((820, -200), (800, 220), ease((t - 0.5) / 0.3)), 180, True),
            # the cat crosses the lower part from right to left
            ("cat", between((1100, 540), (300, 540), ease(t / 0.9)), 140, False),
        ]

    def world(self, t: float) -> np.ndarray:
        """The whole scene at time t."""
        world = self.back.copy()
        for name, centre, width, mirror in self.places(t):
            paste(world, *self.sprites[name], centre, width, mirror)
        return world

    @staticmethod
    def camera(t: float) -> np.ndarray:
        """World → frame: the camera pans right and zooms in by a quarter."""
        zoom = 1.0 + 0.25 * ease(t)
        centre = between((430, 380), (560, 360), ease(t))
        scale = SIZE[0] * zoom / 800     # 800 world pixels across the frame at the start
        return np.array([[scale, 0, SIZE[0] / 2 - scale * centre[0]],
                         [0, scale, SIZE[1] / 2 - scale * centre[1]]])

    def frame(self, t: float) -> np.ndarray:
        world = np.clip(self.world(t), 0, 255).astype(np.uint8)
        return cv2.warpAffine(world, self.camera(t), SIZE, flags=cv2.INTER_AREA,
                              borderMode=cv2.BORDER_REFLECT)

    def truth(self, t: float) -> list[tuple[str, np.ndarray]]:
        """(sprite, its box x, y, w, h in the frame) of every sprite at least half in view."""
        matrix = self.camera(t)
        scale = matrix[0, 0]
        found = []
        for name, centre, width, _ in self.places(t):
            image = self.sprites[name][0]
            w, h = width * scale, width * image.shape[0] / image.shape[1] * scale
            cx, cy = matrix[:, :2] @ centre + matrix[:, 2]
            box = np.array([cx - w / 2, cy - h / 2, w, h])
            seen_w = min(box[0] + w, SIZE[0]) - max(box[0], 0)
            seen_h = min(box[1] + h, SIZE[1]) - max(box[1], 0)
            if seen_w > 0 and seen_h > 0 and seen_w * seen_h >= 0.5 * w * h:
                found.append((name, box))
        return found


def check(path: Path) -> None:
    """Run both detectors on every frame and print what they find (needs the project on
    PYTHONPATH: ``PYTHONPATH=. python resources/make_clip.py --check``)."""
    from algorithms import detectors, nms

    scene, capture = Scene(), cv2.VideoCapture(str(path))
    frames = int(capture.get(cv2.CAP_PROP_FRAME_COUNT))
    rows = []
    for i in range(frames):
        ok, frame = capture.read()
        if not ok:
            break
        truth = scene.truth(i / (frames - 1))
        faces = detectors.detect(frame)
        cats = detectors.detect(frame, detectors.Params(detector="cat face"))
        heads = [box for name, box in truth if name == "head"]
        cat = [box for name, box in truth if name == "cat"]

        def on(det, boxes):
            """How many of the boxes contain the centre of a detection."""
            if not len(det) or not boxes:
                return 0
            centre = det.boxes[:, :2] + det.boxes[:, 2:] / 2
            return sum(bool(((centre >= b[:2]) & (centre <= b[:2] + b[2:])).all(1).any())
                       for b in boxes)

        rows.append((len(faces), len(nms.nms(faces.boxes, faces.scores, 0.3)),
                     len(detectors.group(faces.boxes)), len(heads), on(faces, heads),
                     len(cat), on(cats, cat), len(cats), faces.seconds["detect"] * 1e3))
    capture.release()
    r = np.array(rows)
    print(f"{len(r)} frames; raw face boxes per frame: min {r[:, 0].min():.0f}, "
          f"median {np.median(r[:, 0]):.0f}, max {r[:, 0].max():.0f}; "
          f"≥ 10 raw boxes on {(r[:, 0] >= 10).mean():.0%} of frames")
    print(f"faces in view (≥ half): median {np.median(r[:, 3]):.0f}; found by a raw box: "
          f"{r[:, 4].sum() / max(r[:, 3].sum(), 1):.0%} of face-frames; kept by NMS at IoU 0.3:"
          f" median {np.median(r[:, 1]):.0f}; OpenCV grouping (minNeighbors=3): median "
          f"{np.median(r[:, 2]):.0f}")
    print(f"cat in view on {int(r[:, 5].sum())} frames, a cat-cascade box on it on "
          f"{int(r[:, 6].sum())}; cat-cascade boxes per frame: median {np.median(r[:, 7]):.0f}")
    print(f"face detection: median {np.median(r[:, 8]):.1f} ms per frame")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--extract", type=Path, metavar="WHEEL",
                        help="first write resources/pictures/ from a scikit-image wheel")
    parser.add_argument("--out", type=Path, default=CLIP)
    parser.add_argument("--check", action="store_true",
                        help="only run the detectors on the clip and print what they find")
    args = parser.parse_args(argv)
    if args.check:
        check(args.out)
        return
    if args.extract:
        extract(args.extract)
    scene = Scene()
    frames = FPS * SECONDS
    writer = cv2.VideoWriter(str(args.out), cv2.VideoWriter_fourcc(*"mp4v"), FPS, SIZE)
    if not writer.isOpened():
        raise SystemExit(f"OpenCV cannot write {args.out}")
    for i in range(frames):
        writer.write(scene.frame(i / (frames - 1)))
    writer.release()
    reader = cv2.VideoCapture(str(args.out))
    count = 0
    while reader.read()[0]:
        count += 1
    reader.release()
    if count != frames:
        raise SystemExit(f"{args.out} reads back {count} frames, not {frames}")
    print(f"{args.out}: {frames} frames, {args.out.stat().st_size / 1e6:.2f} MB")


if __name__ == "__main__":
    main()
