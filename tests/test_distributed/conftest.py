"""Running tools in 2 CPU processes (torchrun + gloo) and comparing them with 1 process.

``torchrun`` starts ``python -m torch.distributed.run --nproc_per_node=2`` on a free port with PYTHONPATH set to
this checkout. The toy world is the tests' usual one (width-8 checkpoints, tiny datasets); configs are the real
ones shrunk as in tests/test_det and tests/test_dense, with the random parts of the training pipelines fixed
(one scale, no flip, no dropout) wherever a test compares trained weights: those draw from each process's own
random stream, which no number of processes can reproduce.
"""
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
#: Seconds a collective waits in these tests (a hang fails in minutes, not the default 30).
TEST_TIMEOUT_S = 120


def free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def tool_env(**extra: str) -> dict[str, str]:
    return {**os.environ, 'PYTHONPATH': str(REPO), 'OMP_NUM_THREADS': '1', 'MMSSL_DIST_TIMEOUT': str(TEST_TIMEOUT_S),
            'PYTHONUNBUFFERED': '1', **extra}


def torchrun(script: Path | str, *args: str, nproc: int = 2, timeout: float = 600,
             env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """``python -m torch.distributed.run --nproc_per_node=N script args`` on a free port (output captured)."""
    argv = [sys.executable, '-m', 'torch.distributed.run', f'--nproc_per_node={nproc}', '--master_addr=127.0.0.1',
            f'--master_port={free_port()}', str(script), *args]
    return subprocess.run(argv, cwd=REPO, env=env or tool_env(), capture_output=True, text=True, timeout=timeout)


def one_process(script: Path | str, *args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(script), *args], cwd=REPO, env=tool_env(), capture_output=True,
                          text=True, timeout=timeout)


def ok(proc: subprocess.CompletedProcess) -> subprocess.CompletedProcess:
    assert proc.returncode == 0, f'exit {proc.returncode}\n{proc.stdout[-3000:]}\n{proc.stderr[-6000:]}'
    return proc


class Timer:
    def __enter__(self) -> 'Timer':
        self.start = time.monotonic()
        return self

    def __exit__(self, *exc) -> None:
        self.seconds = time.monotonic() - self.start


@pytest.fixture(scope='session')
def toy_dist_world(tmp_path_factory, toy_checkpoints) -> dict[str, Path]:
    """Toy VOC, ADE20K, NYUv2 and DTD/EuroSAT folders plus the toy checkpoints folder."""
    from mmssl_transfer.toy import make_toy
    root = tmp_path_factory.mktemp('dist_toy')
    return {'voc': make_toy('voc', root, seed=0, num_train=8, num_test=4),
            'ade20k': make_toy('ade20k', root, seed=0, num_train=4, num_val=2),
            'nyuv2': make_toy('nyuv2', root, seed=0, num_train=4, num_test=2),
            'cls': make_toy('classification', root, seed=0, datasets=('dtd', 'eurosat'), num_classes=5),
            'checkpoints': toy_checkpoints}
