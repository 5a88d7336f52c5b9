"""Published numbers of ViT rows on the dense tasks (``paper_reference/vit_dense_anchors.csv``), as records.

Ericsson et al. ran no ViT, so these anchors come from the method's own papers, model cards or the OpenMMLab config
we follow. Each row names its source, the protocol behind the number, the run of ours it stands beside, whether that
run is like-for-like and what differs. None is marked comparable today (each differs in a stated detail), and the
records carry ``paper_protocol`` False: they sit beside our numbers in a summary, never in a diff of the paper's
tables. Numbers were read from the cited sources; numbers we could not find in a source are not stored.
"""
from __future__ import annotations

from importlib import resources

import pandas as pd

from mmssl_transfer.results import TransferResult, published_record

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
