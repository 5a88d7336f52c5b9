"""prepare_data.py --from-archive: archives downloaded by hand, in each known variant, end in the layout the
readers expect; a broken or unsafe archive is one error naming it."""
import io
import shutil
import tarfile
from pathlib import Path

import numpy as np
import pytest
import scipy.io

from mmssl_transfer.datasets.classification import build_cls_dataset
from mmssl_transfer.datasets.classification.layout import DatasetLayoutError
from mmssl_transfer.datasets.preparation import ArchiveError, check_dataset, unpack_archives

from tests.test_datasets.prepare_helpers import official_archives, tar_bytes, zip_bytes


def _write(folder: Path, files: dict[str, bytes]) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (folder / name).write_bytes(data)
    return [folder / name for name in files]


def _readable(name, root, **kwargs):
    check = check_dataset(name, root, official=False, **kwargs)
    assert check.usable, check.problems
    return check


def test_official_archives_of_every_downloadable_dataset_unpack_into_the_layout(toy_world, tmp_path):
    for name in ('aircraft', 'cifar10', 'dtd', 'flowers', 'food', 'pets', 'sun397', 'voc2007', 'eurosat',
                 'ade20k', 'voc0712'):
        archives = _write(tmp_path / 'downloads' / name, official_archives(name, toy_world))
        root = tmp_path / 'data' / name
        unpack_archives(name, root, archives, progress=False)
        assert _readable(name, root).found_at == root, name  # no nested folder left: the layout is the root
        assert not list(tmp_path.glob('data/.*')), 'the staging folder is removed'


def test_caltech_zip_with_the_images_tar_inside(toy_world, tmp_path):
    archives = _write(tmp_path / 'dl', official_archives('caltech101', toy_world))
    root = tmp_path / 'caltech101'
    notes = unpack_archives('caltech101', root, archives, progress=False)
    assert 'unpacked the inner 101_ObjectCategories.tar.gz' in notes
    assert sorted(p.name for p in root.iterdir()) == ['101_ObjectCategories']
    assert len(list((root / '101_ObjectCategories' / 'Faces').iterdir())) == 34


def test_kaggle_chestx_images_folders_are_merged(toy_world, tmp_path):
    source = toy_world / 'classification' / 'chestx'
    images = sorted((source / 'images').iterdir())
    extra = {f'images_{1 + i // 60:03d}/images/{p.name}': p.read_bytes() for i, p in enumerate(images)}
    extra['Data_Entry_2017.csv'] = (source / 'Data_Entry_2017.csv').read_bytes()
    archive = _write(tmp_path / 'dl', {'data.zip': zip_bytes(extra=extra)})
    root = tmp_path / 'ChestX-ray14'
    notes = unpack_archives('chestx', root, archive, progress=False)
    assert "merged Kaggle's 2 images_0NN/images/ folders into images/" in notes
    assert sorted(p.name for p in root.iterdir()) == ['Data_Entry_2017.csv', 'images']
    assert _readable('chestx', root).counts['all'][0] == 100  # the single-label rows of the toy's 5 findings


def _car_ims_annotations(n_train: int, n_test: int) -> bytes:
    """cars_annos.mat of the car_ims/ release (relative_im_path, class, test flag)."""
    records = np.zeros((1, n_train + n_test), dtype=[('relative_im_path', 'O'), ('class', 'O'), ('test', 'O')])
    for i in range(n_train + n_test):
        records['relative_im_path'][0, i] = f'car_ims/{i + 1:06d}.jpg'
        records['class'][0, i] = i % 5 + 1
        records['test'][0, i] = int(i >= n_train)
    buffer = io.BytesIO()
    scipy.io.savemat(buffer, {'annotations': records})
    return buffer.getvalue()


def test_kaggle_cars_nested_folders_are_flattened_and_cars_annos_set_aside(toy_world, tmp_path):
    source = toy_world / 'classification' / 'cars'
    kaggle = zip_bytes((source / 'cars_train', 'cars_train/cars_train'), (source / 'cars_test', 'cars_test/cars_test'),
                       extra={'cars_annos.mat': _car_ims_annotations(3, 2)})
    devkit = tar_bytes((source / 'devkit', 'devkit'), skip=('cars_test_annos_withlabels.mat',))
    withlabels = (source / 'devkit' / 'cars_test_annos_withlabels.mat').read_bytes()
    archives = _write(tmp_path / 'dl', {'stanford-cars-dataset.zip': kaggle, 'car_devkit.tgz': devkit,
                                        'cars_test_annos_withlabels.mat': withlabels})
    root = tmp_path / 'stanford_cars'
    notes = unpack_archives('cars', root, archives, progress=False)
    assert 'flattened cars_train/cars_train' in notes and any('cars_annos.mat.unused' in n for n in notes)
    assert (root / 'cars_train' / '00001.jpg').is_file() and (root / 'cars_annos.mat.unused').is_file()
    check = _readable('cars', root)
    assert check.counts == {'trainval': (45, 8144), 'test': (20, 8041)}


