"""The table of tasks: one row per transfer task, everything the project knows about it in one place.

A row (:class:`TaskSpec`) states the task's name and family (an OpenMMLab config trained and tested, or a probe
tool), its datasets and protocols, its Kotar et al. (2021) category (none for an analysis of feature properties),
the paper's settings as literals each citing the line of the paper's code (github.com/linusericsson/ssl-transfer) it
comes from (or of the code the paper followed, or its appendix where no code exists; a task the paper lacks, depth,
states none: it names its default variant and the paper settings it borrows), the per-method config pattern,
how the suite runs a cell of it (argv derived from one option list, so the suite and the tool cannot disagree on
flags), how many GPUs a cell may use, its primary metric and the analysis tables that show it.

Everything else reads this table: ``results.py`` (task names, the paper settings a run is compared with to name
its variant), ``config_generation.py`` (the per-method configs), ``suite/`` (cells and their command lines),
``probes/`` (the paper's grids and protocols as defaults), ``engine/linear_scaling.py`` (the paper's schedule of a
det/seg/normals row, scaled to the GPUs of a run) and ``analysis/``. This module imports only the dataset
catalog, so it sits below all of them.

A new task is one row here, its runner (a config family or a probe tool) and its tests.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

import torch

from mmssl_transfer.datasets.catalog import (ALL_FEWSHOT_DATASETS, ALL_MANY_SHOT_DATASETS, CDFSL_DATASETS,
                                             FEWSHOT_DATASETS, MANY_SHOT_DATASETS)

#: The variant of a run that follows the paper's protocol in every setting (``TransferResult.hparams['variant']``).
PAPER_VARIANT = 'paper'

# -- the paper's settings, as literals with their source -------------------------------------------------------


@dataclass(frozen=True)
class PaperSetting:
    """One setting of the paper's protocol.

    Attributes:
        name: The setting's key in a run's settings (and in a variant name ``name=value``).
        value: The paper's value.
        source: Where the paper's code sets it: ``file Lnn`` in linusericsson/ssl-transfer; for the analyses the
            paper took from other work, ``file Lnn`` of that work's code, named (Zhao et al.'s
            nanxuanzhao/Good_transfer); where no code exists, the paper's appendix (``paper App. A.9``).
    """

    name: str
    value: Any
    source: str


def linear_wd_grid(size: int = 45) -> tuple[float, ...]:
    """``size`` weight decays log-spaced over [1e-6, 1e5]: ``torch.logspace(-6, 5, size)`` (``linear.py`` L436,
    its ``-w`` flag), float32 values as the paper used them, in the paper's (increasing wd) order."""
    return tuple(torch.logspace(-6, 5, size).tolist())


#: The linear probe's weight-decay grid (C = 1 / wd): 45 values (``linear.py`` L129, L436).
LINEAR_PROBE_WDS: tuple[float, ...] = linear_wd_grid(45)
#: scikit-learn 0.22.2's ``LogisticRegression`` defaults used by the paper (``linear.py`` L69): ``max_iter=100``,
#: ``tol=1e-4``.
PAPER_MAX_ITER = 100
PAPER_TOL = 1e-4

#: The finetune learning rates, in the paper's order (``finetune.py`` L519: ``logspace(-4, -1, 4).flip``).
LR_GRID: tuple[float, ...] = (0.1, 0.01, 0.001, 0.0001)
#: The finetune weight decays (``finetune.py`` L520: 0 and ``logspace(-6, -3, 4)``; SGD receives wd / lr, L521);
#: the linear probe's grid is another one (:data:`LINEAR_PROBE_WDS`).
FINETUNE_WDS: tuple[float, ...] = (0.0, 1e-6, 1e-5, 1e-4, 1e-3)
#: Images per optimizer step of the finetune over all processes (``finetune.py`` L496, ``-b 64``, one process).
PAPER_TOTAL_BATCH_SIZE = 64
#: Finetune head initialisations: the paper's ``nn.Linear`` default (``finetune.py`` L108: kaiming-uniform
#: weights, uniform bias; mmpretrain ``init_cfg=None`` keeps it) and mmpretrain's own ``Normal(std=0.01)``
#: (a variant).
HEAD_INITS: dict[str, dict | None] = {
    'paper': None,
    'normal': dict(type='Normal', layer='Linear', std=0.01),
}

