"""Write (or --check) the per-method backbone and experiment configs from the model zoo."""
import argparse
import sys
from pathlib import Path

from mmssl_transfer.cli import run_tool
from mmssl_transfer.config_generation import stale_configs, write_configs

CONFIGS = Path(__file__).resolve().parent.parent / 'configs'


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--check', action='store_true', help='exit 1 if any generated config is out of date')
    args = parser.parse_args()

    def body() -> int:
        if args.check:
            stale = stale_configs(CONFIGS)
            for path in stale:
                print(f'out of date: {path.relative_to(CONFIGS.parent)}')
            return 1 if stale else 0
        for path in write_configs(CONFIGS):
            print(f'wrote {path.relative_to(CONFIGS.parent)}')
        return 0

    return run_tool('generate_configs.py', body)


if __name__ == '__main__':
    sys.exit(main())
