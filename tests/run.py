"""`python tests/run.py`: the whole suite, as `make test` runs it.

The algorithm and command-line tests run in one pytest process; each Qt test file runs in
a process of its own. A Qt file whose process dies by a signal (a segfault or an abort
inside Qt, which pytest cannot report) is run again, at most twice, and the summary
says so: a rare
crash at window teardown is still open (see the issue notes), and one such crash must not
hide the results of every other file. A failing test is never rerun.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

TESTS = Path(__file__).resolve().parent
QT_TESTS = sorted((TESTS / "visualizer").glob("test_*.py"))
CRASHED = 128  # a process killed by signal N exits with 128 + N (pytest's own codes are < 6)
RERUNS = 2


def pytest(*args: str) -> int:
    env = dict(os.environ, QT_QPA_PLATFORM=os.environ.get("QT_QPA_PLATFORM", "offscreen"))
    code = subprocess.call([sys.executable, "-m", "pytest", "-q", *args], env=env)
    return 128 - code if code < 0 else code  # Python reports a signal as −N


def main() -> int:
    start = time.perf_counter()
    results = {"the rest": pytest(str(TESTS), f"--ignore={TESTS / 'visualizer'}")}
    crashes = []
    for path in QT_TESTS:
        code = pytest(str(path))
        for _ in range(RERUNS):
            if code <= CRASHED:
                break
            crashes.append(f"{path.name} (exit {code})")
            print(f"== {path.name} died (exit {code}); running it again", flush=True)
            code = pytest(str(path))
        results[path.name] = code
    failed = [name for name, code in results.items() if code not in (0, 5)]
    print(f"== {len(results)} pytest runs in {time.perf_counter() - start:.0f} s; "
          f"failed: {', '.join(failed) or 'none'}; "
          f"crashed and rerun: {', '.join(crashes) or 'none'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
