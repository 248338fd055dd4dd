"""Plots: users look rather than read. Every function returns the matplotlib Axes or Figure."""

from __future__ import annotations

from septrial.plotting.timecourse import plot, plot_timecourse

__all__ = ["plot", "plot_timecourse"]
