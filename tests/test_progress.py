"""Progress bars and throughput: the grid's overall bar, and work resumed from a checkpoint
not counted as simulated now."""

from __future__ import annotations

from septrial.power_curves import power_curve, power_grid

POOL = dict(n_per_arm=[10], n_trials=20, seed=5, method="pool", pool_per_arm=12, n_pools=2)
CELL_A = {"IC50": 300.0, "I_max": 0.4}
GRID = {"IC50": [300.0], "I_max": [0.4, 0.6]}


def test_throughput_does_not_count_resumed_work(scenario, tmp_path):
    first = power_curve(scenario, checkpoint=tmp_path, params=CELL_A, **POOL)
    assert first.patients_resumed == 0
    assert first.patients_per_s > 0
    again = power_curve(scenario, checkpoint=tmp_path, params=CELL_A, **POOL)
    assert again.patients_resumed == again.patients_simulated == 2 * 12 * 2
    assert again.patients_per_s == 0
    # the grid shares the treated chunks of cell A (same patients, same overrides) only
    grid = power_grid(scenario, GRID, checkpoint=tmp_path, **POOL)
    assert grid.patients_simulated == 2 * 12 * (1 + 2)
    assert grid.patients_resumed == 2 * 12


def test_power_grid_shows_cell_k_of_k(scenario, capsys):
    power_grid(scenario, GRID, progress=True, **POOL)
    err = capsys.readouterr().err
    assert "assumption cells" in err
    assert "2/2" in err.split("assumption cells")[-1]
