"""A stand-in probe tool for the suite-machinery tests only (the shipped kind table targets the real tools).

Writes a deterministic TransferResult for its arguments; ``--dataset broken`` fails like a real tool on bad
input; FAKE_PROBE_SLEEP (seconds) makes it slow enough to be killed mid-cell; FAKE_PROBE_TRACE names a file it
appends one JSON line to (dataset, CUDA_VISIBLE_DEVICES, whether the barrier was met), to observe how cells were
packed; FAKE_PROBE_BARRIER=FOLDER:N makes each run wait (60 s at most) until N runs have reached it, so it is met
only by runs that ran at the same time; FAKE_PROBE_CRASH=DATASET makes the runs on DATASET crash like a bug
(a traceback, exit status 1). Each run appends a line to ``<work-dir>/attempts.txt`` before anything else and
traces how many it found (a resumed cell's work dir survives its interruption).
"""
import argparse
import hashlib
import importlib.util
import json
import os
import sys
import time
from pathlib import Path

# the result module alone, by path: importing the package would pull in torch and mmengine for nothing
_spec = importlib.util.spec_from_file_location(
    'transfer_results', Path(__file__).resolve().parents[2] / 'mmssl_transfer' / 'results.py')
_results = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = _results
_spec.loader.exec_module(_results)
TransferResult, write_result = _results.TransferResult, _results.write_result


def main() -> int:
    parser = argparse.ArgumentParser()
    for name in ('checkpoint', 'method', 'dataset', 'data-root', 'seed', 'work-dir', 'out', 'shots', 'ways',
                 'cache-dir'):
        parser.add_argument(f'--{name}')
    args = parser.parse_args()
    attempt = None
    if args.work_dir:
        attempts = Path(args.work_dir) / 'attempts.txt'
        attempts.parent.mkdir(parents=True, exist_ok=True)
        with open(attempts, 'a') as f:
            f.write(f'{os.getpid()}\n')
        attempt = len(attempts.read_text().splitlines())
    time.sleep(float(os.environ.get('FAKE_PROBE_SLEEP', '0')))
    met = None
    if os.environ.get('FAKE_PROBE_BARRIER'):
        folder, count = os.environ['FAKE_PROBE_BARRIER'].rsplit(':', 1)
        Path(folder).mkdir(parents=True, exist_ok=True)
        (Path(folder) / str(os.getpid())).touch()
        deadline = time.time() + 60
        while not (met := len(list(Path(folder).iterdir())) >= int(count)) and time.time() < deadline:
            time.sleep(0.1)
    if os.environ.get('FAKE_PROBE_TRACE'):
        with open(os.environ['FAKE_PROBE_TRACE'], 'a') as trace:
            trace.write(json.dumps({'dataset': args.dataset, 'method': args.method, 'barrier_met': met,
                                    'attempt': attempt, 'devices': os.environ.get('CUDA_VISIBLE_DEVICES')}) + '\n')
    if args.dataset == os.environ.get('FAKE_PROBE_CRASH'):
        raise RuntimeError('a bug in the probe')
    if args.dataset == 'broken' or not Path(args.data_root).is_dir():
        print(f'fake_probe.py: error: {args.data_root}: dataset folder not found', file=sys.stderr)
        return 2
    digest = hashlib.sha256(f'{args.checkpoint}|{args.dataset}|{args.seed}|{args.shots}'.encode()).digest()
    value = 50 + digest[0] / 255 * 40
    write_result(args.out, TransferResult(task='fewshot', dataset=args.dataset, protocol=f'5way-{args.shots}shot',
                                          method=args.method, checkpoint_sha256='', metrics={'accuracy': value},
                                          primary_metric='accuracy', ci={'accuracy': 1.0}))
    print(f'fake probe: accuracy={value:.2f}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
