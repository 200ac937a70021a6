"""MLS106 pickle-family-load: dill, cloudpickle, jsonpickle, shelve and marshal loaders.

Annotations: `# expect: CODE` marks a line that must be reported; `# ok` marks a clean
look-alike that must not be.
"""
import functools
import json
import marshal
import shelve
from functools import partial

import cloudpickle
import cloudpickle as cp
import dill
import dill as dl
import jsonpickle
from cloudpickle import loads as cloud_loads
from dill import Unpickler as DillUnpickler
from jsonpickle import decode as decode_object
from jsonpickle.unpickler import decode as unpickler_decode

try:
    import dill as serializer
except ImportError:
    import pickle as serializer

REGISTRY_DB = "registry/models.db"
SHELF_FLAGS = {"flag": "r", "writeback": False}


def load_preprocessing(path, payload):
    with open(path, "rb") as f:
        transform = dill.load(f)  # expect: MLS106
    tokenizer_fn = dl.loads(payload)  # expect: MLS106
    collate = serializer.loads(payload)  # expect: MLS101, MLS106
    with open(path, "rb") as f:
        augment = DillUnpickler(f).load()  # expect: MLS106
    dill.load_session("notebook_session.pkl")  # expect: MLS106
    return transform, tokenizer_fn, collate, augment


def receive_remote_function(sock_payload, path):
    reward_fn = cloudpickle.loads(sock_payload)  # expect: MLS106
    policy = cp.load(open(path, "rb"))  # expect: MLS106
    udf = cloud_loads(sock_payload)  # expect: MLS106
    return reward_fn, policy, udf


def restore_experiment(record, code_blob):
    config = jsonpickle.decode(record)  # expect: MLS106
    callbacks = decode_object(record, keys=True)  # expect: MLS106
    metrics = unpickler_decode(record)  # expect: MLS106
    history = jsonpickle.Unpickler().restore(json.loads(record))  # expect: MLS106
    compiled = marshal.loads(code_blob)  # expect: MLS106
    with open("lambda_layer.bin", "rb") as f:
        layer_code = marshal.load(f)  # expect: MLS106
    return config, callbacks, metrics, history, compiled, layer_code


def open_registry(name):
    with shelve.open(REGISTRY_DB) as db:  # expect: MLS106
        entry = db[name]
    db = shelve.open(REGISTRY_DB, **SHELF_FLAGS)  # expect: MLS106
    db.close()
    readonly = functools.partial(shelve.open, flag="r")  # expect: MLS106
    with readonly(REGISTRY_DB) as db:  # ok: reported where the partial is made
        entry = db.get(name, entry)
    lazy = partial(dill.loads)  # expect: MLS106
    restore = lambda blob: cloudpickle.loads(blob)  # expect: MLS106
    return entry, lazy, restore


def publish(model_fn, config, path):
    blob = cloudpickle.dumps(model_fn)  # ok: writing
    with open(path, "wb") as f:
        dill.dump(model_fn, f, recurse=True)  # ok: writing
    dill.dump_session("notebook_session.pkl")  # ok: writing
    record = jsonpickle.encode(config)  # ok: writing
    code = marshal.dumps(compile("x + 1", "<expr>", "eval"))  # ok: writing
    plain = json.loads(json.dumps({"lr": 3e-4}))  # ok: JSON builds no objects
    return blob, record, code, plain


def other_objects(model, config, store, payload):
    weights = model.load("weights.bin")  # ok: a method of another object
    settings = config.load()  # ok: a method of another object
    entry = store.open("models")  # ok: a method of another object
    obj = store.decode(payload)  # ok: a method of another object
    return weights, settings, entry, obj


def shadowed(dill, cloudpickle, payload):
    return dill.loads(payload), cloudpickle.loads(payload)  # ok: parameters, not the modules


def other_library(payload):
    from mylib import dill, marshal

    return dill.loads(payload), marshal.loads(payload)  # ok: mylib's modules


def load_logged_model(model_path, flavor):
    import cloudpickle

    allow_pickle = flavor.pickle_loading_allowed()
    if model_path.endswith(".pkl") and not allow_pickle:
        raise PermissionError("set MLFLOW_ALLOW_MODEL_CODE_EXECUTION=true to load pickled models")
    if model_path.endswith(".pkl"):
        with open(model_path, "rb") as f:
            return cloudpickle.load(f)  # ok: only after the explicit opt-in above


def load_python_model(path, check_code_execution_allowed):
    import cloudpickle

    check_code_execution_allowed("a pickled python_model")
    with open(path, "rb") as f:
        return cloudpickle.load(f)  # ok: the check above raises without the opt-in


def load_paddle_checkpoint(path):
    import paddle

    return paddle.load(path)  # expect: MLS106


def export_best(model, output_param_path):
    import paddle

    paddle.save(model.state_dict(), output_param_path)
    model.set_state_dict(paddle.load(output_param_path))  # ok: reloads the file it just wrote


def convert_in_place(param_path):
    import paddle

    state = paddle.load(param_path)  # expect: MLS106
    paddle.save({k.replace("encoder", "ernie"): v for k, v in state.items()}, param_path)
