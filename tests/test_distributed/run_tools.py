"""Run several tools/*.py one after the other in this process (their ``main(argv)``), as one job.

    python run_tools.py PLAN.json none                                        # one process
    python -m torch.distributed.run --nproc_per_node=2 run_tools.py PLAN.json pytorch   # each of 2 processes

PLAN.json is a list of ``{"tool": "train.py", "argv": [...]}``; ``{launcher}`` in an argument becomes the launcher
given on the command line. The 2-process tests pay torchrun's start-up (and the imports) once for every tool
family this way; each tool still runs exactly as from its command line, argument parsing and errors included.
Stops at the first tool that does not exit 0 and exits with its status.
"""
import json
import runpy
import sys
from pathlib import Path

TOOLS = Path(__file__).resolve().parents[2] / 'tools'


def main(plan_file: str, launcher: str) -> int:
    for step in json.loads(Path(plan_file).read_text()):
        tool_main = runpy.run_path(str(TOOLS / step['tool']), run_name='tool_under_test')['main']
        status = tool_main([arg.replace('{launcher}', launcher) for arg in step['argv']])
        if status:
            print(f'run_tools.py: {step["tool"]} exited with {status}', file=sys.stderr)
            return status
    return 0


if __name__ == '__main__':
    sys.exit(main(*sys.argv[1:3]))
