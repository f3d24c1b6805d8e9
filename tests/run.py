"""`python tests/run.py`: the whole suite, as `make test` runs it.

The algorithm tests run in one pytest process, the command-line tests (a subprocess per
panel) in another, and each Qt test file in a process of its own: as many at once as the
machine has cores, the longest files first (a Qt test mostly waits on one core's Python;
two files side by side take ~60 % of the time of one after the other).
A Qt file whose process dies by a signal (a segfault or an abort inside Qt, which pytest
cannot report), or fails with the same defect's other sign (STALE_WRAPPER), is run again,
at most twice, and the summary says so: a rare crash at
window teardown is still open (see the issue notes), and one such crash must not hide the
results of every other file. A failing test is never rerun.

`python tests/run.py --smoke` runs the algorithm tests and only the Qt files in SMOKE: the
oldest supported Python (3.11, with an older PySide6) runs these, so that `make test` on
two Pythons stays within its ten minutes as the panels multiply; every panel is still
built, stepped, scrubbed, exported and saved there by the registry and window tests.
"""

from __future__ import annotations

import concurrent.futures
import os
import subprocess
import sys
import time
from pathlib import Path

TESTS = Path(__file__).resolve().parent
QT_TESTS = sorted((TESTS / "visualizer").glob("test_*.py"))
CRASHED = 128  # a process killed by signal N exits with 128 + N (pytest's own codes are < 6)
RERUNS = 2
# The same open defect without a crash: a wrapper left behind by a freed QTreeWidgetItem is
# handed back for a new object at its address ("'…QTreeWidgetItem' object has no attribute
# 'addAction'" from a new menu). Treated as a crash: rerun, and said.
SMOKE = ("test_every_panel.py", "test_main_window.py", "test_sessions.py", "test_player.py")
STALE_WRAPPER = "'PySide6.QtWidgets.QTreeWidgetItem' object has no attribute"


def pytest(*args: str) -> tuple[int, str]:
    """Run pytest; return its exit code (128 + N for a signal N) and its output."""
    env = dict(os.environ, QT_QPA_PLATFORM=os.environ.get("QT_QPA_PLATFORM", "offscreen"))
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", *args], env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    code = done.returncode
    return (128 - code if code < 0 else code), done.stdout


def job(name: str, args: list[str], rerun: bool) -> tuple[str, int, list[str], str]:
    """One pytest process; a Qt file (`rerun`) that died by a signal runs again."""
    start = time.perf_counter()
    code, output = pytest(*args)
    crashes = []
    for _ in range(RERUNS if rerun else 0):
        if code <= CRASHED and not (code and STALE_WRAPPER in output):
            break
        crashes.append(f"{name} (exit {code})")
        output += f"\n== {name} died (exit {code}); running it again\n"
        again, more = pytest(*args)
        code, output = again, output + more
    output += f"== {name}: {time.perf_counter() - start:.1f} s\n"
    return name, code, crashes, output


def main(smoke: bool = False) -> int:
    start = time.perf_counter()
    cli = TESTS / "test_cli.py"
    jobs = [("the algorithm tests", [str(TESTS), f"--ignore={TESTS / 'visualizer'}",
                                     f"--ignore={cli}"], False),
            (cli.name, [str(cli)], False)]
    qt_tests = [path for path in QT_TESTS if not smoke or path.name in SMOKE]
    qt_tests.sort(key=lambda path: -path.stat().st_size)   # the longest files first
    jobs += [(path.name, [str(path)], True) for path in qt_tests]
    results, crashes = {}, []
    with concurrent.futures.ThreadPoolExecutor(os.cpu_count() or 1) as pool:
        for name, code, crashed, output in pool.map(lambda j: job(*j), jobs):
            print(f"-- {name}\n{output}", end="", flush=True)
            results[name] = code
            crashes += crashed
    failed = [name for name, code in results.items() if code not in (0, 5)]
    print(f"== {len(results)} pytest runs in {time.perf_counter() - start:.0f} s; "
          f"failed: {', '.join(failed) or 'none'}; "
          f"crashed and rerun: {', '.join(crashes) or 'none'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(smoke="--smoke" in sys.argv[1:]))
