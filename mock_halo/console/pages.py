"""The console's pages as HTML: read from the emulator, escaped, no templates.

Each page is its content inside :func:`layout`. The parts of a page that change on their
own (the query list, a running query, the journal, rule counters, deliveries) are
``<section data-live="URL">``: the script fetches ``URL`` (the same page with ``partial=1``)
and swaps the section's content, so the server draws everything and the script only moves it.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Iterable
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

import orjson

from mock_halo.clock import format_timestamp
from mock_halo.console.timeline import Segment, outcome, segments
from mock_halo.lifecycle.plan import ALL_STATUSES

#: Rows of a list page (queries, journal entries, deliveries): the newest first.
LIST_LIMIT = 100
#: Rows of a result shown in a table; a page holds at most ``page_size_bytes`` anyway.
ROWS_SHOWN = 200
CELL_CHARS = 200
BODY_CHARS = 4000
NAV = (("Overview", "/_mock/ui"), ("Queries", "/_mock/ui/queries"), ("Journal", "/_mock/ui/journal"),
       ("Scenarios", "/_mock/ui/scenarios"), ("Webhooks", "/_mock/ui/webhooks"), ("API docs", "/docs"))
AVAILABILITY = ("online", "offline", "unreachable")
RULE_EXAMPLE = '{"match": {"surface": "immediate", "sql": "BPS_Appointments"}, "outcome": {"error": 429, "retryAfter": 5}}'


def e(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def short(identifier: str | None) -> str:
    """The first block of a GUID, with the whole of it on hover."""
    if not identifier:
        return ""
    return f'<span class="id" title="{e(identifier)}">{e(identifier[:8])}</span>'


def clock_text(clock: dict[str, Any]) -> str:
    mode = "frozen" if clock["frozen"] else ("real time" if clock["speed"] == 1 else f"running ×{clock['speed']:g}")
    return f"{clock['now']} · {mode}"


def layout(title: str, current: str, content: str, *, clock: dict[str, Any], token: str | None) -> str:
    here = ' aria-current="page"'
    links = "".join(f'<a href="{href}"{here if href == current else ""}>{name}</a>' for name, href in NAV)
    # A caller who came with the admin token (not from loopback) needs it on the script's
    # control-plane calls; loopback pages carry none.
    meta = f'<meta name="mock-halo-admin-token" content="{e(token)}">' if token else ""
    return (
        "<!doctype html>\n"
        f'<html lang="en"><head><meta charset="utf-8"><title>{e(title)} · mock-halo</title>'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'{meta}<link rel="icon" href="data:,"><link rel="stylesheet" href="/_mock/ui/static/console.css">'
        '<script src="/_mock/ui/static/console.js" defer></script></head>'
        f'<body><header><a class="brand" href="/_mock/ui">mock-halo</a><nav>{links}</nav>'
        f'<span id="clock" title="the emulator clock">{e(clock_text(clock))}</span></header>'
        f'<main><h1>{e(title)}</h1><p id="notice" role="status" hidden></p>{content}</main></body></html>'
    )


def live(url: str, inner: str, every_ms: int = 1000) -> str:
    return f'<section data-live="{e(url)}" data-every="{every_ms}">{inner}</section>'


def with_partial(path: str, params: dict[str, Any]) -> str:
    kept = {k: v for k, v in params.items() if v not in (None, "")}
    return f"{path}?{urlencode({**kept, 'partial': 1})}"


def json_text(value: Any, limit: int = BODY_CHARS) -> str:
    text = orjson.dumps(value, option=orjson.OPT_INDENT_2).decode()
    return text if len(text) <= limit else text[:limit] + "\n…"


def badge(status: str) -> str:
    return f'<span class="status {outcome(status)}">{e(status)}</span>'


def select(name: str, options: Iterable[str], chosen: str | None, *, blank: str | None = None, attrs: str = "") -> str:
    opts = f'<option value="">{e(blank)}</option>' if blank is not None else ""
    opts += "".join(f'<option value="{e(o)}"{" selected" if o == chosen else ""}>{e(o)}</option>' for o in options)
    return f'<select name="{e(name)}"{attrs}>{opts}</select>'


# -- timelines ----------------------------------------------------------------------------------
def timeline(body: dict[str, Any], now: datetime, *, large: bool = False) -> str:
    """The phases as one bar, each segment as wide as its share of the query's time so far."""
    parts = segments(body, now)
    if not parts:
        return '<div class="timeline empty"></div>'
    total = sum(p.ms for p in parts)
    spans = []
    for part in parts:
        grow = part.ms if total else 1
        label = f"{part.phase} {part.ms:.0f} ms{' (so far)' if part.open else ''}"
        spans.append(f'<span class="phase {e(part.phase)}{" open" if part.open else ""}" style="flex-grow:{grow:.3f}" '
                     f'title="{e(label)}">{e(part.phase) if large else ""}</span>')
    status = body.get("status", "")
    described = ", ".join(f"{p.phase} {p.ms:.0f} ms" for p in parts)
    return (f'<div class="timeline{" large" if large else ""}" role="img" aria-label="{e(described)}; {e(status)}">'
            f'{"".join(spans)}<span class="end {outcome(status)}" title="{e(status)}"></span></div>')


