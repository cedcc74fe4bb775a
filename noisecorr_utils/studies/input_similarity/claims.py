"""The similarity chapter's claims: each claim of Charpiat et al. (2019) beside our measurement,
with the book's rules, and the chapter's findings in words chosen from the numbers."""
from __future__ import annotations

import numpy as np
import pandas as pd

from ... import report
from ...verdicts import Figure, Finding


def verdict_table(exact_error: float, n_exact: int, same_share, pixel_share: float, n_label_seeds: int,
                  max_noise: float, denoise: dict, reg: dict, top: float, reg_seeds: int, effects: pd.DataFrame,
                  enforce_seeds: int) -> pd.DataFrame:
    """Each claim of Charpiat et al. that the chapter tests, at both levels (``report.claim_row``).
    The paper quotes no accuracy for its networks, so no claim is gated."""
    R = report.claim_row
    exact = (exact_error,) * 3
    rows = [
        R("N_S in linear time equals the sum of pairwise similarities", None, "largest relative error", exact,
          Finding("the linear-time density equals the sum of the pairwise similarities", "largest relative error", 1e-4,
                  "below"), exact, 1, percent=False, bounds=(0, np.inf), finding_bounds=(0, np.inf),
          ours=f"max relative error {exact_error:.1e} ({n_exact} digits)", finding_ours=f"{exact_error:.1e}"),
        R("the inputs most similar for the network share the query's class (LeNet, 6 × 10 digits)", None,
          "share", same_share, Finding("the inputs a network finds most similar to a digit are mostly of its class "
                                       f"(pixel neighbours: {report.pct(pixel_share)})", "share", 0.5), same_share,
          n_label_seeds, finding_percent=True, finding_bounds=(0, 1)),
        R(f"networks denoise labels: true class on corrupted training images ({report.pct(max_noise)} wrong)", None,
          "share", denoise["network: true class on corrupted"],
          Finding("a network trained on noisy labels answers the true class of most wrongly labelled images", "share",
                  0.5), denoise["network: true class on corrupted"], denoise["seeds"], finding_percent=True,
          finding_bounds=(0, 1)),
        R("the network answers like the kernel vote of the noisy labels, beyond accuracy (agreement on the network's "
          "errors: trained kernel − pixel neighbours)", None, "difference", denoise["gap"],
          Finding("a network's answers follow the vote of the labels of the inputs it finds similar", "difference", 0.0),
          denoise["gap"], denoise["seeds"], finding_percent=True, bounds=(-1, 1), finding_bounds=(-1, 1)),
        R(f"registration error far below the target noise (test RMSE/σ at σ = {top:g})", Figure("≪ 1", 0.0, 0.5,
                                                                                                 "below"),
          "RMSE/σ", reg["ratio_top"], Finding("a network trained on noisy targets is more precise than its targets",
                                              "RMSE/σ", 1.0, "below"), reg["ratio_top"], reg_seeds, percent=False,
          bounds=(0, np.inf), finding_bounds=(0, np.inf)),
        R("the inherited noise grows in proportion to σ (log–log slope)", Figure("1", 0.8, 1.2), "slope",
          reg["slope_sigma"], Finding("the noise a network inherits grows with the noise of its targets", "slope", 0.0),
          reg["slope_sigma"], reg_seeds, percent=False, bounds=(-np.inf, np.inf), finding_bounds=(-np.inf, np.inf)),
        R("…and falls as 1/√r with r noise draws per canvas (log–log slope)", Figure("−0.5", -0.7, -0.3), "slope",
          reg["slope_r"], Finding("the inherited noise falls as the same input is seen with more independent draws",
                                  "slope", 0.0, "below"), reg["slope_r"], reg_seeds, percent=False,
          bounds=(-np.inf, np.inf), finding_bounds=(-np.inf, np.inf)),
    ] + [R(f"the inherited noise ≈ σ/√N, N read as {name} (measured / predicted)", Figure("≈ 1", 0.5, 2.0), "ratio", v,
           Finding(f"the density N_S, read as {name}, predicts the noise a network inherits (σ/√N) within a "
                   "factor of 2", "ratio", 0.5, "inside", 2.0), v, reg_seeds, percent=False, bounds=(0, np.inf),
           finding_bounds=(0, np.inf)) for name, v in reg["ratios"].items()] + [
        R(f"enforcing similarity speeds up training ({r.variant}, accuracy gain in points)", None, "gain",
          (100 * r.gain, 100 * r.lo, 100 * r.hi),
          Finding(f"raising the gradient similarity of same-class inputs (penalty weight {r.variant.split('×')[-1]}) "
                  "speeds up training", "gain (points)", 0.0), (100 * r.gain, 100 * r.lo, 100 * r.hi), enforce_seeds,
          percent=False, bounds=(-100, 100), finding_bounds=(-100, 100))
        for r in effects.itertuples() if r.variant.startswith("raise")]
    return pd.DataFrame(rows)


SUMMARY_CLAIMS = ("the inputs most similar", "networks denoise labels", "the network answers like the kernel vote",
                  "registration error far below", "the inherited noise ≈ σ/√N, N read as raw",
                  "enforcing similarity speeds up training (raise similarity ×1")


def summary_finding(verdicts: pd.DataFrame) -> str:
    """The chapter's findings, each sentence produced from its verdict row (``report.findings``)."""
    return report.findings(verdicts, SUMMARY_CLAIMS)
