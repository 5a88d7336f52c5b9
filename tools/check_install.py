"""Verify that the pinned OpenMMLab stack imports together and that mmcv's NMS and RoIAlign run.

Says which mmcv is installed: ``lite`` (mmcv-lite; NMS and RoIAlign served by torchvision through
:mod:`mmssl_transfer.compat`) or ``ops`` (mmcv compiled with its C++/CUDA ops). The ops run on CPU, and on CUDA
too when a GPU is present. ``--quick`` only checks versions and imports (install.sh's idempotency check);
``--expect lite|ops`` fails when the other one is installed.
"""
import argparse
import importlib.metadata as md
import sys
import warnings

PINS = {'torch': '2.14.1', 'torchvision': '0.29.1', 'mmengine': '0.10.7', 'mmdet': '3.3.0',
        'mmsegmentation': '1.2.2', 'mmpretrain': '1.2.0'}
MMCV_DISTRIBUTIONS = {'lite': 'mmcv-lite', 'ops': 'mmcv'}
MMCV_VERSION = '2.1.0'


def fail(message: str) -> int:
    print(f'check_install.py: error: {message}', file=sys.stderr)
    return 1


def installed_version(name: str) -> str | None:
    try:
        return md.version(name)
    except md.PackageNotFoundError:
        return None


def check_ops(device: str) -> None:
    """NMS keeps the expected boxes and RoIAlign averages a constant region to the constant, forward and back."""
    import torch
    from mmcv.ops import batched_nms, nms, roi_align
    boxes = torch.tensor([[0., 0., 10., 10.], [1., 1., 10., 10.], [20., 20., 30., 30.]], device=device)
    scores = torch.tensor([0.9, 0.8, 0.7], device=device)
    keep = nms(boxes, scores, 0.5)[1]
    assert keep.tolist() == [0, 2], f'nms kept {keep.tolist()} instead of [0, 2]'
    keep = batched_nms(boxes, scores, torch.tensor([0, 1, 0], device=device), dict(iou_threshold=0.5))[1]
    assert keep.tolist() == [0, 1, 2], f'batched_nms kept {keep.tolist()} instead of [0, 1, 2]'
    feat = torch.full((1, 2, 8, 8), 3.0, device=device, requires_grad=True)
    out = roi_align(feat, torch.tensor([[0., 1., 1., 6., 6.]], device=device), (2, 2), 1.0, 0, 'avg', True)
    assert torch.allclose(out, torch.full_like(out, 3.0)), 'roi_align over a constant region is not the constant'
    out.sum().backward()
    assert abs(float(feat.grad.sum()) - out.numel()) < 1e-4, 'roi_align gradient does not sum to the output count'


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--quick', action='store_true', help='versions and imports only')
    parser.add_argument('--expect', choices=sorted(MMCV_DISTRIBUTIONS), help='fail unless this mmcv is installed')
    args = parser.parse_args()
    wrong = {name: installed_version(name) for name in PINS if installed_version(name) != PINS[name]}
    if wrong:
        return fail(f'versions differ from the pins {PINS}: {wrong}')
    installed = {flavour: installed_version(dist) for flavour, dist in MMCV_DISTRIBUTIONS.items()}
    present = [flavour for flavour, version in installed.items() if version]
    if len(present) != 1 or installed[present[0]] != MMCV_VERSION:
        return fail(f'exactly one of mmcv-lite / mmcv =={MMCV_VERSION} must be installed, found {installed}')
    try:
        with warnings.catch_warnings():  # setuptools 81 announces the removal we pin against
            warnings.simplefilter('ignore')
            import pkg_resources  # noqa: F401  (mmengine's `pkg::` config bases and mmcv's setup.py need it)
    except ImportError:
        return fail('pkg_resources is missing: setuptools>=82 dropped it; install "setuptools<82" '
                    '(requirements/constraints.txt)')

    from mmssl_transfer.compat import mmcv_ops_flavour
    flavour = {'lite': 'lite', 'compiled': 'ops', 'missing': 'missing'}[mmcv_ops_flavour()]
    if flavour != present[0]:
        return fail(f'{MMCV_DISTRIBUTIONS[present[0]]} is installed but mmcv._ext is {flavour}')
    if args.expect and flavour != args.expect:
        return fail(f'expected the {args.expect} mmcv, found {MMCV_DISTRIBUTIONS[flavour]}')
    import mmdet.models  # noqa: F401
    import mmpretrain.models  # noqa: F401
    import mmseg.models  # noqa: F401
    import torch

    import mmssl_transfer.models  # noqa: F401
    if args.quick:
        return 0
    devices = ['cpu'] + (['cuda'] if torch.cuda.is_available() else [])
    for device in devices:
        try:
            check_ops(device)
        except Exception as error:  # noqa: BLE001  (any failure of the ops is the message)
            return fail(f'mmcv ops on {device}: {type(error).__name__}: {error}')
    source = ('mmcv-lite, NMS/RoIAlign from torchvision' if flavour == 'lite' else 'mmcv compiled with its ops')
    print(f'check_install: torch {torch.__version__} | mmcv {MMCV_VERSION} ({source}) | NMS, RoIAlign OK on '
          f'{", ".join(devices)} | pkg_resources OK | mmdet, mmseg, mmpretrain import')
    return 0


if __name__ == '__main__':
    sys.exit(main())
