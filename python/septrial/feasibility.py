"""Requests that cannot finish are refused early: criteria or a patient journey that nobody
passes stop after the first batch of admissions with the finding that explains it, instead of a
hunt through millions of admissions."""

from __future__ import annotations

from collections import Counter

__all__ = ["NOBODY_AFTER", "explain_nobody_alive", "explain_nobody_eligible", "nobody_after"]

#: Admissions without a single eligible patient after which enrolment gives up even when the
#: lint finds nothing (at such eligibility a 100-patient trial needs > 10 million admissions).
NOBODY_AFTER = 200_000


def explain_nobody_eligible(study, n_admissions: int) -> None:
    """Raise ``ValueError`` naming the criterion when the protocol lint explains why none of
    the first ``n_admissions`` septic ICU admissions was eligible; return when it does not (the
    criteria may be merely rare)."""
    findings = [f for f in study.lint() if f.severity == "error" and f.criteria]
    if not findings:
        return
    first = findings[0]
    others = "".join(f"\n  {f}" for f in findings[1:])
    raise ValueError(
        f"criteria.{first.criteria[0]}: no patient among the first {n_admissions} septic ICU "
        f"admissions was eligible, and the protocol lint says why: {first}{others}\n"
        "Change or drop that criterion (Scenario.with_criterion, criteria.override / drop)."
    )


def explain_nobody_alive(study, n_admissions: int, reasons) -> None:
    """Raise ``ValueError`` naming the journey field when none of the first ``n_admissions``
    septic ICU admissions lived to screening; ``reasons`` are the patients' engine statuses."""
    journey = study.scenario.journey
    counts = Counter(str(r) for r in reasons if r)
    top = f"; most common reason: {counts.most_common(1)[0][0]!r}" if counts else ""
    if any("max_attempts" in r for r in counts):
        field = "journey.max_attempts"
        hint = (
            f"no infection became a septic ICU admission: lower journey.sepsis3_min_acute_sofa "
            f"({journey.sepsis3_min_acute_sofa:g}, allowed 0-24) or raise journey.max_attempts "
            f"({journey.max_attempts}, allowed 1-1000000)"
        )
    elif counts:
        field = "solver.max_steps" if any("max_steps" in r for r in counts) else "solver"
        hint = (
            "the ODE solves to screening failed: raise solver.max_steps (allowed 1-1e9), "
            "loosen solver.rtol / solver.atol or change solver.method"
        )
    else:
        field = "journey.screening_after_icu_h"
        hint = (
            f"screening is {journey.screening_after_icu_h:g} h after ICU admission; screen "
            "earlier (allowed: >= 0 h) or check the population and model"
        )
    raise ValueError(
        f"{field}: none of the first {n_admissions} septic ICU admissions was alive at "
        f"screening{top}; {hint}"
    )


def nobody_after(n_admissions: int, excluded_all: tuple[str, ...]) -> None:
    """Raise ``ValueError`` once ``n_admissions`` without an eligible patient reach
    :data:`NOBODY_AFTER`, naming the criteria that excluded every patient alive at screening in
    the last batch (rules the lint cannot check, such as callables, end here)."""
    if n_admissions < NOBODY_AFTER:
        return
    field = f"criteria.{excluded_all[0]}" if excluded_all else "criteria"
    which = (
        f"; excluded every patient alive at screening in the last batch: {', '.join(excluded_all)}"
        if excluded_all
        else "; no single criterion excluded everyone: together they do"
    )
    raise ValueError(
        f"{field}: no patient among the first {n_admissions} septic ICU admissions was "
        f"eligible{which}. Change or drop the criterion (Scenario.with_criterion)."
    )