def phase_table(parts: list[Segment]) -> str:
    rows = "".join(
        f"<tr><td>{e(p.phase)}</td><td>{e(format_timestamp(p.start))}</td>"
        f"<td>{'' if p.open else e(format_timestamp(p.end))}</td><td class='num'>{p.ms:.0f}{' …' if p.open else ''}</td></tr>"
        for p in parts
    )
    return f'<table class="phases"><thead><tr><th>phase</th><th>start</th><th>end</th><th>ms</th></tr></thead><tbody>{rows}</tbody></table>'


# -- overview -----------------------------------------------------------------------------------
def overview(emulator: Any, sites: list[dict[str, Any]], clock: dict[str, Any]) -> str:
    state = emulator.state_summary()
    counts = (f'<p class="counts"><a href="/_mock/ui/queries">{len(emulator.queries)} queries stored</a> · '
              f'<a href="/_mock/ui/journal">{state["requests"]} requests</a> · '
              f'<a href="/_mock/ui/scenarios">{len(emulator.scenarios.list())} scenario rules</a> · '
              f'<a href="/_mock/ui/webhooks">{emulator.webhooks.counts()["total"]} webhook deliveries</a></p>')
    return counts + clock_controls(clock) + live("/_mock/ui?partial=1", sites_table(sites), 2000)


def clock_controls(clock: dict[str, Any]) -> str:
    return (
        '<section class="panel" id="clock-controls"><h2>Clock</h2>'
        f'<p>Now <strong data-clock-now>{e(clock["now"])}</strong> ({e(clock_text(clock).split(" · ")[1])})</p>'
        '<form data-api="POST /_mock/clock/advance" data-done="Clock moved.">'
        '<label>Advance by <input name="duration" value="1m" size="6" aria-label="advance by"></label>'
        '<button type="submit">Advance</button></form>'
        '<form data-api="POST /_mock/clock/speed" data-done="Speed set.">'
        '<label>Speed <input name="speed" type="number" min="0" step="any" value="60" size="5" aria-label="speed"></label>'
        '<button type="submit">Run</button></form>'
        '<form data-api="POST /_mock/clock/set" data-done="Clock set.">'
        f'<label>Set to <input name="time" value="{e(clock["now"])}" size="24" aria-label="set the clock to"></label>'
        '<button type="submit">Set</button></form>'
        '<p class="buttons"><button data-api="POST /_mock/clock/freeze" data-done="Clock frozen.">Freeze</button>'
        '<button data-api="POST /_mock/clock/real" data-done="Back to real time." '
        'data-confirm="Back to the wall clock? If the clock is ahead of it, this resets everything.">Real time</button>'
        '<button data-api="POST /_mock/reset" data-done="Reset." '
        'data-confirm="Reset the emulator? Queries, rules, journal and deliveries go.">Reset everything</button></p>'
        "</section>"
    )


def sites_table(sites: list[dict[str, Any]]) -> str:
    rows = []
    for site in sites:
        sid = site["id"]
        availability = select("availability", AVAILABILITY, site["availability"],
                              attrs=f' data-api="PUT /_mock/sites/{e(sid)}/availability" aria-label="availability of {e(site["name"])}"')
        latency = (f'<form data-api="PUT /_mock/sites/{e(sid)}/latency" data-done="Latency set.">'
                   f'<input name="latencyMs" type="number" min="0" value="{site["latencyMs"]}" size="6" '
                   f'aria-label="latency of {e(site["name"])} in ms"> ms <button type="submit">Set</button></form>')
        rows.append(
            f'<tr data-site="{e(sid)}"><td>{e(site["name"])}</td><td>{short(sid)}</td><td>{e(site["pmsType"])}</td>'
            f'<td class="avail {e(site["availability"])}">{availability}</td><td>{latency}</td>'
            f'<td><a href="/_mock/ui/queries?{urlencode({"site": sid})}">queries</a></td></tr>'
        )
    return ('<h2>Sites</h2><table id="sites"><thead><tr><th>name</th><th>site</th><th>PMS</th><th>availability</th>'
            f'<th>added latency</th><th></th></tr></thead><tbody>{"".join(rows)}</tbody></table>')


