"""Write the generated config files: per-method files from the model zoo, finetune bases from the dataset catalog.

Every zoo method gets ``configs/_base_/backbones/<method>.py`` (two variables: ``ssl_backbone`` and
``ssl_preprocessor``) and, per experiment family, one file that only inherits a task ``_base_`` and the
backbone file (and, where the paper fed each method its own input normalisation, sets the preprocessor); the
families are the train/test rows of :data:`mmssl_transfer.tasks.TASKS` (config pattern and task base). Every
many-shot dataset of the catalog gets ``configs/_base_/cls/finetune_<dataset>.py`` (type, root, classes, metric;
pipelines from :mod:`mmssl_transfer.datasets.classification.pipelines` when the dataset decodes its images in
memory), the config ``tools/finetune_sweep.py --dataset`` runs. The ViT rows of the zoo get a backbone file of
the same two variables (the task bases set the ViT backbone type, as the ResNet bases set ``SSLResNet``) and, in
each family whose protocol has a ViT base (:attr:`mmssl_transfer.tasks.TrainTest.vit_bases`), the same two-line
experiment file on that base (``{patch}`` in its name filled from the row), which also sets the base's keys that
follow the row's width (:attr:`mmssl_transfer.tasks.ViTBase.arch_keys`). A new backbone is one new backbone file
plus one file per family; ``tools/generate_configs.py`` writes them (and deletes per-method files no row generates
any more) and ``--check`` verifies the committed files are up to date, none is left over and every ``_base_``
exists (a test runs it).
"""
from __future__ import annotations

import ast
from pathlib import Path

from mmssl_transfer.checkpoints import VIT_ZOO, ZOO, MethodSpec
from mmssl_transfer.datasets.catalog import ALL_MANY_SHOT_DATASETS, CLS_DATASETS, ClsDatasetSpec
from mmssl_transfer.datasets.classification.pipelines import finetune_pipelines
from mmssl_transfer.tasks import EXPERIMENT_FAMILIES, FINETUNE_BASE, PAPER_TOTAL_BATCH_SIZE, ExperimentFamily

BACKBONE_TEMPLATE = '''\
# {paper_name} ({family}); ImageNet linear top-1 {top1}.
# Official release:{urls}
# `checkpoint` is a zoo name (downloaded to the cache on first use) or the path of the original file;
# override with --cfg-options model.backbone.checkpoint=PATH.
# Input normalisation: {norm}.{architecture}
ssl_backbone = dict(method='{name}', checkpoint='{name}')
ssl_preprocessor = dict(mean={mean}, std={std})
'''

EXPERIMENT_TEMPLATE = '''\
_base_ = ['../{base}', '../_base_/backbones/{method}.py']
model = dict(backbone={{{{_base_.ssl_backbone}}}}{preprocessor}{arch})
'''
METHOD_PREPROCESSOR = ', data_preprocessor={{_base_.ssl_preprocessor}}'

NORMALIZATION_TEXT = {
    'imagenet': 'ImageNet mean/std',
    'unit': '[0, 1] input (mean 0, std 255 on 0-255 pixels), as SimCLR was trained',
}


FINETUNE_TEMPLATE = '''\
# Many-shot finetune on {name}: {num_classes} classes, {metric}, {splits}.
# Generated from the dataset catalog (mmssl_transfer/datasets/catalog.py) by
# tools/generate_configs.py: edit the catalog, not this file.
_base_ = ['./finetune_common.py']

data_root = '{data_root}'
{model}{pipelines}# the total batch per optimizer step over all GPUs (the paper: 64 on one GPU); the launcher splits it
train_dataloader = dict(batch_size={total_batch_size},
                        dataset=dict(type='{type}', data_root=data_root{train_pipeline}))
val_dataloader = dict(dataset=dict(type='{type}', data_root=data_root{test_pipeline}))
test_dataloader = dict(dataset=dict(type='{type}', data_root=data_root{test_pipeline}))
val_evaluator = dict(metric='{metric}')
test_evaluator = dict(metric='{metric}', calibration={calibration})
transfer_task = dict(task='finetune', dataset='{name}', protocol='finetune', primary_metric='{metric}',
                     variant='paper', total_batch_size={total_batch_size})
'''
SINGLE_LABEL_HEAD = 'model = dict(head=dict(num_classes={num_classes}))\n'
MULTI_LABEL_HEAD = """\
# BCE averaged over images and classes as the paper's finetune.py L111 (mmpretrain's multi-label head divides the
# summed loss by the batch only, hence loss_weight = 1 / {num_classes}); nn.Linear's own init as its L108; the
# test ranks by the logits, as its test_classifier (not by float32 sigmoids, which saturate into ties)
model = dict(head=dict(_delete_=True, type='LogitMultiLabelLinearClsHead', num_classes={num_classes}, in_channels=2048,
                       loss=dict(type='CrossEntropyLoss', use_sigmoid=True, loss_weight={loss_weight!r}),
                       init_cfg=None))
"""


