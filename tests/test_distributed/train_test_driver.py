"""Run tools/train.py, then tools/test.py on the last checkpoint, for each run of a JSON plan, in this process.

    python train_test_driver.py PLAN.json --launcher none|pytorch      (under torchrun: one call per process)

PLAN.json: a list of {"name", "config", "work_dir", "args": [train.py/test.py options such as --data-root],
"train_args": [train.py only, such as --checkpoint], "cfg_options": ["key=value", ...]}. The tools' own ``main``
functions run one after the other in the same processes, so a 2-process test pays torchrun's start-up once.
"""
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / 'tools'))

import test as test_tool  # noqa: E402  (tools/test.py)

import train as train_tool  # noqa: E402  (tools/train.py)


def main(argv: list[str]) -> int:
    plan_file, launcher = argv[0], argv[argv.index('--launcher') + 1]
    for run in json.loads(Path(plan_file).read_text()):
        work_dir = Path(run['work_dir'])
        options = ['--launcher', launcher, *run.get('args', [])]
        cfg_options = ['--cfg-options', *run.get('cfg_options', [])]
        status = train_tool.main([run['config'], '--work-dir', str(work_dir), *options, *run.get('train_args', []),
                                  *cfg_options, f'experiment_name={run["name"]}_train'])
        if status:
            return status
        checkpoint = (work_dir / 'last_checkpoint').read_text().strip()
        status = test_tool.main([run['config'], checkpoint, '--work-dir', str(work_dir / 'test'), *options,
                                 *cfg_options, f'experiment_name={run["name"]}_test'])
        if status:
            return status
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