# -- queries -------------------------------------------------------------------------------------
def status_of(record: Any, now: datetime) -> str:
    at = getattr(record, "status_at", None)
    return at(now) if at is not None else record.status


def queries_filter(sites: Iterable[str], chosen: dict[str, str | None]) -> str:
    return (
        '<form class="filters" method="get" action="/_mock/ui/queries">'
        f'<label>site {select("site", sites, chosen.get("site"), blank="any")}</label>'
        f'<label>mode {select("mode", ("immediate", "async"), chosen.get("mode"), blank="any")}</label>'
        f'<label>status {select("status", ALL_STATUSES, chosen.get("status"), blank="any")}</label>'
        '<button type="submit">Show</button></form>'
    )


def queries_table(records: list[tuple[Any, dict[str, Any]]], total: int, now: datetime) -> str:
    rows = "".join(
        f'<tr data-query="{e(body["id"])}"><td>{e(body["createdAt"][11:23])}</td>'
        f'<td><a href="/_mock/ui/queries/{e(body["id"])}">{e(body["id"][:8])}</a></td>'
        f'<td>{short(body["siteId"])}</td><td>{e(body["mode"])}</td><td>{badge(body["status"])}</td>'
        f'<td class="bar">{timeline(body, now)}</td></tr>'
        for _, body in records
    )
    shown = f"the newest {len(records)} of {total}" if total > len(records) else f"{len(records)} of {total}"
    return (f'<p class="meta">{shown} stored queries (immediate and async), newest first</p>'
            '<table id="queries"><thead><tr><th>created (UTC)</th><th>query</th><th>site</th><th>mode</th><th>status</th>'
            f'<th class="bar">lifecycle</th></tr></thead><tbody>{rows}</tbody></table>')


def query_detail(body: dict[str, Any], now: datetime, deliveries: list[dict[str, Any]]) -> str:
    facts = [("query", body["id"]), ("site", body["siteId"]), ("integrator", body.get("integratorId")),
             ("mode", body["mode"]), ("created", body["createdAt"]), ("updated", body.get("updatedAt")),
             ("completed", body.get("completedAt")), ("max time in queue", f'{body.get("maxTimeInQueue")} ms'),
             ("SQL execution", f'{body["metrics"]["sqlExecutionDuration"]} ms' if body.get("metrics") else None),
             ("result size", body.get("resultSize"))]
    listing = "".join(f"<dt>{e(k)}</dt><dd>{e(v)}</dd>" for k, v in facts if v is not None)
    out = [f'<p>{badge(body["status"])}</p>', timeline(body, now, large=True), phase_table(segments(body, now)),
           f"<dl>{listing}</dl>"]
    if body.get("errorDetails"):
        out.append(f'<h2>Error</h2><pre class="error">{e(json_text(body["errorDetails"]))}</pre>')
    result = body.get("result")
    if result is not None:
        out.append(result_part(body["id"], result))
    if deliveries:
        out.append("<h2>Webhook deliveries</h2>" + deliveries_table(deliveries))
    out.append(f'<p><a href="/_mock/ui/journal?{urlencode({"path": body["id"]})}">Requests naming this query in the journal</a></p>')
    out.append(f'<details><summary>Status body (JSON)</summary><pre>{e(json_text(body, 20_000))}</pre></details>')
    return "".join(out)


