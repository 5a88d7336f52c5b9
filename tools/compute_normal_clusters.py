"""Compute the k-means cluster centres of the train normals of an NYUv2NormalsDataset tree.

Writes <data_root>/normal_clusters_k<K>.npy, which the normals head (clusters mode) classifies into.

    python tools/compute_normal_clusters.py data/nyuv2_normals [--k 40]
"""
import argparse
import sys

from mmssl_transfer.cli import run_tool
from mmssl_transfer.datasets.normal_clusters import compute_normal_clusters


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('data_root', help='NYUv2NormalsDataset folder')
    parser.add_argument('--k', type=int, default=40, help='number of clusters')
    parser.add_argument('--per-image', type=int, default=2000, help='valid normals drawn per image')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--normal-suffix', default='.png', choices=['.png', '.npy'])
    parser.add_argument('--out', default=None, help='output file (default: beside the data)')
    args = parser.parse_args(argv)

    def body() -> int:
        path = compute_normal_clusters(args.data_root, k=args.k, per_image=args.per_image, seed=args.seed,
                                       normal_suffix=args.normal_suffix, out=args.out)
        print(f'cluster centres written to {path}')
        return 0

    return run_tool('compute_normal_clusters.py', body)


if __name__ == '__main__':
    sys.exit(main())
