"""Getting the data: download, unpack and check every dataset of the catalog (``tools/prepare_data.py``).

    from mmssl_transfer.datasets.preparation import check_dataset, download_dataset, unpack_archives
    download_dataset('dtd', 'data/dtd')                    # torchvision's downloader and md5 check
    unpack_archives('cars', 'data/stanford_cars', ['stanford-cars-dataset.zip'])   # known variants fixed
    check = check_dataset('dtd', 'data/dtd', decode=20)    # readable? the official copy? (counts, classes)

Facts (URLs, checksums, official counts, nested folders) come from the catalog
(:mod:`mmssl_transfer.datasets.catalog`); layouts from the readers.
"""
from .archives import ArchiveError, unpack_archives
from .checks import BROKEN, COMPLETE, MISSING, OTHER_COUNTS, DatasetCheck, check_dataset, check_datasets
from .fetch import NotDownloadable, download_dataset, layout_present
from .layouts import DATASET_NAMES, layout_drawing
from .report import check_table, failure_text, fix_command, source_text

__all__ = [
    'ArchiveError', 'unpack_archives', 'BROKEN', 'COMPLETE', 'MISSING', 'OTHER_COUNTS', 'DatasetCheck',
    'check_dataset', 'check_datasets', 'NotDownloadable', 'download_dataset', 'layout_present', 'DATASET_NAMES',
    'layout_drawing', 'check_table', 'failure_text', 'fix_command', 'source_text',
]