_LINEAR_SETTINGS = (
    PaperSetting('protocol', 'paper', 'linear.py L69 (sklearn 0.22.2 lbfgs, warm_start), L129-176 (its path)'),
    PaperSetting('C_mode', 'sweep', 'linear.py L129-176 (C swept on val, best refit on train+val)'),
    PaperSetting('wd_grid', 'paper', 'linear.py L436 (torch.logspace(-6, 5, 45))'),
    PaperSetting('max_iter', PAPER_MAX_ITER, 'linear.py L69 (sklearn 0.22.2 default)'),
    PaperSetting('tol', PAPER_TOL, 'linear.py L69 (sklearn 0.22.2 default)'),
    PaperSetting('transform', 'linear_eval', 'linear.py L274-279 (Resize 224 bicubic, CenterCrop 224)'),
    PaperSetting('image_size', 224, 'linear.py L274-279'),
    PaperSetting('stage', 4, 'linear.py L207-221 (ResNetBackbone.forward: the pooled last stage)'),
)
_FINETUNE_SETTINGS = (
    PaperSetting('lrs', LR_GRID, 'finetune.py L519'),
    PaperSetting('wds', FINETUNE_WDS, 'finetune.py L520-521'),
    PaperSetting('augmentation', 'rrc_flip', 'finetune.py L501 (--no-da off), L338-343'),
    PaperSetting('search_augmentation', False, 'finetune.py L521 (the grid is lr x wd only)'),
    PaperSetting('head_init', 'paper', 'finetune.py L108'),
    PaperSetting('steps', 5000, 'finetune.py L500'),
    PaperSetting('total_batch_size', PAPER_TOTAL_BATCH_SIZE, 'finetune.py L496'),
    PaperSetting('image_size', 224, 'finetune.py L497'),
    PaperSetting('config_variant', PAPER_VARIANT, "the finetune config's own transfer_task.variant"),
    PaperSetting('cfg_options', (), 'no overrides of the config'),
    PaperSetting('optimizer', 'paper', 'finetune.py L115 (optim.SGD, momentum 0.9, nesterov; the config\'s)'),
)
_FEWSHOT_SETTINGS = (
    PaperSetting('transform', 'paper_fewshot',
                 'datasets/few_shot_dataset.py L157-159, L173 (Resize((257, 257)) then CenterCrop(224))'),
    PaperSetting('image_size', 224, 'few_shot.py L220 (-i 224)'),
    PaperSetting('stage', 4, 'few_shot.py L175-189 (ResNetBackbone.forward: the pooled last stage)'),
    PaperSetting('n_way', 5, 'few_shot.py L221 (--n-way 5)'),
    PaperSetting('n_query', 15, 'few_shot.py L223 (--n-query 15)'),
    PaperSetting('n_episodes', 600, 'few_shot.py L224 (--iter-num 600)'),
)
_DET_SETTINGS = (  # the same SOLVER block in detectron2-configs/{frozen,finetune}/<method>.yaml
    PaperSetting('total_batch_size', 2, 'detectron2-configs/frozen/byol.yaml L23 (IMS_PER_BATCH: 2)'),
    PaperSetting('lr', 0.0025, 'detectron2-configs/frozen/byol.yaml L22 (BASE_LR: 0.0025)'),
    PaperSetting('max_iters', 144000, 'detectron2-configs/frozen/byol.yaml L25 (MAX_ITER: 144000)'),
    PaperSetting('warmup_iters', 100, 'detectron2-configs/frozen/byol.yaml L26 (WARMUP_ITERS: 100)'),
    PaperSetting('milestones', (96000, 128000), 'detectron2-configs/frozen/byol.yaml L24 (STEPS: (96000, 128000))'),
)
_SEG_SETTINGS = (
    PaperSetting('total_batch_size', 4, 'semantic-segmentation/config/ade20k-resnet50-upernet.yaml L18 '
                 '(batch_size_per_gpu: 2) x the 2 GPUs of semantic-segmentation/run0-1.sh L5-6'),
    PaperSetting('lr', 0.02, 'semantic-segmentation/config/ade20k-resnet50-upernet.yaml L23 (lr_encoder: 0.02)'),
    PaperSetting('max_iters', 150000, 'semantic-segmentation/config/ade20k-resnet50-upernet.yaml L19, L21 '
                 '(30 epochs x 5000 iterations)'),
    PaperSetting('decay_iters', 150000, 'semantic-segmentation/config/ade20k-resnet50-upernet.yaml L25 '
                 '(lr_pow: 0.9, the poly decay to 0 over all 30 x 5000 iterations)'),
)
_NORMALS_SETTINGS = (
    PaperSetting('total_batch_size', 2, 'surface-normal-estimation/train_generic.py L261, L318 (2 per GPU) x the '
                 'one GPU of scripts/train_finetune_models.sh L18 (--gpus "0")'),
    PaperSetting('lr', 0.02, 'surface-normal-estimation/train_generic.py L270-271 (lr_encoder, lr_decoder 2e-2)'),
    PaperSetting('max_iters', 13500, 'surface-normal-estimation/scripts/train_finetune_models.sh L25-26 '
                 '(150 epochs x 90 iterations)'),
    PaperSetting('decay_iters', 13500, 'surface-normal-estimation/train_generic.py L152-153, L320 (poly decay, '
                 'power 0.9, to 0 over max_iters = epoch_iters x num_epoch)'),
)

