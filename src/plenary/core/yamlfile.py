"""YAML for data files that people edit: every mapping and list remembers its line, so a
refusal can say where the problem is ("scenario.yaml, line 12: …"); duplicate keys are
refused instead of silently keeping the last one."""

from pathlib import Path

import yaml
from django.utils.translation import gettext as _


class DataFileError(Exception):
    def __init__(self, path, line: int | None, message: str):
        self.path = Path(path).name if path else ""
        self.line = line
        self.message = message
        where = self.path + (_(", line %(line)s") % {"line": line} if line else "")
        super().__init__(f"{where}: {message}" if where else message)


class Mapping(dict):
    line: int = 0
    key_lines: dict


class Sequence(list):
    line: int = 0
    item_lines: list


class _LineLoader(yaml.SafeLoader):
    pass


def _construct_mapping(loader, node):
    loader.flatten_mapping(node)
    mapping = Mapping()
    mapping.line = node.start_mark.line + 1
    mapping.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if isinstance(key, dict | list):
            # YAML allows a mapping or a list as a key ("? [a, b]: …"); no data file of ours
            # has one, and Python cannot use it as a dictionary key.
            raise DataFileError(
                loader.name,
                key_node.start_mark.line + 1,
                _("a key must be a plain value, not a list or a mapping"),
            )
        if key in mapping:
            raise DataFileError(
                loader.name,
                key_node.start_mark.line + 1,
                _("the key “%(key)s” appears twice") % {"key": key},
            )
        mapping[key] = loader.construct_object(value_node, deep=True)
        mapping.key_lines[key] = key_node.start_mark.line + 1
    return mapping


def _construct_sequence(loader, node):
    sequence = Sequence(loader.construct_object(child, deep=True) for child in node.value)
    sequence.line = node.start_mark.line + 1
    sequence.item_lines = [child.start_mark.line + 1 for child in node.value]
    return sequence


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)


def load(path) -> Mapping:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DataFileError(path, None, _("the file does not exist")) from None
    except UnicodeDecodeError:
        raise DataFileError(path, None, _("the file is not UTF-8 text")) from None
    return loads(text, path)


def loads(text: str, path) -> Mapping:
    """The mapping of a YAML text, its errors naming `path` (a file's name or an upload's)."""
    try:
        loader = _LineLoader(text)
    except yaml.reader.ReaderError as error:  # a control character YAML does not allow
        raise DataFileError(path, None, str(error.reason)) from None
    loader.name = str(path)
    try:
        data = loader.get_single_data()
    except yaml.reader.ReaderError as error:
        raise DataFileError(path, None, str(error.reason)) from None
    except (ValueError, OverflowError) as error:  # e.g. a date like 0000-01-01
        raise DataFileError(
            path, None, _("a value cannot be read: %(error)s") % {"error": error}
        ) from None
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        raise DataFileError(
            path, mark.line + 1 if mark else None, str(error.problem or error)
        ) from None
    finally:
        loader.dispose()
    if not isinstance(data, Mapping):
        raise DataFileError(path, 1, _("the file must hold a mapping of names to values"))
    return data


def line_of(container, key=None) -> int | None:
    """The line of a key in a mapping, of an index in a list, or of the container itself."""
    if isinstance(container, Mapping):
        return container.key_lines.get(key, container.line) if key is not None else container.line
    if isinstance(container, Sequence):
        if key is not None and 0 <= key < len(container.item_lines):
            return container.item_lines[key]
        return container.line
    return None


def require(path, mapping, key, kind=None):
    """The value of a required key, of the expected type, or a DataFileError naming the line."""
    if not isinstance(mapping, dict):
        raise DataFileError(path, line_of(mapping), _("a mapping was expected here"))
    if key not in mapping or mapping[key] is None or mapping[key] == "":
        raise DataFileError(
            path, line_of(mapping), _("the field “%(field)s” is missing") % {"field": key}
        )
    value = mapping[key]
    if kind is not None and not isinstance(value, kind):
        raise DataFileError(
            path,
            line_of(mapping, key),
            _("the field “%(field)s” has the wrong kind of value") % {"field": key},
        )
    return value
