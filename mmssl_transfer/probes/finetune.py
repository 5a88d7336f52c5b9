"""Many-shot finetune sweep: every grid point is an ordinary mmengine Runner run of a finetune config.

Protocol (Ericsson et al. 2021; the paper's ``finetune.py``, :data:`~mmssl_transfer.tasks.PAPER_FINETUNE_PROTOCOL`): lr
in {0.1, 0.01, 0.001, 0.0001} x wd in {0, 1e-6, 1e-5, 1e-4, 1e-3} (20 points, in that order) with SGD ``weight_decay =
wd / lr``; training augmentation RandomResizedCrop(224, bicubic) + flip, a fixed flag (``augmentation='center_crop'`` is
the paper's ``--no-da``), never selected on val; 5000 steps at a total batch of 64 images (whatever the number of
processes: the config's ``transfer_task.total_batch_size``); a linear head with ``nn.Linear``'s default init on the
pooled features; BCE averaged over images and classes for VOC2007. Each point trains on ``train`` and is scored on
``val`` (the paper's held-out 20%, or the official val) with the dataset's metric; the first best point (strict ``>``)
is retrained on ``train+val`` from the pretrained weights and scored on ``test`` (with ECE before/after temperature
scaling, our addition: the paper's finetune.py computes none).

Variants, each named in the result's ``hparams['variant']`` (``paper_protocol`` False): searching the augmentation
on val as well (``search_augmentation``, 40 points), mmpretrain's Normal(0.01) head init (``head_init='normal'``),
and any other grid, schedule, batch or image size. Known remaining difference: the paper's data loader ends each
epoch with a smaller batch (no ``drop_last``), mmengine's ``InfiniteSampler`` always gives full batches.

Each finished point leaves ``<work_dir>/<point>/point.json`` (with the batch and steps as the Runner ran them);
a rerun skips those points, and a point killed part-way resumes from its latest checkpoint (one every
:data:`POINT_CHECKPOINT_EVERY` steps). The final result is a :class:`~mmssl_transfer.results.TransferResult` at
``<work_dir>/result.json``. Label-efficiency subsets (``labels_per_class`` / ``label_fraction``) and the
from-scratch baseline (random init) are options; they are experiments of their own (protocol names
``finetune-10perclass``, ``finetune-scratch``), not variants of the finetune protocol.

The batch is the protocol's total (images per optimizer step over all processes): launched on N processes each
point trains on total / N images per process (:func:`~mmssl_transfer.engine.batch_split.apply_total_batch`), so
the sweep runs the same protocol on 1 or N GPUs; every rank takes rank 0's decisions (which points are
finished) and rank 0 alone writes ``point.json`` and the result.
"""
from __future__ import annotations

import copy
import itertools
import json
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Sequence

from mmengine.config import Config
from mmengine.logging import MMLogger

from mmssl_transfer.datasets.catalog import ALL_MANY_SHOT_DATASETS
from mmssl_transfer.datasets.classification.pipelines import (FINETUNE_AUGMENTATIONS, finetune_pipelines,
                                                              reads_image_files)
from mmssl_transfer.distributed import agree, init_distributed, rank_and_world, run_on_main
from mmssl_transfer.engine.batch_split import apply_total_batch
from mmssl_transfer.project_files import configs_dir
from mmssl_transfer.results import (RecordedBackbone, TransferResult, make_record, plain_metrics, write_json_atomic,
                                    write_result)
# the paper's grid, batch, head init and settings, each citing its line of the paper's code: the table of tasks
from mmssl_transfer.tasks import FINETUNE_WDS, HEAD_INITS, LR_GRID

from .errors import ProbeInputError

AUGMENTATIONS: tuple[str, ...] = FINETUNE_AUGMENTATIONS
#: ``--optimizer``: the paper's SGD (the config's) or the ViT community's AdamW with layer-wise lr decay (MAE's
#: fine-tuning recipe: betas (0.9, 0.999), decay 0.65 per block from the head down, no weight decay on 1-D parameters,
#: tokens and position embeddings; the grid's lr and wd are AdamW's lr and its decoupled weight decay), through the
#: project's ViTLayerDecayOptimWrapperConstructor (mmssl_transfer.engine.layer_decay), as every ViT dense task.
OPTIMIZERS: dict[str, dict | None] = {
    'paper': None,
    'adamw-layer-decay': dict(type='OptimWrapper', optimizer=dict(type='AdamW', betas=(0.9, 0.999)),
                              constructor='ViTLayerDecayOptimWrapperConstructor',
                              paramwise_cfg=dict(layer_decay_rate=0.65)),
}
POINT_FILE = 'point.json'


