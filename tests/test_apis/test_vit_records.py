"""A ViT run of a dense task is never the paper's protocol: its reference is the family's ViT base, it always
records the base's named variant (``vitdet-frozen`` / ``vitdet-finetune``), and what it changes on top is a
``cfg:`` component as for any run; the record built from it says ``paper_protocol: false`` (issue 26)."""
from pathlib import Path

from mmengine.config import Config

from mmssl_transfer.apis.config_loading import record_protocol
from mmssl_transfer.apis.protocol_diff import paper_reference, protocol_changes, vit_variant
from mmssl_transfer.results import RecordedBackbone, make_record, result_variant

CONFIGS = Path(__file__).resolve().parents[2] / 'configs'


def _record(variant):
    return make_record('det', RecordedBackbone('dino_vitb16', 'ab' * 32), dataset='voc0712', protocol='finetune',
                       metrics={'AP': 50.0}, variant=variant)


def test_a_vit_run_at_its_bases_settings_records_the_named_variant_never_paper():
    for protocol in ('frozen', 'finetune'):
        for method in ('dino_vitb16', 'dinov2_vits14_reg4'):
            cfg = Config.fromfile(CONFIGS / 'det' / f'{method}_{protocol}_voc.py')
            assert not protocol_changes(cfg, paper_reference(cfg))  # the reference is the row's ViT base
            record_protocol(cfg)
            assert cfg.transfer_task.variant == vit_variant(cfg) == f'vitdet-{protocol}'
    record = _record(result_variant('vitdet-finetune', 'vitdet-finetune'))
    assert record.hparams['variant'] == 'vitdet-finetune' and record.paper_protocol is False


def test_changes_on_a_vit_run_are_named_after_the_vit_variant():
    cfg = Config.fromfile(CONFIGS / 'det' / 'dino_vitb16_finetune_voc.py')
    cfg.optim_wrapper.optimizer.lr = 1e-4  # ViTDet's batch-64 lr at the VOC batch
    record_protocol(cfg)
    assert cfg.transfer_task.variant == 'vitdet-finetune+cfg:optim_wrapper.optimizer.lr=0.0001'
    assert _record(cfg.transfer_task.variant).paper_protocol is False


def test_a_resnet_run_is_unchanged_by_the_vit_bases():
    cfg = Config.fromfile(CONFIGS / 'det' / 'byol_frozen_voc.py')
    assert vit_variant(cfg) is None
    record_protocol(cfg)
    assert cfg.transfer_task.variant == 'paper'
    assert make_record('det', RecordedBackbone('byol', 'cd' * 32), dataset='voc0712', protocol='frozen',
                       metrics={'AP': 50.0}, variant='paper').paper_protocol is True