VIT_ARCHITECTURE = '''
# ViT: width {embed_dims}, {num_layers} blocks, {num_heads} heads, patch {patch_size}{registers}; the task bases set
# the type (SSLViT, or SSLViTDet in detection) and the blocks they read; the file is loaded strictly.'''


def render_backbone(spec: MethodSpec) -> str:
    """The ``_base_/backbones/<method>.py`` text of one zoo method (ResNet-50 or ViT row)."""
    architecture = ''
    if spec.vit is not None:
        arch = spec.vit
        registers = f', {arch.num_register_tokens} register tokens' if arch.num_register_tokens else ''
        architecture = VIT_ARCHITECTURE.format(embed_dims=arch.embed_dims, num_layers=arch.num_layers,
                                               num_heads=arch.num_heads, patch_size=arch.patch_size,
                                               registers=registers)
    return BACKBONE_TEMPLATE.format(
        architecture=architecture, paper_name=spec.paper_name, family=spec.family, top1=spec.imagenet_top1,
        urls=''.join(f'\n#   {url}' for url in spec.urls) or ' (none)', norm=NORMALIZATION_TEXT[spec.normalization],
        name=spec.name,
        mean=[round(float(m), 3) for m in spec.mean], std=[round(float(s), 3) for s in spec.std])


def render_experiment(family: ExperimentFamily, method: str) -> str:
    """The per-experiment config text of one method (a ResNet-50 or a ViT row) in one family."""
    spec = VIT_ZOO.get(method)
    base = family.base if spec is None else family.vit_base.base_for(spec.vit.patch_size)
    arch = '' if spec is None else family.vit_base.model_text(spec.vit)
    arch = f',\n{" " * len("model = dict(")}{arch}' if arch else ''  # its own line (width 120)
    return EXPERIMENT_TEMPLATE.format(base=base, method=method, arch=arch,
                                      preprocessor=METHOD_PREPROCESSOR if family.method_input else '')


def render_pipeline(name: str, steps: list[dict]) -> str:
    """``name = [dict(...), ...]`` as config text."""
    lines = [f'    dict({", ".join(f"{k}={v!r}" for k, v in step.items())}),' for step in steps]
    return '\n'.join([f'{name} = [', *lines, ']'])


def images_in_memory(spec: ClsDatasetSpec) -> bool:
    """The dataset class decodes its images itself (pipelines then start without ``LoadImageFromFile``)."""
    from mmpretrain.registry import DATASETS
    return bool(getattr(DATASETS.get(spec.type), 'IMAGES_IN_MEMORY', False))


