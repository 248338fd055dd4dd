"""Heat maps of the drug effect across assumptions (see :func:`septrial.effects.effect_map`)."""

from __future__ import annotations

import numpy as np
import pandas as pd


def plot_effect_map(
    effects: pd.DataFrame, columns=("il6_ratio_72h", "hla_dr_ratio_72h"), axes=None
):
    """One heat map per column: IC50 (log axis, rows) against I_max (columns), ratio annotated."""
    import matplotlib.pyplot as plt
    from matplotlib.colors import TwoSlopeNorm

    if axes is None:
        _, axes = plt.subplots(1, len(columns), figsize=(6 * len(columns), 4.5), squeeze=False)
        axes = axes[0]
    titles = {
        "il6_ratio_72h": "IL-6 at 72 h, esketamine / control",
        "hla_dr_ratio_72h": "mHLA-DR at 72 h, esketamine / control",
        "pathogen_diff_72h": "pathogen load at 72 h, esketamine - control",
    }
    for ax, col in zip(axes, columns, strict=False):
        table = effects.pivot(index="IC50", columns="I_max", values=col).sort_index()
        values = table.to_numpy()
        centre = 0.0 if col.endswith("_diff_72h") else 1.0
        lo, hi = np.nanmin(values), np.nanmax(values)
        norm = TwoSlopeNorm(
            vcenter=centre, vmin=min(lo, centre - 1e-9), vmax=max(hi, centre + 1e-9)
        )
        im = ax.imshow(values, cmap="RdBu_r", norm=norm, aspect="auto", origin="lower")
        ax.set_xticks(range(table.shape[1]), [f"{v:g}" for v in table.columns])
        ax.set_yticks(range(table.shape[0]), [f"{v:g}" for v in table.index])
        ax.set_xlabel("I_max")
        ax.set_ylabel("IC50 (ng/mL)")
        ax.set_title(titles.get(col, col), fontsize="medium")
        for i in range(values.shape[0]):
            for j in range(values.shape[1]):
                ax.text(j, i, f"{values[i, j]:.2f}", ha="center", va="center", fontsize=7)
        ax.figure.colorbar(im, ax=ax, shrink=0.8)
    return axes
