"""Type stubs for the private extension ``septrial._core`` (cpp/bindings).

Hand-written; ``tests/test_stubs.py`` checks them against the compiled module (``mypy.stubtest``
plus the argument names and defaults in pybind11's signatures). Arrays are converted to
C-contiguous float64 (or the integer type named in the docs) on entry; results are float64 arrays
that own no copy of the engine's buffers.

Every long-running call releases the GIL; ``progress``, when given, is called on the calling
thread with the number of newly finished patients, and Ctrl-C raises ``KeyboardInterrupt``.
Bad input raises ``ValueError`` whose message starts with the offending field.
"""

from collections.abc import Callable, Sequence
from typing import ClassVar, Literal, TypedDict

import numpy as np
import numpy.typing as npt

_Float64Array = npt.NDArray[np.float64]
#: Per patient: (ok, reason, steps taken).
_Status = tuple[bool, str, int]
#: Per patient of the trial engine: (ok, reason, steps taken, right-hand-side evaluations).
_TrialStatus = tuple[bool, str, int, int]
_Progress = Callable[[int], object] | None

class _ParameterInfo(TypedDict):
    name: str
    value: float
    unit: str
    doc: str
    lower: float
    upper: float
    lower_inclusive: bool
    upper_inclusive: bool

class _ObservableInfo(TypedDict):
    name: str
    unit: str
    doc: str

class _ComponentInfo(TypedDict):
    prefix: str
    module: str
    description: str
    covariates: list[str]

class _ModelInfo(TypedDict):
    name: str
    description: str
    parameters: list[_ParameterInfo]
    states: list[str]
    observables: list[_ObservableInfo]
    drugs: list[str]
    components: list[_ComponentInfo]

def models() -> list[str]:
    """Names of the registered models."""

def model_info(name: str) -> _ModelInfo:
    """Parameters (qualified names, values, units, ranges), states, observables and drugs."""

def covariate_names() -> list[str]:
    """Covariate columns the engine reads: weight_kg, height_cm, age_y, male, opioids."""

class BolusDose:
    """An instantaneous dose; ``drug`` is an index into model_info()["drugs"]."""

    drug: int
    time_h: float
    amount: float
    per_kg: bool
    def __init__(self) -> None: ...

class InfusionDose:
    """A constant-rate infusion on [start_h, end_h); ``drug`` indexes the model's drugs."""

    drug: int
    start_h: float
    end_h: float
    rate: float
    per_kg: bool
    def __init__(self) -> None: ...

class Regimen:
    boluses: list[BolusDose]
    infusions: list[InfusionDose]
    def __init__(self) -> None: ...

def simulate(
    model: str,
    covariates: dict[str, npt.ArrayLike],
    params: npt.ArrayLike,
    regimens: Sequence[Regimen],
    regimen_of: npt.ArrayLike,
    times: npt.ArrayLike,
    initial_states: npt.ArrayLike | None,
    solver: SolverOptions,
    variability: bool,
    residual_error: bool,
    include_states: bool,
    seed: int,
    first_index: int,
    threads: int,
    progress: _Progress,
) -> tuple[_Float64Array, list[str], list[_Status]]:
    """Simulates n patients on one output grid.

    covariates: covariate_names() -> one value per patient; params: n x n_parameters in
    model_info()["parameters"] order; regimens: the distinct regimens; regimen_of: int64 index into
    regimens per patient; initial_states: n x n_states or None.
    Returns (values n x times x columns, columns = observables then states if asked, status).
    A failed patient gets NaN rows and ok = False; the call itself does not raise.
    """

def structural_parameters(
    model: str, covariates: dict[str, npt.ArrayLike], params: npt.ArrayLike
) -> list[tuple[str, float]]:
    """Covariate-adjusted structural parameters (e.g. V1, CL) of one patient, no random effects."""

def check_parameter_values(model: str, index: int, values: npt.ArrayLike, field: str) -> None:
    """Raises ValueError naming field.name for a value out of range."""

class Anchor:
    infection: ClassVar[Anchor]
    icu: ClassVar[Anchor]
    screening: ClassVar[Anchor]
    randomisation: ClassVar[Anchor]
    __members__: ClassVar[dict[str, Anchor]]
    def __init__(self, value: int) -> None: ...
    def __index__(self, /) -> int: ...
    def __int__(self, /) -> int: ...
    @property
    def name(self) -> str: ...
    @property
    def value(self) -> int: ...

class EndpointKind:
    value: ClassVar[EndpointKind]  # the endpoint kind "value" (shadows the enum property)
    change: ClassVar[EndpointKind]
    log_ratio: ClassVar[EndpointKind]
    auc: ClassVar[EndpointKind]
    min: ClassVar[EndpointKind]
    max: ClassVar[EndpointKind]
    time_to: ClassVar[EndpointKind]
    event_by: ClassVar[EndpointKind]
    __members__: ClassVar[dict[str, EndpointKind]]
    def __init__(self, value: int) -> None: ...
    def __index__(self, /) -> int: ...
    def __int__(self, /) -> int: ...
    @property
    def name(self) -> str: ...

