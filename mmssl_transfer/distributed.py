"""The one way every tool starts and uses the process group of a distributed run (1 or N processes).

``tools/train.py``, ``test.py``, the probe tools and the finetune sweep all call :func:`init_distributed` before
anything else touches ``torch.distributed``: it applies :mod:`mmssl_transfer.compat` first (so ``--launcher
pytorch`` also runs on a machine without CUDA, with gloo) and gives the process group a timeout
(:data:`TIMEOUT_ENV`, default :data:`DEFAULT_TIMEOUT_S` seconds), so a rank that hangs makes the others fail with a
timeout error instead of waiting for ever (a rank that dies is caught sooner by the launcher, which stops the
others).

The helpers below keep results independent of the number of processes: :func:`gather_in_order` puts rows
computed on different ranks back in dataset order on every rank, :func:`agree` makes every rank take rank 0's
decision (is a cache entry usable, is a grid point finished), and :func:`run_on_main` lets rank 0 alone write a
file while the others wait for it.
"""
from __future__ import annotations

import json
import os
import sys
import time
import traceback
from typing import Any, Callable, Sequence, TypeVar

from .errors import InputError

T = TypeVar('T')

#: Environment variable: seconds a collective operation waits for the other processes before failing.
TIMEOUT_ENV = 'MMSSL_DIST_TIMEOUT'
#: torch's own default for gloo and NCCL process groups (30 min): long enough for rank 0 to write a large cache
#: entry or checkpoint while the others wait, short enough that a hung job ends.
DEFAULT_TIMEOUT_S = 1800
LAUNCHERS = ('none', 'pytorch', 'slurm', 'mpi')
#: What each launcher sets in the environment of every process (checked before starting the process group).
LAUNCHER_ENV = {'pytorch': ('RANK', 'LOCAL_RANK', 'WORLD_SIZE', 'MASTER_ADDR', 'MASTER_PORT'),
                'slurm': ('SLURM_PROCID', 'SLURM_NTASKS', 'SLURM_NODELIST'),
                'mpi': ('OMPI_COMM_WORLD_LOCAL_RANK', 'OMPI_COMM_WORLD_SIZE', 'OMPI_COMM_WORLD_RANK', 'MASTER_ADDR')}
LAUNCHER_HINT = {'pytorch': 'run the tool under `python -m torch.distributed.run --nproc_per_node=N` '
                            '(tools/dist_train.sh, dist_test.sh)',
                 'slurm': 'run the tool under srun (tools/slurm_train.sh, slurm_test.sh)',
                 'mpi': 'run the tool under mpirun'}


#: Exit status of a process that stops because another process of its run failed or hangs.
EXIT_PEER_FAILED = 1
#: Texts of the torch.distributed backends' errors when a peer process died or did not answer in time.
_PEER_FAILURE_MARKERS = ('Connection closed by peer', 'Connection reset by peer', 'Timed out', 'timed out',
                         'NCCL', 'gloo')


class DistributedError(InputError):
    """A distributed run cannot start as asked (launcher environment, timeout setting)."""


def timeout_seconds(default: float | None = None) -> float:
    """Seconds collectives wait: ``$MMSSL_DIST_TIMEOUT``, else ``default``, else :data:`DEFAULT_TIMEOUT_S`."""
    text = os.environ.get(TIMEOUT_ENV)
    if text is None or not text.strip():
        return float(default if default is not None else DEFAULT_TIMEOUT_S)
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value > 0:
        raise DistributedError(f'{TIMEOUT_ENV}={text!r}: expected a number of seconds > 0')
    return value


# ------------------------------------------------------------------ reporting a failed process to the launcher
def process_rank() -> tuple[int, int]:
    """``(rank, world size)`` of this process, from the process group or else the launcher's environment (an error
    raised before the group starts); ``(0, 1)`` outside a distributed run."""
    dist = sys.modules.get('torch.distributed')
    if dist is not None and dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    try:
        return int(os.environ['RANK']), int(os.environ['WORLD_SIZE'])
    except (KeyError, ValueError):
        return 0, 1


