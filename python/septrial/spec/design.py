"""The trial design around the model: arms, allocation, measurement, solver, recruitment, power
settings and the drug-effect uncertainty."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from septrial import _core
from septrial.spec.base import SpecError, SpecModel, validate_spec
from septrial.spec.dosing import ProtocolDose

#: The engine's solver methods.
SOLVER_METHODS = tuple(_core.solver_methods())


class Arm(SpecModel):
    """A randomised arm: its own doses on top of the background."""

    name: str = Field(min_length=1)
    """Arm name (``arm`` column of the per-patient table)."""
    label: str = ""
    """Readable description of the arm's treatment."""
    doses: list[ProtocolDose] = []
    """The arm's study drug; anchored at randomisation."""
    propofol_sparing_fraction: float = Field(0.0, ge=0, le=1)
    """Fraction by which the background propofol rate is cut after randomisation."""
    params: dict[str, float] = {}
    """Model parameters set for this arm's treatment phase only."""

    @model_validator(mode="after")
    def _from_randomisation(self) -> Arm:
        for i, d in enumerate(self.doses):
            if d.anchor != "randomisation":
                raise ValueError(
                    f"doses[{i}].anchor: arm doses start at randomisation, got {d.anchor!r}; "
                    "allowed: randomisation (put doses given before it in background)"
                )
        return self


class Allocation(SpecModel):
    """Block randomisation."""

    ratio: list[Annotated[int, Field(ge=1, le=100)]] = Field([1, 1], min_length=2, max_length=2)
    """Control : treated allocation ratio."""
    block_size: int = Field(4, ge=2, le=10_000)
    """Permuted-block size, a multiple of the ratio's sum."""

    @model_validator(mode="after")
    def _blocks(self) -> Allocation:
        if self.block_size % sum(self.ratio):
            raise ValueError(
                f"block_size: must be a multiple of the ratio sum {sum(self.ratio)}, "
                f"got {self.block_size}"
            )
        return self


class Measurement(SpecModel):
    """Assay model applied to every sampled value before endpoints are computed."""

    assay_noise: bool = True
    """Add the models' residual (assay) errors."""
    lloq: dict[str, Annotated[float, Field(ge=0)]] = {}
    """Lower limit of quantification per observable; values below read as the limit."""


class Solver(SpecModel):
    """ODE solver settings."""

    method: Literal[SOLVER_METHODS] = "dopri5"  # type: ignore[valid-type]
    """``dopri5`` (explicit), ``rosenbrock4`` (stiff) or ``exact`` (linear models only)."""
    rtol: float = Field(1e-6, gt=0, le=0.1)
    """Relative tolerance."""
    atol: float = Field(1e-9, gt=0, le=1)
    """Absolute tolerance."""
    max_steps: int = Field(200_000, ge=1, le=10**9)
    """Steps per patient before the solve is declared failed."""

    def engine(self) -> _core.SolverOptions:
        o = _core.SolverOptions()
        o.method = self.method
        o.rtol, o.atol, o.max_steps = self.rtol, self.atol, self.max_steps
        return o


class Recruitment(SpecModel):
    """Recruitment rate at the trial site."""

    septic_admissions_per_month: float = Field(gt=0, le=1e6)
    """Septic ICU admissions screened per month."""
    doc: str = ""
    """Source or assumption."""


class PowerSettings(SpecModel):
    """Defaults of ``septrial.power_curve`` for this scenario."""

    n_per_arm: list[Annotated[int, Field(ge=2, le=1_000_000)]] = Field([50], min_length=1)
    """Patients per arm to evaluate."""
    n_trials: int = Field(400, ge=1, le=10**7)
    """Simulated trials per sample size."""
    method: Literal["pool", "fresh"] = "pool"
    """Resample from pools of enrolled patients, or simulate every trial anew."""
    pool_per_arm: int = Field(1000, ge=2, le=10**7)
    """Pool size per arm (pool method)."""


class PriorDistribution(SpecModel):
    """Prior of one assumption parameter."""

    dist: Literal["uniform", "loguniform"]
    """Uniform, or uniform on the log scale."""
    low: float
    """Lower bound."""
    high: float
    """Upper bound."""

    @model_validator(mode="after")
    def _bounds(self) -> PriorDistribution:
        if not self.high > self.low:
            raise ValueError(f"high: must be > low ({self.low}), got {self.high}")
        if self.dist == "loguniform" and self.low <= 0:
            raise ValueError(f"low: must be > 0 for a log-uniform prior, got {self.low}")
        return self


class Prior(SpecModel):
    """The assurance prior: independent parameter priors plus a point mass on no effect."""

    model_config = SpecModel.model_config | {"extra": "allow"}
    p_null: float = Field(0.0, ge=0, le=1)
    """Prior mass on no drug effect (I_max = 0)."""
    doc: str = ""
    """Source or assumption."""

    @model_validator(mode="before")
    @classmethod
    def _known_keys(cls, data):  # other keys are parameter names, each with a distribution
        return data

    @model_validator(mode="after")
    def _distributions(self) -> Prior:
        for name, value in (self.__pydantic_extra__ or {}).items():
            try:
                validate_spec(PriorDistribution, value, root=name)
            except SpecError as exc:
                raise ValueError(str(exc)) from None
        return self

    @property
    def parameters(self) -> dict[str, PriorDistribution]:
        """Parameter -> its prior distribution."""
        extra = self.__pydantic_extra__ or {}
        return {k: PriorDistribution.model_validate(v) for k, v in extra.items()}


class Uncertainty(SpecModel):
    """Drug-effect assumptions nobody knows: a grid to sweep and a prior for assurance."""

    grid: dict[str, list[float]] = {}
    """Parameter -> values swept by ``power_grid``."""
    prior: Prior | None = None
    """Prior for ``assurance``."""


class RegistryRecord(SpecModel):
    """What the trial registry says."""

    id: str = ""
    """Registry identifier, e.g. NCT04843982."""
    sponsor: str = ""
    """Sponsor."""
    design: str = ""
    """Design in words."""
    planned_n: int = Field(100, ge=1)
    """Planned total enrolment."""
    source: str = ""
    """Where this record comes from."""


class FixedCovariate(SpecModel):
    """A covariate value shared by every patient of the scenario."""

    value: bool | float | str
    """The value."""
    doc: str = ""
    """Why."""