class SolverMethod:
    dopri5: ClassVar[SolverMethod]
    rosenbrock4: ClassVar[SolverMethod]
    exact: ClassVar[SolverMethod]
    hybrid: ClassVar[SolverMethod]
    __members__: ClassVar[dict[str, SolverMethod]]
    def __init__(self, value: int) -> None: ...
    def __index__(self, /) -> int: ...
    def __int__(self, /) -> int: ...
    @property
    def name(self) -> str: ...
    @property
    def value(self) -> int: ...

class DoseRule:
    """A protocol dose placed relative to a journey event."""

    drug: str
    bolus: bool
    amount: float
    per_kg: bool
    anchor: Anchor
    start_h: float
    duration_h: float
    while_ventilated: bool
    def __init__(self) -> None: ...

class ArmSpec:
    name: str
    doses: list[DoseRule]
    background_factor: dict[str, float]
    def __init__(self) -> None: ...

class EndpointSpec:
    name: str
    kind: EndpointKind
    observable: str
    time_h: float
    baseline_h: float
    from_h: float
    to_h: float
    every_h: float
    threshold: float
    above: bool
    def __init__(self) -> None: ...
    @property
    def flag_name(self) -> str: ...

class MeasurementSpec:
    assay_noise: bool
    lloq: dict[str, float]
    def __init__(self) -> None: ...

class VentilationSpec:
    p_ref: float
    sofa_ref: float
    odds_ratio_per_point: float
    duration_median_h: float
    duration_sdlog: float
    def __init__(self) -> None: ...

class JourneySpec:
    t_icu_median_h: float
    t_icu_sdlog: float
    screening_after_icu_h: float
    randomisation_delay_h: float
    follow_up_h: float
    sepsis3_min_acute_sofa: float
    max_attempts: int
    ventilation: VentilationSpec
    def __init__(self) -> None: ...

class SolverOptions:
    method: SolverMethod
    rtol: float
    atol: float
    max_steps: int
    def __init__(self) -> None: ...

class TrialSpec:
    """Everything the trial engine needs, as typed data."""

    model: str
    params: dict[str, float]
    variability: bool
    journey: JourneySpec
    background: list[DoseRule]
    arms: list[ArmSpec]
    endpoints: list[EndpointSpec]
    measurement: MeasurementSpec
    solver: SolverOptions
    def __init__(self) -> None: ...

class _ScreenQuantity(TypedDict):
    name: str
    unit: str
    kind: Literal["number", "bool"]
    lower: float
    upper: float
    doc: str

def screen_quantities() -> list[_ScreenQuantity]:
    """The fixed columns of the screening table (phase A), with unit, kind and range."""

class PopulationSampler:
    """Baseline-covariate sampler built from a population spec (JSON text).

    Patient i's row depends only on (seed, first_index + i), whatever the thread count.
    """

    def __init__(self, spec_json: str) -> None: ...
    @property
    def name(self) -> str: ...
    @property
    def columns(self) -> list[str]:
        """Column names, in spec order."""

    @property
    def kinds(self) -> list[Literal["continuous", "boolean", "categorical"]]:
        """Per column: 'continuous', 'boolean' (0/1) or 'categorical' (level index)."""

    @property
    def levels(self) -> dict[str, list[str]]:
        """Level names of the categorical columns: {column: [level for code 0, code 1, ...]}."""

    def sample(
        self,
        n: int,
        seed: int,
        first_index: int = 0,
        threads: int = 1,
        progress: _Progress = None,
    ) -> _Float64Array:
        """Patients first_index .. first_index + n - 1 as an (n, len(columns)) float64 array."""

class TrialEngine:
    """The virtual trial of one TrialSpec: screening (phase A) and arms (phase B)."""

    def __init__(self, spec: TrialSpec) -> None: ...
    @property
    def screen_columns(self) -> list[str]: ...
    @property
    def treat_columns(self) -> list[str]: ...
    @property
    def arm_names(self) -> list[str]: ...
    @property
    def observables(self) -> list[str]: ...
    @property
    def n_states(self) -> int: ...
    def screen(
        self,
        covariates: dict[str, npt.ArrayLike],
        indices: npt.ArrayLike,
        seed: int,
        threads: int = 1,
        progress: _Progress = None,
    ) -> tuple[_Float64Array, _Float64Array, list[_TrialStatus]]:
        """Phase A for patients `indices` (uint64) with named covariate columns.

        Returns (values n x screen_columns, states at screening n x n_states, status).
        """

    def treat(
        self,
        covariates: dict[str, npt.ArrayLike],
        indices: npt.ArrayLike,
        attempts: npt.ArrayLike,
        intubated: npt.ArrayLike,
        states: npt.ArrayLike,
        arm: int,
        override_names: Sequence[str],
        overrides: npt.ArrayLike,
        grid_h: npt.ArrayLike,
        seed: int,
        threads: int = 1,
        progress: _Progress = None,
    ) -> tuple[_Float64Array, _Float64Array, list[_TrialStatus]]:
        """Phase B in arm `arm` from the screening states (attempts int32, intubated int8).

        overrides: n x len(override_names) parameter values for the treatment phase; grid_h: times
        after randomisation for trajectories. Returns (values n x treat_columns, trajectories
        n x len(grid_h) x len(observables), status).
        """