def result_part(query_id: str, result: dict[str, Any]) -> str:
    if "data" in result:  # an immediate query: the rows are in the body
        try:
            rows = orjson.loads(base64.b64decode(result["data"]))
        except (ValueError, orjson.JSONDecodeError):
            rows = None
        if isinstance(rows, list):
            return f'<h2>Result: {result.get("rows", len(rows))} rows</h2>' + rows_table(rows)
    pages = result.get("pages")
    if pages is None:
        return f"<h2>Result</h2><pre>{e(json_text(result))}</pre>"
    items = "".join(
        f'<tr><td><a href="/_mock/ui/queries/{e(query_id)}/pages/{p["pageNumber"]}">page {p["pageNumber"]}</a></td>'
        f'<td>{e(p.get("status"))}</td><td class="num">{p.get("rows", {}).get("count", "")}</td>'
        f'<td class="num">{p.get("size", "")}</td></tr>'
        for p in pages
    )
    count = result.get("rows", result.get("rowsAffected"))
    what = "rows" if "rows" in result else "rows affected"
    return (f"<h2>Result: {e(count)} {what}, {len(pages)} page(s)</h2>"
            '<table id="pages"><thead><tr><th>page</th><th>status</th><th>rows</th><th>bytes</th></tr></thead>'
            f"<tbody>{items}</tbody></table>")


def rows_table(rows: list[Any]) -> str:
    if not rows:
        return "<p>No rows.</p>"
    columns: list[str] = []
    for row in rows[:ROWS_SHOWN]:
        for key in row if isinstance(row, dict) else ():
            if key not in columns:
                columns.append(key)
    head = "".join(f"<th>{e(c)}</th>" for c in columns)

    def cell(value: Any) -> str:
        text = "NULL" if value is None else str(value)
        css = ' class="null"' if value is None else ""
        return f'<td{css}>{e(text[:CELL_CHARS])}{"…" if len(text) > CELL_CHARS else ""}</td>'

    body = "".join("<tr>" + "".join(cell(row.get(c)) for c in columns) + "</tr>" for row in rows[:ROWS_SHOWN]
                   if isinstance(row, dict))
    more = f'<p class="meta">the first {ROWS_SHOWN} of {len(rows)} rows</p>' if len(rows) > ROWS_SHOWN else ""
    return f'<div class="scroll"><table class="rows"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>{more}'


# -- journal -------------------------------------------------------------------------------------
def journal_filter(chosen: dict[str, str | None], surfaces: Iterable[str]) -> str:
    return (
        '<form class="filters" method="get" action="/_mock/ui/journal">'
        f'<label>path contains <input name="path" value="{e(chosen.get("path"))}" size="24"></label>'
        f'<label>site <input name="site" value="{e(chosen.get("site"))}" size="12"></label>'
        f'<label>status <input name="status" value="{e(chosen.get("status"))}" size="4" inputmode="numeric"></label>'
        f'<label>surface {select("surface", surfaces, chosen.get("surface"), blank="any")}</label>'
        '<button type="submit">Filter</button></form>'
    )


def journal_table(entries: list[dict[str, Any]], capacity: int) -> str:
    rows = []
    for entry in reversed(entries):
        rules = ", ".join(entry["scenarios"])
        bodies = ""
        if entry["requestBody"] or entry["responseBody"]:
            bodies = (f'<details><summary>bodies</summary><pre>{e(entry["requestBody"][:BODY_CHARS])}</pre>'
                      f'<pre>{e(entry["responseBody"][:BODY_CHARS])}</pre></details>')
        query = f"?{entry['query']}" if entry["query"] else ""
        rows.append(
            f'<tr data-entry="{entry["id"]}"><td>{e(entry["time"][11:23])}</td><td>{e(entry["method"])}</td>'
            f'<td class="path">{e(entry["path"])}{e(query)}{bodies}</td>'
            f'<td class="num code{entry["status"] // 100}">{entry["status"]}</td><td class="num">{entry["durationMs"]:.1f}</td>'
            f'<td>{e(entry["surface"])}</td><td>{e(rules)}</td><td>{e(entry["retryAfter"])}</td></tr>'
        )
    return (f'<p class="meta">{len(entries)} requests, newest first (the journal keeps the last {capacity})</p>'
            '<table id="journal"><thead><tr><th>time (UTC)</th><th>method</th><th>path</th><th>status</th><th>ms</th>'
            f'<th>surface</th><th>rules fired</th><th>Retry-After</th></tr></thead><tbody>{"".join(rows)}</tbody></table>')


