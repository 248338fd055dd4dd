"""The figure of :meth:`septrial.compare.CompareResult.plot`: exposure, effect and power of
each variant side by side."""

from __future__ import annotations

import numpy as np

from septrial.plotting.power import plot_power_curve


def plot_compare(result, axes=None):
    """Three panels: esketamine in a typical 70 kg patient, the primary analysis' estimate with
    its 95 % CI, and power against patients per arm (bands, 80/90 % lines, n marked)."""
    import matplotlib.pyplot as plt

    table = result.table
    if axes is None:
        fig, axes = plt.subplots(1, 3, figsize=(16, 4.8), layout="constrained")
    fig = axes[0].figure
    colours = {v: f"C{i}" for i, v in enumerate(table["variant"])}
    # variants with the same curve overlap: a line style each keeps them all visible
    styles = {v: ("-", "--", "-.", ":")[i % 4] for i, v in enumerate(table["variant"])}
    ax = axes[0]
    for variant, tc in result.timecourses.groupby("variant", sort=False):
        ax.plot(
            tc["time_h"],
            tc["esketamine_ng_ml"],
            color=colours[variant],
            ls=styles[variant],
            label=variant,
        )
    ax.axvline(table["endpoint_h"].iloc[0], color="grey", ls=":", lw=1)
    ax.set_xlabel("time since randomisation (h)")
    ax.set_ylabel("esketamine (ng/mL)")
    ax.set_title("Typical 70 kg patient (dotted: endpoint time)", fontsize="medium")
    ax.grid(alpha=0.3)

    ax = axes[1]
    y = np.arange(len(table))
    ratio = table["ratio"].notna().all()
    est = np.exp(table["estimate"]) if ratio else table["estimate"]
    lo = np.exp(table["ci_low"]) if ratio else table["ci_low"]
    hi = np.exp(table["ci_high"]) if ratio else table["ci_high"]
    for i, v in enumerate(table["variant"]):
        ax.errorbar(
            est.iloc[i],
            y[i],
            xerr=[[est.iloc[i] - lo.iloc[i]], [hi.iloc[i] - est.iloc[i]]],
            fmt="o",
            color=colours[v],
            capsize=3,
        )
    ax.axvline(1.0 if ratio else 0.0, color="grey", lw=1)
    ax.set_yticks(y, table["variant"])
    ax.invert_yaxis()
    what = table["analysis"].iloc[0]
    arms = result.meta.get("arms", ["control", "treated"])
    unit = "geometric mean ratio" if ratio else "difference"
    sep = " / " if ratio else " - "
    ax.set_xlabel(f"{what}: {unit} {sep.join(arms[::-1])}, 95 % CI")
    n = int(table["n_analysed"].iloc[0])
    ax.set_title(f"Primary effect, everyone in the pools (n = {n})", fontsize="medium")
    ax.grid(axis="x", alpha=0.3)

    ax = axes[2]
    for variant, curve in result.power.groupby("variant", sort=False):
        plot_power_curve(curve, ax=ax, label=variant)  # colours follow the cycle: C0, C1, ..
        for line in ax.lines:
            if line.get_label() == variant:
                line.set_linestyle(styles[variant])
    ax.set_title(f"Power, {result.n_trials} trials per n (95 % interval)", fontsize="medium")
    handles, labels = ax.get_legend_handles_labels()
    if ax.get_legend() is not None:
        ax.get_legend().remove()
    fig.legend(handles, labels, loc="outside right center", title="variant", fontsize="small")
    pools = "same patients" if result.shared_pools else "separate patients"
    fig.suptitle(
        f"Variants of {result.meta['scenarios'][0]} ({pools}, {result.pool_per_arm} per arm "
        f"per pool, seed {result.seed})"
    )
    return axes
