"""Power-curve and power-grid plots (matplotlib; never calls ``plt.show()``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from septrial.stats.pool_power import sample_size_for_power


def _new_axes() -> Any:
    import matplotlib.pyplot as plt

    _, ax = plt.subplots(figsize=(6, 4), layout="constrained")
    return ax


def _tick_label(value: Any) -> str:
    return f"{value:g}" if isinstance(value, int | float | np.number) else str(value)


def plot_power_curve(
    df: pd.DataFrame,
    ax: Any = None,
    targets: Sequence[float] = (0.8, 0.9),
    by: str | None = None,
    label: str | None = None,
    mark_sample_size: bool = True,
) -> Any:
    """Power against patients per arm, with its Monte Carlo confidence band.

    Parameters
    ----------
    df : DataFrame
        Output of :func:`septrial.stats.power_from_pools` (columns ``n_per_arm``, ``power`` and
        optionally ``power_ci_low`` / ``power_ci_high``), possibly several curves stacked.
    ax : matplotlib Axes, optional
        Axes to draw on; a new figure is made if omitted.
    targets : sequence of float
        Horizontal reference lines (e.g. 80 % and 90 % power).
    by : str, optional
        Column that separates several curves (one line per value).
    label : str, optional
        Legend label for a single curve.
    mark_sample_size : bool
        Draw a dotted vertical line where each curve crosses each target (monotone
        interpolation, see :func:`septrial.stats.sample_size_for_power`), if it does.

    Returns
    -------
    matplotlib Axes
    """
    missing = [c for c in ("n_per_arm", "power") if c not in df]
    if missing:
        raise ValueError(f"df lacks column(s) {missing} needed for a power curve")
    if by is not None and by not in df:
        raise ValueError(f"by={by!r} is not a column of df; columns: {list(df.columns)}")
    ax = _new_axes() if ax is None else ax
    groups: Any = df.groupby(by, sort=True) if by is not None else [(label, df)]
    for name, curve in groups:
        curve = curve.sort_values("n_per_arm")
        n = curve["n_per_arm"].to_numpy(dtype=float)
        text = f"{by} = {_tick_label(name)}" if by is not None else label
        (line,) = ax.plot(n, curve["power"], marker="o", label=text)
        if {"power_ci_low", "power_ci_high"} <= set(curve.columns):
            ax.fill_between(
                n, curve["power_ci_low"], curve["power_ci_high"], color=line.get_color(), alpha=0.2
            )
        if mark_sample_size and curve["n_per_arm"].nunique() == len(curve) and len(curve) > 1:
            for target in targets:
                needed = sample_size_for_power(curve, target=target).n_per_arm
                if np.isfinite(needed):
                    ax.axvline(needed, color=line.get_color(), linestyle=":", linewidth=1)
                    ax.annotate(
                        f"n = {int(np.ceil(needed))}",
                        xy=(needed, target),
                        xytext=(3, -10),
                        textcoords="offset points",
                        fontsize="x-small",
                        color=line.get_color(),
                    )
    for target in targets:
        ax.axhline(target, color="grey", linestyle="--", linewidth=1)
        ax.annotate(
            f"{target:.0%}",
            xy=(1.0, target),
            xycoords=("axes fraction", "data"),
            xytext=(2, 0),
            textcoords="offset points",
            va="center",
            fontsize="small",
            color="grey",
        )
    ax.set_ylim(0.0, 1.0)
    ax.set_xlabel("patients per arm")
    ax.set_ylabel("power (band: 95 % Monte Carlo interval)")
    if by is not None or label is not None:
        ax.legend(loc="upper left", bbox_to_anchor=(1.08, 1.0), fontsize="small", frameon=False)
    return ax


def plot_power_heatmap(
    df: pd.DataFrame,
    x: str,
    y: str,
    value: str = "power",
    ax: Any = None,
    fmt: str = "{:.2f}",
    cmap: str = "viridis",
) -> Any:
    """Heat map of ``value`` over a grid of two assumptions (columns ``x`` and ``y``).

    Each (x, y) cell must appear once in ``df``; cells are annotated with ``fmt``. For
    ``value="power"`` the colour scale is fixed to [0, 1].

    Returns
    -------
    matplotlib Axes
    """
    missing = [c for c in (x, y, value) if c not in df]
    if missing:
        raise ValueError(f"df lacks column(s) {missing}; columns: {list(df.columns)}")
    if df.duplicated([x, y]).any():
        raise ValueError(
            f"df has several rows per ({x}, {y}) cell; filter or aggregate other columns first"
        )
    grid = df.pivot(index=y, columns=x, values=value).sort_index().sort_index(axis=1)
    values = grid.to_numpy(dtype=float)
    ax = _new_axes() if ax is None else ax
    limits = {"vmin": 0.0, "vmax": 1.0} if value == "power" else {}
    image = ax.imshow(values, origin="lower", aspect="auto", cmap=cmap, **limits)
    ax.figure.colorbar(image, ax=ax, label=value)
    if "n_per_arm" in df and df["n_per_arm"].nunique() == 1:
        ax.set_title(f"{value} at n = {int(df['n_per_arm'].iloc[0])} per arm", fontsize="medium")
    ax.set_xticks(range(grid.shape[1]), [_tick_label(v) for v in grid.columns])
    ax.set_yticks(range(grid.shape[0]), [_tick_label(v) for v in grid.index])
    ax.set_xlabel(x)
    ax.set_ylabel(y)
    low, high = image.get_clim()
    middle = (low + high) / 2.0
    for i in range(values.shape[0]):
        for j in range(values.shape[1]):
            if np.isfinite(values[i, j]):
                color = "black" if values[i, j] > middle else "white"
                ax.text(j, i, fmt.format(values[i, j]), ha="center", va="center", color=color)
    return ax


def plot_assurance(df: pd.DataFrame, ax: Any = None, title: str | None = None) -> Any:
    """Assurance against patients per arm (one line per analysis) with its 95 % interval as
    error bars; ``df`` is the table of :func:`septrial.assurance`."""
    missing = [c for c in ("analysis", "n_per_arm", "assurance") if c not in df]
    if missing:
        raise ValueError(f"df lacks column(s) {missing} needed for an assurance plot")
    ax = _new_axes() if ax is None else ax
    for name, part in df.groupby("analysis", sort=False):
        part = part.sort_values("n_per_arm")
        a = part["assurance"].to_numpy(dtype=float)
        err = None
        if {"assurance_ci_low", "assurance_ci_high"} <= set(part.columns):
            low, high = part["assurance_ci_low"], part["assurance_ci_high"]
            err = np.clip(np.vstack([a - low, high - a]), 0, None)  # rounding at 0 or 1
        ax.errorbar(part["n_per_arm"], a, yerr=err, marker="o", capsize=3, label=str(name))
    ax.set_ylim(0.0, 1.0)
    ax.set_xlabel("patients per arm")
    ax.set_ylabel("assurance (bars: 95 % interval)")
    if df["analysis"].nunique() > 1:
        ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize="small", frameon=False)
    if title:
        ax.set_title(title, fontsize="medium")
    return ax
