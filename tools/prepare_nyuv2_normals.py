"""Convert the NYUv2 surface-normal release used by the paper into the NYUv2NormalsDataset layout.

Source: https://dl.fbaipublicfiles.com/fair_self_supervision_benchmark/nyuv2_surfacenormal_metadata.zip
(Ladicky et al. ground truth, the 795/654 split, Wang et al.'s 40 normal clusters; the release the paper's code
linusericsson/ssl-transfer used), plus the NYU Depth v2 RGB images (nyu_depth_v2_labeled.mat, needs h5py,
or a folder of <number>_rgb.jpg files). See mmssl_transfer/datasets/nyuv2_release.py.

    python tools/prepare_nyuv2_normals.py METADATA_DIR IMAGES OUT_DIR
"""
import argparse
import sys

from mmssl_transfer.cli import run_tool
from mmssl_transfer.datasets.nyuv2_release import convert_release


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('metadata_dir', help='unzipped nyuv2_surfacenormal_metadata folder')
    parser.add_argument('images', help='nyu_depth_v2_labeled.mat or a folder of RGB images')
    parser.add_argument('out_dir', help='output folder (e.g. data/nyuv2_normals)')
    parser.add_argument('--normal-suffix', default='.png', choices=['.png', '.npy'],
                        help='16-bit PNG (compact) or float32 .npy normal maps')
    args = parser.parse_args(argv)

    def body() -> int:
        out = convert_release(args.metadata_dir, args.images, args.out_dir, args.normal_suffix, log=print)
        print(f'NYUv2 normals written to {out}')
        return 0

    return run_tool('prepare_nyuv2_normals.py', body)


if __name__ == '__main__':
    sys.exit(main())
