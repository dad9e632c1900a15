"""Response *shapes* (never values), recorded from one target and diffed against another.

A run against a real Halo records, per operation and status code, what its
responses looked like: the media type, the header names, and the JSON body's
structure (object keys, value types, the merged shape of array elements). No
string, number or id is kept, so a snapshot holds no practice data and can be
committed. A later run against the emulator records the same and
:func:`compare` lists where the two differ: a field Halo sends that the emulator
lacks (``missing``), one the emulator adds (``extra``), a type that differs
(``changed``), a different media type or header set.

Rules that keep the diff about the contract, not the data:

* ``null`` is compatible with every type (a nullable field that happened to be
  empty in one run is not drift);
* observations of the same operation and status are merged (union of keys,
  union of types), so a field seen in any response counts as present;
* an operation seen by only one side is listed as "not compared", not as drift;
* infrastructure headers (``date``, ``server``, ``content-length``, Azure's
  ``request-context`` and ``x-ms-*``/``x-azure-*`` ...) are not recorded.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

FORMAT = "mock-halo-shapes/1"

IGNORED_HEADERS = frozenset({
    "date", "server", "content-length", "transfer-encoding", "connection", "keep-alive", "vary",
    "request-context", "strict-transport-security", "x-powered-by", "x-aspnet-version", "set-cookie",
    "age", "via", "expires", "content-encoding", "accept-ranges", "alt-svc", "traceparent",
})
IGNORED_HEADER_PREFIXES = ("x-ms-", "x-azure-", "x-cache", "x-fd-", "x-request-", "x-correlation-", "apim-", "cf-")

SOURCE_KEYS = ("kind", "base_url", "api", "mockHalo")

_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_SITE_PREFIX = re.compile(r"^/(device|desktop|integrator)/sites/[^/]+")


def operation(method: str, path: str) -> str:
    """A stable name for the operation a request addressed, free of ids.

    ``POST /desktop/sites/<guid>/queries/immediate`` and the ``/device`` twin are
    both ``POST {api}/sites/{siteId}/queries/immediate``; FHIR keeps the resource
    type (``GET .../fhir/R4/Patient/{id}``), since each type has its own shape.
    """
    path = path.split("?", 1)[0].rstrip("/") or "/"
    path = _SITE_PREFIX.sub("{api}/sites/{siteId}", path)
    parts = path.split("/")
    out: list[str] = []
    fhir_at: int | None = None  # index of "R4" in a FHIR path
    for index, part in enumerate(parts):
        previous = parts[index - 1] if index else ""
        if fhir_at is not None:
            depth = index - fhir_at  # 1: type (or metadata, $op); 2+: id, $op, _history, version
            keep = depth == 1 or part.startswith(("$", "_"))
            out.append(part if keep else "{id}")
            continue
        if part == "R4" and previous == "fhir":
            fhir_at = index
            out.append(part)
        elif previous == "results" and part.isdigit():
            out.append("{pageNumber}")
        elif previous in ("queries", "registered") and part not in ("immediate", "async", "registered", "status", "results", ""):
            out.append("{queryId}")
        elif _GUID.match(part) or part.isdigit():
            out.append("{id}")
        else:
            out.append(part)
    return f"{method.upper()} {'/'.join(out)}"


# -- shapes --------------------------------------------------------------------------------------
def shape_of(value: Any) -> Any:
    """The structure of a JSON value: type names, object keys, merged element shapes."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        items: Any = None
        for element in value:
            items = merge(items, shape_of(element))
        return {"array": items if items is not None else "empty"}
    if isinstance(value, dict):
        return {"object": {str(key): shape_of(item) for key, item in sorted(value.items())}}
    return type(value).__name__


