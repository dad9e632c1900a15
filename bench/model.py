"""Plain data shared by the harness: requests, load results, targets, results.

Nothing here does I/O. Ratios are always *subject / baseline*: for throughput
higher is better, for timings lower is better; a ``Target`` says which.
"""

from __future__ import annotations

import json
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Verdict = Literal["PASS", "FAIL", "n/a"]
Status = Literal["ok", "skipped", "error"]


@dataclass(frozen=True)
class RequestSpec:
    """One HTTP request, sent unchanged by every load tool and to both servers."""

    method: str = "GET"
    path: str = "/"
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""

    @classmethod
    def json(
        cls, method: str, path: str, payload: Any, headers: Mapping[str, str] | None = None
    ) -> RequestSpec:
        """A request with a compact JSON body and ``Content-Type: application/json``."""
        body = json.dumps(payload, separators=(",", ":")).encode()
        merged = {"Content-Type": "application/json", **(headers or {})}
        return cls(method=method, path=path, headers=tuple(merged.items()), body=body)

    def header(self, name: str) -> str | None:
        """The value of header ``name`` (case-insensitive), or None."""
        for key, value in self.headers:
            if key.lower() == name.lower():
                return value
        return None

    def describe(self) -> dict[str, Any]:
        """A JSON-friendly summary (auth values elided) for the results file."""
        secret = {"authorization", "ocp-apim-subscription-key"}
        return {
            "method": self.method,
            "path": self.path,
            "headers": {k: ("<elided>" if k.lower() in secret else v) for k, v in self.headers},
            "body_bytes": len(self.body),
        }


@dataclass(frozen=True)
class LoadResult:
    """What one load run measured against one server."""

    tool: str
    requests: int
    duration_s: float
    rps: float
    p50_ms: float
    p99_ms: float
    #: Responses with status >= 400 (wrk's "Non-2xx or 3xx responses").
    non_2xx: int = 0
    #: Connect, read, write and timeout errors.
    socket_errors: int = 0

    @property
    def errors(self) -> int:
        """Every request that did not get a successful answer."""
        return self.non_2xx + self.socket_errors


@dataclass(frozen=True)
class Target:
    """A pass mark: ``min`` (value must be >= threshold) or ``max`` (value must be < threshold)."""

    kind: Literal["min", "max"]
    threshold: float
    unit: Literal["ratio", "s", "MB"]

    @classmethod
    def min_ratio(cls, threshold: float) -> Target:
        """Subject throughput must be at least ``threshold`` x the baseline's."""
        return cls("min", threshold, "ratio")

    @classmethod
    def max_seconds(cls, threshold: float) -> Target:
        """A median duration must stay below ``threshold`` seconds."""
        return cls("max", threshold, "s")

    @classmethod
    def max_ratio(cls, threshold: float) -> Target:
        """A timing's ratio (median subject / median baseline) must stay below ``threshold``."""
        return cls("max", threshold, "ratio")

    @classmethod
    def max_megabytes(cls, threshold: float) -> Target:
        """A median size (e.g. peak RSS) must stay below ``threshold`` MB."""
        return cls("max", threshold, "MB")

    def check(self, value: float | None) -> Verdict:
        """PASS or FAIL for ``value``; ``n/a`` when nothing was measured."""
        if value is None:
            return "n/a"
        ok = value >= self.threshold if self.kind == "min" else value < self.threshold
        return "PASS" if ok else "FAIL"

    def describe(self) -> str:
        """Human form, e.g. ``>= 0.30`` (a ratio) or ``< 1.5 s``."""
        op = ">=" if self.kind == "min" else "<"
        if self.unit == "ratio":
            return f"{op} {self.threshold:.2f}"
        if self.unit == "MB":
            return f"{op} {self.threshold:g} MB"
        return f"{op} {_format_seconds(self.threshold)}"


def _format_seconds(seconds: float) -> str:
    return f"{seconds * 1000:g} ms" if seconds < 1 else f"{seconds:g} s"


def median(values: Sequence[float]) -> float:
    """The median of a non-empty sequence."""
    return float(statistics.median(values))


def ratio(subject: float, baseline: float) -> float | None:
    """``subject / baseline``, or None when the baseline is zero."""
    return subject / baseline if baseline > 0 else None


