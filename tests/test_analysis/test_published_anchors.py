"""The ViT dense anchors: each a zoo ViT row on a task of the table, with its source, the protocol behind the number
and what differs from our run; records that never claim the paper's protocol."""
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mmssl_transfer.analysis.formatting import ANCHORS_TITLE
from mmssl_transfer.analysis.published_anchors import anchor_table, vit_dense_anchors
from mmssl_transfer.analysis.report import write_summary
from mmssl_transfer.analysis.summary import PAPER, summarize
from mmssl_transfer.apis import load_config
from mmssl_transfer.apis.runs import make_result, transfer_task
from mmssl_transfer.checkpoints import VIT_ZOO
from mmssl_transfer.results import RecordedBackbone, make_record
from mmssl_transfer.tasks import TASKS

REPO = Path(__file__).resolve().parents[2]


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


# -- the anchors beside our records in the summary (tools/summarize.py --compare paper) -----------------------------
def _vit_record(row: str, config: str, variants=(), **metrics):
    """The record tools/test.py writes for a run of ``config`` (a generated ViT config, under ``variants``): made
    by apis.runs.make_result from the effective config, as a finished test run would."""
    cfg = load_config(str(REPO / 'configs' / config), variants=list(variants))
    return make_result(cfg, transfer_task(cfg), metrics, {'method': row, 'sha256': 'ab' * 32})


def _resnet_records():
    """Paper-protocol ResNet runs of the dense table (normals and ADE20K) and of VOC detection."""
    records = []
    for method, shift in (('supervised', 0.0), ('byol', 1.0), ('insdis', -1.5)):
        backbone = RecordedBackbone(method, method[0] * 64)
        records.append(make_record('normals', backbone, dataset='nyuv2', protocol='frozen', variant='paper',
                                   metrics={'mean': 23.0 + shift, 'median': 16.0 + shift, 'within_11.25': 35.0,
                                            'within_22.5': 60.0, 'within_30': 70.0}))
        records.append(make_record('seg', backbone, dataset='ade20k', protocol='finetune', variant='paper',
                                   metrics={'mIoU': 38.0 + shift, 'aAcc': 78.0 + shift}))
        records.append(make_record('det', backbone, dataset='voc0712', protocol='frozen', variant='paper',
                                   metrics={'AP': 50.0 + shift, 'AP50': 80.0, 'AP75': 54.0}))
    return records


@pytest.fixture(scope='module')
def vit_records():
    return [_vit_record('mae_vitb16', 'seg/mae_vitb16_upernet_ade20k.py', mIoU=46.5, aAcc=81.0),
            _vit_record('dinov2_vits14', 'seg/dinov2_vits14_upernet_ade20k.py', ('dinov2-linear',),
                        mIoU=44.0, aAcc=80.0),
            _vit_record('dinov2_vits14', 'depth/dinov2_vits14_pspnet_nyuv2_depth.py', rmse=0.45, abs_rel=0.12)]


def test_vit_dense_records_name_their_variant_and_the_protocol_that_ran(vit_records):
    mae, linear, depth = vit_records
    assert (mae.protocol, mae.hparams['variant'], mae.paper_protocol) == ('finetune', 'vit-upernet-mae', False)
    # the frozen linear head: the seg row's 'frozen' protocol, as the variant runs it
    assert (linear.protocol, linear.hparams['variant']) == ('frozen', 'vit-upernet-mae+dinov2-linear')
    assert linear.paper_protocol is False and linear.hparams['frozen_stages'] == 12
    assert (depth.protocol, depth.hparams['variant'], depth.paper_protocol) == ('frozen', 'vit-frozen-blocks', False)


def test_summary_shows_vit_records_beside_their_anchors_never_diffed(vit_records):
    resnet = _resnet_records()
    summary = summarize(resnet + vit_records, compare=PAPER, n_boot=50)
    anchors = summary.anchors.set_index(['backbone', 'task', 'protocol'])
    table = anchor_table().set_index(['method', 'task', 'protocol'])
    expected = {('mae_vitb16 [vit-upernet-mae]', 'seg', 'finetune'): ('mae_vitb16', 46.5),
                ('dinov2_vits14 (LVD-142M) [vit-upernet-mae+dinov2-linear]', 'seg', 'frozen'): ('dinov2_vits14', 44.0),
                ('dinov2_vits14 (LVD-142M) [vit-frozen-blocks]', 'depth', 'frozen'): ('dinov2_vits14', 0.45)}
    assert set(anchors.index) == set(expected)
    for (label, task, protocol), (method, ours) in expected.items():
        row, published = anchors.loc[(label, task, protocol)], table.loc[(method, task, protocol)]
        assert row.ours == ours and row.anchor == published.value and row.source == published.source
        assert row.status == f'not comparable: {published.differences}' and np.isnan(row['ours - anchor'])
    # the ResNet cells' diff against the paper is what it is without the ViT records
    alone = summarize(resnet, compare=PAPER, n_boot=50)
    for name in ('dense', 'detection_voc'):
        ours = next(t for t in summary.tables if t.spec.name == name).comparison
        before = next(t for t in alone.tables if t.spec.name == name).comparison
        pd.testing.assert_frame_equal(ours[ours.backbone.isin(before.backbone)].reset_index(drop=True), before)
        assert (ours[~ours.backbone.isin(before.backbone)].status != 'compared').all()
    assert alone.anchors.empty and summarize(resnet + vit_records, n_boot=50).anchors.empty  # only with --compare


def test_summary_files_carry_the_anchor_table(vit_records, tmp_path):
    summary = summarize(_resnet_records() + vit_records, compare=PAPER, n_boot=50)
    paths = write_summary(summary, tmp_path)
    saved = pd.read_csv(tmp_path / 'tables' / 'vit_dense_anchors.csv')
    assert len(saved) == 3 and saved.status.str.startswith('not comparable: ').all()
    markdown = paths['markdown'].read_text(encoding='utf-8')
    html = paths['report'].read_text(encoding='utf-8')
    for text in (markdown, html):
        assert ANCHORS_TITLE in text and 'MODEL_CARD.md' in text and 'not comparable: ' in text
