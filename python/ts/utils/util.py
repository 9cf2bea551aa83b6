"""Helpers TorchServe handlers import from ts.utils.util."""

import inspect
import itertools
import json
import logging
import os

logger = logging.getLogger(__name__)


class PredictionException(Exception):
    """Raised by a handler to answer the whole batch with `error_code` and `message`."""

    def __init__(self, message, error_code=500):
        self.message = message
        self.error_code = error_code
        super().__init__(message)

    def __str__(self):
        return f"{self.message} : {self.error_code}"


def list_classes_from_module(module, parent_class=None):
    """Classes defined in `module` itself (not imported into it), optionally
    only subclasses of `parent_class`, in definition order."""
    classes = [
        cls
        for _, cls in inspect.getmembers(module, inspect.isclass)
        if cls.__module__ == module.__name__ and (parent_class is None or issubclass(cls, parent_class))
    ]

    def line_of(cls):
        try:
            return inspect.getsourcelines(cls)[1]
        except (OSError, TypeError):
            return 0

    return sorted(classes, key=line_of)


def load_label_mapping(mapping_file_path):
    """index_to_name.json -> {"0": "tench", ...}; None when the file is absent.

    A list value means its last element ("n01440764", "tench" -> "tench");
    the legacy {"object_type_names": [...]} form is accepted too."""
    if not os.path.isfile(mapping_file_path):
        logger.warning("Missing the index_to_name.json file. Inference output will not include class name.")
        return None
    with open(mapping_file_path) as f:
        mapping = json.load(f)
    if not isinstance(mapping, dict):
        raise Exception(f'{mapping_file_path}: index->name mapping should be in "class":"label" json format')
    names = mapping.get("object_type_names")
    if isinstance(names, list):
        return {str(i): name for i, name in enumerate(names)}
    for key, value in list(mapping.items()):
        label = value[-1] if isinstance(value, list) and value else value
        if not isinstance(label, str):
            raise Exception(f"{mapping_file_path}: labels in index->name mapping must be either str or [str]")
        mapping[key] = label
    return mapping


def map_class_to_label(probs, mapping=None, lbl_classes=None):
    """Per-row {label: probability} dicts from lists of probabilities and
    class indices (all classes in order when `lbl_classes` is None)."""
    if not (isinstance(probs, list) and all(isinstance(row, list) for row in probs)):
        raise Exception("Convert classes to list of lists")
    if mapping is not None and not isinstance(mapping, dict):
        raise Exception("Mapping must be a dict")
    if lbl_classes is None:
        lbl_classes = itertools.repeat(range(len(probs[0])), len(probs))
    return [
        {(mapping[str(cls)] if mapping is not None else str(cls)): prob for cls, prob in zip(classes, row)}
        for classes, row in zip(lbl_classes, probs)
    ]


def get_yaml_config(yaml_file_path):
    """A YAML file as a dict ({} for an empty file)."""
    import yaml

    with open(yaml_file_path) as f:
        return yaml.safe_load(f) or {}


def check_valid_pt2_backend(backend):
    """torch.compile backends this torch offers (none before torch 2)."""
    import torch

    dynamo = getattr(torch, "_dynamo", None)
    return bool(dynamo) and backend in dynamo.list_backends()
