"""YAML loading that remembers where each value came from.

``courses check`` must print ``file:line: problem``; PyYAML's composed node
tree carries line marks, so we construct the data from it and keep a map from
each value's path (``("questions", 3, "answer")``) to its 1-based line.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

Path_ = tuple[Any, ...]


class YamlFile:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.data: Any = None
        self.lines: dict[Path_, int] = {}
        self.error: tuple[int, str] | None = None
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            self.error = (1, "file is not UTF-8 text")
            return
        try:
            node = yaml.compose(text, Loader=yaml.SafeLoader)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            line = mark.line + 1 if mark else 1
            problem = getattr(exc, "problem", None) or str(exc)
            self.error = (line, f"YAML syntax error: {problem}")
            return
        if node is None:
            return
        loader = yaml.SafeLoader("")
        try:
            self.data = self._build(node, (), loader)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            self.error = (mark.line + 1 if mark else 1, f"YAML error: {exc}")

    def _build(self, node: yaml.Node, path: Path_, loader: yaml.SafeLoader) -> Any:
        self.lines[path] = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            result: dict[Any, Any] = {}
            for key_node, value_node in node.value:
                key = loader.construct_object(key_node, deep=True)
                self.lines[path + (key,)] = key_node.start_mark.line + 1
                value = self._build(value_node, path + (key,), loader)
                # The key's line is the useful one for a mapping value.
                self.lines[path + (key,)] = key_node.start_mark.line + 1
                result[key] = value
            return result
        if isinstance(node, yaml.SequenceNode):
            return [self._build(item, path + (i,), loader) for i, item in enumerate(node.value)]
        return loader.construct_object(node, deep=True)

    def line(self, *path: Any) -> int:
        """The line of ``path``, or of its nearest ancestor that has one."""
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return self.lines.get((), 1)
