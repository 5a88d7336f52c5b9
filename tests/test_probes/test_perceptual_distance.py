"""LPIPS through the lpips package with our trunk loading, and the per-channel colour error."""
import numpy as np
import pytest
import torch

from mmssl_transfer.download import DownloadError
from mmssl_transfer.probes.feature_properties import perceptual
from mmssl_transfer.probes.feature_properties.perceptual import (LPIPSWeightsError, build_lpips, colour_error,
                                                                 fetch_trunk_weights, lpips_distance, pretrained_lpips)


def _pairs(seed=0, n=2, size=64):
    gen = torch.Generator().manual_seed(seed)
    return (torch.randint(0, 256, (n, 3, size, size), generator=gen, dtype=torch.uint8),
            torch.randint(0, 256, (n, 3, size, size), generator=gen, dtype=torch.uint8))


@pytest.mark.parametrize('net', ['alex', 'squeeze', 'vgg'])
def test_lpips_equals_the_package_on_the_same_inputs_with_a_random_trunk(net):
    import lpips
    torch.manual_seed(0)
    ours = build_lpips(net, None)
    torch.manual_seed(0)
    theirs = lpips.LPIPS(net=net, pnet_rand=True, verbose=False).eval()
    a, b = _pairs()
    with torch.no_grad():
        expected = theirs(a.float() / 255, b.float() / 255, normalize=True).flatten()
    got = lpips_distance(ours, a, b)
    torch.testing.assert_close(got, expected, rtol=1e-5, atol=1e-6)
    assert (got > 0).all() and torch.equal(lpips_distance(ours, a, a), torch.zeros(2))


def test_torchvision_trunk_tensors_land_on_the_lpips_slices_by_index():
    import torchvision
    torch.manual_seed(1)
    tv = torchvision.models.alexnet(weights=None).eval()
    model = build_lpips('alex', tv.state_dict())
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        ours = model.net(x)
        theirs = tv.features[:12](x)  # slice5 ends at torchvision's features[11]
    torch.testing.assert_close(ours.relu5, theirs)


def test_a_trunk_file_that_does_not_fit_is_an_error():
    with pytest.raises(LPIPSWeightsError, match='does not fit'):
        build_lpips('alex', {'features.0.weight': torch.zeros(1)})


def test_missing_trunk_weights_are_a_clear_error_never_a_random_trunk(tmp_path, monkeypatch):
    with pytest.raises(LPIPSWeightsError, match='alexnet-owt-7be5be79.pth: LPIPS alex trunk weights missing'):
        pretrained_lpips('alex', tmp_path, allow_download=False)

    def offline(url, folder, **kw):
        raise DownloadError(f'{url}: download failed (no network)')
    monkeypatch.setattr(perceptual, 'download', offline)
    with pytest.raises(LPIPSWeightsError, match='could not be downloaded'):
        pretrained_lpips('vgg', tmp_path)
    (tmp_path / 'squeezenet1_1-b8a52dc0.pth').write_bytes(b'not the weights')
    with pytest.raises(LPIPSWeightsError, match="is not torchvision's b8a52dc0"):
        fetch_trunk_weights('squeeze', tmp_path)


def test_colour_error_is_the_per_channel_pixel_mse_on_the_0_255_scale():
    original = np.zeros((3, 4, 4), np.uint8)
    recon = original.copy()
    recon[0] += 10                 # R: 10 everywhere -> 100
    recon[1, :2] = 255             # G: 255 on half the pixels -> 255**2 / 2
    assert colour_error(original, recon) == {'R': 100.0, 'G': 255 ** 2 / 2, 'B': 0.0}
    a, b = (x[0].numpy() for x in _pairs(seed=3, n=1, size=8))
    err = colour_error(torch.from_numpy(a), torch.from_numpy(b))
    for c, name in enumerate('RGB'):
        assert err[name] == pytest.approx(np.mean((a[c].astype(float) - b[c].astype(float)) ** 2))