#: Zhao et al. (ICLR 2021)'s deep-image-prior reconstruction, which the paper follows (App. A.8):
#: github.com/nanxuanzhao/Good_transfer, its ``code_reconstruction_DIP/`` (run as its readme.txt L3 says).
_DIP_CODE = 'code_reconstruction_DIP/'
_FEATURE_PROPERTIES_SETTINGS = (
    PaperSetting('images_per_dataset', 1, 'paper App. A.8-A.9, Figs. 8-9 (one image of each recognition dataset)'),
    PaperSetting('target_resize', 256, f'{_DIP_CODE}myDataLoader.py L14, L39 (Resize(initial_size=256)); '
                 'nanxuanzhao/Good_transfer'),
    PaperSetting('crop', 224, f'{_DIP_CODE}reconstruction.py L217, L261 (imsize 224: the output cropped to '
                 '[:224, :224]), myDataLoader.py L40 (CenterCrop 224); nanxuanzhao/Good_transfer'),
    PaperSetting('noise_size', 256, f'{_DIP_CODE}reconstruction.py L216, L241 (imsize_net 256); '
                 'nanxuanzhao/Good_transfer'),
    PaperSetting('generator_scales', 6, f'{_DIP_CODE}reconstruction.py L234-239 (skip: 6 scales); '
                 'nanxuanzhao/Good_transfer'),
    PaperSetting('lr', 1e-3, f'{_DIP_CODE}reconstruction.py L55, L254 (Adam, --lr 0.001); nanxuanzhao/Good_transfer'),
    PaperSetting('max_iter', 3000, f'{_DIP_CODE}reconstruction.py L58, L257 (while n_iter <= 3000: 3001 steps); '
                 'nanxuanzhao/Good_transfer'),
    PaperSetting('saliency_size', 242, 'paper App. A.9 (242 x 242 input, the 224 x 224 every patch covers kept)'),
    PaperSetting('patch', 10, 'paper App. A.9 (10 x 10 occluding square)'),
    PaperSetting('stride', 1, 'paper App. A.9 (every position: each kept pixel covered patch**2 times)'),
    PaperSetting('amp', False, 'paper App. A.9 (no mixed precision stated: float32 forwards)'),
    PaperSetting('lpips_trunks', 'imagenet', "paper App. A.8 (LPIPS of Zhang et al. 2018: its ImageNet-trained "
                 'AlexNet, VGG and SqueezeNet trunks)'),
)

# -- how a cell runs -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ViTBase:
    """The task ``_base_`` of one protocol for the ViT rows of the zoo, and the variant their runs record.

    The paper's dense settings are ResNet-50's (four stages, strides 4-32, SGD), so a ViT run of a dense task is
    never the paper's protocol: it records ``variant`` (a named variant, e.g. ``'vitdet-frozen'``) whatever else
    it changes.

    Attributes:
        base: Relative to configs/; ``{patch}`` is replaced by the row's patch size (14 or 16), for bases whose
            strides follow the patch (detection's anchors and RoI strides). One base serves every width.
        variant: The named variant a run on this base records by default (never ``'paper'``).
        arch_keys: Dotted keys under ``model`` that follow the row's architecture -> a Python expression over
            its :class:`~mmssl_transfer.checkpoints.vit_layout.ViTArch` fields, e.g. ``{'neck.in_channels':
            '{embed_dims}'}``: the per-method config sets them beside the backbone, so ViT-S and ViT-B share a base
            (the one way a base follows the width).
    """

    base: str
    variant: str
    arch_keys: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        assert self.variant != PAPER_VARIANT, 'a ViT run of a dense task is never the paper protocol'

    def base_for(self, patch_size: int) -> str:
        """The base file of a ViT with patches of ``patch_size`` pixels."""
        return self.base.format(patch=patch_size)

    def model_text(self, arch: Any) -> str:
        """The ``model = dict(...)`` arguments (``'neck=dict(in_channels=384)'``) that set :attr:`arch_keys`
        for a ViT of ``arch``, as config text (empty when there are none)."""
        tree: dict[str, Any] = {}
        for key, expression in self.arch_keys.items():
            *parents, leaf = key.split('.')
            node = tree
            for name in parents:
                node = node.setdefault(name, {})
            node[leaf] = expression.format(**vars(arch))

        def text(node: dict[str, Any]) -> str:
            return ', '.join(f'{k}=dict({text(v)})' if isinstance(v, dict) else f'{k}={v}' for k, v in node.items())
        return text(tree)