def finetune_config(dataset: str) -> str:
    """The finetune task config of a many-shot dataset (``configs/_base_/cls/finetune_<dataset>.py``, generated from
    the catalog); the sweep sets the backbone from its options."""
    if dataset not in ALL_MANY_SHOT_DATASETS:
        raise ProbeInputError(f'{dataset}: no finetune config; many-shot datasets: {", ".join(ALL_MANY_SHOT_DATASETS)}')
    return str(configs_dir() / '_base_' / 'cls' / f'finetune_{dataset}.py')


@dataclass(frozen=True)
class GridPoint:
    """One finetune setting; SGD receives ``weight_decay = wd / lr``."""

    lr: float
    wd: float
    aug: str

    @property
    def name(self) -> str:
        return f'lr{self.lr:g}_wd{self.wd:g}_{self.aug}'

    @property
    def sgd_weight_decay(self) -> float:
        return self.wd / self.lr


@dataclass
class SweepOptions:
    """Everything a sweep needs besides the config (the tool's flags map one to one)."""

    config: str
    work_dir: str
    lrs: Sequence[float] = LR_GRID
    wds: Sequence[float] = FINETUNE_WDS
    augmentation: str = 'rrc_flip'
    search_augmentation: bool = False
    head_init: str = 'paper'
    max_iters: int | None = None
    batch_size: int | None = None  # total over all processes
    max_batch_per_gpu: int | None = None
    image_size: int | None = None
    checkpoint: str | None = None
    method: str | None = None
    from_scratch: bool = False
    base_channels: int | None = None
    data_root: str | None = None
    labels_per_class: int | None = None
    label_fraction: float | None = None
    subset_seed: int = 0
    num_workers: int | None = None
    launcher: str = 'none'
    seed: int = 0
    cfg_options: dict[str, Any] = field(default_factory=dict)
    pretraining_data: str | None = None  # recorded only; None: the config's transfer_task, else the zoo's
    optimizer: str = 'paper'

    def __post_init__(self) -> None:
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f'unknown optimizer {self.optimizer!r}; known: {sorted(OPTIMIZERS)}')
        if self.augmentation not in AUGMENTATIONS:
            raise ValueError(f'unknown augmentation {self.augmentation!r}; known: {AUGMENTATIONS}')
        if self.head_init not in HEAD_INITS:
            raise ValueError(f'unknown head init {self.head_init!r}; known: {sorted(HEAD_INITS)}')

    @property
    def augmentations(self) -> tuple[str, ...]:
        """The augmentations trained: the fixed one, or all of them when the search variant selects on val."""
        return AUGMENTATIONS if self.search_augmentation else (self.augmentation,)

    def grid(self) -> list[GridPoint]:
        """The points in the paper's order: lr (descending) outer, wd inner; augmentation outermost."""
        return [GridPoint(lr, wd, aug) for aug, lr, wd in itertools.product(self.augmentations, self.lrs, self.wds)]


#: Steps between the checkpoints of one grid point (the paper's points run 5,000): at most this many are redone
#: when a killed sweep resumes inside a point.
POINT_CHECKPOINT_EVERY = 1000


def checkpoint_normalization(opts: SweepOptions) -> dict[str, list[float]] | None:
    """Input mean/std of the method of ``--checkpoint`` (zoo table), or None to keep the config's."""
    if opts.from_scratch or opts.checkpoint is None:
        return None
    from mmssl_transfer.checkpoints import NORMALIZATIONS, identify

    # the detected method may be 'ambiguous: a, b'; its normalisation is known either way
    mean, std = NORMALIZATIONS[identify(opts.checkpoint, opts.method or 'auto').normalization]
    return dict(mean=list(mean), std=list(std))


