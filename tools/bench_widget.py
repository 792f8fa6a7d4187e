"""Mean time per slider move of the convolution-arithmetic widget (headless): `python tools/bench_widget.py`.

Each move redraws the picture, renders it to PNG and updates the texts, as in JupyterLab
(the browser's own drawing of the PNG is not included). Target: well under 100 ms.
"""
from __future__ import annotations

import argparse
import statistics
import time

import matplotlib

matplotlib.use("Agg")

from cnn_course.widgets import conv_arithmetic_widget  # noqa: E402


def conv_output_size(n, k, stride=1, pad=0, dilation=1):
    span = dilation * (k - 1) + 1
    if min(n, k, stride, dilation) < 1 or pad < 0 or span > n + 2 * pad:
        raise ValueError("invalid")
    return (n + 2 * pad - span) // stride + 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--moves", type=int, default=200)
    args = parser.parse_args()
    began = time.perf_counter()
    widget = conv_arithmetic_widget(conv_output_size)
    print(f"build: {(time.perf_counter() - began) * 1000:.1f} ms")
    # A walk over every slider, including the largest grids (n=12, p=4) and invalid combinations.
    walk = [("n", v) for v in (5, 8, 12)] + [("pad", v) for v in (1, 4, 0)] + [("k", v) for v in (5, 7, 3)] \
        + [("stride", v) for v in (2, 3, 1)] + [("dilation", v) for v in (2, 4, 1)] + [("position", v) for v in (3, 7, 0)]
    times = []
    for i in range(args.moves):
        name, value = walk[i % len(walk)]
        slider = widget.sliders[name]
        value = min(value, slider.max)
        if slider.value == value:
            value = slider.min if value != slider.min else min(slider.min + 1, slider.max)
        start = time.perf_counter()
        slider.value = value
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    print(f"{len(times)} slider moves: mean {statistics.mean(times):.1f} ms, median {statistics.median(times):.1f} ms, "
          f"95th percentile {times[int(0.95 * (len(times) - 1))]:.1f} ms, max {times[-1]:.1f} ms")


if __name__ == "__main__":
    main()
