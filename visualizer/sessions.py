"""Session files: one lesson's panel, parameters, data, hand-made points, seed and the step
shown, as JSON, so that opening the file puts the same picture back.

    {
      "stepwise_session": 1,
      "panel": "kmeans",
      "seed": 3,
      "step": 8,                         # steps taken (0: the data alone)
      "params": {"k": 3, "init": "k-means++", ...},
      "data_params": {"dataset": "blobs", "points": 300, ...},      # or null
      "source": {"kind": "generated"}
              | {"kind": "table", "name": "leaves.csv", "path": "/home/…/leaves.csv",
                 "x": "length", "y": "width", "label": "species",
                 "data": {"length": [...], "width": [...], "species": [...]}}
              | {"kind": "image", "path": "/home/…/class.jpg"}
              | {"kind": "video", "path": "/home/…/clip.mp4"} | {"kind": "camera", "index": 0},
      "hand_made": {"added": [[1.5, -2.0]], "centres": []}
    }

A table's chosen columns are embedded, so the file works on another computer; the path
is kept to say where they came from. Pictures and videos are referenced by their path.
The same dictionaries, one per panel, are kept in the settings between runs of the app.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from algorithms.base import validate
from visualizer.sources import Generated, TableChoice

VERSION = 1


def encode_source(source) -> dict:
    if source is None or isinstance(source, Generated):
        return {"kind": "generated"}
    if isinstance(source, TableChoice):
        x, y, label = source.columns()
        frame = source.table.frame
        data = {c: frame[c].tolist() for c in (x, y, label) if c is not None}
        return {"kind": "table", "name": source.name, "path": str(source.table.path),
                "x": x, "y": y, "label": label, "data": data}
    from visualizer.sources.frames import Picture, StreamSpec  # OpenCV: only when needed

    if isinstance(source, Picture) and source.path:
        return {"kind": "image", "path": source.path}
    if isinstance(source, StreamSpec):
        return ({"kind": "camera", "index": source.camera} if source.camera is not None
                else {"kind": "video", "path": str(source.path)})
    raise ValueError(f"a session cannot hold data of the kind {type(source).__name__}")


def decode_source(state: dict):
    """The source a panel loads; None for generated data (the data parameters say it)."""
    kind = state.get("kind", "generated")
    if kind == "generated":
        return None
    if kind in ("image", "video", "camera"):
        from visualizer.sources import frames

        if kind == "image":
            return frames.read_image(state["path"])
        if kind == "video":
            return frames.StreamSpec(path=str(state["path"]))
        return frames.StreamSpec(camera=int(state["index"]))
    if kind != "table":
        raise ValueError(f"unknown kind of data {kind!r} in the session")
    import pandas as pd

    from visualizer.sources.csv_source import Table

    data, x, y, label = state["data"], state["x"], state["y"], state.get("label")
    frame = pd.DataFrame(data)
    numeric = [c for c in (x, y) if pd.api.types.is_numeric_dtype(frame[c])]
    if len(numeric) < 2:
        raise ValueError(f"the session's columns {x!r} and {y!r} are not both numeric")
    table = Table(path=state.get("name", "session data"), frame=frame, numeric_columns=numeric,
                  text_columns=[label] if label else [], dropped_rows=0, sampled_from=None,
                  message=f"Loaded {len(frame):,} rows of {state.get('name')} from the session")
    return TableChoice(table, x, y, label)


def encode_params(params) -> dict | None:
    return None if params is None else dataclasses.asdict(params)


def decode_params(cls, values: dict | None):
    """`cls` built from saved values: unknown names are ignored (a newer or older app),
    missing ones take their defaults, and values out of range are refused."""
    if cls is None or values is None:
        return None
    names = {f.name for f in dataclasses.fields(cls)}
    params = cls(**{k: v for k, v in values.items() if k in names})
    validate(params)
    return params


def capture(panel, step: int, seed: int) -> dict:
    return {"stepwise_session": VERSION, "panel": panel.id, "seed": seed, "step": step,
            "params": encode_params(panel.params),
            "data_params": encode_params(panel.data_params),
            "source": encode_source(panel.source), "hand_made": panel.hand_made()}


def save(path, state: dict) -> None:
    try:
        Path(path).write_text(json.dumps(state, indent=1, allow_nan=False), encoding="utf-8")
    except (OSError, ValueError) as err:
        raise ValueError(f"could not save the session to {path}: {err}") from None


def read(path) -> dict:
    """The session in a file, or a ValueError saying in one sentence what is wrong."""
    name = Path(path).name
    try:
        state = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ValueError(f"Cannot open {path}: there is no such file.") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ValueError(f"{name} is not a Stepwise session file ({err}).") from None
    if not isinstance(state, dict) or "stepwise_session" not in state or "panel" not in state:
        raise ValueError(f"{name} is not a Stepwise session file.")
    if state["stepwise_session"] > VERSION:
        raise ValueError(f"{name} was saved by a newer Stepwise; update the app to open it.")
    return state