def test_cars_reads_torchvision_and_car_ims_layouts_and_refuses_a_mix(toy_world, tmp_path):
    source = toy_world / 'classification' / 'cars'
    tv = tmp_path / 'tv' / 'stanford_cars'  # torchvision: the test annotations with labels at the root
    shutil.copytree(source, tv)
    (tv / 'devkit' / 'cars_test_annos_withlabels.mat').rename(tv / 'cars_test_annos_withlabels.mat')
    assert len(build_cls_dataset('cars', str(tmp_path / 'tv'), 'test')) == 20  # the nested folder, found
    car_ims = tmp_path / 'car_ims_release'  # mmpretrain's other layout: car_ims/ + cars_annos.mat
    (car_ims / 'car_ims').mkdir(parents=True)
    for i, image in enumerate(sorted((source / 'cars_train').iterdir())[:5]):
        shutil.copy(image, car_ims / 'car_ims' / f'{i + 1:06d}.jpg')
    (car_ims / 'cars_annos.mat').write_bytes(_car_ims_annotations(3, 2))
    train, test = (build_cls_dataset('cars', str(car_ims), s) for s in ('trainval', 'test'))
    assert len(train) == 3 and len(test) == 2 and test.get_data_info(0)['gt_label'] == 3
    with pytest.warns(UserWarning, match="the held-out 20% is not the paper's"):  # another order than the devkit's
        build_cls_dataset('cars', str(car_ims), 'train')
    (tv / 'cars_annos.mat').write_bytes(_car_ims_annotations(3, 2))  # a mix of the two releases
    with pytest.raises(DatasetLayoutError, match=r'cars_annos.mat \(the car_ims/ release\) next to cars_train and '
                                                 r'cars_test/ \(the devkit release\)'):
        build_cls_dataset('cars', str(tv), 'trainval')


def test_zenodo_eurosat_rgb_becomes_2750(toy_world, tmp_path):
    archive = _write(tmp_path / 'dl', {'EuroSAT_RGB.zip': zip_bytes(
        (toy_world / 'classification' / 'eurosat' / '2750', 'EuroSAT_RGB'))})
    root = tmp_path / 'EuroSAT'
    assert "renamed Zenodo's EuroSAT_RGB/ to 2750/" in unpack_archives('eurosat', root, archive, progress=False)
    assert _readable('eurosat', root).counts['all'][0] == 100


def test_sun397_partitions_next_to_the_images_move_to_partitions(toy_world, tmp_path):
    """The paper's layout keeps Training_01.txt inside SUN397/, next to a/, b/, ...; it is moved out."""
    source = toy_world / 'classification' / 'sun397'
    data = tar_bytes((source / 'SUN397', 'SUN397'), (source / 'Partitions', 'SUN397'))
    archive = _write(tmp_path / 'dl', {'sun.tar.gz': data})
    root = tmp_path / 'SUN397'
    assert 'moved 2 partition files to Partitions/' in unpack_archives('sun397', root, archive, progress=False)
    assert _readable('sun397', root).counts['test'][0] == 20


def test_a_second_archive_is_merged_into_the_first(toy_world, tmp_path):
    archives = _write(tmp_path / 'dl', official_archives('pets', toy_world))
    root = tmp_path / 'pets'
    unpack_archives('pets', root, archives[:1], progress=False)
    assert check_dataset('pets', root, official=False).state == 'broken'  # annotations still missing
    unpack_archives('pets', root, archives[1:], progress=False)
    assert _readable('pets', root).counts['test'][0] == 20


def test_nyuv2_release_and_images_are_converted(tmp_path):
    from tests.test_datasets.test_nyuv2_release import fake_release
    fake_release(tmp_path / 'meta', tmp_path / 'rgb')
    archive = _write(tmp_path / 'dl', {'nyuv2_surfacenormal_metadata.zip': zip_bytes(
        (tmp_path / 'meta', 'nyuv2_surfacenormal_metadata'))})
    root = tmp_path / 'nyuv2_normals'
    notes = unpack_archives('nyuv2', root, [*archive, tmp_path / 'rgb'], progress=False)
    assert notes[:2] == ['train: 3 images', 'test: 2 images']
    check = _readable('nyuv2', root)
    assert check.counts == {'train': (3, 795), 'test': (2, 654)}


def test_a_truncated_or_unsafe_archive_is_one_error_naming_it(toy_world, tmp_path):
    data = official_archives('dtd', toy_world)['dtd-r1.0.1.tar.gz']
    (truncated,) = _write(tmp_path / 'dl', {'dtd-r1.0.1.tar.gz': data[:len(data) // 2]})
    with pytest.raises(ArchiveError, match=rf'^{truncated}: cannot unpack .*download it again'):
        unpack_archives('dtd', tmp_path / 'dtd', [truncated], progress=False)
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode='w') as tf:
        info = tarfile.TarInfo('../outside.txt')
        info.size = 4
        tf.addfile(info, io.BytesIO(b'evil'))
    (evil,) = _write(tmp_path / 'dl', {'evil.tar': buffer.getvalue()})
    with pytest.raises(ArchiveError, match=rf'^{evil}: cannot unpack'):
        unpack_archives('dtd', tmp_path / 'x' / 'dtd', [evil], progress=False)
    assert not (tmp_path / 'x' / 'outside.txt').exists() and not (tmp_path / 'outside.txt').exists()
    with pytest.raises(ArchiveError, match='no such file'):
        unpack_archives('dtd', tmp_path / 'dtd', [tmp_path / 'nope.tar.gz'], progress=False)
