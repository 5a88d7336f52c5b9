"""The ViT dense anchors: each a zoo ViT row on a task of the table, with its source, the protocol behind the number
and what differs from our run; records that never claim the paper's protocol."""
from mmssl_transfer.analysis.published_anchors import anchor_table, vit_dense_anchors
from mmssl_transfer.checkpoints import VIT_ZOO
from mmssl_transfer.tasks import TASKS


def test_every_anchor_names_a_vit_row_a_task_metric_and_its_source():
    table = anchor_table()
    for row in table.itertuples(index=False):
        assert row.method in VIT_ZOO and row.task in TASKS
        assert row.protocol in TASKS[row.task].protocols and row.metric == TASKS[row.task].primary_metric
        assert row.source and row.their_protocol and row.our_run
        assert row.comparable or row.differences  # not like-for-like: says why
    # the MAE recipe this project follows: mmseg's metafile number
    mae = table[(table.method == 'mae_vitb16') & (table.task == 'seg')]
    assert mae.value.tolist() == [48.13] and 'metafile' in mae.source.item()


def test_anchor_records_are_published_and_never_the_papers_protocol():
    records = vit_dense_anchors()
    assert len(records) == len(anchor_table())
    for record in records:
        assert record.config == 'paper' and record.paper_protocol is False and not record.checkpoint_sha256
        assert {'source', 'their_protocol', 'our_run', 'comparable', 'differences'} <= set(record.extra)
        assert record.metrics[record.primary_metric] > 0
