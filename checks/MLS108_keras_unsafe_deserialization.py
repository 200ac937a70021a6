"""MLS108 keras-unsafe-deserialization: Keras models loaded with safe mode switched off.

Annotations: `# expect: CODE` marks a line that must be reported; `# ok` marks a clean
look-alike that must not be.
"""
import functools
from functools import partial

import keras
import keras as K
import tensorflow as tf
from keras import saving
from keras.config import enable_unsafe_deserialization as allow_lambda_layers
from keras.models import load_model
from keras.saving import load_model as load_keras
from tensorflow import keras as tfk

SAFE_MODE = False
STRICT = True
LOAD_KWARGS = {"compile": False, "safe_mode": False}
SAFE_KWARGS = dict(compile=False, safe_mode=True)


def restore_classifier(path, custom_objects):
    model = keras.models.load_model(path, safe_mode=False)  # expect: MLS108
    model = K.saving.load_model(path, custom_objects=custom_objects, safe_mode=False)  # expect: MLS108
    model = keras.saving.load_model(path, safe_mode=SAFE_MODE)  # expect: MLS108
    model = load_model(path, **LOAD_KWARGS)  # expect: MLS108
    model = load_keras(path, **{"safe_mode": False})  # expect: MLS108
    model = saving.load_model(path, safe_mode=0)  # expect: MLS108
    model = tf.keras.models.load_model(path, safe_mode=False)  # expect: MLS108
    model = tfk.models.load_model(path, safe_mode=not STRICT)  # expect: MLS108
    model = tf.keras.saving.load_model(  # expect: MLS108
        path,
        compile=False,
        safe_mode=False,
    )
    return model


def enable_lambda_layers():
    keras.config.enable_unsafe_deserialization()  # expect: MLS108
    tf.keras.config.enable_unsafe_deserialization()  # expect: MLS108
    allow_lambda_layers()  # expect: MLS108


def lazy_loaders(paths):
    unsafe = functools.partial(keras.models.load_model, safe_mode=False)  # expect: MLS108
    models = [unsafe(p) for p in paths]  # ok: reported where the partial is made
    frozen = partial(load_model, compile=False)  # ok: safe mode stays on
    models += [frozen(p) for p in paths]  # ok
    models.append(frozen(paths[0], safe_mode=False))  # expect: MLS108
    restore = lambda p: load_model(p, safe_mode=False)  # expect: MLS108
    return models, restore


def restore_safely(path, trusted):
    model = keras.models.load_model(path)  # ok: safe_mode defaults to True
    model = load_model(path, safe_mode=True)  # ok
    model = load_model(path, safe_mode=STRICT)  # ok: the constant is True
    model = load_model(path, **SAFE_KWARGS)  # ok
    model = load_model(path, compile=False)  # ok
    model = load_model(path, safe_mode=trusted)  # ok: unresolvable, not guessed
    model.load_weights(path.replace(".keras", ".weights.h5"))  # ok: weights only
    model.save(path)  # ok: writing
    return model


def other_objects(trainer, registry, path):
    model = trainer.load_model(path, safe_mode=False)  # ok: a method of another object
    settings = registry.load(path, safe_mode=False)  # ok: a method of another object
    return model, settings


def shadowed(keras, path):
    return keras.models.load_model(path, safe_mode=False)  # ok: `keras` is a parameter here


def other_library(path):
    from mylib import keras

    return keras.models.load_model(path, safe_mode=False)  # ok: mylib.keras is not Keras


def local_loader(path):
    def load_model(p, safe_mode=True):
        return open(p, "rb").read() if safe_mode else None

    return load_model(path, safe_mode=False)  # ok: the nested function, not Keras
