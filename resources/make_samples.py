"""Regenerate the bundled sample data: ``python resources/make_samples.py``.

sample_clusters.csv is invented, not copied from any real survey: three made-up species
whose leaf sizes form three clusters, one long and narrow, one mid-sized, one large, with
length and width correlated inside each species as real measurements tend to be.
"""

import csv
from pathlib import Path

import numpy as np

SPECIES = {
    # name: (mean length, mean width, std of length, std of width, correlation)
    "aurora": (2.0, 0.6, 0.25, 0.10, 0.5),
    "borealis": (4.4, 1.5, 0.40, 0.20, 0.7),
    "caerulea": (5.9, 2.3, 0.50, 0.25, 0.6),
}
ROWS_PER_SPECIES = 100


def main(seed: int = 7) -> None:
    rng = np.random.default_rng(seed)
    rows = []
    for name, (mean_l, mean_w, sd_l, sd_w, rho) in SPECIES.items():
        cov = [[sd_l**2, rho * sd_l * sd_w], [rho * sd_l * sd_w, sd_w**2]]
        sizes = rng.multivariate_normal([mean_l, mean_w], cov, size=ROWS_PER_SPECIES)
        # measured to the millimetre, and nothing smaller than one
        sizes = np.maximum(np.round(sizes, 1), 0.1)
        rows += [(f"{length:.1f}", f"{width:.1f}", name) for length, width in sizes]
    rows = [rows[i] for i in rng.permutation(len(rows))]  # species mixed, as in a field log
    out = Path(__file__).with_name("sample_clusters.csv")
    with out.open("w", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(["length_cm", "width_cm", "species"])
        writer.writerows(rows)


if __name__ == "__main__":
    main()
