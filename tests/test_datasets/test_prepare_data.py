"""prepare_data.py's checks: the toy world is readable (and not the official copy), a broken copy is named.

Downloads are tested in test_prepare_download.py, archives in test_prepare_archives.py.
"""
import shutil
from pathlib import Path

import pytest
from rich.console import Console

from mmssl_transfer.datasets.catalog import DATA_ROOTS, DATA_SOURCES
from mmssl_transfer.datasets.preparation import (BROKEN, COMPLETE, MISSING, OTHER_COUNTS, check_dataset, failure_text,
                                                 layout_drawing)
from mmssl_transfer.datasets.preparation.layouts import download_root, locate
from mmssl_transfer.datasets.preparation.tool import prepare_data, roots_under


def _copy(toy_world, name, tmp_path) -> Path:
    source = roots_under(toy_world)[name]
    shutil.copytree(source, tmp_path / source.name)
    return tmp_path / source.name


def _console():
    import io
    return Console(file=io.StringIO(), width=250)


def test_all_check_finds_every_dataset_of_the_toy_world_readable_but_not_official(toy_world):
    roots = roots_under(toy_world)
    assert set(roots) == set(DATA_ROOTS)
    assert roots['aircraft'] == toy_world / 'classification' / 'aircraft'
    assert roots['voc0712'] == toy_world / 'VOCdevkit' and roots['voc2007'] == toy_world / 'classification' / 'voc2007'
    console = _console()
    assert prepare_data('all', toy_world, check=True, any_counts=True, console=console, progress=False) == 0
    text = console.file.getvalue()
    assert f'{len(DATA_ROOTS)} of {len(DATA_ROOTS)} datasets readable (--any-counts)' in text
    # without --any-counts the same tree is not the official copy: every dataset fails, each with its layout
    console = _console()
    assert prepare_data('all', toy_world, check=True, console=console, progress=False) == 1
    text = console.file.getvalue()
    assert f'0 of {len(DATA_ROOTS)} datasets the complete official copy' in text
    assert 'train: 30 images, the official copy has 3334' in text  # aircraft
    # an official Caltech101 is read with the paper's split files, which are not in the (empty) cache
    assert "caltech101: broken" in text and "the paper's split file is missing" in text
    assert 'ADEChallengeData2016' in text and 'normal_clusters_k40.npy' in text  # dense layouts drawn


@pytest.mark.parametrize('name', sorted(DATA_ROOTS))
def test_each_toy_dataset_is_readable_with_its_counts(toy_world, name):
    check = check_dataset(name, roots_under(toy_world)[name], official=False, decode=3)
    assert check.state == OTHER_COUNTS and check.usable and check.ok(official=False) and not check.ok()
    assert check.counts and all(found > 0 for found, _ in check.counts.values())
    official = dict(DATA_SOURCES[name].counts)
    assert {s: want for s, (_, want) in check.counts.items() if want is not None} == official
    decoded = 'decoded 3 of 3' if name not in ('cifar10', 'cifar100') else 'the reader decodes every image'
    assert any(note.startswith(decoded) for note in check.notes), check.notes
    if check.classes:
        assert check.classes[0] == 5  # the toy's classes, against the catalog's number
    if name in ('cifar10', 'cifar100'):  # toy batches are not the release: their md5s differ from the list
        assert any('md5' in d and 'the official release has' in d for d in check.differences)


def test_a_missing_folder_is_missing_with_the_command_that_fetches_it(tmp_path):
    check = check_dataset('dtd', tmp_path / 'nowhere')
    assert check.state == MISSING and check.problems == [f'{tmp_path / "nowhere"}: dataset folder not found']
    text = failure_text(check)
    assert f'fix: python tools/prepare_data.py dtd --download --root {tmp_path / "nowhere"}' in text
    assert layout_drawing('dtd').splitlines()[0] in text
    manual = failure_text(check_dataset('cars', tmp_path / 'nowhere'))
    assert 'fix: python tools/prepare_data.py cars --from-archive ARCHIVE' in manual


@pytest.mark.parametrize('name,break_it,named', [
    ('dtd', lambda r: (r / 'labels' / 'val1.txt').unlink(), 'labels/val1.txt'),
    ('pets', lambda r: (r / 'images' / 'Abyssinian_2.jpg').unlink(), 'images/Abyssinian_2.jpg'),
    ('food', lambda r: (r / 'meta' / 'test.json').write_text('{"no_such_class": []}'), 'meta/test.json'),
    ('voc0712', lambda r: (r / 'VOC2012' / 'JPEGImages' / '2012_000002.jpg').unlink(), '2012_000002.jpg'),
    ('ade20k', lambda r: (r / 'annotations' / 'validation' / 'ADE_val_00000002.png').unlink(),
     'annotations/validation/ADE_val_00000002.png'),
    ('nyuv2', lambda r: (r / 'normal_clusters_k40.npy').unlink(), 'normal_clusters_k40.npy'),
    ('nyuv2', lambda r: (r / 'masks' / 'test' / '000006.png').unlink(), 'masks/test/000006.png'),
    ('isic2018', lambda r: shutil.rmtree(r / 'ISIC2018_Task3_Training_GroundTruth'),
     'ISIC2018_Task3_Training_GroundTruth'),
])
def test_a_broken_copy_is_broken_and_the_problem_names_the_path(toy_world, tmp_path, name, break_it, named):
    root = _copy(toy_world, name, tmp_path)
    break_it(root)
    check = check_dataset(name, root, official=False)
    assert check.state == BROKEN and not check.usable
    assert named in check.problems[0] and str(root) in check.problems[0], check.problems
    text = failure_text(check, official=False)
    assert check.problems[0] in text and 'expected layout:' in text and f'--root {root}' in text