def vit_backbone(opts: SweepOptions) -> tuple[dict, int] | None:
    """``(SSLViT config, feature width)`` when ``--checkpoint``/``--method`` is a ViT row of the zoo, else None.

    The finetuned network is the backbone's benchmark-wide feature (final-norm CLS + mean of the final-norm patch
    tokens) and the config's linear head, trained end to end on the paper's grid; ``--base-channels`` other than
    64 marks a toy ViT file (width and depth follow it).
    """
    from mmssl_transfer.checkpoints import identify

    from .features import DEFAULT_FEATURES, vit_row
    checkpoint = None if opts.from_scratch else opts.checkpoint
    if checkpoint is None and opts.method in (None, 'auto'):
        return None
    identity = identify(checkpoint, opts.method or 'auto')
    row = vit_row(identity)
    if row is None:
        return None
    toy = opts.base_channels not in (None, 64)
    width = row.vit.embed_dims
    if toy and checkpoint is not None:
        width = identity.conversion.report.architecture['embed_dims']
    elif toy:
        raise ValueError('a toy ViT needs its checkpoint (width and depth come from the file)')
    return dict(type='SSLViT', checkpoint=checkpoint, method=row.name, out_type=DEFAULT_FEATURES['vit'],
                toy=toy), 2 * width


def point_config(base: Config, opts: SweepOptions, point: GridPoint, final: bool,
                 normalization: dict[str, list[float]] | None = None) -> Config:
    """The config of one run: search (train -> val) or final (train+val -> test).

    ``normalization`` (mean/std of the checkpoint's method) replaces the config's data preprocessor values.
    """
    cfg = copy.deepcopy(base)
    name = f'final_{point.name}' if final else point.name
    cfg.work_dir = str(Path(opts.work_dir) / name)
    cfg.experiment_name = f'{name}_{uuid.uuid4().hex[:8]}'  # unique: loggers/visualisers are per name
    cfg.launcher = opts.launcher
    cfg.randomness = dict(seed=opts.seed, deterministic=False)
    if OPTIMIZERS[opts.optimizer] is not None:  # a named variant: the grid's lr and wd are AdamW's own
        cfg.optim_wrapper = copy.deepcopy(OPTIMIZERS[opts.optimizer])
        cfg.optim_wrapper['optimizer'].update(lr=point.lr, weight_decay=point.wd)
    else:
        cfg.optim_wrapper.optimizer.update(lr=point.lr, weight_decay=point.sgd_weight_decay)
    max_iters = opts.max_iters or cfg.train_cfg.max_iters
    # no validation inside training (val_begin past the end); search points call runner.val() once after it
    cfg.train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters, val_interval=max_iters,
                         val_begin=max_iters + 1)
    cfg.param_scheduler = [dict(type='CosineAnnealingLR', T_max=max_iters, by_epoch=False, begin=0,
                                end=max_iters, eta_min=0)]
    cfg.default_hooks.logger = dict(type='LoggerHook', interval=min(100, max_iters))
    # a checkpoint every POINT_CHECKPOINT_EVERY steps (and at the end), the newest kept: a killed point resumes
    # from it (cfg.resume with no load_from: the latest checkpoint of the point's work dir, if any)
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', by_epoch=False,
                                        interval=min(POINT_CHECKPOINT_EVERY, max_iters), max_keep_ckpts=1)
    cfg.resume = True
    cfg.load_from = None
    backbone = cfg.model.backbone
    if opts.from_scratch:
        backbone.checkpoint = None
    elif opts.checkpoint is not None:
        backbone.checkpoint = opts.checkpoint
    if opts.method is not None:
        backbone.method = opts.method
    if normalization is not None:
        cfg.model.data_preprocessor.update(normalization)
    vit = vit_backbone(opts)
    if vit is not None:  # a ViT row: SSLViT's benchmark-wide vector feature replaces SSLResNet + GAP
        cfg.model.backbone, cfg.model.neck = vit[0], None
        cfg.model.head.in_channels = vit[1]
    elif opts.base_channels is not None:
        backbone.base_channels = opts.base_channels
        cfg.model.head.in_channels = opts.base_channels * 32
    cfg.model.head.init_cfg = copy.deepcopy(HEAD_INITS[opts.head_init])
    in_memory = not reads_image_files(cfg.train_dataloader.dataset.pipeline)
    size = opts.image_size or 224
    train_pipe, test_pipe = finetune_pipelines(point.aug, size, in_memory,
                                               dataset=cfg.get('transfer_task', {}).get('dataset'))
    loaders = (cfg.train_dataloader, cfg.val_dataloader, cfg.test_dataloader)
    for loader in loaders:
        if opts.data_root is not None:
            loader.dataset.data_root = opts.data_root
        if opts.num_workers is not None:
            loader.num_workers = opts.num_workers
            loader.persistent_workers = opts.num_workers > 0
    cfg.train_dataloader.dataset.pipeline = train_pipe
    cfg.val_dataloader.dataset.pipeline = test_pipe
    cfg.test_dataloader.dataset.pipeline = test_pipe
    cfg.train_dataloader.dataset.split = 'trainval' if final else 'train'
    total = opts.batch_size or cfg.get('transfer_task', {}).get('total_batch_size') or \
        cfg.train_dataloader.batch_size
    # the shared convention: the config states the total; the launcher splits it over the processes
    cfg.train_dataloader.batch_size = total
    if 'transfer_task' in cfg:
        cfg.transfer_task.total_batch_size = total
    subset = dict(labels_per_class=opts.labels_per_class, label_fraction=opts.label_fraction,
                  subset_seed=opts.subset_seed)
    cfg.train_dataloader.dataset.update({k: v for k, v in subset.items() if v is not None and
                                         (k != 'subset_seed' or opts.labels_per_class or opts.label_fraction)})
    if opts.cfg_options:
        cfg.merge_from_dict(opts.cfg_options)
    return cfg


