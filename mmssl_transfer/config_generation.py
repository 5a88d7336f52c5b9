"""Write the thin per-method config files from the model zoo and one table of experiment families.

Every zoo method gets ``configs/_base_/backbones/<method>.py`` (two variables: ``ssl_backbone`` and
``ssl_preprocessor``) and, per experiment family, one file that only inherits a task ``_base_`` and the
backbone file. A new backbone is one new backbone file plus one line per family; ``tools/generate_configs.py``
writes them and ``--check`` verifies the committed files are up to date (a test runs it).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from mmssl_transfer.checkpoints import ZOO, MethodSpec
from mmssl_transfer.datasets.classification.catalog import MANY_SHOT_DATASETS


@dataclass(frozen=True)
class ExperimentFamily:
    """One task protocol whose per-method configs are generated."""

    path: str   # relative to configs/, with {method}
    base: str   # the task _base_ file, relative to configs/


#: name -> experiment family. Adding a task protocol is one line here.
EXPERIMENT_FAMILIES: dict[str, ExperimentFamily] = {
    'det_frozen': ExperimentFamily('det/{method}_frozen_voc.py', '_base_/det/faster_rcnn_r50_fpn_voc0712_frozen.py'),
    'det_finetune': ExperimentFamily('det/{method}_finetune_voc.py',
                                     '_base_/det/faster_rcnn_r50_fpn_voc0712_finetune.py'),
    'seg': ExperimentFamily('seg/{method}_upernet_ade20k.py', '_base_/seg/upernet_r50_ade20k.py'),
    'normals': ExperimentFamily('normals/{method}_pspnet_nyuv2.py', '_base_/normals/pspnet_r50_nyuv2.py'),
}
#: the many-shot finetune datasets, one mmpretrain config each (``_base_/cls/finetune_<dataset>.py``)
FINETUNE_DATASETS = MANY_SHOT_DATASETS
EXPERIMENT_FAMILIES.update({
    f'cls_finetune_{dataset}': ExperimentFamily(f'cls/{{method}}_finetune_{dataset}.py',
                                                f'_base_/cls/finetune_{dataset}.py')
    for dataset in FINETUNE_DATASETS})

BACKBONE_TEMPLATE = '''\
# {paper_name} ({family}); ImageNet linear top-1 {top1}.
# Official release: {urls}
# `checkpoint` is a zoo name (downloaded to the cache on first use) or the path of the original file;
# override with --cfg-options model.backbone.checkpoint=PATH.
# Input normalisation: {norm}.
ssl_backbone = dict(method='{name}', checkpoint='{name}')
ssl_preprocessor = dict(mean={mean}, std={std})
'''

EXPERIMENT_TEMPLATE = '''\
_base_ = ['../{base}', '../_base_/backbones/{method}.py']
model = dict(backbone={{{{_base_.ssl_backbone}}}}, data_preprocessor={{{{_base_.ssl_preprocessor}}}})
'''

NORMALIZATION_TEXT = {
    'imagenet': 'ImageNet mean/std',
    'unit': '[0, 1] input (mean 0, std 255 on 0-255 pixels), as SimCLR was trained',
}


def render_backbone(spec: MethodSpec) -> str:
    """The ``_base_/backbones/<method>.py`` text of one zoo method."""
    return BACKBONE_TEMPLATE.format(
        paper_name=spec.paper_name, family=spec.family, top1=spec.imagenet_top1,
        urls=' '.join(spec.urls) or '(none)', norm=NORMALIZATION_TEXT[spec.normalization], name=spec.name,
        mean=[round(float(m), 3) for m in spec.mean], std=[round(float(s), 3) for s in spec.std])


def render_experiment(family: ExperimentFamily, method: str) -> str:
    """The per-experiment config text of one method in one family."""
    return EXPERIMENT_TEMPLATE.format(base=family.base, method=method)


def expected_files(configs_dir: Path) -> dict[Path, str]:
    """Every generated file under ``configs_dir`` with its text."""
    files: dict[Path, str] = {}
    for name, spec in ZOO.items():
        files[configs_dir / '_base_' / 'backbones' / f'{name}.py'] = render_backbone(spec)
        for family in EXPERIMENT_FAMILIES.values():
            files[configs_dir / family.path.format(method=name)] = render_experiment(family, name)
    return files


def write_configs(configs_dir: Path) -> list[Path]:
    """(Re)write every generated file; return those whose text changed."""
    changed = []
    for path, text in expected_files(configs_dir).items():
        if not path.exists() or path.read_text() != text:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
            changed.append(path)
    return changed


def stale_configs(configs_dir: Path) -> list[Path]:
    """Generated files that are missing or differ from what the zoo and the family table say."""
    return [p for p, text in expected_files(configs_dir).items() if not p.exists() or p.read_text() != text]
