"""UPerNet training-step time with SSLResNet vs mmseg's stock ResNet (same plain 7x7 stem, same head, same input),
and with ``--vit`` the ViT recipe: SSLViT (featmap of blocks [3, 5, 7, 11]) vs mmseg's stock ``MAE`` backbone, both
through mmseg's Feature2Pyramid into UPerHead at the same size (width, depth, heads, patch 16, LayerScale).

Prints the speed ratio stock_time / ssl_time (goal >= 0.98: the SSL backbone costs nothing extra). Steps of the
two models interleave (alternating which goes first) so that load on a shared machine affects both alike, and
medians are compared. On CPU one thread is used; at the default toy size the ratio is dominated by noise
(Python overhead, other processes): judge the goal with --full on a GPU.

    python benchmarks/seg_step.py           # width 8, batch 2 at 64x64 (CPU-sized)
    python benchmarks/seg_step.py --full    # ResNet-50 width 64, batch 2 at 512x512
    python benchmarks/seg_step.py --vit     # ViT width 96, 12 blocks, 12 heads, batch 2 at 64x64 (CPU-sized)
    python benchmarks/seg_step.py --vit --full  # ViT-B (768), batch 2 at 512x512
"""
import argparse
import statistics
import time

import torch
from mmengine.registry import init_default_scope
from mmengine.structures import PixelData
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample

import mmssl_transfer.models  # noqa: F401  (registers SSLResNet)


def build(backbone: dict, width: int, neck: dict | None = None, channels: list | None = None,
          head_channels: int | None = None) -> torch.nn.Module:
    channels = channels or [4 * width * 2**i for i in range(4)]
    norm = dict(type='BN', requires_grad=True)
    return MODELS.build(dict(
        type='EncoderDecoder',
        data_preprocessor=dict(type='SegDataPreProcessor', mean=[123.675, 116.28, 103.53],
                               std=[58.395, 57.12, 57.375], bgr_to_rgb=True, size_divisor=32),
        backbone=backbone,
        neck=neck,
        decode_head=dict(type='UPerHead', in_channels=channels, in_index=[0, 1, 2, 3], pool_scales=(1, 2, 3, 6),
                         channels=head_channels or max(width * 8, 32), dropout_ratio=0.1, num_classes=150,
                         norm_cfg=norm,
                         align_corners=False,
                         loss_decode=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0)),
        train_cfg=dict(), test_cfg=dict(mode='whole')))


def build_vits(width: int, size: int) -> tuple[torch.nn.Module, torch.nn.Module]:
    """The ViT UPerNet of configs/_base_/models/upernet_ssl_vit.py at ``width`` (12 blocks, 12 heads, patch 16, a
    UPerHead of ``width`` channels as the recipe's 768 for ViT-B) on
    SSLViT (the MAE row) and on mmseg's MAE backbone as its MAE recipe builds it (LayerScale init 1.0, which the MAE
    release lacks: two element-wise products per block more), both into Feature2Pyramid + UPerHead."""
    norm = dict(type='BN', requires_grad=True)
    neck = dict(type='Feature2Pyramid', embed_dim=width, rescales=[4, 2, 1, 0.5], norm_cfg=norm)
    blocks = [3, 5, 7, 11]
    ssl = build(dict(type='SSLViT', method='mae_vitb16', toy=True, embed_dims=width, num_layers=12,
                     out_type='featmap', out_indices=blocks, patch_fit='resize'), width, neck, [width] * 4, width)
    stock = build(dict(type='MAE', img_size=(size, size), patch_size=16, embed_dims=width, num_layers=12,
                       num_heads=12, mlp_ratio=4, out_indices=blocks, init_values=1.0), width, neck, [width] * 4,
                  width)
    return ssl, stock


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--full', action='store_true', help='width 64, 512x512')
    parser.add_argument('--steps', type=int, default=30,
                        help='timed steps per model (median; fewer are noise-dominated on a CPU)')
    parser.add_argument('--vit', action='store_true', help="the ViT UPerNet (SSLViT vs mmseg's MAE backbone)")
    args = parser.parse_args()
    init_default_scope('mmseg')
    if args.vit:
        width, size = (768, 512) if args.full else (96, 64)
        ssl, stock = build_vits(width, size)
        names = ('SSLViT', 'stock mmseg MAE')
    else:
        width, size = (64, 512) if args.full else (8, 64)
        norm = dict(type='BN', requires_grad=True)
        ssl = build(dict(type='SSLResNet', base_channels=width, norm_cfg=norm), width)
        stock = build(dict(type='ResNet', depth=50, base_channels=width, stem_channels=width, deep_stem=False,
                           style='pytorch', norm_cfg=norm, contract_dilation=False), width)
        stock.backbone.load_state_dict(ssl.backbone.state_dict())  # same key layout: same weights
        names = ('SSLResNet', 'stock mmseg ResNet')
    device = 'cuda' if torch.cuda.is_available() else 'cpu'
    if device == 'cpu':
        torch.set_num_threads(1)  # one thread: less sensitive to other processes on a shared machine
    generator = torch.Generator().manual_seed(0)
    inputs = [torch.randint(0, 256, (3, size, size), generator=generator, dtype=torch.uint8) for _ in range(2)]
    labels = [torch.randint(0, 150, (1, size, size), generator=generator) for _ in range(2)]
    models = {'ssl': ssl.to(device).train(), 'stock': stock.to(device).train()}
    optimisers = {name: torch.optim.SGD(m.parameters(), lr=0.01, momentum=0.9) for name, m in models.items()}
    times = {name: [] for name in models}
    for step in range(args.steps + 1):
        order = list(models) if step % 2 else list(models)[::-1]  # alternate who goes first
        for name in order:
            model = models[name]
            data = {'inputs': [x.clone() for x in inputs],
                    'data_samples': [SegDataSample(gt_sem_seg=PixelData(data=y.clone())) for y in labels]}
            if device == 'cuda':
                torch.cuda.synchronize()
            start = time.perf_counter()
            batch = model.data_preprocessor(data, training=True)
            losses = model.loss(batch['inputs'], batch['data_samples'])
            loss = sum(v for k, v in losses.items() if 'loss' in k)
            optimisers[name].zero_grad()
            loss.backward()
            optimisers[name].step()
            if device == 'cuda':
                torch.cuda.synchronize()
            if step > 0:  # step 0 warms up
                times[name].append(time.perf_counter() - start)
    ssl_s, stock_s = statistics.median(times['ssl']), statistics.median(times['stock'])
    print(f'UPerNet train step, width {width}, batch 2 at {size}x{size}, {device}, {args.steps} steps each')
    print(f'{names[0]}: {ssl_s * 1000:8.1f} ms   {names[1]}: {stock_s * 1000:8.1f} ms')
    print(f'speed ratio stock/ssl: {stock_s / ssl_s:.3f} (goal >= 0.98)')


if __name__ == '__main__':
    main()
