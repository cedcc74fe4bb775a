"""The similarity chapter's claims: each claim of Charpiat et al. (2019) beside our measurement,
with the book's rules, and the chapter's findings in words chosen from the numbers."""
from __future__ import annotations

import numpy as np
import pandas as pd

from ... import report, stats


def verdict_table(exact_error: float, n_exact: int, same_share, pixel_share: float, n_label_seeds: int,
                  max_noise: float, denoise: dict, reg: dict, top: float, reg_seeds: int, effects: pd.DataFrame,
                  enforce_seeds: int) -> pd.DataFrame:
    """Each claim of Charpiat et al. that the chapter tests, with the book's rules."""
    R = report.verdict_row
    rows = [
        {**R("N_S in linear time equals the sum of pairwise k^C", "exact", (exact_error,) * 3, 0, 1e-4,
             "largest relative error below 1e-4", 1, percent=False),
         "ours": f"max relative error {exact_error:.1e} ({n_exact} digits)"},
        R("the inputs most similar for the network share the query's class (LeNet, 6 × 10 digits)", "most",
          same_share, 0.5, 1.0, f"share CI above 50% (pixel neighbours: {report.pct(pixel_share)})", n_label_seeds),
        R(f"networks denoise labels: true class on corrupted training images ({report.pct(max_noise)} wrong)", "yes",
          denoise["network: true class on corrupted"], 0.5, 1.0, "share CI above 50%", denoise["seeds"]),
        R("the network answers like the kernel vote of the noisy labels, beyond accuracy (agreement on the network's "
          "errors: trained kernel − pixel neighbours)", "yes", denoise["gap"], 0.0, 1.0, "difference CI above 0",
          denoise["seeds"]),
        R(f"registration error far below the target noise (test RMSE/σ at σ = {top:g})", "≪ 1", reg["ratio_top"],
          0.0, 0.5, "ratio CI below 0.5", reg_seeds, percent=False),
        R("the inherited noise grows in proportion to σ (log–log slope)", "1", reg["slope_sigma"], 0.8, 1.2,
          "slope CI inside [0.8, 1.2]", reg_seeds, percent=False),
        R("…and falls as 1/√r with r noise draws per canvas (log–log slope)", "−0.5", reg["slope_r"], -0.7, -0.3,
          "slope CI inside [−0.7, −0.3]", reg_seeds, percent=False),
    ] + [R(f"the inherited noise ≈ σ/√N, N read as {name} (measured / predicted)", "≈ 1", v, 0.5, 2.0,
           "ratio CI inside [0.5, 2]", reg_seeds, percent=False) for name, v in reg["ratios"].items()] + [
        R(f"enforcing similarity speeds up training ({r.variant}, accuracy gain in points)", "faster",
          (100 * r.gain, 100 * r.lo, 100 * r.hi), 0.0, np.inf, "gain CI above 0", enforce_seeds, percent=False)
        for r in effects.itertuples() if r.variant.startswith("raise")]
    return pd.DataFrame(rows)


def summary_finding(net_true, agree_gap, ratio_top, ratios: dict, effects: pd.DataFrame) -> str:
    """The chapter's findings in a few sentences, their wording chosen from the numbers."""
    denoise = ("the LeNets answer the true class on most training images whose label was wrong"
               if net_true[1] > 0.5 else "the LeNets do not clearly recover the true class of wrongly labelled images")
    vote = ("the kernel vote shares the network's mistakes more often than pixel neighbours do"
            if agree_gap[1] > 0 else ("it shares them less often than pixel neighbours do" if agree_gap[2] < 0 else
                                      "whether the kernel vote shares the network's mistakes beyond pixel neighbours "
                                      "is undecided"))
    fits = [n for n, v in ratios.items() if stats.verdict_band(v[1:], 0.5, 2.0) == stats.REPRODUCED]
    reg = (f"registration networks end at {report.with_ci(*ratio_top, percent=False)} of their targets' noise, and "
           + (f"the noise they inherit matches σ/√N for N read as {', '.join(fits)}" if fits else
              "no reading of N_S predicts the noise they inherit within a factor of 2"))
    raised = effects[effects.variant.str.startswith("raise")]
    faster = any(raised.lo > 0)
    enforce = ("raising the gradient similarity speeds up training at some weight" if faster else
               "raising the gradient similarity does not speed up training at any weight tried")
    return f"With many wrong labels {denoise}; {vote}. The {reg}. Finally, {enforce}."
