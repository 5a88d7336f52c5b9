"""Occlusion saliency and attentive diffusion (paper App. A.9) on backbones whose answer is known by hand."""
import torch

from mmssl_transfer.probes.feature_properties.saliency import (OcclusionGrid, attentive_diffusion, occlusion_saliency,
                                                               relative_distance)


def test_stride_one_covers_every_kept_pixel_exactly_patch_squared_times():
    grid = OcclusionGrid(242, 10, 1)
    coverage = grid.coverage()
    kept = coverage[grid.kept, grid.kept]
    assert kept.shape == (224, 224)
    assert torch.equal(kept, torch.full((224, 224), 100.0, dtype=torch.float64))
    assert grid.num_positions == 233 ** 2
    border = coverage.clone()
    border[grid.kept, grid.kept] = 0
    assert border.max() < 100  # the cropped border is covered fewer times: why the paper crops it


def test_occlude_zeroes_exactly_the_patch():
    grid = OcclusionGrid(12, 3, 1)
    image = torch.ones(3, 12, 12)
    out = grid.occlude(image, torch.tensor([[0, 0], [4, 7]]))
    assert out.shape == (2, 3, 12, 12)
    assert (out[0, :, :3, :3] == 0).all() and out[0].sum() == 3 * (144 - 9)
    assert (out[1, :, 4:7, 7:10] == 0).all() and out[1].sum() == 3 * (144 - 9)
    assert image.sum() == 3 * 144  # the clean image is untouched


def _region_backbone(top: int, bottom: int, left: int, right: int):
    """Features that see only rows [top, bottom) x cols [left, right): 1 while the region is intact, 0 once any of
    its pixels is occluded (relative distance 1 when the patch overlaps the region, 0 otherwise)."""
    def features(x):
        return x[:, :, top:bottom, left:right].mean(1).flatten(1).amin(1, keepdim=True)
    return features


def _hand_count(size, patch, lo, hi):
    """Per pixel along one axis: patch positions covering it that also overlap [lo, hi)."""
    starts = range(size - patch + 1)
    return torch.tensor([sum(1 for s in starts if s <= y < s + patch and s < hi and s + patch > lo)
                         for y in range(size)], dtype=torch.float64)


def test_a_backbone_that_sees_one_region_peaks_there_and_its_diffusion_is_the_hand_count():
    size, patch = 42, 10
    grid = OcclusionGrid(size, patch, 1)
    rows, cols = (14, 20), (22, 30)
    saliency = occlusion_saliency(_region_backbone(*rows, *cols), torch.ones(3, size, size), grid, batch_size=97)
    assert saliency.shape == (24, 24)
    expected = torch.outer(_hand_count(size, patch, *rows), _hand_count(size, patch, *cols)) / patch ** 2
    expected = expected[grid.kept, grid.kept]
    torch.testing.assert_close(saliency.double(), expected, rtol=0, atol=1e-6)
    peak = divmod(int(saliency.argmax()), saliency.shape[1])
    assert rows[0] <= peak[0] + patch - 1 < rows[1] and cols[0] <= peak[1] + patch - 1 < cols[1]
    assert saliency[rows[0] - 9:rows[1] - 9, cols[0] - 9:cols[1] - 9].min() == 1.0  # inside: every cover hits it
    above = int((expected > expected.mean()).sum())
    assert attentive_diffusion(saliency) == 100.0 * above / expected.numel()


def test_batched_saliency_equals_a_one_at_a_time_loop():
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3, padding=1), torch.nn.ReLU(), torch.nn.Conv2d(8, 8, 3, 2),
                              torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten()).eval()
    grid = OcclusionGrid(20, 4, 1)
    image = torch.randn(3, 20, 20)
    batched = occlusion_saliency(net, image, grid, batch_size=64)
    total = torch.zeros(20, 20, dtype=torch.float64)
    with torch.no_grad():
        clean = net(image[None])[0]
        for top in range(17):
            for left in range(17):
                occluded = image.clone()
                occluded[:, top:top + 4, left:left + 4] = 0
                total[top:top + 4, left:left + 4] += float(relative_distance(clean, net(occluded[None])))
    torch.testing.assert_close(batched.double(), (total / 16)[3:17, 3:17], rtol=1e-5, atol=1e-6)


def test_diffusion_is_scale_free_and_counts_pixels_above_the_mean():
    saliency = torch.tensor([[0.0, 1.0], [1.0, 10.0]])
    assert attentive_diffusion(saliency) == 25.0  # mean 3: one pixel of four above it
    assert attentive_diffusion(7 * saliency) == 25.0