def _backbone_provenance(runner) -> dict[str, str]:
    model = runner.model.module if hasattr(runner.model, 'module') else runner.model
    backbone = model.backbone
    if getattr(backbone, 'checkpoint', None) is None:
        return {'method': 'scratch', 'sha256': ''}
    report = backbone.conversion_report
    return {'method': report.method, 'sha256': report.sha256 or ''}


def _training_as_run(runner) -> dict[str, int]:
    """Batch and steps as the Runner trained (after any per-process split): per process x processes x
    accumulation = the total batch of one optimizer step; iterations / accumulation = optimizer steps."""
    from mmengine.dist import get_world_size
    per_process = int(runner.train_dataloader.batch_size)
    accumulation = int(getattr(runner.optim_wrapper, '_accumulative_counts', 1))
    iterations = int(runner.train_loop.max_iters)
    return {'batch_per_process': per_process, 'world_size': get_world_size(), 'accumulative_counts': accumulation,
            'total_batch_size': per_process * get_world_size() * accumulation, 'steps': iterations // accumulation}


def run_point(cfg: Config, final: bool) -> dict[str, Any]:
    """Train one config with mmengine's Runner, then score val (search) or test (final); write point.json.

    Every rank returns the record (the evaluator gives every rank the metrics); rank 0 writes it.
    """
    from mmengine.runner import Runner
    runner = Runner.from_cfg(cfg)
    runner.train()
    metrics = runner.test() if final else runner.val()
    record = {'metrics': plain_metrics(metrics), **_backbone_provenance(runner), 'training': _training_as_run(runner)}
    run_on_main(lambda: write_json_atomic(Path(cfg.work_dir) / POINT_FILE, record))
    return record


def _load_point(folder: Path) -> dict[str, Any] | None:
    try:
        return json.loads((folder / POINT_FILE).read_text())
    except (OSError, json.JSONDecodeError):
        return None


def protocol_name(opts: SweepOptions) -> str:
    """``finetune`` plus label-subset and from-scratch tags (label-efficiency curves keep them apart)."""
    name = 'finetune'
    if opts.labels_per_class is not None:
        name += f'-{opts.labels_per_class}perclass'
    if opts.label_fraction is not None:
        name += f'-{opts.label_fraction:g}frac'
    return name + ('-scratch' if opts.from_scratch else '')


def _as_run(records: list[dict[str, Any]], key: str) -> Any:
    """One ``training`` value shared by every run (None when a run predates the record or they disagree)."""
    values = {(r.get('training') or {}).get(key) for r in records}
    return values.pop() if len(values) == 1 else None


def finetune_sweep(opts: SweepOptions) -> TransferResult:
    """Run (or resume) the grid, retrain the best point on train+val, write and return the test result."""
    import mmssl_transfer.datasets  # noqa: F401
    import mmssl_transfer.evaluation  # noqa: F401
    import mmssl_transfer.models  # noqa: F401
    init_distributed(opts.launcher)
    logger = MMLogger.get_current_instance()
    base = Config.fromfile(opts.config)
    task = base.get('transfer_task', {})
    metric = task.get('primary_metric') or base.val_evaluator.metric
    grid = opts.grid()
    normalization = checkpoint_normalization(opts)
    world_size = rank_and_world()[1]

    def configure(point: GridPoint, final: bool) -> Config:
        cfg = point_config(base, opts, point, final, normalization)
        apply_total_batch(cfg, world_size, opts.max_batch_per_gpu)  # the record keeps the split as run
        return cfg

    configure(grid[0], False)  # refuses a total batch that cannot be split before anything runs
    scores: list[dict[str, Any]] = []
    records = []
    for point in grid:
        folder = Path(opts.work_dir) / point.name
        record = agree(_load_point(folder))  # rank 0 decides what is finished
        if record is None:
            logger.info(f'finetune sweep: running {point.name}')
            record = run_point(configure(point, False), final=False)
        else:
            logger.info(f'finetune sweep: {point.name} already finished, skipped')
        records.append(record)
        scores.append({**asdict(point), 'val': record['metrics'][metric]})
    # finetune.py L223-240: the first point with a strictly better val score wins (ties keep the earlier point)
    best_i = max(range(len(grid)), key=lambda i: (scores[i]['val'], -i))
    best = grid[best_i]
    final_folder = Path(opts.work_dir) / f'final_{best.name}'
    record = agree(_load_point(final_folder))
    if record is None:
        logger.info(f'finetune sweep: best {best.name} (val {metric} {scores[best_i]["val"]:.2f}); '
                    'retraining on train+val')
        record = run_point(configure(best, True), final=True)
    records.append(record)
    metrics = record['metrics']
    calibration = {k: metrics[k] for k in ('ece', 'ece_temperature_scaled', 'temperature') if k in metrics}
    if calibration:  # our addition: the paper's finetune.py computes no ECE; scaled as its linear probe's
        calibration.update(temperature_scheme='paper', in_paper_code=False)
    settings = dict(lrs=tuple(opts.lrs), wds=tuple(opts.wds), augmentation=opts.augmentation,
                    search_augmentation=opts.search_augmentation, head_init=opts.head_init,
                    steps=_as_run(records, 'steps'), total_batch_size=_as_run(records, 'total_batch_size'),
                    image_size=opts.image_size or 224, config_variant=task.get('variant', 'unknown'),
                    cfg_options=tuple(sorted(opts.cfg_options)), optimizer=opts.optimizer)
    result = make_record(
        'finetune', RecordedBackbone(record['method'], record['sha256']),
        dataset=task.get('dataset', Path(opts.config).stem), protocol=protocol_name(opts), metrics=metrics,
        primary_metric=metric, settings=settings,
        pretraining_data=opts.pretraining_data or task.get('pretraining_data'),
        hparams={'lr': best.lr, 'wd': best.wd, 'sgd_weight_decay': best.sgd_weight_decay, 'aug': best.aug,
                 'augmentation_searched': opts.search_augmentation, 'head_init': opts.head_init,
                 'grid_size': len(grid), 'max_iters': opts.max_iters or base.train_cfg.max_iters,
                 'steps': settings['steps'], 'total_batch_size': settings['total_batch_size'],
                 'batch_size_per_gpu': _as_run(records, 'batch_per_process'),
                 'world_size': _as_run(records, 'world_size'),
                 'accumulative_counts': _as_run(records, 'accumulative_counts'),
                 'image_size': opts.image_size or 224, 'labels_per_class': opts.labels_per_class,
                 'label_fraction': opts.label_fraction},
        extra={'val_grid': scores, 'calibration': calibration, 'work_dir': str(opts.work_dir)},
        config=str(opts.config))
    run_on_main(lambda: write_result(Path(opts.work_dir) / 'result.json', result))
    return result