@dataclass(frozen=True)
class TrainTest:
    """Train an OpenMMLab config, then test its last checkpoint (the per-method configs are generated).

    ``tools/train.py``/``test.py`` take ``--data-root`` (every data loader's ``data_root``) and ``--checkpoint``
    (``model.backbone.checkpoint``: a path or a zoo name); a random-init backbone gets
    ``--cfg-options model.backbone.checkpoint=None`` instead.

    Attributes:
        config: Config path template relative to the repository, with ``{method}`` (and ``{protocol}`` when the
            task has several), e.g. ``configs/det/{method}_{protocol}_voc.py``.
        bases: Protocol -> the task ``_base_`` file (relative to configs/) every per-method config inherits.
        method_input: The per-method config sets the data preprocessor to the backbone file's
            ``ssl_preprocessor`` (each method's own input normalisation, as the paper's detectron2 configs do);
            False keeps the task base's ImageNet mean/std for every method, as the paper's ADE20K and
            NYUv2-normals code does.
        vit_bases: Protocol -> :class:`ViTBase` for the ViT rows of the zoo (the same config path pattern); a
            task without them has no ViT configs.
        variant_protocols: Protocol -> the named config variant (``configs/variants/<task>/<name>.py``) that runs
            it on the ViT rows' per-method configs, for a protocol without a base of its own (seg ``'frozen'``:
            DINOv2's frozen linear head). A run under that variant records that protocol
            (:func:`variant_protocol`); the suite applies the variant to the protocol's cells.
    """

    config: str
    bases: dict[str, str] = field(default_factory=dict)
    vit_bases: dict[str, ViTBase] = field(default_factory=dict)
    variant_protocols: dict[str, str] = field(default_factory=dict)
    method_input: bool = True
    seed_option: str = 'randomness.seed'
    no_checkpoint_option: str = 'model.backbone.checkpoint'
    total_batch_option: str = 'transfer_task.total_batch_size'  # a cell's --cfg-options key of its total batch

    def cell_text(self) -> str:
        """What the suite hashes into a cell's config hash (the text of round 2's table, so stores resume)."""
        return (f'TrainTest(config={self.config!r}, seed_option={self.seed_option!r}, '
                f'no_checkpoint_option={self.no_checkpoint_option!r})')


#: Flags whose value placeholder is not the flag's own name (``--out`` takes the cell's result path).
_PLACEHOLDERS = {'out': 'result'}


def option_args(options: tuple[str, ...]) -> tuple[str, ...]:
    """``('--name', '{name}', ...)`` for flag names (``data-root`` -> ``--data-root {data_root}``)."""
    args: list[str] = []
    for name in options:
        args += [f'--{name}', '{' + _PLACEHOLDERS.get(name, name.replace('-', '_')) + '}']
    return tuple(args)


@dataclass(frozen=True)
class Probe:
    """Run one probe tool that writes the result JSON given by ``{result}``.

    Attributes:
        tool: File name in ``tools/`` (or a path).
        options: The flags every cell passes, each with the cell's value of the same name (``data-root`` ->
            ``--data-root {data_root}``; ``out`` -> the result path). The one list the suite's argv comes from.
        grid_options: Flags added only when the cell's grid has the key (``labels_per_class`` ->
            ``--labels-per-class {labels_per_class}``).
        checkpoint_args / scratch_args: How the tool is told the backbone checkpoint, or random initialisation.
        distributed: The tool takes ``--launcher``; with ``--gpus N`` it runs under torchrun.
        trains: The tool trains (takes ``--max-batch-per-gpu``).
        total_batch_flag: The tool's flag of its total batch, when a cell may set it (its GPU counts follow it).
    """

    tool: str
    options: tuple[str, ...]
    grid_options: tuple[str, ...] = ()
    checkpoint_args: tuple[str, ...] = ('--checkpoint', '{checkpoint}')
    scratch_args: tuple[str, ...] = ('--from-scratch',)
    distributed: bool = True
    trains: bool = False
    total_batch_flag: str | None = None

    @property
    def args(self) -> tuple[str, ...]:
        """Argument templates given to every cell."""
        return option_args(self.options)

    @property
    def grid_args(self) -> dict[str, tuple[str, ...]]:
        """Grid key -> the arguments added when a cell has it."""
        return {key: option_args((key.replace('_', '-'),)) for key in self.grid_options}

    @property
    def flags(self) -> tuple[str, ...]:
        """Every flag the suite may pass the tool (the tool's parser must accept each)."""
        every = self.args + self.checkpoint_args + self.scratch_args + sum(self.grid_args.values(), ())
        return tuple(dict.fromkeys(a for a in every if a.startswith('--')))

    def cell_text(self) -> str:
        """What the suite hashes into a cell's config hash (the text of round 2's table, so stores resume)."""
        return (f'Probe(tool={self.tool!r}, args={self.args!r}, checkpoint_args={self.checkpoint_args!r}, '
                f'scratch_args={self.scratch_args!r}, variant_args={self.grid_args!r}, '
                f'distributed={self.distributed!r}, trains={self.trains!r})')