def merge(a: Any, b: Any) -> Any:
    """The union of two shapes (``None`` is "nothing seen yet")."""
    if a is None or a == b:
        return b
    if b is None:
        return a
    if a in ("empty", "null"):
        return b if not (a == "null" and b == "empty") else a
    if b in ("empty", "null"):
        return a
    if isinstance(a, dict) and isinstance(b, dict):
        if "object" in a and "object" in b:
            keys = sorted(set(a["object"]) | set(b["object"]))
            return {"object": {k: merge(a["object"].get(k), b["object"].get(k)) for k in keys}}
        if "array" in a and "array" in b:
            return {"array": merge(a["array"], b["array"])}
    options = _options(a) + [o for o in _options(b) if o not in _options(a)]
    # Merge alternatives of the same kind (two objects stay one object).
    merged: list[Any] = []
    for option in options:
        for index, existing in enumerate(merged):
            if _kind(existing) == _kind(option):
                merged[index] = merge(existing, option)
                break
        else:
            merged.append(option)
    return merged[0] if len(merged) == 1 else {"anyOf": sorted(merged, key=_kind)}


def _options(shape: Any) -> list[Any]:
    return list(shape["anyOf"]) if isinstance(shape, dict) and "anyOf" in shape else [shape]


def _kind(shape: Any) -> str:
    if isinstance(shape, dict):
        return next(iter(shape))
    return str(shape)


def body_shape(content_type: str, content: bytes) -> Any:
    if not content:
        return "empty"
    if content_type.endswith("json"):
        try:
            return shape_of(json.loads(content))
        except ValueError:
            return "invalid-json"
    return "text" if content_type.startswith("text/") else "binary"


def header_names(headers: Any) -> list[str]:
    names = {name.lower() for name in headers.keys()}
    return sorted(n for n in names if n not in IGNORED_HEADERS and not n.startswith(IGNORED_HEADER_PREFIXES))


class ShapeRecorder:
    """Collects shapes of responses (an httpx response hook, or :meth:`add`)."""

    def __init__(self) -> None:
        self.entries: dict[str, dict[str, Any]] = {}

    def add(self, method: str, path: str, status: int, content_type: str, headers: Any, content: bytes) -> None:
        media = content_type.split(";")[0].strip().lower()
        key = f"{operation(method, path)} -> {status}"
        entry = self.entries.setdefault(key, {"status": status, "contentTypes": [], "headers": None, "body": None, "count": 0})
        if media and media not in entry["contentTypes"]:
            entry["contentTypes"] = sorted({*entry["contentTypes"], media})
        names = header_names(headers)
        # Header names: those seen on every response of this operation and status.
        entry["headers"] = names if entry["headers"] is None else sorted(set(entry["headers"]) & set(names))
        entry["body"] = merge(entry["body"], body_shape(media, content))
        entry["count"] += 1

    def on_response(self, response: Any) -> None:
        """For ``httpx.Client(event_hooks={"response": [recorder.on_response]})``."""
        request = response.request
        if request.url.path.startswith("/_mock"):
            return
        response.read()
        self.add(request.method, request.url.path, response.status_code, response.headers.get("content-type", ""),
                 response.headers, response.content)

    def snapshot(self, source: dict[str, Any] | None = None) -> dict[str, Any]:
        """The snapshot; of ``source`` only the target's kind, base URL, api and versions are kept (no ids, no keys)."""
        source = {k: v for k, v in (source or {}).items() if k in SOURCE_KEYS}
        entries = {key: {k: v for k, v in value.items() if k != "count"} for key, value in sorted(self.entries.items())}
        return {"format": FORMAT, "source": source, "operations": entries}

    def write(self, path: str | Path, source: dict[str, Any] | None = None) -> None:
        Path(path).write_text(json.dumps(self.snapshot(source), indent=2, sort_keys=True) + "\n", encoding="utf-8")


def load(path: str | Path) -> dict[str, Any]:
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ValueError(f"{path}: not a mock-halo shape snapshot (expected format {FORMAT!r})")
    return data


# -- comparing ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Drift:
    operation: str  # "GET {api}/sites/{siteId}/queries/{queryId} -> 200"
    where: str  # "body.result.rows", "content-type", "header Retry-After"
    kind: str  # missing | extra | changed
    expected: str  # what the snapshot (e.g. Halo) had
    actual: str  # what this run (e.g. the emulator) had

    def __str__(self) -> str:
        if self.kind == "missing":
            return f"{self.operation}: {self.where} is missing (snapshot: {self.expected})"
        if self.kind == "extra":
            return f"{self.operation}: {self.where} is extra (not in the snapshot; here: {self.actual})"
        return f"{self.operation}: {self.where} changed: snapshot {self.expected}, here {self.actual}"


