"""Eligibility criteria and the screening funnel (pure data and tables; the pipeline that
simulates patients to screening is :func:`septrial.screen`).

- :mod:`~septrial.screening.expr`: a safe rule language (``"18 <= age_y < 60 and sofa >= 2"``),
  parsed without ``eval``.
- :mod:`~septrial.screening.criteria`: criteria as data (verbatim registry text + machine rule).
- :mod:`~septrial.screening.funnel`: the CONSORT-style funnel, screened → eligible → consented →
  randomised, with first-failing attribution and recruitment time.
- :mod:`~septrial.screening.lint`: contradictions, unknown covariates, useless thresholds.

Example
-------
>>> from septrial.screening import load_criteria_set, screen_table, lint_criteria
>>> crit = load_criteria_set("scenarios/criteria/nct04843982.json")  # doctest: +SKIP
>>> report = screen_table(cohort_df, crit, n_target=100)  # doctest: +SKIP
>>> print(report.to_markdown())  # doctest: +SKIP
"""

from __future__ import annotations

from .criteria import (
    CriteriaSet,
    Criterion,
    load_criteria,
    load_criteria_set,
    parse_covariates,
)
from .expr import Interval, IntervalSet, Rule, compile_rule
from .funnel import RecruitmentEstimate, ScreeningReport, funnel_order, screen_table
from .lint import LintFinding, lint_criteria

__all__ = [
    "CriteriaSet",
    "Criterion",
    "Interval",
    "IntervalSet",
    "LintFinding",
    "RecruitmentEstimate",
    "Rule",
    "ScreeningReport",
    "compile_rule",
    "funnel_order",
    "lint_criteria",
    "load_criteria",
    "load_criteria_set",
    "parse_covariates",
    "screen_table",
]
