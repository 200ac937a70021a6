"""MLS105 pandas-read-pickle: data frames (features, labels, eval results) read from pickles.

Annotations: `# expect: CODE` marks a line that must be reported; `# ok` marks a clean
look-alike that must not be.
"""
import functools
from functools import partial

import pandas
import pandas as pd
from pandas import read_pickle as read_frame
from pandas.io.pickle import read_pickle

FEATURES = "s3://ml-bucket/features/train.pkl.gz"
READ_OPTIONS = {"compression": "gzip"}


def load_training_frames(label_path, split):
    features = pd.read_pickle(FEATURES, compression="infer")  # expect: MLS105
    labels = pandas.read_pickle(label_path)  # expect: MLS105
    folds = read_frame(f"data/{split}_folds.pkl")  # expect: MLS105
    stats = read_pickle("data/stats.pkl")  # expect: MLS105
    cached = pd.read_pickle("cache/embeddings.pkl.gz", **READ_OPTIONS)  # expect: MLS105
    return features.join(labels), folds, stats, cached


def lazy_readers(paths):
    reader = functools.partial(pd.read_pickle, compression="zstd")  # expect: MLS105
    frames = [reader(p) for p in paths]  # ok: reported where the partial is made
    frames.append(partial(pandas.read_pickle)(paths[0]))  # expect: MLS105
    frames.extend(map(lambda p: pd.read_pickle(p), paths))  # expect: MLS105
    return frames


def save_and_read_safely(df: pd.DataFrame, path):
    df.to_pickle(path)  # ok: writing
    pd.to_pickle(df, path)  # ok: writing
    df.to_parquet(path.with_suffix(".parquet"))  # ok
    frame = pd.read_parquet(path.with_suffix(".parquet"))  # ok: parquet runs no code
    frame = pd.read_feather(path.with_suffix(".feather"))  # ok
    frame = pd.read_csv(path.with_suffix(".csv"))  # ok
    return frame


def other_objects(store, cache, path):
    frame = store.read_pickle(path)  # ok: a method of another object
    frame = cache.load(path)  # ok: a method of another object
    return frame


def shadowed(pd, path):
    return pd.read_pickle(path)  # ok: `pd` is a parameter here, not pandas


def other_library(path):
    from mylib import pandas

    return pandas.read_pickle(path)  # ok: mylib.pandas is not pandas


def local_reader(path):
    def read_pickle(p):
        return open(p, "rb").read()

    return read_pickle(path)  # ok: the nested function, not pandas.read_pickle
