"""The C the paper selected per (model, dataset) for its linear probe, from the shipped ``linear_selected_C.csv``.

The CSV's rows are the model names of the paper's code (``moco-v1``, ``simclr-v1 (--no-norm)``) and its values
are printed to three significant digits (``1.78e+05``); :func:`paper_selected_c` maps the row to a zoo method and
snaps the value to the C of the grid it was chosen from, so a fixed-C run uses the paper's exact C.
"""
from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources

import numpy as np

from mmssl_transfer.tasks import LINEAR_PROBE_WDS

from .errors import ProbeInputError

SELECTED_C_CSV = 'linear_selected_C.csv'
_FLAG_SUFFIX = re.compile(r'\s*\(.*\)\s*$')  # "simclr-v1 (--no-norm)" -> "simclr-v1"


@lru_cache(maxsize=None)
def paper_selected_c_table() -> dict[tuple[str, str], float]:
    """``(zoo method, dataset) -> C`` as printed in the CSV."""
    import pandas as pd

    from mmssl_transfer.checkpoints import find_method
    with resources.files(__package__).joinpath(SELECTED_C_CSV).open(encoding='utf-8') as f:
        table = pd.read_csv(f, index_col=0, dtype=str)
    out = {}
    for row in table.index:
        spec = find_method(_FLAG_SUFFIX.sub('', str(row)))
        if spec is None:
            raise ProbeInputError(f'{SELECTED_C_CSV}: model {row!r} has no zoo entry')
        for dataset, text in table.loc[row].items():
            out[(spec.name, str(dataset))] = float(text)
    return out


def snap_to_grid(c: float, wds: tuple[float, ...] = LINEAR_PROBE_WDS, rel_tol: float = 0.01) -> float:
    """The grid C (= 1 / wd) nearest to ``c`` in log scale; ``c`` itself when none is within ``rel_tol``."""
    grid = np.array([1.0 / w for w in wds])
    nearest = float(grid[np.argmin(np.abs(np.log(grid) - np.log(c)))])
    return nearest if abs(nearest - c) <= rel_tol * c else float(c)


def paper_selected_c(method: str, dataset: str) -> float:
    """The paper's chosen C for a zoo method on a dataset (snapped to the paper's grid).

    Raises:
        ProbeInputError: the paper has no linear-probe C for this method or dataset.
    """
    table = paper_selected_c_table()
    if (method, dataset) not in table:
        methods = sorted({m for m, _ in table})
        datasets = sorted({d for _, d in table})
        raise ProbeInputError(f'{SELECTED_C_CSV} has no C for method {method!r} on {dataset!r} '
                              f'(methods: {", ".join(methods)}; datasets: {", ".join(datasets)})')
    return snap_to_grid(table[(method, dataset)])