#: The flags every probe cell passes; feature-based probes add the suite's shared feature cache.
PROBE_OPTIONS = ('method', 'dataset', 'data-root', 'seed', 'work-dir', 'out')
FEATURE_PROBE_OPTIONS = PROBE_OPTIONS + ('cache-dir',)

# -- the table -------------------------------------------------------------------------------------------------

#: Kotar et al. 2021 (ViRB): image-level or pixelwise output, semantic or structural information.
IMAGE_LEVEL, PIXELWISE = 'image-level', 'pixelwise'
SEMANTIC, STRUCTURAL = 'semantic', 'structural'
#: The four categories by name (``'<output> <information>'``), in ViRB's figure order.
CATEGORIES: tuple[str, ...] = tuple(f'{output} {information}' for output in (IMAGE_LEVEL, PIXELWISE)
                                    for information in (SEMANTIC, STRUCTURAL))
IMAGE_SEMANTIC, IMAGE_STRUCTURAL, PIXEL_SEMANTIC, PIXEL_STRUCTURAL = CATEGORIES
#: Datasets whose category is not their task's: a count of objects through a recognition probe is image-level
#: structural (Kotar et al.'s CLEVR count).
DATASET_CATEGORIES: dict[str, tuple[str, str]] = {'clevr_count': (IMAGE_LEVEL, STRUCTURAL)}

#: What one process of a cell holds on its GPU: dense training at full resolution (detection 800-1333 px, ADE20K
#: and NYUv2 crops), a recognition finetune (224 px images, a share of a total batch of 64), or features
#: extracted once under ``inference_mode`` (the probes solve on them, mostly on the CPU).
MEMORY_CLASSES = {'dense': 'dense training at full resolution', 'training': '224-px training',
                  'features': 'feature extraction only'}