@dataclass
class DriftReport:
    drifts: list[Drift]
    only_in_snapshot: list[str]
    only_here: list[str]
    compared: int

    @property
    def ok(self) -> bool:
        return not self.drifts

    def lines(self) -> list[str]:
        out = [f"shape drift: {len(self.drifts)} difference(s) over {self.compared} operation/status pair(s) compared"]
        out += [f"  - {drift}" for drift in self.drifts]
        if self.only_in_snapshot:
            out.append(f"  not compared (only in the snapshot): {', '.join(self.only_in_snapshot)}")
        if self.only_here:
            out.append(f"  not compared (not in the snapshot): {', '.join(self.only_here)}")
        return out


def compare(snapshot: dict[str, Any], current: dict[str, Any]) -> DriftReport:
    """Differences of ``current`` from ``snapshot`` (both :meth:`ShapeRecorder.snapshot` dicts)."""
    expected_ops = snapshot.get("operations", {})
    actual_ops = current.get("operations", {})
    drifts: list[Drift] = []
    shared = sorted(set(expected_ops) & set(actual_ops))
    for key in shared:
        expected, actual = expected_ops[key], actual_ops[key]
        if set(expected.get("contentTypes", [])) != set(actual.get("contentTypes", [])):
            drifts.append(Drift(key, "content-type", "changed", ", ".join(expected.get("contentTypes", [])) or "none",
                                ", ".join(actual.get("contentTypes", [])) or "none"))
        exp_headers, act_headers = set(expected.get("headers") or []), set(actual.get("headers") or [])
        drifts += [Drift(key, f"header {name}", "missing", "present", "absent") for name in sorted(exp_headers - act_headers)]
        drifts += [Drift(key, f"header {name}", "extra", "absent", "present") for name in sorted(act_headers - exp_headers)]
        _diff_shape(key, "body", expected.get("body"), actual.get("body"), drifts)
    return DriftReport(
        drifts=drifts,
        only_in_snapshot=sorted(set(expected_ops) - set(actual_ops)),
        only_here=sorted(set(actual_ops) - set(expected_ops)),
        compared=len(shared),
    )


def describe(shape: Any) -> str:
    if isinstance(shape, dict):
        if "object" in shape:
            return "object"
        if "array" in shape:
            return f"array of {describe(shape['array'])}"
        if "anyOf" in shape:
            return " | ".join(describe(option) for option in shape["anyOf"])
    return str(shape)


def _diff_shape(op: str, where: str, expected: Any, actual: Any, out: list[Drift]) -> None:
    if expected == actual or expected is None or actual is None:
        return
    if "null" in (expected, actual) or "empty" in (expected, actual):
        return  # a value that happened to be null / an empty array: not structure
    exp_options, act_options = _options(expected), _options(actual)
    exp_kinds = {_kind(o): o for o in exp_options if o not in ("null", "empty")}
    act_kinds = {_kind(o): o for o in act_options if o not in ("null", "empty")}
    # integer vs number: JSON numbers; a whole-valued float is data, not structure.
    if set(exp_kinds) <= {"integer", "number"} and set(act_kinds) <= {"integer", "number"}:
        return
    if set(exp_kinds) != set(act_kinds):
        out.append(Drift(op, where, "changed", describe(expected), describe(actual)))
    for kind in sorted(set(exp_kinds) & set(act_kinds)):
        e, a = exp_kinds[kind], act_kinds[kind]
        if kind == "object":
            e_keys, a_keys = e["object"], a["object"]
            for name in sorted(set(e_keys) - set(a_keys)):
                out.append(Drift(op, f"{where}.{name}", "missing", describe(e_keys[name]), "absent"))
            for name in sorted(set(a_keys) - set(e_keys)):
                out.append(Drift(op, f"{where}.{name}", "extra", "absent", describe(a_keys[name])))
            for name in sorted(set(e_keys) & set(a_keys)):
                _diff_shape(op, f"{where}.{name}", e_keys[name], a_keys[name], out)
        elif kind == "array":
            _diff_shape(op, f"{where}[]", e["array"], a["array"], out)
