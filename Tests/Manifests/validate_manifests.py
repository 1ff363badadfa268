#!/usr/bin/env python3
"""Strict offline validation of Kubernetes manifests against the API's own types.

Each YAML document is decoded into the typed models of the official Kubernetes Python client
(kubernetes.client.V1DaemonSet, V1Job, ...): every key must be a field of that type, every
value of the field's type, every required field present. An unknown field, a number where the
API wants a string (a quantity such as nvidia.com/gpu: 1), or a repeated key is an error
naming the file, the document and the field's path.

    python3 Tests/Manifests/validate_manifests.py deploy/k8s/*.yaml
"""
import datetime
import re
import sys

import yaml
from kubernetes import client as k8s

# apiVersion, kind -> the client's model for it.
KINDS = {
    ("v1", "Namespace"): "V1Namespace",
    ("v1", "ConfigMap"): "V1ConfigMap",
    ("v1", "ServiceAccount"): "V1ServiceAccount",
    ("v1", "Pod"): "V1Pod",
    ("v1", "PodList"): "V1PodList",
    ("v1", "Event"): "CoreV1Event",
    ("v1", "EventList"): "CoreV1EventList",
    ("apps/v1", "DaemonSet"): "V1DaemonSet",
    ("apps/v1", "Deployment"): "V1Deployment",
    ("batch/v1", "Job"): "V1Job",
}


class ManifestError(Exception):
    pass


class StrictLoader(yaml.SafeLoader):
    """YAML whose mappings may not repeat a key (PyYAML keeps the last one silently)."""


def _mapping(loader, node, deep=False):
    seen = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise ManifestError(f"line {key_node.start_mark.line + 1}: key {key!r} repeated")
        seen.add(key)
    return loader.construct_mapping(node, deep=deep)


StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)


def decode(value, type_name, path):
    """The value as `type_name` (the client's openapi_types notation), or ManifestError."""
    if value is None:
        return None
    # The client writes List[T] and Dict[str, T] (older releases: list[T], dict(str, T)).
    m = re.fullmatch(r"[Ll]ist\[(.+)\]", type_name)
    if m:
        if not isinstance(value, list):
            raise ManifestError(f"{path}: expected a list, found {type(value).__name__}")
        return [decode(v, m.group(1), f"{path}[{i}]") for i, v in enumerate(value)]
    m = re.fullmatch(r"[Dd]ict[\[(](\w+), (.+)[\])]", type_name)
    if m:
        if not isinstance(value, dict):
            raise ManifestError(f"{path}: expected a mapping, found {type(value).__name__}")
        return {k: decode(v, m.group(2), f"{path}.{k}") for k, v in value.items()}
    if type_name == "str":
        if not isinstance(value, str):
            raise ManifestError(f"{path}: expected a string, found {type(value).__name__} {value!r} (quote it)")
        return value
    if type_name == "int":
        if isinstance(value, bool) or not isinstance(value, int):
            raise ManifestError(f"{path}: expected an integer, found {type(value).__name__} {value!r}")
        return value
    if type_name == "float":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ManifestError(f"{path}: expected a number, found {type(value).__name__} {value!r}")
        return value
    if type_name == "bool":
        if not isinstance(value, bool):
            raise ManifestError(f"{path}: expected true or false, found {type(value).__name__} {value!r}")
        return value
    if type_name == "bytes":
        if not isinstance(value, str):
            raise ManifestError(f"{path}: expected base64 text, found {type(value).__name__}")
        return value
    if type_name == "object":   # IntOrString and free-form fields
        return value
    if type_name == "datetime":
        if not isinstance(value, (str, datetime.datetime)):
            raise ManifestError(f"{path}: expected an RFC 3339 time")
        return value
    model = getattr(k8s, type_name, None)
    if model is None:
        raise ManifestError(f"{path}: the client has no type {type_name}")
    if not isinstance(value, dict):
        raise ManifestError(f"{path}: expected a {type_name} mapping, found {type(value).__name__}")
    by_json_name = {json_name: attr for attr, json_name in model.attribute_map.items()}
    kwargs = {}
    for key, item in value.items():
        attr = by_json_name.get(key)
        if attr is None:
            raise ManifestError(f"{path}.{key}: unknown field of {type_name}")
        kwargs[attr] = decode(item, model.openapi_types[attr], f"{path}.{key}")
    try:
        return model(**kwargs)
    except ValueError as e:   # a required field missing, a value outside its enum
        raise ManifestError(f"{path}: {_one_line(e, model)}") from None


def _one_line(error, model):
    """The client's complaint in one line: pydantic's errors (current clients) or the setter's text."""
    details = getattr(error, "errors", None)
    if callable(details):
        parts = []
        for d in details():
            field = ".".join(model.attribute_map.get(str(p), str(p)) for p in d.get("loc", ()))
            parts.append(f"missing required field {field}" if d.get("type") == "missing" else f"{field}: {d.get('msg')}")
        return "; ".join(parts)
    return " ".join(str(error).split())


def validate_text(text, name="<text>"):
    """The decoded objects of every document in `text`; ManifestError names the document."""
    try:
        documents = [d for d in yaml.load_all(text, Loader=StrictLoader) if d is not None]
    except ManifestError as e:
        raise ManifestError(f"{name}: {e}") from None
    except yaml.YAMLError as e:
        raise ManifestError(f"{name}: not YAML: {e}") from None
    if not documents:
        raise ManifestError(f"{name}: no document")
    objects = []
    for i, doc in enumerate(documents):
        where = f"{name} document {i + 1}"
        if not isinstance(doc, dict):
            raise ManifestError(f"{where}: expected a mapping")
        kind = (doc.get("apiVersion"), doc.get("kind"))
        if kind == ("v1", "List"):   # kubectl's list: each item carries its own kind
            if set(doc) - {"apiVersion", "kind", "items", "metadata"}:
                raise ManifestError(f"{where}: unknown field of List: {sorted(set(doc) - {'apiVersion', 'kind', 'items', 'metadata'})}")
            for j, item in enumerate(doc.get("items") or []):
                objects += validate_text(yaml.safe_dump(item), f"{where} items[{j}]")
            continue
        model = KINDS.get(kind)
        if model is None:
            raise ManifestError(f"{where}: apiVersion {kind[0]!r} kind {kind[1]!r} is not one this validator knows ({', '.join(k for _, k in KINDS)})")
        try:
            objects.append(decode(doc, model, kind[1]))
        except ManifestError as e:
            raise ManifestError(f"{where}: {e}") from None
    return objects


def validate_file(path):
    with open(path, encoding="utf-8") as f:
        return validate_text(f.read(), path)


def main(paths):
    if not paths:
        print("usage: validate_manifests.py FILE.yaml...", file=sys.stderr)
        return 2
    status = 0
    for path in paths:
        try:
            objects = validate_file(path)
            print(f"{path}: " + ", ".join(f"{o.kind} {o.metadata.name}" for o in objects))
        except (ManifestError, OSError) as e:
            print(e, file=sys.stderr)
            status = 1
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
