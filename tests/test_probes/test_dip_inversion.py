"""Deep-image-prior feature inversion: the generator's shape, packing of independent fits, a short fit."""
import torch

from mmssl_transfer.probes.feature_properties.dip import (SkipConfig, SkipGenerator, dip_noise, invert_features,
                                                          seeded_generator, to_uint8_image)

TINY = SkipConfig(input_depth=4, channels=(4, 8), skip_channels=(2, 2), filters=(3, 3))


def _stage_map():
    torch.manual_seed(123)
    net = torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3, 2, 1), torch.nn.ReLU(), torch.nn.Conv2d(8, 8, 3, 2, 1)).eval()
    for p in net.parameters():
        p.requires_grad_(False)
    return net


def test_zhao_generator_maps_32_channel_noise_to_a_256_image_without_sigmoid():
    net = seeded_generator(0)
    convs = [m for m in net.modules() if isinstance(m, torch.nn.Conv2d)]
    assert len(convs) == 6 * 5 + 1  # per scale: skip 1x1, two down convs, up conv, 1x1 up; then the output 1x1
    assert sum(isinstance(m, torch.nn.AvgPool2d) for m in net.modules()) == 6
    assert not any(isinstance(m, torch.nn.Sigmoid) for m in net.modules())
    noise = dip_noise(0)
    assert noise.shape == (1, 32, 256, 256) and 0 <= noise.min() and noise.max() < 0.1
    with torch.no_grad():
        out = net(noise)
    assert out.shape == (1, 3, 256, 256)
    assert out.min() < 0 or out.max() > 1  # unbounded output: no sigmoid squashes it


def test_a_packed_generator_is_each_generator_side_by_side():
    solo = [seeded_generator(s, TINY) for s in (1, 2)]
    packed = SkipGenerator.pack(solo)
    noise = [dip_noise(s, 4, 16) for s in (1, 2)]
    with torch.no_grad():
        together = packed(torch.cat(noise, 1))
        apart = torch.cat([g(z) for g, z in zip(solo, noise)])
    torch.testing.assert_close(together, apart, rtol=1e-4, atol=2e-5)  # float32 sums in another order


def test_a_short_fit_lowers_the_feature_loss_and_is_deterministic_under_a_seed():
    stage_map = _stage_map()
    target_images = torch.rand(2, 3, 28, 28, generator=torch.Generator().manual_seed(0))
    targets = stage_map(target_images)
    kw = dict(config=TINY, noise_size=32, crop=28, lr=1e-2, max_iter=30)
    first = invert_features(stage_map, targets, [5, 6], **kw)
    assert first.steps == 31 and len(first.losses) == 31 and first.images.shape == (2, 3, 28, 28)
    start, end = torch.tensor(first.losses[0]), torch.tensor(first.losses[-1])
    assert (end < 0.5 * start).all(), (start, end)
    again = invert_features(stage_map, targets, [5, 6], **kw)
    assert torch.equal(first.images, again.images) and first.losses == again.losses
    other = invert_features(stage_map, targets, [7, 6], **kw)
    assert not torch.equal(other.images[0], first.images[0])


def test_fits_batched_together_equal_fits_run_alone():
    """In float64: Adam's first steps are sign-like, so float32 summation-order noise in near-zero gradients would
    show; the equality itself is exact arithmetic (each group sees only its own channels and loss)."""
    previous = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        _batched_equals_alone()
    finally:
        torch.set_default_dtype(previous)


def _batched_equals_alone():
    stage_map = _stage_map()
    targets = stage_map(torch.rand(2, 3, 28, 28, generator=torch.Generator().manual_seed(1)))
    kw = dict(config=TINY, noise_size=32, crop=28, lr=1e-2, max_iter=5)
    both = invert_features(stage_map, targets, [3, 4], **kw)
    alone = [invert_features(stage_map, targets[i:i + 1], [s], **kw) for i, s in enumerate((3, 4))]
    torch.testing.assert_close(both.images, torch.cat([a.images for a in alone]), rtol=1e-9, atol=1e-10)


def test_imagenet_and_simclr_outputs_denormalise_to_8_bit_images():
    imagenet = dict(mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375])
    image = torch.tensor([[[0.5]], [[0.0]], [[-3.0]]])
    pixel = to_uint8_image(image, **imagenet)[:, 0, 0]
    expected = [int((0.5 * 58.395 + 123.675) / 255 * 255), int(116.28), 0]  # truncated like ToPILImage; clamped
    assert pixel.tolist() == expected
    simclr = to_uint8_image(torch.tensor([[[0.25]], [[1.7]], [[-0.1]]]), mean=[0, 0, 0], std=[255, 255, 255])
    assert simclr[:, 0, 0].tolist() == [63, 255, 0]  # [0, 1] space: only clamped and truncated
