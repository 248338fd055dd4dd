"""The patient journey of a trial: infection onset (t = 0), ICU admission and intubation,
screening, randomisation, follow-up. Every time and probability is a named field with its default
here (sources and reasons in docs/model.md, "Patient journey")."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from septrial.spec.base import SpecModel

Positive = Annotated[float, Field(gt=0)]
NonNegative = Annotated[float, Field(ge=0)]


class Ventilation(SpecModel):
    """Invasive ventilation, decided at ICU admission from the SOFA score then."""

    p_ref: float = Field(0.82, gt=0, lt=1)
    """[A] Chance of invasive ventilation at SOFA ``sofa_ref``; set so that 62 % of septic ICU
    admissions are ventilated for >= 24 h at screening (Chinese sepsis cohorts)."""
    sofa_ref: float = Field(8.0, ge=0, le=24)
    """SOFA score at ICU admission where ``p_ref`` applies."""
    odds_ratio_per_point: Positive = 1.3
    """[A] Odds ratio of ventilation per SOFA point."""
    duration_median_h: Positive = 72.0
    """[A] Median of the log-normal ventilation duration, h."""
    duration_sdlog: NonNegative = 1.2
    """[A] Log-scale SD of the ventilation duration."""


class Journey(SpecModel):
    """Times from infection onset to follow-up, and the Sepsis-3 entry rule."""

    t_icu_median_h: Positive = 12.0
    """[A] Infection onset to ICU admission: median of a log-normal, h."""
    t_icu_sdlog: NonNegative = 0.75
    """[A] Log-scale SD of the time to ICU admission (a ~4-48 h range)."""
    screening_after_icu_h: NonNegative = 24.0
    """Screening after ICU admission, h (inclusion needs >= 24 h of ventilation)."""
    randomisation_delay_h: NonNegative = 2.0
    """[A] Screening to randomisation and study-drug start, h."""
    follow_up_h: Positive = 672.0
    """Follow-up from randomisation, h (28 days)."""
    sepsis3_min_acute_sofa: float = Field(2.0, ge=0, le=24)
    """Sepsis-3: the acute SOFA rise at ICU admission needed to count as sepsis."""
    max_attempts: int = Field(1000, ge=1, le=1_000_000)
    """Infections drawn per patient before giving up on a septic ICU presentation."""
    ventilation: Ventilation = Ventilation()
    """Invasive ventilation at ICU admission."""