def render_finetune_base(spec: ClsDatasetSpec) -> str:
    """The ``_base_/cls/finetune_<dataset>.py`` text of one many-shot catalog dataset."""
    pipelines = train = test = ''
    comment = {True: '# images are decoded in memory: no LoadImageFromFile',
               False: f'# images are decoded with {spec.image_decoder} (cv2 cannot read every file of {spec.name})'}
    in_memory = images_in_memory(spec)
    if in_memory or spec.image_decoder != 'cv2':
        train_steps, test_steps = finetune_pipelines('rrc_flip', in_memory=in_memory, dataset=spec.name)
        pipelines = '\n'.join([comment[in_memory], render_pipeline('train_pipeline', train_steps),
                               render_pipeline('test_pipeline', test_steps), ''])
        train, test = ', pipeline=train_pipeline', ', pipeline=test_pipeline'
    head = MULTI_LABEL_HEAD if spec.multilabel else SINGLE_LABEL_HEAD
    return FINETUNE_TEMPLATE.format(
        name=spec.name, num_classes=spec.num_classes, metric=spec.metric, type=spec.type, data_root=spec.data_root,
        splits=spec.split_note or ('official train/val/test' if spec.official_val
                                   else "val = the paper's seeded 20% of the training data"),
        model=head.format(num_classes=spec.num_classes, loss_weight=1 / spec.num_classes), pipelines=pipelines,
        train_pipeline=train, test_pipeline=test, calibration=not spec.multilabel,
        total_batch_size=PAPER_TOTAL_BATCH_SIZE)


def expected_files(configs_dir: Path) -> dict[Path, str]:
    """Every generated file under ``configs_dir`` with its text."""
    files: dict[Path, str] = {}
    for name, spec in ZOO.items():
        files[configs_dir / '_base_' / 'backbones' / f'{name}.py'] = render_backbone(spec)
        for family in EXPERIMENT_FAMILIES.values():
            files[configs_dir / family.path.format(method=name)] = render_experiment(family, name)
    for name, spec in VIT_ZOO.items():
        files[configs_dir / '_base_' / 'backbones' / f'{name}.py'] = render_backbone(spec)
        for family in EXPERIMENT_FAMILIES.values():
            if family.vit_base is not None:  # a task without ViT bases has no ViT configs
                files[configs_dir / family.path.format(method=name)] = render_experiment(family, name)
    for dataset in ALL_MANY_SHOT_DATASETS:
        files[configs_dir / FINETUNE_BASE.format(dataset=dataset)] = render_finetune_base(CLS_DATASETS[dataset])
    return files


def write_configs(configs_dir: Path) -> list[Path]:
    """(Re)write every generated file and delete the per-method files no method generates any more; return the
    paths written or deleted."""
    changed = []
    for path, text in expected_files(configs_dir).items():
        if not path.exists() or path.read_text() != text:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
            changed.append(path)
    for path in orphan_configs(configs_dir):
        path.unlink()
        changed.append(path)
    return changed


def stale_configs(configs_dir: Path) -> list[Path]:
    """Generated files that are missing or differ from what the zoo and the family table say."""
    return [p for p, text in expected_files(configs_dir).items() if not p.exists() or p.read_text() != text]


def orphan_configs(configs_dir: Path) -> list[Path]:
    """Per-method files (backbone and experiment files, named like the generated ones) that no zoo method and
    family generates: left behind by a removed zoo row or family."""
    patterns = {'_base_/backbones/{method}.py', *(family.path for family in EXPERIMENT_FAMILIES.values())}
    expected = set(expected_files(configs_dir))
    found = {path for pattern in patterns for path in configs_dir.glob(pattern.format(method='*'))}
    return sorted(found - expected)


def missing_bases(configs_dir: Path) -> list[tuple[Path, str]]:
    """(config, ``_base_`` entry) for every config under ``configs_dir`` whose ``_base_`` names a file that does
    not exist (a base deleted or renamed under its inheritors); ``package::`` bases are not checked."""
    missing = []
    for path in sorted(configs_dir.rglob('*.py')):
        for base in _base_entries(path):
            if '::' not in base and not (path.parent / base).is_file():
                missing.append((path, base))
    return missing


def _base_entries(path: Path) -> list[str]:
    """The string entries of the module-level ``_base_`` assignment of a config file."""
    for node in ast.parse(path.read_text(encoding='utf-8'), filename=str(path)).body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == '_base_' for t in node.targets):
            values = node.value.elts if isinstance(node.value, (ast.List, ast.Tuple)) else [node.value]
            return [v.value for v in values if isinstance(v, ast.Constant) and isinstance(v.value, str)]
    return []