# -- scenario rules ------------------------------------------------------------------------------
def scenarios_page(rules: list[dict[str, Any]]) -> str:
    form = (
        '<section class="panel"><h2>Add a rule</h2>'
        '<form data-api="POST /_mock/scenarios" data-done="Rule added." id="add-rule">'
        f'<textarea name="rule" data-json rows="4" cols="90" aria-label="rule as JSON">{e(RULE_EXAMPLE)}</textarea>'
        '<p><button type="submit">Add rule</button> <span class="meta">A rule is JSON: '
        '<code>match</code> (surface, site, sql, sqlRegex, headers, fhirResource, count, probability) and '
        '<code>outcome</code> (error, retryAfter, latency, status, sqlError, webhook…), as the README describes.</span></p>'
        "</form></section>"
    )
    return form + live("/_mock/ui/scenarios?partial=1", rules_table(rules), 2000)


def rules_table(rules: list[dict[str, Any]]) -> str:
    rows = "".join(
        f'<tr data-rule="{e(rule["id"])}"><td>{e(rule["id"])}</td><td><code>{e(orjson.dumps(rule.get("match", {})).decode())}</code></td>'
        f'<td><code>{e(orjson.dumps(rule.get("outcome", {})).decode())}</code></td>'
        f'<td class="num">{rule.get("matched", 0)}</td><td class="num">{rule.get("fired", 0)}</td>'
        f'<td><button data-api="DELETE /_mock/scenarios/{e(rule["id"])}" data-done="Rule deleted.">Delete</button></td></tr>'
        for rule in rules
    )
    clear = ('<p><button data-api="DELETE /_mock/scenarios" data-done="Rules deleted." '
             'data-confirm="Delete every scenario rule?">Delete all</button></p>') if rules else ""
    return (f'<h2>Rules ({len(rules)})</h2><table id="rules"><thead><tr><th>id</th><th>match</th><th>outcome</th>'
            f'<th>matched</th><th>fired</th><th></th></tr></thead><tbody>{rows}</tbody></table>{clear}')


# -- webhooks ------------------------------------------------------------------------------------
def webhooks_page(configs: list[tuple[str, Any]], deliveries: list[dict[str, Any]], counts: dict[str, int]) -> str:
    rows = "".join(
        f"<tr><td>{e(name)}</td><td>{e(hook.url or '') if hook else 'not configured'}"
        f"{'' if not hook or not (hook.async_url or hook.registered_url) else ' (async ' + e(hook.async_url) + ', registered ' + e(hook.registered_url) + ')'}</td></tr>"
        for name, hook in configs
    )
    config = ('<h2>Where notifications go</h2><table id="webhook-config"><thead><tr><th>integrator</th><th>URL</th></tr></thead>'
              f"<tbody>{rows}</tbody></table>")
    return config + live("/_mock/ui/webhooks?partial=1", deliveries_part(deliveries, counts), 2000)


def deliveries_part(deliveries: list[dict[str, Any]], counts: dict[str, int]) -> str:
    summary = (f'<p class="meta">{counts["total"]} deliveries kept · {counts["waiting"]} waiting · '
               f'{counts["inFlight"]} in flight; newest first</p>')
    return "<h2>Deliveries</h2>" + summary + deliveries_table(deliveries)


def deliveries_table(deliveries: list[dict[str, Any]]) -> str:
    rows = []
    for d in reversed(deliveries):
        attempts = d["attempts"]
        last = attempts[-1] if attempts else None
        answer = "" if last is None else (last["error"] or last["status"] or "…")
        rows.append(
            f'<tr data-delivery="{d["id"]}"><td>{d["id"]}</td><td>{e(d["occurredAt"][11:23])}</td><td>{e(d["source"])}</td>'
            f'<td><a href="/_mock/ui/queries/{e(d["queryId"])}">{e(d["queryId"][:8])}</a></td><td class="path">{e(d["url"])}</td>'
            f'<td><span class="delivery {e(d["state"])}">{e(d["state"])}</span></td><td class="num">{len(attempts)}</td>'
            f'<td>{e(answer)}</td><td>{e(", ".join(d["faults"]))}</td>'
            f'<td><button data-api="POST /_mock/webhooks/{d["id"]}/redeliver" data-done="Sent again.">Redeliver</button></td></tr>'
        )
    return ('<table class="deliveries"><thead><tr><th>#</th><th>occurred (UTC)</th><th>source</th><th>query</th><th>URL</th>'
            f'<th>state</th><th>attempts</th><th>last answer</th><th>faults</th><th></th></tr></thead><tbody>{"".join(rows)}</tbody></table>')


def message(text: str) -> str:
    return f'<p class="message">{e(text)}</p>'
