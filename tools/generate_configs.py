"""Write (or --check) the per-method backbone and experiment configs from the model zoo."""
import argparse
import sys
from pathlib import Path

from mmssl_transfer.cli import run_tool
from mmssl_transfer.config_generation import missing_bases, orphan_configs, stale_configs, write_configs

CONFIGS = Path(__file__).resolve().parent.parent / 'configs'


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--check', action='store_true',
                        help='exit 1 if any generated config is out of date or left over, or any _base_ is missing')
    args = parser.parse_args()

    def body() -> int:
        if args.check:
            stale, orphans = stale_configs(CONFIGS), orphan_configs(CONFIGS)
            for path in stale:
                print(f'out of date: {path.relative_to(CONFIGS.parent)}')
            for path in orphans:
                print(f'no longer generated: {path.relative_to(CONFIGS.parent)}')
        else:
            stale = orphans = []
            for path in write_configs(CONFIGS):
                print(f'{"wrote" if path.exists() else "deleted"} {path.relative_to(CONFIGS.parent)}')
        missing = missing_bases(CONFIGS)  # hand-written inheritors of a removed base: fixed by hand
        for path, base in missing:
            print(f'missing _base_: {path.relative_to(CONFIGS.parent)} inherits {base}')
        return 1 if stale or orphans or missing else 0

    return run_tool('generate_configs.py', body)


if __name__ == '__main__':
    sys.exit(main())
