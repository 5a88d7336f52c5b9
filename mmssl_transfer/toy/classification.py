"""Tiny versions of the paper's fifteen recognition datasets and CLEVR count, each in its real on-disk layout.

Images are small (32x32 by default) and carry a class-dependent colour and stripe pattern plus noise, so a
linear probe on toy features learns something. Class names are the first ``num_classes`` of each official
list, so label ids match the real datasets. Every class has at least 20 images (5-shot + 15 queries) in
the CD-FSL datasets, Caltech101 (34), DTD and Flowers102. Caltech101 comes with split files in the paper's
format under ``meta/`` (read with ``caltech_split='files'``): the paper's own files list the official images.

    make_toy_classification(out_dir)  ->  out_dir/classification/<name>/...   (<name> as in CLS_DATASETS)
"""
from __future__ import annotations

import csv
import json
import pickle
from pathlib import Path
from typing import Callable

import numpy as np
import scipy.io
from PIL import Image

#: First classes of the official lists (the real label order), enough for the toy's classes.
TOY_CLASS_NAMES: dict[str, tuple[str, ...]] = {
    'aircraft': ('707-320', '727-200', '737-200', '737-300', '737-400', '737-500'),
    'caltech101': ('BACKGROUND_Google', 'Faces', 'Faces_easy', 'Leopards', 'Motorbikes', 'accordion'),
    'cars': ('AM General Hummer SUV 2000', 'Acura RL Sedan 2012', 'Acura TL Sedan 2012',
             'Acura TL Type-S 2008', 'Acura TSX Sedan 2012', 'Acura Integra Type R 2001'),
    'cifar10': ('airplane', 'automobile', 'bird', 'cat', 'deer', 'dog'),
    'cifar100': ('apple', 'aquarium_fish', 'baby', 'bear', 'beaver', 'bed'),
    'dtd': ('banded', 'blotchy', 'braided', 'bubbly', 'bumpy', 'chequered'),
    'flowers': ('flower_001', 'flower_002', 'flower_003', 'flower_004', 'flower_005', 'flower_006'),
    'food': ('apple_pie', 'baby_back_ribs', 'baklava', 'beef_carpaccio', 'beef_tartare', 'beet_salad'),
    'pets': ('Abyssinian', 'american_bulldog', 'american_pit_bull_terrier', 'basset_hound', 'beagle',
             'Bengal'),
    'sun397': ('abbey', 'airplane_cabin', 'airport_terminal', 'alley', 'amphitheater', 'amusement_arcade'),
    'voc2007': ('aeroplane', 'bicycle', 'bird', 'boat', 'bottle', 'bus'),
    'cropdiseases': ('Apple___Apple_scab', 'Apple___Black_rot', 'Apple___Cedar_apple_rust', 'Apple___healthy',
                     'Blueberry___healthy', 'Cherry_(including_sour)___Powdery_mildew'),
    'eurosat': ('AnnualCrop', 'Forest', 'HerbaceousVegetation', 'Highway', 'Industrial', 'Pasture'),
    'isic2018': ('MEL', 'NV', 'BCC', 'AKIEC', 'BKL', 'DF'),
    'chestx': ('Atelectasis', 'Cardiomegaly', 'Effusion', 'Infiltration', 'Mass', 'Nodule'),
    'clevr_count': ('3', '4', '5', '6', '7', '8'),  # objects per scene (label = count - 3)
}
#: Pets class ids are 1-based positions in mmpretrain's OxfordIIITPet_CATEGORIES.
_PETS_IDS = {'Abyssinian': 1, 'american_bulldog': 2, 'american_pit_bull_terrier': 3, 'basset_hound': 4,
             'beagle': 5, 'Bengal': 6}


class _Painter:
    """Draws class-coloured, class-striped noisy images with one seeded generator."""

    def __init__(self, seed: int, size: int, num_classes: int) -> None:
        self.rng = np.random.default_rng(seed)
        self.size = size
        self.num_classes = num_classes

    def array(self, labels: int | list[int]) -> np.ndarray:
        labels = [labels] if isinstance(labels, int) else labels
        s = self.size
        yy, xx = np.mgrid[0:s, 0:s] / s
        img = np.zeros((s, s, 3))
        for label in labels:
            hue = 2 * np.pi * label / self.num_classes
            colour = 0.5 + 0.4 * np.array([np.cos(hue), np.cos(hue + 2.1), np.cos(hue + 4.2)])
            angle = np.pi * label / self.num_classes
            stripes = 0.5 + 0.5 * np.sin(2 * np.pi * (2 + label) * (xx * np.cos(angle) + yy * np.sin(angle))
                                         + self.rng.uniform(0, 2 * np.pi))
            img += colour * (0.6 + 0.4 * stripes[..., None]) / len(labels)
        img += self.rng.normal(0, 0.06, img.shape)
        return (np.clip(img, 0, 1) * 255).astype(np.uint8)

    def save(self, path: Path, labels: int | list[int], grey: bool = False) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        image = Image.fromarray(self.array(labels))
        (image.convert('L') if grey else image).save(path)


