"""A stand-in probe tool for the suite-machinery tests only (the shipped kind table targets the real tools).

Writes a deterministic TransferResult for its arguments; ``--dataset broken`` fails like a real tool on bad
input; FAKE_PROBE_SLEEP (seconds) makes it slow enough to be killed mid-cell.
"""
import argparse
import hashlib
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from mmssl_transfer.results import TransferResult, write_result  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser()
    for name in ('checkpoint', 'method', 'dataset', 'data-root', 'seed', 'work-dir', 'out', 'shots', 'ways'):
        parser.add_argument(f'--{name}')
    args = parser.parse_args()
    time.sleep(float(os.environ.get('FAKE_PROBE_SLEEP', '0')))
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