def process_label() -> str:
    """``'rank R of W'`` inside a distributed run of W > 1 processes, else ``''``."""
    rank, world = process_rank()
    return f'rank {rank} of {world}' if world > 1 else ''


def peer_failure(exc: BaseException) -> str | None:
    """What a collective operation's error means (another process failed, or a timeout), or None if it is not one.

    When one process of a distributed run dies, the others fail inside their next collective operation with a
    backend error ("Connection closed by peer"); when one hangs, the others time out. Either is a consequence:
    the cause is the other process's own error.
    """
    dist = sys.modules.get('torch.distributed')
    dist_error = getattr(dist, 'DistError', None) if dist is not None else None
    text = str(exc)
    if not ((dist_error is not None and isinstance(exc, dist_error))
            or (isinstance(exc, RuntimeError) and any(m in text for m in _PEER_FAILURE_MARKERS))):
        return None
    first = text.strip().splitlines()[0] if text.strip() else type(exc).__name__
    if 'timed out' in text.lower() or 'timeout' in text.lower():
        return (f'waited longer than the process-group timeout for the other processes (one of them hangs or '
                f'failed; {TIMEOUT_ENV}=SECONDS sets the timeout): {first}')
    return f'lost contact with another process, which failed (its error is reported above): {first}'


#: ``extraInfo`` key of an error file whose message this process did not print (rank 0 says it for every process).
UNSAID_KEY = 'unsaid'


def record_for_launcher(exc: BaseException, message: str | None = None, *, consequence: bool = False,
                        unsaid: bool = False) -> None:
    """Write ``exc`` (its traceback, or only ``message``) where torchrun's failure summary reads it.

    Only under torchrun (``$TORCHELASTIC_ERROR_FILE`` set, the JSON layout of torch's ``ErrorHandler``): the
    launcher reports the failure with the earliest time (whole seconds; ties go to the lowest rank) as the root
    cause of the run. A ``consequence`` of another process's failure is dated one second later, so the process
    that failed first is the one named. An ``unsaid`` message was not printed by this process (rank 0 prints it);
    the launcher (:mod:`mmssl_transfer.torchrun`) prints it when rank 0 was stopped before it could.
    """
    path = os.environ.get('TORCHELASTIC_ERROR_FILE')
    if not path:
        return
    text = f'{type(exc).__name__}: {exc}' if message is None else message
    details = traceback.format_exc() if message is None else message
    stamp = int(time.time()) + int(consequence)
    info = {'py_callstack': details, 'timestamp': str(stamp)}
    if unsaid:
        info[UNSAID_KEY] = 'true'
    data = {'message': {'message': text, 'extraInfo': info}}
    try:
        with open(path, 'w', encoding='utf-8') as file:
            json.dump(data, file)
    except OSError:
        pass


def init_distributed(launcher: str, backend: str | None = None, timeout: float | None = None) -> None:
    """Start the process group of ``launcher`` (nothing for ``'none'`` or when already started).

    Args:
        launcher: ``'none'``, ``'pytorch'`` (torchrun), ``'slurm'`` or ``'mpi'``.
        backend: ``'nccl'``, ``'gloo'``...; None (or ``'nccl'`` without CUDA): NCCL on GPUs, gloo on CPUs.
        timeout: Seconds a collective waits when :data:`TIMEOUT_ENV` is not set (a config's
            ``env_cfg.dist_cfg.timeout``). Defaults to :data:`DEFAULT_TIMEOUT_S`.

    Raises:
        DistributedError: Unknown launcher, the launcher's environment is missing, or a bad timeout.
    """
    from . import compat
    compat.apply()  # before mmengine's init_dist: the CPU/gloo fix must be in force on every tool's path
    if launcher not in LAUNCHERS:
        raise DistributedError(f'--launcher {launcher!r}: expected one of {", ".join(LAUNCHERS)}')
    if launcher == 'none':
        return
    import torch
    import torch.distributed as torch_dist
    if torch_dist.is_available() and torch_dist.is_initialized():
        return
    missing = [name for name in LAUNCHER_ENV[launcher] if name not in os.environ]
    if missing:
        raise DistributedError(f'--launcher {launcher}: the environment lacks {", ".join(missing)}; '
                               f'{LAUNCHER_HINT[launcher]}, or use --launcher none for one process')
    if backend is None or (backend == 'nccl' and not torch.cuda.is_available()):
        backend = 'nccl' if torch.cuda.is_available() else 'gloo'
    from mmengine.dist import init_dist
    init_dist(launcher, backend=backend, timeout=timeout_seconds(timeout))


