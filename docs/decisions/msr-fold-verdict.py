"""The verdict of an MSR two-fold rule (msrdev8, msrdev9): each arm's mean over the dev folds
xsub-dev and xsub-dev2 of the ensembles in TSV (rows ARM_FOLD, columns top1 and early40); the new
arm is adopted if its mean top-1 >= the base's + 1.0 and its mean early-40 >= the base's - 2.0.

    python docs/decisions/msr-fold-verdict.py TSV BASE_ARM NEW_ARM
"""

import csv
import sys

FOLDS = ("xsub-dev", "xsub-dev2")


def fold_mean(rows: dict[str, dict[str, str]], arm: str) -> tuple[float, float]:
    def mean(column: str) -> float:
        return sum(float(rows[f"{arm}_{f}"][column]) for f in FOLDS) / len(FOLDS)

    return mean("top1"), mean("early40")


def main(tsv: str, base: str, new: str) -> None:
    with open(tsv) as f:
        rows = {r["ensemble"]: r for r in csv.DictReader(f, delimiter="\t")}
    (bt, be), (nt, ne) = fold_mean(rows, base), fold_mean(rows, new)
    ok = nt >= bt + 1.0 and ne >= be - 2.0
    print(f"{base} {bt:.2f} / early-40 {be:.2f}; {new} {nt:.2f} / {ne:.2f} ({nt - bt:+.2f}): "
          + ("adopted" if ok else "rejected"))


if __name__ == "__main__":
    main(*sys.argv[1:4])
