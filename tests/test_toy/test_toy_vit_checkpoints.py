"""Toy ViT files: one per ViT row in its release container; each converts (its zoo file name picks the row) to
the expected tensors and loads strictly into SSLViT with the row's architecture."""
import pytest
import torch
from safetensors.torch import load_file

from mmssl_transfer.checkpoints import VIT_ZOO, convert
from mmssl_transfer.models import SSLViT
from mmssl_transfer.toy import make_toy
from mmssl_transfer.toy.vit_checkpoints import toy_vit_checkpoint_path


@pytest.fixture(scope='module')
def toy_vits(tmp_path_factory):
    return make_toy('vit_checkpoints', tmp_path_factory.mktemp('toy'), seed=0)


@pytest.mark.parametrize('row', list(VIT_ZOO))
def test_each_toy_vit_file_converts_to_its_expected_tensors_and_loads(toy_vits, row):
    path = toy_vit_checkpoint_path(toy_vits, row)
    conversion = convert(path)
    assert conversion.report.method == row and conversion.report.layout == row
    expected = load_file(str(toy_vits / f'{row}.expected.safetensors'))
    assert conversion.state_dict.keys() == expected.keys()
    assert all(torch.equal(conversion.state_dict[k], v) for k, v in expected.items())
    backbone = SSLViT(checkpoint=path, toy=True, out_type='cls')
    backbone.init_weights()
    assert backbone.layers[0].attn.num_heads == VIT_ZOO[row].vit.num_heads
    size = VIT_ZOO[row].vit.patch_size * 3
    with torch.no_grad():
        assert backbone(torch.randn(1, 3, size, size))[0].shape == (1, 24)
