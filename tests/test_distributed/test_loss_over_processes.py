"""Losses that are means over labelled/valid pixels give one process's gradient on any number of processes.

Two processes hold shares of one batch with different numbers of labelled pixels; each computes its loss and
backward, and the gradients are averaged as DDP averages them. The result must equal the gradient of one process
holding the whole batch (mmseg's ``CrossEntropyLoss(avg_non_ignore=True)`` does not: the control below).
"""
import json
import textwrap

import torch

from .conftest import ok, torchrun

SCRIPT = textwrap.dedent('''
    import json, sys
    import torch
    from mmseg.models.losses import CrossEntropyLoss
    from mmssl_transfer.distributed import init_distributed, rank_and_world
    from mmssl_transfer.models.losses import CosineNormalLoss, GlobalMeanCrossEntropyLoss

    init_distributed('pytorch')
    rank, world = rank_and_world()
    torch.manual_seed(0)
    logits = torch.randn(4, 5, 6, 6)                     # a batch of 4 images, 5 classes
    labels = torch.randint(0, 5, (4, 6, 6))
    labels[0, :5] = 255                                  # image 0: 6 labelled pixels, the others 36
    labels[3, :, :2] = 255                               # image 3: 24
    target = torch.nn.functional.normalize(torch.randn(4, 3, 6, 6), dim=1)
    normals = torch.randn(4, 3, 6, 6)
    valid = labels != 255
    share = slice(2 * rank, 2 * rank + 2) if world == 2 else slice(0, 4)

    def grad(loss_fn, pred, *args):
        """d loss / d pred of the whole batch: each share's gradient divided by the number of processes (DDP's
        mean of gradients, written for the inputs: a parameter's gradient is a linear function of these)."""
        part = pred[share].clone().requires_grad_(True)
        loss_fn(part, *[a[share] for a in args]).backward()
        whole = torch.zeros_like(pred)
        whole[share] = part.grad / world
        if world == 2:
            torch.distributed.all_reduce(whole)
        return whole.flatten().tolist()

    ce = dict(loss_weight=1.0, avg_non_ignore=True)
    out = {'global': grad(lambda p, l: GlobalMeanCrossEntropyLoss(**ce)(p, l, ignore_index=255), logits, labels),
           'mmseg': grad(lambda p, l: CrossEntropyLoss(**ce)(p, l, ignore_index=255), logits, labels),
           'cosine': grad(CosineNormalLoss(), normals, target, valid)}
    if rank == 0:
        json.dump(out, open(sys.argv[1], 'w'))
''')


def test_mean_over_labelled_pixels_is_over_the_whole_batch_on_two_processes(tmp_path):
    script = tmp_path / 'losses.py'
    script.write_text(SCRIPT)
    ok(torchrun(script, str(tmp_path / 'two.json'), timeout=240))
    ok(torchrun(script, str(tmp_path / 'one.json'), nproc=1, timeout=240))
    one, two = (json.loads((tmp_path / f'{n}.json').read_text()) for n in ('one', 'two'))
    for name in ('global', 'cosine'):
        torch.testing.assert_close(torch.tensor(two[name]), torch.tensor(one[name]), rtol=1e-5, atol=1e-9)
    torch.testing.assert_close(torch.tensor(one['mmseg']), torch.tensor(one['global']), rtol=0, atol=0)
    # the control: per-process means weigh image 0's 6 labelled pixels like image 1's 36
    assert (torch.tensor(two['mmseg']) - torch.tensor(one['mmseg'])).abs().max() > 1e-3
