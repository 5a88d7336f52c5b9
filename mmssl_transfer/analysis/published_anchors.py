"""Published numbers of ViT rows on the dense tasks (``paper_reference/vit_dense_anchors.csv``), as records.

Ericsson et al. ran no ViT, so these anchors come from the method's own papers, model cards or the OpenMMLab config
we follow. Each row names its source, the protocol behind the number, the run of ours it stands beside, whether that
run is like-for-like and what differs. None is marked comparable today (each differs in a stated detail), and the
records carry ``paper_protocol`` False: they sit beside our numbers in a summary, never in a diff of the paper's
tables. Numbers were read from the cited sources; numbers we could not find in a source are not stored.

:func:`anchors_beside` lines our ViT dense records up with them (``tools/summarize.py --compare paper``).
"""
from __future__ import annotations

from importlib import resources
from typing import Iterable

import numpy as np
import pandas as pd

from mmssl_transfer.results import TransferResult, published_record

from .tables import row_label

ANCHORS_CSV = 'vit_dense_anchors.csv'
#: Columns every anchor row has.
ANCHOR_COLUMNS = ('method', 'task', 'dataset', 'protocol', 'metric', 'value', 'their_protocol', 'our_run',
                  'comparable', 'differences', 'source')


def anchor_table() -> pd.DataFrame:
    """The anchors CSV as a table (``comparable`` as booleans)."""
    with resources.files('mmssl_transfer.analysis').joinpath('paper_reference', ANCHORS_CSV).open(
            encoding='utf-8') as f:
        table = pd.read_csv(f, dtype={'comparable': bool})
    missing = [c for c in ANCHOR_COLUMNS if c not in table.columns]
    if missing:
        raise KeyError(f'paper_reference/{ANCHORS_CSV}: missing columns {missing}')
    return table


def vit_dense_anchors() -> list[TransferResult]:
    """One published record per anchor row (source, protocol and comparability in ``extra``)."""
    return [published_record(row.task, row.dataset, row.protocol, row.method, {row.metric: float(row.value)},
                             row.metric, row.source, paper_protocol=False,
                             extra=dict(their_protocol=row.their_protocol, our_run=row.our_run,
                                        comparable=bool(row.comparable), differences=row.differences))
            for row in anchor_table().itertuples(index=False)]


#: The columns of :func:`anchors_beside`, in the order the summary shows them.
BESIDE_COLUMNS = ('backbone', 'task', 'dataset', 'protocol', 'metric', 'ours', 'anchor', 'ours - anchor', 'status',
                  'their protocol', 'source')
#: The status prefix of an anchor that is not like-for-like with our run (the reason follows it).
NOT_COMPARABLE = 'not comparable'


def anchor_status(comparable: bool, differences: str) -> str:
    """``'comparable'``, or ``'not comparable: <what differs>'``."""
    return 'comparable' if comparable else f'{NOT_COMPARABLE}: {differences}'


def anchors_beside(results: Iterable[TransferResult]) -> pd.DataFrame:
    """Our records beside the published anchor of the same method, task, dataset and protocol: one row per row
    label of ours (a variant is its own row) and anchor, the anchor's source, protocol and status.

    ``ours - anchor`` is filled only for an anchor marked comparable (none is today): an anchor that is not
    like-for-like is shown, never diffed, and it never enters the ``--compare paper`` diff of the paper's tables.
    Empty when no record has an anchor.
    """
    anchors = anchor_table()
    keyed = {(a.method, a.task, a.dataset, a.protocol): a for a in anchors.itertuples(index=False)}
    ours: dict[tuple[str, tuple], list[float]] = {}
    for result in results:
        anchor = keyed.get((result.method, result.task, result.dataset, result.protocol))
        if anchor is None or result.config == 'paper' or anchor.metric not in result.metrics:
            continue
        ours.setdefault((row_label(result), (anchor.method, anchor.task, anchor.dataset, anchor.protocol)),
                        []).append(result.metrics[anchor.metric])
    rows = []
    for (label, key), values in ours.items():
        anchor = keyed[key]
        mean = float(np.mean(values))
        comparable = bool(anchor.comparable)
        rows.append({'backbone': label, 'task': anchor.task, 'dataset': anchor.dataset, 'protocol': anchor.protocol,
                     'metric': anchor.metric, 'ours': mean, 'anchor': float(anchor.value),
                     'ours - anchor': mean - float(anchor.value) if comparable else np.nan,
                     'status': anchor_status(comparable, anchor.differences),
                     'their protocol': anchor.their_protocol, 'source': anchor.source})
    return pd.DataFrame.from_records(rows, columns=list(BESIDE_COLUMNS))
