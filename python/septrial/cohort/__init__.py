"""Virtual cohorts: baseline covariates of septic ICU patients (see :class:`Population`)."""

from septrial.cohort.population import Population, available_populations

__all__ = ["Population", "available_populations"]