@dataclass(frozen=True)
class LoadSummary:
    """The median of several load runs of one side."""

    rps: float
    p50_ms: float
    p99_ms: float
    errors: int
    runs: tuple[LoadResult, ...]

    @classmethod
    def of(cls, runs: Sequence[LoadResult]) -> LoadSummary:
        """Median req/s and latencies, summed errors."""
        return cls(
            rps=median([r.rps for r in runs]),
            p50_ms=median([r.p50_ms for r in runs]),
            p99_ms=median([r.p99_ms for r in runs]),
            errors=sum(r.errors for r in runs),
            runs=tuple(runs),
        )


@dataclass(frozen=True)
class ThroughputComparison:
    """Subject versus baseline under the same load, medians per side."""

    subject: LoadSummary
    baseline: LoadSummary
    target: Target | None

    @property
    def ratio(self) -> float | None:
        """Median subject req/s over median baseline req/s."""
        return ratio(self.subject.rps, self.baseline.rps)

    @property
    def verdict(self) -> Verdict:
        """PASS/FAIL against the target; a run with errors never passes."""
        if self.target is None:
            return "n/a"
        if self.subject.errors or self.baseline.errors:
            return "FAIL"
        return self.target.check(self.ratio)


@dataclass(frozen=True)
class TimingComparison:
    """Durations (seconds) of one operation, with an optional baseline for a ratio.

    ``unit`` "MB" makes it a size instead (e.g. a peak RSS), compared the same way.
    """

    label: str
    subject: tuple[float, ...]
    baseline: tuple[float, ...] = ()
    target: Target | None = None
    note: str = ""
    unit: Literal["s", "MB"] = "s"

    @property
    def subject_median(self) -> float:
        return median(self.subject)

    @property
    def baseline_median(self) -> float | None:
        return median(self.baseline) if self.baseline else None

    @property
    def ratio(self) -> float | None:
        """Median subject time over median baseline time (lower is better)."""
        base = self.baseline_median
        return None if base is None else ratio(self.subject_median, base)

    @property
    def verdict(self) -> Verdict:
        """The target judges the median, or the ratio when it is a ratio target."""
        if self.target is None:
            return "n/a"
        return self.target.check(self.ratio if self.target.unit == "ratio" else self.subject_median)


@dataclass
class ScenarioResult:
    """The outcome of one scenario: measurements, or why there are none."""

    name: str
    kind: Literal["throughput", "timing"]
    status: Status = "ok"
    reason: str = ""
    details: dict[str, Any] = field(default_factory=dict)
    throughput: ThroughputComparison | None = None
    timings: list[TimingComparison] = field(default_factory=list)

    @property
    def verdict(self) -> Verdict:
        """FAIL if any measured part fails, PASS if any passes, else n/a."""
        verdicts = [t.verdict for t in self.timings]
        if self.throughput is not None:
            verdicts.append(self.throughput.verdict)
        if "FAIL" in verdicts:
            return "FAIL"
        return "PASS" if "PASS" in verdicts else "n/a"

    def to_json(self) -> dict[str, Any]:
        """A JSON-friendly dict with the medians and every raw run."""
        out: dict[str, Any] = {
            "name": self.name,
            "kind": self.kind,
            "status": self.status,
            "reason": self.reason,
            "verdict": self.verdict if self.status == "ok" else "n/a",
            "details": self.details,
        }
        if self.throughput is not None:
            tp = self.throughput
            out["throughput"] = {
                "ratio": tp.ratio,
                "target": tp.target.describe() if tp.target else None,
                "verdict": tp.verdict,
                "subject": _summary_json(tp.subject),
                "baseline": _summary_json(tp.baseline),
            }
        if self.timings:
            out["timings"] = [
                {
                    "label": t.label,
                    "unit": t.unit,
                    "subject_median_s": t.subject_median,
                    "baseline_median_s": t.baseline_median,
                    "ratio": t.ratio,
                    "target": t.target.describe() if t.target else None,
                    "verdict": t.verdict,
                    "note": t.note,
                    "subject_samples_s": list(t.subject),
                    "baseline_samples_s": list(t.baseline),
                }
                for t in self.timings
            ]
        return out


def _summary_json(summary: LoadSummary) -> dict[str, Any]:
    return {
        "rps": summary.rps,
        "p50_ms": summary.p50_ms,
        "p99_ms": summary.p99_ms,
        "errors": summary.errors,
        "runs": [{**asdict(r), "errors": r.errors} for r in summary.runs],
    }
