"""The fast parse: libyaml through PyYAML's C loader, read with YAML 1.2 core rules.

Measured here, ruamel.yaml's safe loader (C parser, Python constructor) takes
about 2.7x as long as PyYAML's CSafeLoader on the same cards (bench/README.md),
so checking uses this loader and keeps ruamel.yaml for what needs positions or
comments (`survey.positions`, `survey.fmt`). The resolvers here follow YAML 1.2,
as ruamel does, so both read a card the same way: `yes` is text, `1e-5` is a
number, dates stay text for the schema to check.
"""

from __future__ import annotations

import re

import yaml

TAG = "tag:yaml.org,2002:"


class DuplicateKey(yaml.MarkedYAMLError):
    def __init__(self, key: str, mark: yaml.Mark) -> None:
        super().__init__(problem=f"duplicate key {key!r}", problem_mark=mark)
        self.key = key


class FastLoader(yaml.CSafeLoader):
    """CSafeLoader with YAML 1.2 core scalars and duplicate keys refused."""

    def construct_mapping(self, node, deep=False):
        # Merge keys (<<) are not part of YAML 1.2 and cards do not use them, so no flattening here.
        mapping = {}
        for key_node, value_node in node.value:
            key = self.construct_object(key_node, deep=deep)
            try:
                if key in mapping:
                    raise DuplicateKey(str(key), key_node.start_mark)
            except TypeError:
                raise yaml.constructor.ConstructorError(
                    None, None, "expected a plain key, found a mapping or list as a key", key_node.start_mark
                ) from None
            mapping[key] = self.construct_object(value_node, deep=deep)
        return mapping


def _int(loader: FastLoader, node: yaml.ScalarNode) -> int:
    text = loader.construct_scalar(node)
    if text[:2] in ("0o", "0x"):
        return int(text, 0)
    return int(text, 10)


def _float(loader: FastLoader, node: yaml.ScalarNode) -> float:
    text = loader.construct_scalar(node).lower()
    return float(text.replace(".inf", "inf").replace(".nan", "nan"))


_CORE = {
    "bool": (re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), "tTfF"),
    "int": (re.compile(r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$"), "-+0123456789"),
    "float": (
        re.compile(r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"),
        "-+.0123456789",
    ),
    "null": (re.compile(r"^(?:~|null|Null|NULL|)$"), ["~", "n", "N", ""]),
}

FastLoader.yaml_implicit_resolvers = {}
for _name, (_pattern, _first) in _CORE.items():
    FastLoader.add_implicit_resolver(TAG + _name, _pattern, list(_first))
FastLoader.add_constructor(TAG + "int", _int)
FastLoader.add_constructor(TAG + "float", _float)
FastLoader.add_constructor(TAG + "timestamp", FastLoader.construct_yaml_str)


def load(text: str):
    return yaml.load(text, Loader=FastLoader)  # noqa: S506 - FastLoader is a SafeLoader
