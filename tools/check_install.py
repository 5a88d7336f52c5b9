"""Verify that the pinned OpenMMLab stack imports together and mmcv's compiled ops run.

``--quick`` only checks versions and that the ops import (used by install.sh's idempotency check).
"""
import argparse
import importlib.metadata as md
import sys

PINS = {'torch': '2.14.1', 'torchvision': '0.29.1', 'mmengine': '0.10.7', 'mmcv': '2.1.0',
        'mmdet': '3.3.0', 'mmsegmentation': '1.2.2', 'mmpretrain': '1.2.0'}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--quick', action='store_true')
    args = parser.parse_args()
    wrong = {name: md.version(name) for name in PINS if md.version(name) != PINS[name]}
    if wrong:
        print(f'check_install: versions differ from the pins: {wrong}', file=sys.stderr)
        return 1
    import torch
    from mmcv.ops import nms, roi_align
    import mmssl_transfer  # noqa: F401
    if args.quick:
        return 0
    boxes = torch.tensor([[0., 0., 10., 10.], [1., 1., 10., 10.], [20., 20., 30., 30.]])
    keep = nms(boxes, torch.tensor([0.9, 0.8, 0.7]), 0.5)[1]
    assert keep.tolist() == [0, 2], keep
    feat = torch.arange(16.).view(1, 1, 4, 4)
    out = roi_align(feat, torch.tensor([[0., 0., 0., 3., 3.]]), (2, 2), 1.0, 2, 'avg', True)
    assert out.shape == (1, 1, 2, 2)
    import mmdet.models  # noqa: F401
    import mmpretrain.models  # noqa: F401
    import mmseg.models  # noqa: F401
    print('check_install: torch {} | mmcv {} ops OK (nms, roi_align) | mmdet, mmseg, mmpretrain import'.format(
        torch.__version__, md.version('mmcv')))
    return 0


if __name__ == '__main__':
    sys.exit(main())
