"""The table of cell kinds: for each task, which tool runs it, with which arguments, and where its result lands.

A cell is one ordinary run of the project's tools. Two shapes cover every task:

* :class:`TrainTest` - an OpenMMLab config trained with ``tools/train.py`` and evaluated with ``tools/test.py``
  (``tools/dist_train.sh``/``dist_test.sh`` with ``--gpus N``, ``slurm_train.sh``/``slurm_test.sh`` with
  ``--launcher slurm``); the test writes ``<work_dir>/result.json``.
* :class:`Probe` - one recognition tool (linear probe, finetune sweep, few-shot) that writes the result JSON
  named by ``--out``.

Arguments are templates filled per cell from: ``{python}``, ``{tools}``, ``{method}``, ``{checkpoint}``,
``{dataset}``, ``{data_root}``, ``{protocol}``, ``{seed}``, ``{work_dir}``, ``{result}``, ``{gpus}``,
``{cache_dir}`` (the suite's feature cache) and the kind's variant keys (``{shots}``...). Adding a task is one
entry in :data:`KINDS`; the dataset lists and default data roots come from the catalog
(:mod:`mmssl_transfer.datasets.classification.catalog`).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from mmssl_transfer.datasets.classification.catalog import FEWSHOT_DATASETS, MANY_SHOT_DATASETS


@dataclass(frozen=True)
class TrainTest:
    """Train an OpenMMLab config, then test its last checkpoint.

    ``tools/train.py``/``test.py`` take ``--data-root`` (every data loader's ``data_root``) and ``--checkpoint``
    (``model.backbone.checkpoint``: a path or a zoo name); a random-init backbone gets
    ``--cfg-options model.backbone.checkpoint=None`` instead.

    Attributes:
        config: Config path template relative to the repository, e.g. ``configs/det/{method}_{protocol}_voc.py``.
    """

    config: str
    seed_option: str = 'randomness.seed'
    no_checkpoint_option: str = 'model.backbone.checkpoint'


@dataclass(frozen=True)
class Probe:
    """Run one probe tool that writes the result JSON given by ``{result}``.

    Attributes:
        tool: File name in ``tools/``.
        args: Argument templates given to every cell.
        checkpoint_args / scratch_args: How the tool is told the backbone checkpoint, or random initialisation.
        variant_args: Arguments added only when the cell's variant has the key (e.g. ``--labels-per-class``).
        distributed: The tool takes ``--launcher``; with ``--gpus N`` it runs under torchrun.
        trains: The tool trains (takes ``--max-batch-per-gpu``).
    """

    tool: str
    args: tuple[str, ...]
    checkpoint_args: tuple[str, ...] = ('--checkpoint', '{checkpoint}')
    scratch_args: tuple[str, ...] = ('--from-scratch',)
    variant_args: dict[str, tuple[str, ...]] = field(default_factory=dict)
    distributed: bool = True
    trains: bool = False


@dataclass(frozen=True)
class CellKind:
    """One row of the table.

    Attributes:
        task: ``TransferResult.task`` written by the tool (checked when the result is stored).
        runner: How to run it (:class:`TrainTest` or :class:`Probe`).
        datasets: Datasets this kind accepts; ``default_datasets`` when a suite lists none.
        protocols: Accepted protocols; the first is the default.
        protocol_label: The cell's protocol string, from ``{protocol}`` and the variant keys.
        variant_keys: Extra list-valued keys of a task entry (defaults), crossed into cells.
    """

    task: str
    runner: TrainTest | Probe
    datasets: tuple[str, ...]
    protocols: tuple[str, ...]
    default_datasets: tuple[str, ...] = ()
    protocol_label: str = '{protocol}'
    variant_keys: dict[str, list[Any]] = field(default_factory=dict)


_PROBE_ARGS = ('--method', '{method}', '--dataset', '{dataset}', '--data-root', '{data_root}', '--seed', '{seed}',
               '--work-dir', '{work_dir}', '--out', '{result}')
#: Feature-based probes share one feature cache per suite output folder.
_FEATURE_ARGS = _PROBE_ARGS + ('--cache-dir', '{cache_dir}')

KINDS: dict[str, CellKind] = {
    'det': CellKind(
        task='det', datasets=('voc0712',), default_datasets=('voc0712',), protocols=('frozen', 'finetune'),
        runner=TrainTest(config='configs/det/{method}_{protocol}_voc.py')),
    'seg': CellKind(
        task='seg', datasets=('ade20k',), default_datasets=('ade20k',), protocols=('finetune',),
        runner=TrainTest(config='configs/seg/{method}_upernet_ade20k.py')),
    'normals': CellKind(
        task='normals', datasets=('nyuv2',), default_datasets=('nyuv2',), protocols=('frozen',),
        runner=TrainTest(config='configs/normals/{method}_pspnet_nyuv2.py')),
    'depth': CellKind(  # not in the paper: Kotar et al.'s pixelwise structural task beside the normals
        task='depth', datasets=('nyuv2',), default_datasets=('nyuv2',), protocols=('frozen',),
        runner=TrainTest(config='configs/depth/{method}_pspnet_nyuv2_depth.py')),
    'linear': CellKind(  # protocols: the paper's solver (default), or the same objective solved to convergence
        task='linear', datasets=MANY_SHOT_DATASETS, default_datasets=MANY_SHOT_DATASETS,
        protocols=('paper', 'converged'),
        runner=Probe(tool='linear_probe.py', args=_FEATURE_ARGS + ('--protocol', '{protocol}'))),
    'finetune': CellKind(
        task='finetune', datasets=MANY_SHOT_DATASETS, default_datasets=MANY_SHOT_DATASETS, protocols=('finetune',),
        variant_keys={'labels_per_class': []},
        runner=Probe(tool='finetune_sweep.py', args=_PROBE_ARGS, trains=True,
                     variant_args={'labels_per_class': ('--labels-per-class', '{labels_per_class}')})),
    'fewshot': CellKind(
        task='fewshot', datasets=FEWSHOT_DATASETS, default_datasets=FEWSHOT_DATASETS, protocols=('prototypical',),
        protocol_label='{ways}way-{shots}shot', variant_keys={'ways': [5], 'shots': [5, 20, 50]},
        runner=Probe(tool='fewshot.py', args=_FEATURE_ARGS,
                     variant_args={'ways': ('--ways', '{ways}'), 'shots': ('--shots', '{shots}')})),
}