@dataclass(frozen=True)
class TaskSpec:
    """One transfer task.

    Attributes:
        name: ``TransferResult.task``.
        family: ``'train_test'`` (an OpenMMLab config) or ``'probe'`` (a tool run on a frozen or finetuned
            backbone: a recognition probe, or the feature-property analyses).
        runner: How the suite runs a cell (:class:`TrainTest` or :class:`Probe`).
        datasets: Datasets the task accepts (the recognition probes: the paper's and the catalog's extra ones, CLEVR
            count).
        protocols: Accepted protocols; the first is the default.
        category: ``(output, information)`` of Kotar et al.: ``image-level``/``pixelwise`` x
            ``semantic``/``structural`` (:func:`category_of` names it, e.g. ``'pixelwise structural'``); None for a
            task that is not a transfer to an end task of theirs (the feature-property analyses: what a backbone's
            features retain and where they attend).
        paper: The paper's settings, in the order a variant names them; empty when the paper has no protocol for
            the task (no run of it is the paper's protocol: ``paper_protocol`` is never true).
        primary_metric: The metric tables show by default (None: the dataset's, from the catalog).
        tables: The analysis tables (``analysis.tables.TABLES`` names) that show the task's results.
        protocol_label: The cell's protocol string, from ``{protocol}`` and the grid keys.
        grid: Extra list-valued keys of a suite entry (with defaults), crossed into cells.
        default_datasets: The datasets of a suite entry that lists none (none: the entry must list them); the
            paper's only (a dataset beyond it is run where a suite entry names it).
        default_variant: The variant a run at the row's defaults records: ``'paper'`` for a task with a paper
            protocol, else the name of the protocol its default borrows (depth: ``'normals-protocol'``).
        borrowed: For a task without a paper protocol, the settings its default borrows from another task's
            paper protocol (depth: the normals task's schedule); its configs state them.
        max_gpus: The most GPUs one cell uses well (None: every count its total batch splits over evenly).
        memory: Its memory class (:data:`MEMORY_CLASSES`): what one of its processes holds on a GPU.
        reads_features: A cell reads backbone features from the suite's shared cache, which the first cell of
            the same backbone and dataset extracts (the scheduler never runs two such cells at once).
    """

    name: str
    family: str
    runner: TrainTest | Probe
    datasets: tuple[str, ...]
    protocols: tuple[str, ...]
    category: tuple[str, str] | None
    paper: tuple[PaperSetting, ...]
    primary_metric: str | None
    tables: tuple[str, ...]
    protocol_label: str = '{protocol}'
    grid: dict[str, list[Any]] = field(default_factory=dict)
    default_datasets: tuple[str, ...] = ()
    default_variant: str = PAPER_VARIANT
    borrowed: tuple[PaperSetting, ...] = ()

    def __post_init__(self) -> None:
        assert bool(self.paper) == (self.default_variant == PAPER_VARIANT), (
            f'{self.name}: a row with paper settings defaults to the paper variant, one without names its own')
        assert not (self.paper and self.borrowed), f'{self.name}: borrowed settings are for tasks without a paper one'
    max_gpus: int | None = None
    memory: str = 'training'
    reads_features: bool = False

    @property
    def task(self) -> str:
        """The result's task name (the row's name)."""
        return self.name

    @property
    def paper_settings(self) -> dict[str, Any]:
        """``name -> value`` of the paper's settings, in order."""
        return {s.name: s.value for s in self.paper}

    @property
    def has_paper_protocol(self) -> bool:
        """The paper has a protocol for this task (a run of it may be ``paper_protocol``)."""
        return bool(self.paper)

    @property
    def default_settings(self) -> dict[str, Any]:
        """``name -> value`` of the settings a run at the row's defaults uses: the paper's, else the borrowed."""
        return {s.name: s.value for s in (self.paper or self.borrowed)}

    @property
    def total_batch_size(self) -> int | None:
        """Images per optimizer step of the default protocol (None: the task does not train)."""
        return self.default_settings.get('total_batch_size')

    def gpu_counts(self, max_gpus: int, total_batch_size: int | None = None) -> tuple[int, ...]:
        """GPU counts up to ``max_gpus`` that split the total batch (``total_batch_size``, or the paper's) evenly,
        as ``engine/batch_split.py`` requires (any count when the task does not train, as its result does not
        depend on the process count)."""
        total = total_batch_size if total_batch_size is not None else self.total_batch_size
        return tuple(n for n in range(1, max_gpus + 1) if total is None or total % n == 0)

    def usable_gpus(self, limit: int, total_batch_size: int | None = None) -> tuple[int, ...]:
        """GPU counts up to ``limit`` one cell may run on: :meth:`gpu_counts` within :attr:`max_gpus`."""
        return self.gpu_counts(min(limit, self.max_gpus or limit), total_batch_size)


# The keys of each ViT base that follow the row's width (ViTBase.arch_keys): the bases state ViT-B's 768
_SIMPLEFPN_WIDTH = {'neck.in_channels': '{embed_dims}'}  # SimpleFPN reads the one ViT map
_UPERNET_WIDTH = {  # Feature2Pyramid keeps the width of the 4 blocks; UPerHead and the FCN aux head read them
    'neck.embed_dim': '{embed_dims}', 'decode_head.in_channels': '[{embed_dims}] * 4',
    'auxiliary_head.in_channels': '{embed_dims}'}
_FOUR_BLOCKS_WIDTH = {'decode_head.in_channels': '[{embed_dims}] * 4'}  # the head reads 4 blocks, concatenated