def rank_and_world() -> tuple[int, int]:
    """``(rank, world size)`` of this process; ``(0, 1)`` outside a process group."""
    from mmengine.dist import get_dist_info
    return get_dist_info()


def is_main() -> bool:
    """True on rank 0 (and in a single-process run)."""
    return rank_and_world()[0] == 0


def agree(value: T) -> T:
    """Rank 0's ``value`` on every rank (a decision every rank must take the same way)."""
    rank, world = rank_and_world()
    if world == 1:
        return value
    from mmengine.dist import broadcast_object_list
    box = [value if rank == 0 else None]
    broadcast_object_list(box, src=0)
    return box[0]


def all_true(flag: bool) -> bool:
    """True when ``flag`` is true on every rank."""
    if rank_and_world()[1] == 1:
        return bool(flag)
    from mmengine.dist import all_gather_object
    return all(all_gather_object(bool(flag)))


def run_on_main(write: Callable[[], T]) -> T | None:
    """Run ``write`` on rank 0 only (files, caches, checkpoints), then make every rank wait until it finished.

    Returns ``write()``'s value on rank 0, None on the others. If rank 0 fails the others never pass the barrier:
    the launcher stops them when rank 0 exits (or the process-group timeout does).
    """
    from mmengine.dist import barrier
    rank, world = rank_and_world()
    value = write() if rank == 0 else None
    if world > 1:
        barrier()
    return value


def mean_over_processes(value: Any) -> Any:
    """A tensor averaged over the processes of the run, detached (``value`` itself in one process).

    A loss that is a mean over a per-process count (labelled pixels) divides its sum by this mean count
    instead of its own: after DDP's mean of the gradients it is then the sum over every process's share
    divided by the total count, the mean that one process computes over the whole batch.
    """
    if rank_and_world()[1] == 1:
        return value
    from mmengine.dist import all_reduce
    averaged = value.detach().clone()
    all_reduce(averaged, op='mean')
    return averaged


def batch_shard(num_samples: int, batch_size: int) -> list[int]:
    """The sample indices this rank processes: whole batches ``r, r + W, r + 2W, ...`` of the dataset order.

    Each batch holds the same samples as in a single-process run (same composition, same last short batch),
    so per-sample outputs of a batched model are bit-identical however many processes share the work.
    """
    rank, world = rank_and_world()
    batches = range(rank, -(-num_samples // batch_size), world)
    return [i for b in batches for i in range(b * batch_size, min((b + 1) * batch_size, num_samples))]


def gather_in_order(rows: Any, indices: Sequence[int], num_samples: int) -> Any:
    """Every rank's ``rows`` (a tensor, one row per index of ``indices``) in dataset order, on every rank.

    Raises:
        RuntimeError: The ranks' indices do not cover ``0..num_samples-1`` exactly once.
    """
    import torch
    rank, world = rank_and_world()
    if world == 1:
        return rows
    from mmengine.dist import all_gather_object
    parts = all_gather_object((list(indices), rows.cpu()))
    order = torch.as_tensor([i for part_indices, _ in parts for i in part_indices], dtype=torch.long)
    if order.numel() != num_samples or not torch.equal(order.sort().values, torch.arange(num_samples)):
        raise RuntimeError(f'gather_in_order: the {world} ranks hold {order.numel()} rows for {num_samples} '
                           'samples (each sample must be computed by exactly one rank)')
    stacked = torch.cat([part_rows for part_indices, part_rows in parts if part_indices])  # a rank may get none
    out = torch.empty_like(stacked)
    out[order] = stacked
    return out