def test_image_folders_at_the_wrong_depth_or_from_another_copy_are_broken(toy_world, tmp_path):
    root = _copy(toy_world, 'eurosat', tmp_path)
    (root / 'inner').mkdir()
    (root / '2750').rename(root / 'inner' / '2750')
    (root / '2750').mkdir()
    (root / 'inner' / '2750').rename(root / '2750' / '2750')  # 2750/2750/<classes>: one level too deep
    check = check_dataset('eurosat', root, official=False)
    assert check.state == BROKEN
    assert 'not EuroSAT classes (2750)' in check.problems[0] and 'wrong depth' in check.problems[0]
    assert str(root / '2750' / '2750') in check.problems[0]
    crops = _copy(toy_world, 'cropdiseases', tmp_path)
    (crops / 'dataset' / 'train' / 'Apple___Black_rot').rename(crops / 'dataset' / 'train' / 'Apple_black_rot')
    check = check_dataset('cropdiseases', crops, official=False)
    assert check.state == BROKEN and 'Apple_black_rot' in check.problems[0] and 'another copy' in check.problems[0]


def test_a_readable_image_folder_missing_classes_lists_them(toy_world):
    check = check_dataset('eurosat', roots_under(toy_world)['eurosat'])
    assert check.state == OTHER_COUNTS
    assert any('5 of the 10 classes missing (Pasture, PermanentCrop, Residential, ...)' in d
               for d in check.differences), check.differences


def test_decode_names_an_image_that_does_not_decode(toy_world, tmp_path):
    root = _copy(toy_world, 'flowers', tmp_path)
    (root / 'jpg' / 'image_00001.jpg').write_bytes(b'\xff\xd8\xff truncated')
    check = check_dataset('flowers', root, official=False, decode=1000)
    assert check.state == BROKEN
    assert check.problems == [f'{root / "jpg" / "image_00001.jpg"}: cannot be decoded as an image with cv2 '
                              '(AssertionError: failed to load image: ' + str(root / 'jpg' / 'image_00001.jpg')
                              + ')']
    assert check_dataset('flowers', root, official=False).state == OTHER_COUNTS  # not decoded: not seen
    # the fix does not suggest --download into the same folder (it keeps files that are there, corrupt or not)
    fix = failure_text(check, official=False).splitlines()[-1]
    assert fix.startswith('fix: 1 image(s) do not decode; get an intact copy into a new folder (')
    assert '--root NEW_FOLDER' in fix and f'--root {root}' not in fix


def test_a_complete_copy_is_complete(toy_world, monkeypatch):
    """Where every count matches (here: the catalog told the toy's counts), the state is complete."""
    import dataclasses

    from mmssl_transfer.datasets import catalog
    source = dataclasses.replace(DATA_SOURCES['ade20k'], counts=(('training', 4), ('validation', 2)))
    monkeypatch.setitem(catalog.DATA_SOURCES, 'ade20k', source)
    check = check_dataset('ade20k', roots_under(toy_world)['ade20k'])
    assert check.state == COMPLETE and check.ok() and not check.differences


def test_the_readers_accept_the_folder_an_official_download_creates(toy_world, tmp_path):
    """torchvision's DTD puts the files in <root>/dtd/dtd; the reader and the check find them there."""
    shutil.copytree(roots_under(toy_world)['dtd'], tmp_path / 'mine' / 'dtd' / 'dtd')
    check = check_dataset('dtd', tmp_path / 'mine', official=False)
    assert check.usable and check.found_at == tmp_path / 'mine' / 'dtd' / 'dtd'
    assert locate('dtd', tmp_path / 'mine') == tmp_path / 'mine' / 'dtd' / 'dtd'
    # where torchvision is pointed so that data/dtd, data/VOCdevkit/VOC2007, ... hold (or nest) the files
    assert download_root('dtd', Path('data/dtd')) == (Path('data'), Path('data/dtd/dtd'))
    assert download_root('voc2007', Path('data/VOCdevkit/VOC2007')) == (Path('data'), Path('data/VOCdevkit/VOC2007'))
    assert download_root('aircraft', Path('/x/air')) == (Path('/x/air'), Path('/x/air/fgvc-aircraft-2013b'))
    assert download_root('cifar10', Path('data/cifar10')) == (Path('data/cifar10'), Path('data/cifar10'))