TASKS: dict[str, TaskSpec] = {
    'det': TaskSpec(
        name='det', family='train_test', datasets=('voc0712',), default_datasets=('voc0712',),
        protocols=('frozen', 'finetune'),
        category=(PIXELWISE, SEMANTIC), paper=_DET_SETTINGS, primary_metric='AP', tables=('detection_voc',),
        memory='dense',
        runner=TrainTest(config='configs/det/{method}_{protocol}_voc.py', bases={
            'frozen': '_base_/det/faster-rcnn_r50_fpn_voc0712_frozen.py',
            'finetune': '_base_/det/faster-rcnn_r50_fpn_voc0712_finetune.py'}, vit_bases={
            # ViTDet's pieces (models/vitdet.py); the anchor and RoI strides follow the patch (14 or 16)
            'frozen': ViTBase('_base_/det/faster-rcnn_vit{patch}_simplefpn_voc0712_frozen.py', 'vitdet-frozen',
                              arch_keys=_SIMPLEFPN_WIDTH),
            'finetune': ViTBase('_base_/det/faster-rcnn_vit{patch}_simplefpn_voc0712_finetune.py',
                                'vitdet-finetune', arch_keys=_SIMPLEFPN_WIDTH)})),
    'seg': TaskSpec(
        name='seg', family='train_test', datasets=('ade20k',), default_datasets=('ade20k',),
        protocols=('finetune', 'frozen'),
        category=(PIXELWISE, SEMANTIC), paper=_SEG_SETTINGS, primary_metric='mIoU', tables=('dense',),
        memory='dense',
        runner=TrainTest(config='configs/seg/{method}_upernet_ade20k.py',
                         bases={'finetune': '_base_/seg/upernet_r50_ade20k.py'}, method_input=False,
                         # mmseg's MAE/BEiT UPerNet recipe (AdamW, layer decay 0.65, 160k at batch 16)
                         vit_bases={'finetune': ViTBase('_base_/seg/upernet_vit_ade20k.py', 'vit-upernet-mae',
                                                        arch_keys=_UPERNET_WIDTH)},
                         # the ViT frozen, only a BatchNorm + 1x1 linear head trained (DINOv2's "lin.")
                         variant_protocols={'frozen': 'dinov2-linear'})),
    'normals': TaskSpec(
        name='normals', family='train_test', datasets=('nyuv2',), default_datasets=('nyuv2',), protocols=('frozen',),
        category=(PIXELWISE, STRUCTURAL), paper=_NORMALS_SETTINGS, primary_metric='mean', tables=('dense',),
        memory='dense',
        runner=TrainTest(config='configs/normals/{method}_pspnet_nyuv2.py',
                         bases={'frozen': '_base_/normals/pspnet_r50_nyuv2.py'}, method_input=False,
                         # the task's head and schedule on four frozen ViT blocks, resized and concatenated
                         vit_bases={'frozen': ViTBase('_base_/normals/pspnet_vit_nyuv2.py', 'vit-frozen-blocks',
                                                      arch_keys=_FOUR_BLOCKS_WIDTH)})),
    'depth': TaskSpec(  # not in the paper: Kotar et al.'s pixelwise structural task, trained like the normals
        name='depth', family='train_test', datasets=('nyuv2',), default_datasets=('nyuv2',), protocols=('frozen',),
        category=(PIXELWISE, STRUCTURAL), paper=(), default_variant='normals-protocol', borrowed=_NORMALS_SETTINGS,
        primary_metric='rmse', tables=(), memory='dense',
        runner=TrainTest(config='configs/depth/{method}_pspnet_nyuv2_depth.py',
                         bases={'frozen': '_base_/depth/pspnet_r50_nyuv2_depth.py'}, method_input=False,
                         vit_bases={'frozen': ViTBase('_base_/depth/pspnet_vit_nyuv2_depth.py', 'vit-frozen-blocks',
                                                      arch_keys=_FOUR_BLOCKS_WIDTH)})),
    'linear': TaskSpec(  # protocols: the paper's solver (default), or the same objective solved to convergence
        name='linear', family='probe', datasets=ALL_MANY_SHOT_DATASETS, default_datasets=MANY_SHOT_DATASETS,
        protocols=('paper', 'converged'),
        category=(IMAGE_LEVEL, SEMANTIC), paper=_LINEAR_SETTINGS, primary_metric=None,
        tables=('linear_manyshot', 'calibration'), max_gpus=1, memory='features', reads_features=True,
        runner=Probe(tool='linear_probe.py', options=FEATURE_PROBE_OPTIONS + ('protocol',))),
    'finetune': TaskSpec(
        name='finetune', family='probe', datasets=ALL_MANY_SHOT_DATASETS, default_datasets=MANY_SHOT_DATASETS,
        protocols=('finetune',),
        category=(IMAGE_LEVEL, SEMANTIC), paper=_FINETUNE_SETTINGS, primary_metric=None,
        tables=('finetune_manyshot', 'calibration'), grid={'labels_per_class': []}, max_gpus=8,
        runner=Probe(tool='finetune_sweep.py', options=PROBE_OPTIONS, grid_options=('labels_per_class',),
                     trains=True, total_batch_flag='--batch-size')),
    'fewshot': TaskSpec(
        name='fewshot', family='probe', datasets=ALL_FEWSHOT_DATASETS, default_datasets=FEWSHOT_DATASETS,
        protocols=('prototypical',),
        category=(IMAGE_LEVEL, SEMANTIC), paper=_FEWSHOT_SETTINGS, primary_metric='accuracy',
        tables=('fewshot_5way5shot', 'fewshot_5way20shot', 'fewshot_5way50shot', 'fewshot_cdfsl'),
        protocol_label='{ways}way-{shots}shot', grid={'ways': [5], 'shots': [5, 20, 50]}, max_gpus=1,
        memory='features', reads_features=True,
        runner=Probe(tool='fewshot.py', options=FEATURE_PROBE_OPTIONS, grid_options=('ways', 'shots'))),
    'feature_properties': TaskSpec(  # paper Table 9 cols 5-11; one cell per dataset: its image(s) of the 15
        name='feature_properties', family='probe', datasets=MANY_SHOT_DATASETS + CDFSL_DATASETS,
        default_datasets=MANY_SHOT_DATASETS + CDFSL_DATASETS, protocols=('paper',),
        category=None, paper=_FEATURE_PROPERTIES_SETTINGS, primary_metric='attentive_diffusion',
        tables=('feature_properties',), memory='training',  # DIP generators are trained; images shard over GPUs
        runner=Probe(tool='feature_properties.py', options=PROBE_OPTIONS)),
}


