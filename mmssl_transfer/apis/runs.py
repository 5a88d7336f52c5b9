"""Train and test any det/seg/normals/cls config with mmengine's Runner; write the test result record.

The config's ``default_scope`` decides which OpenMMLab package builds the model, dataset and metric, so the
same functions (and tools/train.py, tools/test.py) serve mmdet, mmseg and mmpretrain configs. A test run
writes its metrics as a :class:`~mmssl_transfer.results.TransferResult` to ``<work_dir>/result.json``; the
task, dataset, protocol and primary metric come from the config's ``transfer_task`` variable, the backbone's
method and checkpoint sha256 from the provenance the training run saved in the model checkpoint. The protocol
variant (``transfer_task.variant``, ``'paper'`` for the paper's own protocol; the training run's variant is saved
in the checkpoint too) and the total batch go to ``hparams``, and ``paper_protocol`` is true only for the paper's.

A config with ``test_time_aug = True`` is tested through its ``tta_model`` on its ``tta_pipeline`` (as mmseg's
``tools/test.py --tta``): the ADE20K default, the paper's 5-scale softmax average.

Every run starts its process group through :func:`mmssl_transfer.distributed.init_distributed` (CPU/gloo fix,
timeouts). Training splits the protocol's total batch over the processes
(:func:`~mmssl_transfer.engine.batch_split.apply_total_batch`), so 1 or N GPUs train the same protocol; the
split is saved in the model checkpoint and written into the test result's hparams. N processes that do not divide
the total train the schedule linearly scaled to fit (:mod:`~mmssl_transfer.engine.linear_scaling`), recorded as
the variant ``linear-scaling-x<k>`` with the scaled numbers in ``hparams``, or refuse (``paper_only``).
"""
from __future__ import annotations

import copy
import os.path as osp
import sys
from contextlib import contextmanager
from typing import Any, Iterator

from mmengine.config import Config, ConfigDict
from mmengine.registry import RUNNERS
from mmengine.runner import Runner

from ..datasets.catalog import DATA_SOURCES
from ..datasets.classification.layout import check_command
from ..distributed import init_distributed, run_on_main
from ..engine.batch_split import BATCH_SPLIT_KEY, LINEAR_SCALING_KEY, apply_total_batch
from ..engine.hooks import PROVENANCE_KEY, TRAIN_VARIANT_KEY
from ..engine.linear_scaling import fit_to_processes, scaling_notice
from ..errors import BAD_INPUT_ERRORS, error_message
from ..results import (RecordedBackbone, TransferResult, default_variant, make_record, plain_metrics, result_variant,
                       write_result)
from .config_keys import config_key_errors
from .errors import LaunchError

RESULT_FILE = 'result.json'

#: default_scope -> metric class that dumps raw test predictions (``--out``); others use mmengine's.
PREDICTION_DUMPERS: dict[str, str] = {
    'mmdet': 'mmdet.evaluation:DumpDetResults',
}
DEFAULT_PREDICTION_DUMPER = 'mmengine.evaluator:DumpResults'


def build_runner(cfg: Config) -> Runner:
    """Build the Runner a config asks for (``runner_type`` or mmengine's default) in its default scope.

    The process group of ``cfg.launcher`` is started first (:func:`~mmssl_transfer.distributed.init_distributed`;
    backend and timeout from ``env_cfg.dist_cfg``), so the Runner finds it running.
    """
    init_launcher(cfg)
    if 'runner_type' not in cfg:
        return Runner.from_cfg(cfg)
    with RUNNERS.switch_scope_and_registry(cfg.get('default_scope')) as registry:
        return registry.build(cfg)


def init_launcher(cfg: Config) -> None:
    """Start the process group of ``cfg.launcher`` (nothing for 'none' or when it runs already)."""
    dist_cfg = cfg.get('env_cfg', {}).get('dist_cfg', {})
    init_distributed(cfg.get('launcher', 'none'), backend=dist_cfg.get('backend'), timeout=dist_cfg.get('timeout'))


def train(cfg: Config, max_batch_per_gpu: int | None = None, paper_only: bool = False) -> Runner:
    """Train as the config says (resuming if ``cfg.resume``); return the finished Runner.

    The config's total batch is split over the processes of the run (per-process batch = total / processes,
    gradient accumulation when ``max_batch_per_gpu`` is below that). Processes that do not divide the total train
    the schedule linearly scaled to fit, said in one line on stderr by rank 0, or, with ``paper_only``, refuse.
    """
    from mmengine.dist import get_rank, get_world_size
    init_launcher(cfg)
    world_size = get_world_size()
    if fit_to_processes(cfg, world_size, paper_only) > 1 and get_rank() == 0:
        print(scaling_notice(cfg, world_size), file=sys.stderr, flush=True)
    apply_total_batch(cfg, world_size, max_batch_per_gpu)
    with config_key_errors(cfg), dataset_check_hint(cfg):
        runner = build_runner(cfg)
        runner.train()
    run_on_main(lambda: None)  # rank 0 saved the checkpoints: every rank returns once they are complete
    return runner