def _lines(path: Path, rows: list[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(''.join(f'{r}\n' for r in rows))


def _split_counts(n_train: int, n_val: int, n_test: int) -> list[tuple[str, int]]:
    return [('train', n_train), ('val', n_val), ('test', n_test)]


def _aircraft(root: Path, p: _Painter, classes, counts) -> None:
    rows: dict[str, list[str]] = {'train': [], 'val': [], 'test': []}
    n = 1000000
    for label, name in enumerate(classes):
        for part, count in counts:
            for _ in range(count):
                n += 1
                p.save(root / 'data' / 'images' / f'{n}.jpg', label)
                rows[part].append(f'{n} {name}')
    for part in rows:
        _lines(root / 'data' / f'images_variant_{part}.txt', rows[part])
    _lines(root / 'data' / 'images_variant_trainval.txt', rows['train'] + rows['val'])
    _lines(root / 'data' / 'variants.txt', list(classes))


def _caltech101(root: Path, p: _Painter, classes, counts) -> None:
    """34 images per class, and ``meta/{train,test}.txt`` drawn as the paper's code drew its split files
    (ssl-transfer ``datasets/caltech101.py``): ``np.random.seed(0)``, 30 indices per class with replacement."""
    image_ids = []
    for label, name in enumerate(classes):
        for i in range(34):
            p.save(root / '101_ObjectCategories' / name / f'image_{i + 1:04d}.jpg', label)
            image_ids.append((f'{name}/image_{i + 1:04d}.jpg', label))
    draw = np.random.RandomState(0)  # the stream of np.random.seed(0); np.random.choice, without the global state
    train = []
    for label in range(len(classes)):
        members = [i for i, (_, c) in enumerate(image_ids) if c == label]
        train.extend(np.sort(draw.choice(members, 30)).tolist())
    test = sorted(set(range(len(image_ids))) - set(train))
    for part, rows in (('train', train), ('test', test)):
        _lines(root / 'meta' / f'{part}.txt', [f'{image_ids[i][0]} {image_ids[i][1]}' for i in rows])


def _struct_array(records: list[dict]) -> np.ndarray:
    arr = np.zeros((1, len(records)), dtype=[(k, 'O') for k in records[0]])
    for i, rec in enumerate(records):
        for k, v in rec.items():
            arr[k][0, i] = v
    return arr


def _cars(root: Path, p: _Painter, classes, counts) -> None:
    for part, folder, mat in (('train', 'cars_train', 'cars_train_annos.mat'),
                              ('test', 'cars_test', 'cars_test_annos_withlabels.mat')):
        records, n = [], 0
        per_class = dict(counts)['train'] + dict(counts)['val'] if part == 'train' else dict(counts)['test']
        for label in range(len(classes)):
            for _ in range(per_class):
                n += 1
                p.save(root / folder / f'{n:05d}.jpg', label)
                s = p.size
                records.append(dict(bbox_x1=1, bbox_y1=1, bbox_x2=s - 1, bbox_y2=s - 1, **{'class': label + 1},
                                    fname=f'{n:05d}.jpg'))
        (root / 'devkit').mkdir(parents=True, exist_ok=True)
        scipy.io.savemat(root / 'devkit' / mat, {'annotations': _struct_array(records)})
    scipy.io.savemat(root / 'devkit' / 'cars_meta.mat',
                     {'class_names': np.array([list(classes)], dtype=object)})


def _cifar_batches(p: _Painter, classes, count: int, fine: bool) -> dict:
    labels = [label for label in range(len(classes)) for _ in range(count)]
    data = np.stack([p.array(label).transpose(2, 0, 1).reshape(-1) for label in labels])
    key = 'fine_labels' if fine else 'labels'
    entry = {'batch_label': 'toy', key: labels, 'data': data,
             'filenames': [f'toy_{i}.png' for i in range(len(labels))]}
    if fine:
        entry['coarse_labels'] = [0] * len(labels)
    return entry


def _dump(path: Path, obj: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, 'wb') as f:
        pickle.dump(obj, f, protocol=2)


def _cifar10(root: Path, p: _Painter, classes, counts) -> None:
    # train is split over the five official batch files
    folder = root / 'cifar-10-batches-py'
    per_class_train = dict(counts)['train'] + dict(counts)['val']
    for b in range(1, 6):
        _dump(folder / f'data_batch_{b}', _cifar_batches(p, classes, max(1, per_class_train // 5), False))
    _dump(folder / 'test_batch', _cifar_batches(p, classes, dict(counts)['test'], False))
    _dump(folder / 'batches.meta', {'label_names': list(classes), 'num_cases_per_batch': 0, 'num_vis': 3072})


def _cifar100(root: Path, p: _Painter, classes, counts) -> None:
    folder = root / 'cifar-100-python'
    _dump(folder / 'train', _cifar_batches(p, classes, dict(counts)['train'] + dict(counts)['val'], True))
    _dump(folder / 'test', _cifar_batches(p, classes, dict(counts)['test'], True))
    _dump(folder / 'meta', {'fine_label_names': list(classes), 'coarse_label_names': ['toy']})


def _dtd(root: Path, p: _Painter, classes, counts) -> None:
    rows: dict[str, list[str]] = {'train': [], 'val': [], 'test': []}
    for label, name in enumerate(classes):
        i = 0
        for part, count in counts:
            for _ in range(count):
                i += 1
                p.save(root / 'images' / name / f'{name}_{i:04d}.jpg', label)
                rows[part].append(f'{name}/{name}_{i:04d}.jpg')
    for part, r in rows.items():
        _lines(root / 'labels' / f'{part}1.txt', r)


def _flowers(root: Path, p: _Painter, classes, counts) -> None:
    labels, ids = [], {'train': [], 'val': [], 'test': []}
    for label in range(len(classes)):
        for part, count in counts:
            for _ in range(count):
                labels.append(label + 1)
                ids[part].append(len(labels))
                p.save(root / 'jpg' / f'image_{len(labels):05d}.jpg', label)
    scipy.io.savemat(root / 'imagelabels.mat', {'labels': np.array([labels], dtype=np.uint8)})
    scipy.io.savemat(root / 'setid.mat', {'trnid': np.array([ids['train']], dtype=np.uint16),
                                          'valid': np.array([ids['val']], dtype=np.uint16),
                                          'tstid': np.array([ids['test']], dtype=np.uint16)})


def _food(root: Path, p: _Painter, classes, counts) -> None:
    rows: dict[str, list[str]] = {'train': [], 'test': []}
    n = 100000
    for label, name in enumerate(classes):
        for part, count in counts:
            for _ in range(count):
                n += 1
                p.save(root / 'images' / name / f'{n}.jpg', label)
                rows['test' if part == 'test' else 'train'].append(f'{name}/{n}')
    for part, r in rows.items():
        _lines(root / 'meta' / f'{part}.txt', r)
        table: dict[str, list[str]] = {}
        for row in r:  # the release's meta/<part>.json beside the .txt (class -> ids)
            table.setdefault(row.split('/')[0], []).append(row)
        (root / 'meta' / f'{part}.json').write_text(json.dumps(table))
    _lines(root / 'meta' / 'classes.txt', list(classes))


def _pets(root: Path, p: _Painter, classes, counts) -> None:
    rows: dict[str, list[str]] = {'trainval': [], 'test': []}
    for label, name in enumerate(classes):
        i = 0
        for part, count in counts:
            for _ in range(count):
                i += 1
                p.save(root / 'images' / f'{name}_{i}.jpg', label)
                species = 1 if name[0].isupper() else 2
                rows['test' if part == 'test' else 'trainval'].append(f'{name}_{i} {_PETS_IDS[name]} {species} 1')
    for part, r in rows.items():
        _lines(root / 'annotations' / f'{part}.txt', r)


def _sun397(root: Path, p: _Painter, classes, counts) -> None:
    rows: dict[str, list[str]] = {'Training_01': [], 'Testing_01': []}
    for label, name in enumerate(classes):
        rel_dir = f'/{name[0]}/{name}'
        i = 0
        for part, count in counts:
            for _ in range(count):
                i += 1
                rel = f'{rel_dir}/sun_toy{label}x{i:04d}.jpg'
                p.save(root / 'SUN397' / rel[1:], label)
                rows['Testing_01' if part == 'test' else 'Training_01'].append(rel)
    for part, r in rows.items():
        _lines(root / 'Partitions' / f'{part}.txt', r)
    _lines(root / 'SUN397' / 'ClassName.txt', [f'/{n[0]}/{n}' for n in classes])


_VOC_XML = """<annotation><folder>VOC2007</folder><filename>{name}.jpg</filename>
<size><width>{s}</width><height>{s}</height><depth>3</depth></size>
{objects}</annotation>
"""
_VOC_OBJ = ('<object><name>{cls}</name><pose>Unspecified</pose><truncated>0</truncated>'
            '<difficult>{difficult}</difficult><bndbox><xmin>1</xmin><ymin>1</ymin><xmax>{m}</xmax>'
            '<ymax>{m}</ymax></bndbox></object>\n')


def _voc2007(root: Path, p: _Painter, classes, counts) -> None:
    rows: dict[str, list[str]] = {'train': [], 'val': [], 'test': []}
    n = 0
    k = len(classes)
    for label in range(k):
        for part, count in counts:
            for j in range(count):
                n += 1
                name = f'{n:06d}'
                labels = [label] if j % 2 == 0 else [label, (label + 1) % k]
                p.save(root / 'JPEGImages' / f'{name}.jpg', labels)
                objects = ''.join(_VOC_OBJ.format(cls=classes[c], difficult=0, m=p.size - 1) for c in labels)
                if j % 3 == 0:  # a difficult-only object: must count as negative
                    objects += _VOC_OBJ.format(cls=classes[(label + 2) % k], difficult=1, m=p.size - 1)
                (root / 'Annotations').mkdir(parents=True, exist_ok=True)
                (root / 'Annotations' / f'{name}.xml').write_text(
                    _VOC_XML.format(name=name, s=p.size, objects=objects))
                rows[part].append(name)
    for part, r in rows.items():
        _lines(root / 'ImageSets' / 'Main' / f'{part}.txt', r)
    _lines(root / 'ImageSets' / 'Main' / 'trainval.txt', rows['train'] + rows['val'])


def _image_folder(sub: str) -> Callable:
    def write(root: Path, p: _Painter, classes, counts) -> None:
        for label, name in enumerate(classes):
            for i in range(20):
                p.save(root / sub / name / f'{name}_{i + 1}.jpg', label)
    return write


def _isic2018(root: Path, p: _Painter, classes, counts) -> None:
    header = ['image', 'MEL', 'NV', 'BCC', 'AKIEC', 'BKL', 'DF', 'VASC']
    rows, n = [], 24306
    for label, _ in enumerate(classes):
        for _ in range(20):
            name = f'ISIC_{n:07d}'
            n += 1
            p.save(root / 'ISIC2018_Task3_Training_Input' / f'{name}.jpg', label)
            rows.append([name] + ['1.0' if c == label else '0.0' for c in range(7)])
    path = root / 'ISIC2018_Task3_Training_GroundTruth' / 'ISIC2018_Task3_Training_GroundTruth.csv'
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, 'w', newline='') as f:
        csv.writer(f).writerows([header] + rows)


def _chestx(root: Path, p: _Painter, classes, counts) -> None:
    header = ['Image Index', 'Finding Labels', 'Follow-up #', 'Patient ID', 'Patient Age', 'Patient Gender',
              'View Position', 'OriginalImage[Width', 'Height]', 'OriginalImagePixelSpacing[x', 'y]']
    rows, n = [], 0
    findings = [(label, c) for label, c in enumerate(classes) for _ in range(20)]
    findings += [(0, 'No Finding'), (0, f'{classes[0]}|{classes[1]}')]  # dropped by the 7-class protocol
    for label, finding in findings:
        n += 1
        name = f'{n:08d}_000.png'
        p.save(root / 'images' / name, label, grey=True)
        rows.append([name, finding, 0, n, 50, 'M', 'PA', 1024, 1024, 0.143, 0.143])
    with open(root / 'Data_Entry_2017.csv', 'w', newline='') as f:
        csv.writer(f).writerows([header] + rows)


_CLEVR_COLOURS = {'gray': (87, 87, 87), 'red': (173, 35, 35), 'blue': (42, 75, 215), 'green': (29, 105, 20),
                  'brown': (129, 74, 25), 'purple': (129, 38, 192), 'cyan': (41, 208, 208), 'yellow': (255, 238, 51)}


def _clevr_scene(p: _Painter, split: str, index: int, count: int, root: Path) -> dict:
    """One CLEVR-like scene: ``count`` coloured squares and discs on a grey floor, written as CLEVR's RGBA PNG
    (3:2 aspect, as CLEVR's 480 x 320), and its scene entry in CLEVR's format."""
    height, width = p.size, p.size * 3 // 2
    img = np.full((height, width, 4), 128, np.uint8)
    img[..., 3] = 255
    img[..., :3] = np.clip(img[..., :3] + p.rng.normal(0, 6, (height, width, 3)), 0, 255)
    yy, xx = np.mgrid[0:height, 0:width]
    objects = []
    for _ in range(count):
        colour = str(p.rng.choice(list(_CLEVR_COLOURS)))
        shape = str(p.rng.choice(['cube', 'sphere', 'cylinder']))
        r = max(1, height // 12)
        cx, cy = int(p.rng.integers(r, width - r)), int(p.rng.integers(r, height - r))
        mask = (np.abs(xx - cx) <= r) & (np.abs(yy - cy) <= r) if shape == 'cube' else \
            (xx - cx) ** 2 + (yy - cy) ** 2 <= r * r
        img[mask, :3] = _CLEVR_COLOURS[colour]
        objects.append({'color': colour, 'size': 'small', 'shape': shape, 'material': 'rubber',
                        '3d_coords': [float(cx), float(cy), 0.35], 'rotation': 0.0,
                        'pixel_coords': [cx, cy, 10.0]})
    name = f'CLEVR_{split}_{index:06d}.png'
    folder = root / 'images' / split
    folder.mkdir(parents=True, exist_ok=True)
    Image.fromarray(img, 'RGBA').save(folder / name)
    return {'split': split, 'image_index': index, 'image_filename': name, 'objects': objects,
            'relationships': {'right': [], 'behind': [], 'front': [], 'left': []},
            'directions': {}}


def _clevr_count(root: Path, p: _Painter, classes, counts) -> None:
    """CLEVR v1.0's layout (``images/{train,val}``, ``scenes/CLEVR_{train,val}_scenes.json``): train holds the
    train and val images of each count, val (the test split) the test images."""
    per_split = {'train': dict(counts)['train'] + dict(counts)['val'], 'val': dict(counts)['test']}
    for split, per_class in per_split.items():
        object_counts = [int(c) for c in classes for _ in range(per_class)]
        p.rng.shuffle(object_counts)
        scenes = [_clevr_scene(p, split, i, n, root) for i, n in enumerate(object_counts)]
        (root / 'scenes').mkdir(parents=True, exist_ok=True)
        info = {'split': split, 'license': 'toy data', 'version': '1.0', 'date': '2/14/2017'}
        (root / 'scenes' / f'CLEVR_{split}_scenes.json').write_text(json.dumps({'info': info, 'scenes': scenes}))


#: dataset name -> writer(root, painter, class names, [(split, images per class)]).
TOY_WRITERS: dict[str, Callable] = {
    'aircraft': _aircraft, 'caltech101': _caltech101, 'cars': _cars, 'cifar10': _cifar10,
    'cifar100': _cifar100, 'dtd': _dtd, 'flowers': _flowers, 'food': _food, 'pets': _pets,
    'sun397': _sun397, 'voc2007': _voc2007, 'cropdiseases': _image_folder('dataset/train'),
    'eurosat': _image_folder('2750'), 'isic2018': _isic2018, 'chestx': _chestx, 'clevr_count': _clevr_count,
}
#: Images per class per split (train, val, test); datasets without an official val get train + val in train.
#: DTD and Flowers get 20 in total so that 5-shot episodes run on them.
_COUNTS = {'dtd': (10, 5, 5), 'flowers': (10, 5, 5)}


def make_toy_classification(out_dir: Path, seed: int = 0, num_classes: int = 5, image_size: int = 32,
                            datasets: tuple[str, ...] | None = None, n_train: int = 6, n_val: int = 3,
                            n_test: int = 4) -> Path:
    """Write tiny versions of the recognition datasets under ``out_dir/classification/<name>``.

    Args:
        out_dir: Parent folder (created).
        seed: Seed of every image. Defaults to 0.
        num_classes: Classes per dataset (at most 6). Defaults to 5.
        image_size: Square image side. Defaults to 32.
        datasets: Names to write (keys of :data:`TOY_WRITERS`). Defaults to all.
        n_train / n_val / n_test: Images per class and split for the many-shot datasets. Defaults 6 / 3 / 4.

    Returns:
        The ``classification`` folder.
    """
    if not 2 <= num_classes <= 6:
        raise ValueError(f'num_classes must be in [2, 6], got {num_classes}')
    root = Path(out_dir) / 'classification'
    names = datasets or tuple(TOY_WRITERS)
    for i, name in enumerate(names):
        painter = _Painter(seed * 1000 + i, image_size, num_classes)
        counts = _split_counts(*_COUNTS.get(name, (n_train, n_val, n_test)))
        TOY_WRITERS[name](root / name, painter, TOY_CLASS_NAMES[name][:num_classes], counts)
    return root
