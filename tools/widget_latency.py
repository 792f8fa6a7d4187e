"""Every widget's latency in Chromium, from a key press to its new picture, quiet and beside a CPU hog.

    .venv/bin/python tools/widget_latency.py [--presses 7]

It runs the JupyterLab browser test (``tests/test_lab.py``: ``make lab``'s server, Run All on each untouched
student notebook, then ArrowRight on each widget's first slider), twice: on the machine as it is, then beside one
process spinning on a core, which it starts and stops itself. Each press is timed in the page, from the keydown
event to the MutationObserver that sees the picture's new ``src``. It prints each widget's median and maximum in
ms, both ways, as a Markdown table (issue target: a median under 50 ms quiet and under 100 ms with a core busy).
A benchmark, not a test: the times depend on the machine. Needs Chromium (``apt-get install chromium``).
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from grader.benchmark import cpu_hog

ROOT = Path(__file__).resolve().parent.parent


def measure(presses: int, busy: bool) -> list[dict]:
    with tempfile.TemporaryDirectory() as work:
        record = Path(work) / "times.jsonl"
        env = dict(os.environ, CNN_COURSE_WIDGET_TIMES=str(record), CNN_COURSE_WIDGET_PRESSES=str(presses),
                   CNN_COURSE_REQUIRE_BROWSER="1")
        with cpu_hog(busy):
            run = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "-x",
                                  "tests/test_lab.py", "-k", "run_all_then_every_widget"], cwd=ROOT, env=env,
                                 capture_output=True, text=True)
        if run.returncode:
            sys.exit(f"the browser test failed:\n{run.stdout[-3000:]}")
        return [json.loads(line) for line in record.read_text().splitlines()]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--presses", type=int, default=7, help="key presses per widget (default 7)")
    args = parser.parse_args()
    load = os.getloadavg()[0]
    quiet = measure(args.presses, busy=False)
    busy = measure(args.presses, busy=True)
    print(f"Key press to new picture in Chromium, {args.presses} presses per widget's first slider, untouched "
          f"notebooks (the widgets draw their fallbacks); load average before: {load:.1f}.\n")
    print("| widget (first slider) | quiet: median / max ms | one core busy: median / max ms |")
    print("|---|---|---|")
    for still, loaded in zip(quiet, busy):
        cells = [f"{statistics.median(r['ms']):.0f} / {max(r['ms']):.0f}" for r in (still, loaded)]
        print(f"| {still['notebook'][:2]} widget {still['widget']} (\"{still['control']}\") | {cells[0]} | {cells[1]} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