def test(cfg: Config, out: str | None = None, result_file: str | None = None) -> TransferResult | None:
    """Evaluate ``cfg.load_from`` on the test set; write and return the result record.

    Args:
        cfg: A config from :func:`load_config` with ``load_from`` set and a ``transfer_task`` variable.
        out: Also dump the raw predictions to this ``.pkl`` file.
        result_file: Where to write the record; defaults to ``<work_dir>/result.json``.

    Returns:
        The record on the main process, None on the others.
    """
    if not cfg.get('load_from'):
        raise LaunchError(f'{cfg.filename}: no model checkpoint to test (load_from is empty)')
    task = transfer_task(cfg)
    if out is not None and not out.endswith(('.pkl', '.pickle')):
        raise LaunchError(f'{out}: --out must be a .pkl file')
    if cfg.get('test_time_aug', False):
        cfg = with_test_time_aug(cfg)
    with config_key_errors(cfg), dataset_check_hint(cfg):
        runner = build_runner(cfg)
        if out is not None:
            runner.test_evaluator.metrics.append(_prediction_dumper(cfg.get('default_scope'), out))
        load_model_checkpoint(runner, cfg.load_from)
        metrics = runner.test()

    def write() -> TransferResult:  # rank 0 (the metrics are the same on every rank); the others wait
        provenance = runner.message_hub.get_info(PROVENANCE_KEY) or _provenance_from_config(cfg)
        result = make_result(cfg, task, metrics, provenance,
                             train_variant=runner.message_hub.get_info(TRAIN_VARIANT_KEY),
                             batch_split=runner.message_hub.get_info(BATCH_SPLIT_KEY),
                             linear_scaling=runner.message_hub.get_info(LINEAR_SCALING_KEY))
        if out is not None:
            result.extra['predictions'] = osp.abspath(out)
        write_result(result_file or osp.join(cfg.work_dir, RESULT_FILE), result)
        return result
    return run_on_main(write)


@contextmanager
def dataset_check_hint(cfg: Config) -> Iterator[None]:
    """End a dataset layout error about ``cfg``'s data root with the ``prepare_data.py ... --check`` line (for a
    ``transfer_task.dataset`` of the dataset catalog, whose names are ``prepare_data.py``'s)."""
    try:
        yield
    except BAD_INPUT_ERRORS as exc:
        dataset = str((cfg.get('transfer_task') or {}).get('dataset'))
        root = cfg.get('data_root')
        message = error_message(exc)
        if dataset not in DATA_SOURCES or not root or 'prepare_data.py' in message or \
                str(root).rstrip('/') not in message:
            raise
        raise LaunchError(f'{message}\ncheck the folder (what is wrong, how to fix it): '
                          f'{check_command(dataset, root)}') from None


def load_model_checkpoint(runner: Runner, checkpoint: str) -> None:
    """Load the trained model ``checkpoint`` as ``runner.test()`` would (weights only), failing in one line.

    A truncated file or one whose pickle needs more than tensors and mmengine's own types is a
    :class:`LaunchError` saying so; it never relays torch's advice to retry with ``weights_only=False``.
    """
    import pickle

    from ..checkpoints.safe_load import torch_error_reason
    try:
        runner.load_or_resume()
    except (pickle.UnpicklingError, RuntimeError, EOFError, ValueError, KeyError) as exc:
        if isinstance(exc, RuntimeError) and not any(
                marker in str(exc) for marker in ('PytorchStreamReader', 'Weights only load failed', 'zip archive',
                                                  'Unsupported operand', 'invalid load key')):
            raise
        raise LaunchError(f'{checkpoint}: {torch_error_reason(exc)}') from None


def with_test_time_aug(cfg: Config) -> Config:
    """``cfg`` whose model is its ``tta_model`` wrapping the model and whose test pipeline is ``tta_pipeline``."""
    missing = [key for key in ('tta_model', 'tta_pipeline') if key not in cfg]
    if missing:
        raise LaunchError(f'{cfg.filename}: test_time_aug=True needs {" and ".join(missing)} in the config')
    cfg = copy.deepcopy(cfg)
    cfg.model = ConfigDict(**cfg.tta_model, module=cfg.model)
    cfg.test_dataloader.dataset.pipeline = cfg.tta_pipeline
    return cfg


def transfer_task(cfg: Config) -> dict[str, Any]:
    """The config's ``transfer_task`` (task, dataset, protocol, primary_metric; variant, total_batch_size,
    pretraining_data), checked."""
    task = cfg.get('transfer_task')
    needed = ('task', 'dataset', 'protocol', 'primary_metric')
    if not isinstance(task, dict) or any(k not in task for k in needed):
        raise LaunchError(f'{cfg.filename}: the config needs transfer_task=dict(task=..., dataset=..., '
                          f'protocol=..., primary_metric=...) to write a result, found {task!r}')
    checked: dict[str, Any] = {k: str(task[k]) for k in needed}
    for key in ('variant', 'pretraining_data'):  # pretraining_data: a user's backbone's (the zoo's otherwise)
        if task.get(key) is not None:
            checked[key] = str(task[key])
    if task.get('total_batch_size') is not None:
        total = task['total_batch_size']
        if isinstance(total, bool) or not isinstance(total, int) or total < 1:
            raise LaunchError(f'{cfg.filename}: transfer_task.total_batch_size must be a positive integer, '
                              f'found {total!r}')
        checked['total_batch_size'] = total
    return checked


