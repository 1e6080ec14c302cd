"""Request parsers for the whole API: every string of every body is checked once, here.

PostgreSQL cannot store a NUL character and UTF-8 cannot encode a lone surrogate (JSON lets a client
send both as ``\\u0000`` and ``\\ud800``), so either would fail deep inside a write as a 500. The
parsers refuse them up front with a 400 naming the field: ``{"name": ["Null characters are not
allowed."]}``; for a value nested inside a field, the message starts with its path inside that
field (``{"0": ["account_external_id: null characters are not allowed."]}`` for the first row of a
usage batch). JSON nested deeper than :data:`MAX_DEPTH` is refused as malformed, before anything
recursive (the decoder, serializers, ``json.dumps``) can run out of stack.
"""

from __future__ import annotations

import json
import re
from typing import Any

import orjson
from django.conf import settings
from rest_framework import parsers
from rest_framework.exceptions import ParseError, ValidationError
from rest_framework.utils import json as drf_json

MAX_DEPTH = 32

_BAD_CHARACTER = re.compile("[\x00\ud800-\udfff]")
# Escapes that could decode to a bad character; a body without any of them needs no walk.
_SUSPECT_ESCAPE = re.compile(r"\\u(?:0000|[dD][89a-fA-F][0-9a-fA-F]{2})")


def _problem(text: str) -> str | None:
    found = _BAD_CHARACTER.search(text)
    if found is None:
        return None
    if found.group() == "\x00":
        return "null characters are not allowed."
    return f"surrogate characters are not allowed: U+{ord(found.group()):04X}."


def _message(path: tuple, problem: str) -> str:
    inner = ".".join(str(step) for step in path[1:])
    return f"{inner}: {problem}" if inner else problem[0].upper() + problem[1:]


def string_errors(data: Any) -> dict[str, list[str]]:
    """Every string (value or key) in ``data`` holding a NUL or a lone surrogate, as field errors keyed
    by the top-level field (or list index). Iterative, so any depth is safe to walk."""
    errors: dict[str, list[str]] = {}
    stack: list[tuple[tuple, Any]] = [((), data)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, str):
            problem = _problem(value)
            if problem and path:
                errors.setdefault(str(path[0]), []).append(_message(path, problem))
            elif problem:
                errors.setdefault("non_field_errors", []).append(_message(path, problem))
        elif isinstance(value, dict):
            for key, item in reversed(value.items()):
                key_problem = _problem(key) if isinstance(key, str) else None
                if key_problem:  # the field's own name: named with its bad character escaped
                    shown = key.encode("unicode_escape").decode("ascii")
                    bad_path = (*path, shown)
                    errors.setdefault(str(bad_path[0]), []).append(_message(bad_path, key_problem))
                    continue
                stack.append(((*path, key), item))
        elif isinstance(value, list | tuple):
            for index in range(len(value) - 1, -1, -1):
                stack.append(((*path, index), value[index]))
    return errors


_JSON_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"')
_PLAIN_STRING = re.compile(rb'"[^"]*"')
# A body's "shape": its bytes with every digit made 0 and everything but quotes, backslashes, brackets and
# digits dropped (bytes.translate: about a millisecond for a 10,000-row batch).
_SHAPE_TABLE = bytes.maketrans(b"0123456789", b"0" * 10)
_NOT_SHAPE = bytes(code for code in range(256) if code not in b'"\\[]{}0123456789')
_LONG_NUMBER = b"0" * 19


def body_shape(text: str, raw: bytes | None = None) -> bytes:
    """The shape of a JSON body (``raw``: its UTF-8 bytes when at hand)."""
    return (raw if raw is not None else text.encode("utf-8", "surrogatepass")).translate(_SHAPE_TABLE, _NOT_SHAPE)


def nesting_depth(text: str, shape: bytes | None = None) -> int:
    """How deeply lists and objects nest in a valid JSON document (a scalar is 0), read from its text:
    strings out, then everything but brackets out, then one pass per level removing the innermost
    pairs. String-level C calls all the way (a 10,000-row batch of flat objects costs a few
    milliseconds, walking the parsed rows ten times that). Stops counting past :data:`MAX_DEPTH`."""
    if shape is None or b"\\" in shape:  # escapes (an escaped quote): strings out by the full pattern first
        shape = body_shape(_JSON_STRING.sub("", text))
    brackets = shape.replace(b"0", b"").replace(b'""', b"")  # quotes (no escapes now) and brackets
    if b'"' in brackets:  # strings that hold brackets
        brackets = _PLAIN_STRING.sub(b"", brackets)
    depth = 0
    while brackets and depth <= MAX_DEPTH:  # the innermost pairs out, all at once (a marker keeps them apart)
        brackets = brackets.replace(b"{}", b"0").replace(b"[]", b"0").replace(b"0", b"")
        depth += 1
    return depth


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, plus: bounded nesting, and no NUL or lone surrogate in any string."""

    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        encoding = parser_context.get("encoding", settings.DEFAULT_CHARSET)
        raw = stream.read()
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError as exc:
            raise ParseError(f"JSON parse error - the body is not valid {encoding}: {exc.reason}.") from exc
        shape = body_shape(text, raw if encoding.lower().replace("_", "-") in ("utf-8", "utf8") else None)
        data = _fast_loads(text, shape) if self.strict else _NOT_PARSED
        if data is _NOT_PARSED:  # the standard library's answer (and its error messages) for the rest
            data = _standard_loads(text, self.strict)
        if nesting_depth(text, shape) > MAX_DEPTH:
            raise ParseError(f"JSON parse error - nested deeper than {MAX_DEPTH} levels.")
        if b"\\" in shape and _SUSPECT_ESCAPE.search(text):
            errors = string_errors(data)
            if errors:
                raise ValidationError(errors)
        return data


_NOT_PARSED = object()


def _fast_loads(text: str, shape: bytes) -> Any:
    """orjson (several times faster than ``json``) for the documents it takes. It refuses what the
    standard library may still read or must explain (lone surrogates, NaN, deep nesting, malformed
    input), and reads an integer beyond 64 bits as a float where the standard library keeps it exact
    (so a body with a run of 19 digits skips it): those go through :func:`_standard_loads`, so every
    body parses to the same value and fails with the same message as before."""
    if _LONG_NUMBER in shape:
        return _NOT_PARSED
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return _NOT_PARSED


def _standard_loads(text: str, strict: bool) -> Any:
    try:
        data = json.loads(text, parse_constant=drf_json.strict_constant if strict else None)
    except RecursionError as exc:
        raise ParseError(f"JSON parse error - nested deeper than {MAX_DEPTH} levels.") from exc
    except ValueError as exc:
        raise ParseError(f"JSON parse error - {exc}") from exc
    return data


def _check_form(data):
    errors: dict[str, list[str]] = {}
    for key in data:
        for value in [key, *data.getlist(key)]:
            problem = _problem(value) if isinstance(value, str) else None
            if problem:
                errors.setdefault(key, []).append(_message((key,), problem))
                break
    if errors:
        raise ValidationError(errors)
    return data


class FormParser(parsers.FormParser):
    def parse(self, stream, media_type=None, parser_context=None):
        return _check_form(super().parse(stream, media_type, parser_context))


class MultiPartParser(parsers.MultiPartParser):
    def parse(self, stream, media_type=None, parser_context=None):
        result = super().parse(stream, media_type, parser_context)
        _check_form(result.data)
        return result
