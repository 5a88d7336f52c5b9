"""Feature properties of one backbone (paper Sec. 4.8-4.9, Table 9 columns 5-11): what its features retain and
where they attend.

    python tools/feature_properties.py --checkpoint byol.pth --out work_dirs/fp/byol.json
    python tools/feature_properties.py --checkpoint byol.pth --datasets aircraft dtd --per-dataset 4 --out ...

Per image of a fixed set (default: the first test image of each of the 15 recognition datasets): a deep-image-prior
reconstruction of its layer4 map (3000 Adam steps), LPIPS (Alex, VGG, Squeeze) and per-channel colour error (MSE,
0-255) between the 224 crop and the reconstruction, and the 10x10-occlusion saliency map with its attentive
diffusion. Writes one result record (task 'feature_properties': the means, every image's id, seed and values,
``paper_protocol`` true only at the paper's settings) and, beside it in ``<out stem>_images/``, the original,
reconstruction and saliency PNG of every image.
"""
import argparse
import sys
from pathlib import Path

from mmssl_transfer.cli import run_tool
from mmssl_transfer.distributed import LAUNCHERS, run_on_main
from mmssl_transfer.probes.cli import add_backbone_args, init_run
from mmssl_transfer.results import write_result


def main(argv=None) -> int:
    from mmssl_transfer.probes.feature_properties.experiment import PropertySettings
    from mmssl_transfer.probes.feature_properties.images import RECOGNITION_DATASETS
    defaults = PropertySettings()
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_backbone_args(parser)
    parser.add_argument('--out', required=True, help='result JSON path')
    parser.add_argument('--datasets', '--dataset', nargs='+', choices=RECOGNITION_DATASETS,
                        default=list(RECOGNITION_DATASETS),
                        help='datasets to take images from (default: the 15 recognition datasets); a suite cell '
                             'gives one as --dataset')
    parser.add_argument('--per-dataset', type=int, default=defaults.images_per_dataset,
                        help='images per dataset (default 1, the paper\'s)')
    parser.add_argument('--data-root', action='append', default=[], metavar='[NAME=]DIR',
                        help="a dataset's folder (default: the catalog's data/... location); repeatable; a plain "
                             'DIR when one dataset is given (a suite cell)')
    parser.add_argument('--max-iter', type=int, default=defaults.max_iter,
                        help='DIP max_iter (max_iter + 1 Adam steps, as the reference loop); default 3000')
    parser.add_argument('--lr', type=float, default=defaults.lr, help='DIP Adam learning rate (default 1e-3)')
    parser.add_argument('--target-resize', type=int, default=defaults.target_resize)
    parser.add_argument('--crop', type=int, default=defaults.crop, help='side of the reconstructed crop (224)')
    parser.add_argument('--noise-size', type=int, default=defaults.noise_size, help='DIP noise side (256)')
    parser.add_argument('--generator-scales', type=int, default=defaults.generator_scales,
                        help='scales of the skip generator (6, the reference; fewer for tiny images)')
    parser.add_argument('--saliency-size', type=int, default=defaults.saliency_size, help='saliency input side (242)')
    parser.add_argument('--patch', type=int, default=defaults.patch, help='occlusion patch side (10)')
    parser.add_argument('--stride', type=int, default=defaults.stride, help='occlusion stride (1, the paper\'s)')
    parser.add_argument('--amp', action='store_true', help='occluded forwards under CUDA float16 autocast (variant)')
    parser.add_argument('--fits-per-batch', type=int, default=defaults.fits_per_batch,
                        help='DIP fits run together, each its own generator (default 4)')
    parser.add_argument('--occlusion-batch', type=int, default=defaults.occlusion_batch,
                        help='occluded copies per forward (default 256)')
    parser.add_argument('--lpips-trunks', choices=['imagenet', 'random'], default=defaults.lpips_trunks,
                        help="'imagenet' (default): torchvision's trunk weights, downloaded and checked; "
                             "'random': for tests only, the LPIPS numbers mean nothing (recorded as a variant)")
    parser.add_argument('--lpips-cache', help='folder of the LPIPS trunk weights (default $MMSSL_CACHE/lpips)')
    parser.add_argument('--seed', type=int, default=0, help='seed of the first DIP fit (image k: seed + k)')
    parser.add_argument('--device', help='cuda / cpu (default: cuda when available)')
    parser.add_argument('--launcher', choices=LAUNCHERS, default='none',
                        help='distributed launcher: each process takes whole batches of fits; rank 0 writes')
    parser.add_argument('--work-dir', help='folder for the run log')
    parser.add_argument('--no-png', action='store_true', help='do not write the PNGs')
    args = parser.parse_args(argv)

    def body() -> int:
        from mmssl_transfer.probes.errors import ProbeInputError
        from mmssl_transfer.probes.feature_properties.experiment import feature_properties_result
        roots = {}
        for item in args.data_root:
            name, sep, folder = item.partition('=')
            if not (sep and name in RECOGNITION_DATASETS):  # a plain DIR: the one dataset's folder
                if len(args.datasets) != 1:
                    raise ProbeInputError(f'--data-root {item!r}: expected NAME=DIR (a plain DIR needs one dataset)')
                name, folder = args.datasets[0], item
            roots[name] = folder
        init_run(args.launcher, args.work_dir, 'feature_properties')
        settings = PropertySettings(
            datasets=tuple(args.datasets), images_per_dataset=args.per_dataset, target_resize=args.target_resize,
            crop=args.crop, noise_size=args.noise_size, generator_scales=args.generator_scales, lr=args.lr,
            max_iter=args.max_iter, saliency_size=args.saliency_size, patch=args.patch, stride=args.stride,
            amp=args.amp, lpips_trunks=args.lpips_trunks, seed=args.seed, fits_per_batch=args.fits_per_batch,
            occlusion_batch=args.occlusion_batch, data_roots=roots)
        out = Path(args.out)
        png_dir = None if args.no_png else out.resolve().with_name(out.stem + '_images')  # the report finds them
        result = feature_properties_result(None if args.from_scratch else args.checkpoint, settings,
                                           method=args.method, base_channels=args.base_channels,
                                           device=args.device, png_dir=png_dir, lpips_cache_dir=args.lpips_cache)
        run_on_main(lambda: _report(out, result))
        return 0

    def _report(out, result) -> None:
        write_result(out, result)
        m = result.metrics
        print(f'feature properties ({result.hparams["variant"]}): LPIPS alex/vgg/squeeze = {m["lpips_alex"]:.3f}/'
              f'{m["lpips_vgg"]:.3f}/{m["lpips_squeeze"]:.3f}, colour MSE R/G/B = {m["err_r"]:.0f}/{m["err_g"]:.0f}/'
              f'{m["err_b"]:.0f}, attentive diffusion = {m["attentive_diffusion"]:.2f}% -> {out}')

    return run_tool('feature_properties.py', body)


if __name__ == '__main__':
    sys.exit(main())
