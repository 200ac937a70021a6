"""MLS107 yaml-unsafe-load: experiment configs and model cards read with an unsafe YAML Loader.

Annotations: `# expect: CODE` marks a line that must be reported; `# ok` marks a clean
look-alike that must not be.
"""
import functools
from functools import partial

import yaml
import yaml as y
import yaml.cyaml
import yaml.loader
from omegaconf import OmegaConf
from yaml import CSafeLoader as Loader
from yaml import FullLoader, SafeLoader, UnsafeLoader
from yaml import load as yaml_load
from yaml import load_all

try:
    from yaml import CLoader as FastLoader
except ImportError:
    from yaml import Loader as FastLoader

try:
    from yaml import CSafeLoader as FastSafeLoader
except ImportError:
    from yaml import SafeLoader as FastSafeLoader

CONFIG_LOADER = yaml.Loader
SAFE_LOADER = yaml.SafeLoader
UNSAFE_KWARGS = {"Loader": yaml.UnsafeLoader}
SAFE_KWARGS = dict(Loader=yaml.CSafeLoader)


class ConfigLoader(yaml.SafeLoader):
    """SafeLoader plus an !include tag for composing experiment configs."""


def _include(loader, node):
    with open(loader.construct_scalar(node), encoding="utf-8") as f:
        return yaml.load(f, Loader=ConfigLoader)  # ok: a SafeLoader subclass


ConfigLoader.add_constructor("!include", _include)


class SweepLoader(ConfigLoader):
    """Inherits from a SafeLoader subclass defined above."""


class PythonTagLoader(yaml.Loader):
    """Keeps the !!python/object tags of old checkpoints' hparams.yaml."""


PythonTagLoader.add_multi_constructor("tag:yaml.org,2002:python/", lambda loader, suffix, node: None)


def load_experiment(path, text):
    with open(path, encoding="utf-8") as f:
        cfg = yaml.load(f)  # expect: MLS107
    cfg = yaml.load(text, Loader=yaml.Loader)  # expect: MLS107
    cfg = y.load(text, Loader=y.UnsafeLoader)  # expect: MLS107
    cfg = yaml.load(text, Loader=yaml.CLoader)  # expect: MLS107
    cfg = yaml.load(text, yaml.CUnsafeLoader)  # expect: MLS107
    cfg = yaml_load(text, Loader=UnsafeLoader)  # expect: MLS107
    cfg = yaml.load(text, Loader=CONFIG_LOADER)  # expect: MLS107
    cfg = yaml.load(text, Loader=FastLoader)  # expect: MLS107
    cfg = yaml.load(text, Loader=yaml.loader.Loader)  # expect: MLS107
    cfg = yaml.load(text, **UNSAFE_KWARGS)  # expect: MLS107
    cfg = yaml.load(text, **{"Loader": yaml.Loader})  # expect: MLS107
    cfg = yaml.load(text, Loader=PythonTagLoader)  # expect: MLS107
    docs = list(load_all(text))  # expect: MLS107
    docs = list(yaml.load_all(text, Loader=yaml.Loader))  # expect: MLS107
    cfg = yaml.unsafe_load(text)  # expect: MLS107
    docs = list(yaml.unsafe_load_all(text))  # expect: MLS107
    return cfg, docs


def load_with_full_loader(text):
    cfg = yaml.full_load(text)  # expect: MLS107
    docs = list(yaml.full_load_all(text))  # expect: MLS107
    cfg = yaml.load(text, Loader=yaml.FullLoader)  # expect: MLS107
    cfg = yaml.load(text, FullLoader)  # expect: MLS107
    return cfg, docs


def lazy_loaders(paths, text):
    parse = functools.partial(yaml.load, Loader=yaml.UnsafeLoader)  # expect: MLS107
    configs = [parse(open(p, encoding="utf-8")) for p in paths]  # ok: reported at the partial
    safe_parse = partial(yaml.load, Loader=yaml.SafeLoader)  # ok
    configs += [safe_parse(open(p, encoding="utf-8")) for p in paths]  # ok
    configs.append(safe_parse(text, Loader=yaml.Loader))  # expect: MLS107
    restore = lambda s: yaml.load(s, Loader=yaml.Loader)  # expect: MLS107
    return configs, restore


def load_experiment_safely(path, text, loader_cls):
    cfg = yaml.safe_load(text)  # ok
    docs = list(yaml.safe_load_all(text))  # ok
    cfg = yaml.load(text, Loader=yaml.SafeLoader)  # ok
    cfg = yaml.load(text, Loader=yaml.CSafeLoader)  # ok
    cfg = yaml.load(text, Loader=yaml.BaseLoader)  # ok
    cfg = yaml.load(text, Loader=yaml.loader.SafeLoader)  # ok
    cfg = yaml.load(text, Loader=yaml.cyaml.CSafeLoader)  # ok
    cfg = yaml.load(text, Loader=yaml.cyaml.CBaseLoader)  # ok
    cfg = yaml.load(text, Loader=Loader)  # ok: `Loader` is yaml.CSafeLoader here
    cfg = yaml.load(text, Loader=FastSafeLoader)  # ok: CSafeLoader or SafeLoader
    cfg = yaml.load(text, SafeLoader)  # ok
    cfg = yaml.load(text, Loader=SAFE_LOADER)  # ok
    cfg = yaml.load(text, **SAFE_KWARGS)  # ok
    cfg = yaml.load(text, Loader=ConfigLoader)  # ok: a SafeLoader subclass
    cfg = yaml.load(text, Loader=SweepLoader)  # ok: a subclass of a SafeLoader subclass
    docs = list(load_all(text, Loader=yaml.SafeLoader))  # ok
    cfg = yaml.load(text, Loader=loader_cls)  # ok: unresolvable, not guessed
    cfg = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # ok: unresolvable
    conf = OmegaConf.load(path)  # ok: OmegaConf parses with its own safe loader
    yaml.safe_dump(cfg, open(path, "w", encoding="utf-8"))  # ok: writing
    out = yaml.dump(cfg, Dumper=yaml.Dumper)  # ok: writing
    return cfg, docs, conf, out


def other_objects(model, config, path):
    weights = model.load(path)  # ok: a method of another object
    settings = config.load()  # ok: a method of another object
    return weights, settings


def shadowed(yaml, text):
    return yaml.load(text)  # ok: `yaml` is a parameter here, not the module


def other_library(text):
    from mylib import yaml

    return yaml.load(text)  # ok: mylib.yaml is not PyYAML


def load(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def local_loader(path):
    return load(path)  # ok: the local function, not yaml.load


def normalise(config):
    return yaml.load(yaml.dump(config), Loader=yaml.Loader)  # ok: our own document, round-tripped
