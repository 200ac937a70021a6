"""MLS304 unsafe-archive-extraction: tar archives extracted without a member filter.

Annotations: `# expect: CODE` marks a line that must be reported; `# ok` marks a clean
look-alike that must not be.
"""
import shutil
import tarfile
import zipfile
from contextlib import closing
from tarfile import TarFile
from tarfile import open as open_tar

from mylib import Archive

DATA_FILTER = "data"


def extract_dataset(archive_path, target, members):
    with tarfile.open(archive_path, "r:gz") as tar:
        tar.extractall(target, filter="data")  # expect: MLS304
    tar = tarfile.open(archive_path)
    tar.extractall(path=target, filter="data")  # expect: MLS304
    tar.extract("train.csv", target, filter="data")  # expect: MLS304
    tar.extractall(target, filter="data")  # expect: MLS304
    tar.extractall(target, filter="fully_trusted")  # expect: MLS304
    tar.extractall(target, filter=tarfile.fully_trusted_filter)  # expect: MLS304
    tar.extractall(target, members=members, filter="data")  # expect: MLS304
    tarfile.open(archive_path).extractall(target, filter="data")  # expect: MLS304
    with TarFile(archive_path) as archive:
        archive.extractall(target, filter="data")  # expect: MLS304
    with open_tar(archive_path) as archive2:
        archive2.extractall(target, filter="data")  # expect: MLS304
    with closing(tarfile.TarFile.gzopen(archive_path)) as gz:
        gz.extractall(target, filter="data")  # expect: MLS304
    shutil.unpack_archive(archive_path, target, filter="data")  # expect: MLS304
    shutil.unpack_archive("data.tar.gz", target, "gztar", filter="data")  # expect: MLS304


def extract_safely(archive_path, target, my_filter):
    with tarfile.open(archive_path) as tar:
        tar.extractall(target, filter="data")  # ok
        tar.extractall(target, filter="tar")  # ok
        tar.extractall(target, filter=DATA_FILTER)  # ok
        tar.extractall(target, filter=tarfile.data_filter)  # ok
        tar.extract("train.csv", target, filter="data")  # ok
        tar.extractall(target, filter=my_filter)  # ok: the project's own filter
    with zipfile.ZipFile(archive_path) as zf:
        zf.extractall(target)  # ok: zipfile sanitises member names
    shutil.unpack_archive("data.zip", target)  # ok: a zip archive
    shutil.unpack_archive(archive_path, target, format="zip")  # ok
    shutil.unpack_archive(archive_path, target, filter="data")  # ok
    archive = Archive(archive_path)
    archive.extractall(target)  # ok: not a tarfile object
    return archive


def unknown_origin(tar, target):
    tar.extractall(target)  # ok: a parameter, not known to be a TarFile