def category_of(task: str, dataset: str = '') -> str | None:
    """The name of the category of ``task`` on ``dataset`` (the row's, unless the dataset decides); None for a row
    outside Kotar et al.'s categories (the feature-property analyses).

    Raises:
        KeyError: a task that is no row of :data:`TASKS` (the message lists the rows).
    """
    if dataset in DATASET_CATEGORIES:
        return ' '.join(DATASET_CATEGORIES[dataset])
    try:
        category = TASKS[task].category
    except KeyError:
        raise KeyError(f'task {task!r} has no category; known tasks: {sorted(TASKS)}') from None
    return None if category is None else ' '.join(category)


#: The paper's settings of the probe tasks, in the order a variant names them.
PAPER_LINEAR_PROTOCOL: dict[str, Any] = TASKS['linear'].paper_settings
PAPER_FEWSHOT_PROTOCOL: dict[str, Any] = TASKS['fewshot'].paper_settings
PAPER_FINETUNE_PROTOCOL: dict[str, Any] = TASKS['finetune'].paper_settings
#: Everything a feature-property run sets, at the paper's values (its DIP and occlusion settings derive from it).
PAPER_FEATURE_PROPERTIES_PROTOCOL: dict[str, Any] = TASKS['feature_properties'].paper_settings


# -- the per-method configs of the train/test tasks --------------------------------------------------------------


@dataclass(frozen=True)
class ExperimentFamily:
    """One task protocol whose per-method configs are generated (a view of a train/test row).

    Attributes:
        path: Relative to configs/, with ``{method}``.
        base: The task _base_ file, relative to configs/.
        method_input: As :attr:`TrainTest.method_input`.
        vit_base: The base of the ViT rows (None: the family has no ViT configs).
        task / protocol: The row and protocol the family belongs to.
    """

    path: str
    base: str
    method_input: bool = True
    vit_base: ViTBase | None = None
    task: str = ''
    protocol: str = ''


def experiment_families() -> dict[str, ExperimentFamily]:
    """``<task>`` (``<task>_<protocol>`` when the task has several protocols) -> its per-method config family."""
    families = {}
    for spec in TASKS.values():
        if not isinstance(spec.runner, TrainTest):
            continue
        for protocol, base in spec.runner.bases.items():
            name = spec.name if len(spec.runner.bases) == 1 else f'{spec.name}_{protocol}'
            path = spec.runner.config.removeprefix('configs/').format(method='{method}', protocol=protocol)
            families[name] = ExperimentFamily(path, base, spec.runner.method_input,
                                              spec.runner.vit_bases.get(protocol), spec.name, protocol)
    return families


def variant_protocol(task: str, variants: Sequence[str], protocol: str) -> str:
    """The protocol a run of ``task`` under the named config ``variants`` records: the one a variant runs
    (:attr:`TrainTest.variant_protocols`: ``dinov2-linear`` freezes the ViT, so seg ``'frozen'``), else
    ``protocol`` (its config's)."""
    spec = TASKS.get(task)
    runs = spec.runner.variant_protocols if spec is not None and isinstance(spec.runner, TrainTest) else {}
    return next((p for p, name in runs.items() if name in variants), protocol)


def vit_base_of(task: str, protocol: str) -> ViTBase | None:
    """The ViT base of ``task``'s ``protocol`` (None: the task has no ViT configs for it, or no such row)."""
    spec = TASKS.get(task)
    if spec is None or not isinstance(spec.runner, TrainTest):
        return None
    return spec.runner.vit_bases.get(protocol)


#: name -> experiment family, from the train/test rows of :data:`TASKS`.
EXPERIMENT_FAMILIES: dict[str, ExperimentFamily] = experiment_families()
#: The many-shot finetune bases, one per catalog dataset (the finetune sweep takes the backbone from its flags).
FINETUNE_BASE = '_base_/cls/finetune_{dataset}.py'