def make_result(cfg: Config, task: dict[str, Any], metrics: dict[str, Any], provenance: dict[str, str],
                train_variant: str | None = None, batch_split: dict[str, Any] | None = None,
                linear_scaling: dict[str, Any] | None = None) -> TransferResult:
    """Turn the Runner's test metrics into a :class:`TransferResult` (metric-name prefixes dropped).

    ``hparams`` records the protocol variant (the test config's, joined with the training run's
    ``train_variant`` when that differs) and the batch: ``batch_split`` is the training run's (from the model
    checkpoint: total batch, processes, per-process batch and accumulation), else the config's total batch;
    ``linear_scaling`` (the checkpoint's, when the training run scaled the schedule) replaces the config's total
    batch, lr and iterations with the scaled ones the model was trained with. The record is built by
    :func:`~mmssl_transfer.results.make_record`: ``paper_protocol`` is ``variant == 'paper'`` for a task with a
    paper protocol (None when the config states no variant); ``pretraining_data`` is the config's
    ``transfer_task.pretraining_data``, else the zoo row's.
    """
    hparams = _training_hparams(cfg, batch_split)
    if linear_scaling:
        scaled = linear_scaling['scaled']
        hparams.update(total_batch_size=scaled['total_batch_size'], lr=scaled['lr'], max_iters=scaled['max_iters'],
                       warmup_iters=scaled['warmup_iters'], linear_scaling_factor=linear_scaling['factor'])
        hparams.update({k: scaled[k] for k in ('milestones', 'decay_iters') if scaled.get(k)})
        hparams = {k: v for k, v in hparams.items() if v is not None}
    variant = result_variant(task.get('variant'), train_variant, default_variant(task['task']))
    if 'total_batch_size' in task and not batch_split and not linear_scaling:
        hparams['total_batch_size'] = task['total_batch_size']
    extra = {'model_checkpoint': str(cfg.load_from),
             'provenance_source': provenance.get('source', 'checkpoint meta')}
    if train_variant is not None:
        extra['train_variant'] = train_variant
    return make_record(
        task['task'], RecordedBackbone(provenance.get('method', 'custom'), provenance.get('sha256', '')),
        dataset=task['dataset'], protocol=task['protocol'], metrics=plain_metrics(metrics),
        primary_metric=task['primary_metric'], variant=variant, hparams=hparams, extra=extra,
        config=str(cfg.filename or ''), pretraining_data=task.get('pretraining_data'))


def _training_hparams(cfg: Config, batch_split: dict[str, Any] | None = None) -> dict[str, Any]:
    """The schedule numbers a reader needs to compare runs (the batch as the training run split it)."""
    hparams: dict[str, Any] = {}
    optimizer = cfg.get('optim_wrapper', {}).get('optimizer', {})
    for key in ('lr', 'weight_decay', 'momentum'):
        if key in optimizer:
            hparams[key] = optimizer[key]
    for key in ('max_iters', 'max_epochs'):
        if key in cfg.get('train_cfg', {}):
            hparams[key] = cfg.train_cfg[key]
    if batch_split:
        hparams.update(total_batch_size=batch_split['total_batch_size'], world_size=batch_split['world_size'],
                       batch_size_per_gpu=batch_split['batch_per_process'],
                       accumulative_counts=batch_split['accumulative_counts'])
    else:  # a model trained elsewhere: what the config states
        stated = (cfg.get('transfer_task') or {}).get('total_batch_size')
        batch = cfg.get('train_dataloader', {}).get('batch_size')
        if stated is not None:
            hparams['total_batch_size'] = stated
        elif batch is not None:
            hparams['batch_size_per_gpu'] = batch
    frozen = cfg.get('model', {}).get('backbone', {}).get('frozen_stages')
    if frozen is not None:
        hparams['frozen_stages'] = frozen
    return hparams


def _provenance_from_config(cfg: Config) -> dict[str, str]:
    """Best effort when the model checkpoint carries no provenance: what the config's backbone names.

    A backbone without a checkpoint is a random initialisation (``'random-init'``); a zoo name is its method;
    anything else is ``'custom'``. The sha256 stays empty: it is only known from a loaded checkpoint.
    """
    from ..checkpoints import ZOO
    backbone = cfg.get('model', {}).get('backbone', {})
    checkpoint = backbone.get('checkpoint')
    method = backbone.get('method', 'auto')
    if checkpoint is None:
        method = 'random-init'
    elif method in (None, 'auto'):
        method = checkpoint if checkpoint in ZOO else 'custom'
    return {'method': str(method), 'sha256': '', 'source': 'config (model checkpoint has no provenance)'}


def _prediction_dumper(default_scope: str | None, out: str):
    import importlib
    module, name = PREDICTION_DUMPERS.get(default_scope or '', DEFAULT_PREDICTION_DUMPER).split(':')
    return getattr(importlib.import_module(module), name)(out_file_path=out)
