"""The FHIR facade of one site: routes a FHIR relative URL to read/search/metadata and answers JSON.

``FhirService.get("Patient/12", pairs)`` and ``FhirService.search("Patient", pairs)`` return the
resource or Bundle as a dict, or raise :class:`~mock_halo.fhir.outcome.FhirError`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from mock_halo.fhir import bundle, outcome
from mock_halo.fhir.capability import capability_statement
from mock_halo.fhir.params import PRACTICE_TZ, parse_pairs
from mock_halo.fhir.patient_write import check_update_id, not_null_defaults, parse_body, patient_columns
from mock_halo.fhir.query import Binder, Engine, read, write
from mock_halo.fhir.registry import KNOWN_UNSUPPORTED, REGISTRY, SPECS
from mock_halo.fhir.resources.availability import read_slot, search_slots
from mock_halo.fhir.search import DEFAULT_COUNT, MAX_COUNT, read_one, search
from mock_halo.fhir.spec import Context, ResourceSpec
from mock_halo.fhir.summary import patient_summary


@dataclass
class FhirService:
    """One request's view of a site: its engine (opened lazily), base URL, clock instant and id source."""

    site_id: str
    halo_link_version: str
    base_url: str
    now: datetime
    engine_factory: Callable[[], Engine]
    new_id: Callable[[], str]

    def _context(self) -> Context:
        local = self.now.astimezone(PRACTICE_TZ).replace(tzinfo=None)
        return Context(now=local, site_id=self.site_id)

    def _instant(self) -> str:
        return self.now.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")

    def get(self, path: str, pairs: list[tuple[str, str]]) -> dict[str, Any]:
        """A GET of ``{base}{path}?{pairs}``."""
        parts = [p for p in path.strip("/").split("/") if p]
        if not parts:
            raise outcome.FhirError(400, "Unable to parse Resource URL: no resource type given", code="invalid")
        if parts == ["metadata"]:
            return capability_statement(site_id=self.site_id, halo_link_version=self.halo_link_version,
                                        date=self._instant(), specs=SPECS)
        spec = self._spec(parts[0])
        if len(parts) == 1 or (len(parts) == 2 and parts[1] == "_search"):
            return self._search(spec, pairs)
        if len(parts) == 2 and not parts[1].startswith(("$", "_")):
            if spec.type == "Slot":
                return read_slot(self.engine_factory(), parts[1])
            return read_one(self.engine_factory(), spec, parts[1], self._context())
        operation = parts[-1]
        if len(parts) == 3 and operation == "$summary" and spec.type == "Patient":
            return patient_summary(self.engine_factory(), REGISTRY, parts[1], self._context(), base=self.base_url,
                                   bundle_id=self.new_id(), timestamp=self._instant())
        if len(parts) == 2 and operation == "$find-free" and spec.type in ("Appointment", "Slot"):
            return self._find_free(pairs)
        if operation.startswith("$"):
            raise outcome.not_supported(f"Operation {operation} is not supported on {spec.type} by this server")
        if "_history" in parts:
            raise outcome.not_supported(f"The history interaction is not supported on {spec.type}")
        raise outcome.FhirError(400, f"Unable to parse Resource URL: \"{path}\"", code="invalid")

    def _find_free(self, pairs: list[tuple[str, str]]) -> dict[str, Any]:
        """``Appointment/$find-free`` (or ``Slot/$find-free``): ``start``/``end`` dates (end exclusive,
        defaulting to a day after start) and optional ``practitioner``/``schedule`` -> a searchset of free Slots."""
        given = dict(pairs)
        start, end = given.get("start"), given.get("end")
        if not start:
            raise outcome.invalid("$find-free needs a start date (and optionally an end date, exclusive)")
        translated = [("start", f"ge{start}"), ("start", f"lt{end}" if end else f"le{start}")]
        for key, value in pairs:
            if key in ("practitioner", "schedule"):
                translated.append(("schedule", value.replace("Practitioner/", "Schedule/")))
            elif key in ("_count", "_getpagesoffset", "_format", "_pretty"):
                translated.append((key, value))
            elif key not in ("start", "end"):
                raise outcome.unknown_parameter("$find-free", key, ["start", "end", "practitioner", "schedule",
                                                                     "_count"])
        found = search_slots(self.engine_factory(), parse_pairs(translated), DEFAULT_COUNT, MAX_COUNT)
        return bundle.searchset(
            bundle_id=self.new_id(), base=self.base_url, resource="Slot", pairs=translated, total=found.total,
            offset=found.offset, count=found.count, matches=found.matches, included=[],
            last_updated=self._instant(),
        )

    def search(self, resource: str, pairs: list[tuple[str, str]]) -> dict[str, Any]:
        """A ``POST {base}{resource}/_search`` with the (form and query) parameters."""
        return self._search(self._spec(resource), pairs)

    def create(self, resource: str, raw: bytes) -> dict[str, Any]:
        """``POST {base}{resource}``: only Patient; the created resource (its id is the new InternalID)."""
        self._writable(resource)
        values, title = patient_columns(parse_body(raw))
        engine = self.engine_factory()
        email = values.pop("EMAIL")
        values.update(TITLECODE=self._title_code(engine, title), SEXCODE=values["SEXCODE"] or 0,
                      RECORDSTATUS=1, PATIENTSTATUS=1, CREATEDBY=0, COUNTRY="Australia")
        binder = Binder()
        columns = [*values, "CREATED", "UPDATED"]
        placeholders = [_bound(binder, column, value) for column, value in values.items()] + ["GETDATE()"] * 2
        for column, literal in not_null_defaults("PATIENTS", columns):
            columns.append(column)
            placeholders.append(literal)
        rows = read(engine, f"INSERT INTO PATIENTS ({', '.join(columns)}) VALUES ({', '.join(placeholders)}); "
                            "SELECT CAST(SCOPE_IDENTITY() AS INT) AS id", binder)
        new_id = int(rows[-1]["id"])
        self._set_email(engine, new_id, email)
        return read_one(engine, REGISTRY["Patient"], str(new_id), self._context())

    def update(self, resource: str, resource_id: str, raw: bytes) -> dict[str, Any]:
        """``PUT {base}{resource}/{id}``: only Patient; replaces the mapped columns; 404 for an unknown id."""
        self._writable(resource)
        body = parse_body(raw)
        engine = self.engine_factory()
        read_one(engine, REGISTRY["Patient"], resource_id, self._context())
        check_update_id(body, resource_id)
        values, title = patient_columns(body)
        email = values.pop("EMAIL")
        values.update(TITLECODE=self._title_code(engine, title), SEXCODE=values["SEXCODE"] or 0)
        binder = Binder()
        sets = [f"{column} = {_bound(binder, column, value)}" for column, value in values.items()]
        sets.append("UPDATED = GETDATE()")
        write(engine, f"UPDATE PATIENTS SET {', '.join(sets)} WHERE INTERNALID = {binder.int(int(resource_id))} "
                      "AND RECORDSTATUS = 1", binder)
        self._set_email(engine, int(resource_id), email)
        return read_one(engine, REGISTRY["Patient"], resource_id, self._context())

    @staticmethod
    def _set_email(engine: Engine, patient: int, email: str) -> None:
        """A patient's e-mail address lives in table EMAIL (one current row); '' removes it."""
        binder = Binder()
        who = binder.int(patient)
        if email:
            address = binder.text(email)
            write(engine, f"IF EXISTS (SELECT 1 FROM EMAIL WHERE INTERNALID = {who} AND RECORDSTATUS = 1) "
                          f"UPDATE EMAIL SET EMAIL = {address}, UPDATED = GETDATE() WHERE INTERNALID = {who} "
                          f"AND RECORDSTATUS = 1 ELSE INSERT INTO EMAIL (RECORDSTATUS, INTERNALID, EMAILCODE, EMAIL, "
                          f"CREATED, CREATEDBY) VALUES (1, {who}, 1, {address}, GETDATE(), 0)", binder)
        else:
            write(engine, f"UPDATE EMAIL SET RECORDSTATUS = 2, UPDATED = GETDATE() WHERE INTERNALID = {who} "
                          "AND RECORDSTATUS = 1", binder)

    def _writable(self, resource: str) -> None:
        spec = self._spec(resource)
        if spec.type != "Patient":
            raise outcome.not_supported(f"{spec.type} is read-only on this server: create and update are "
                                        "supported for Patient only", status=405)

    @staticmethod
    def _title_code(engine: Engine, title: str | None) -> int:
        """TITLES.TITLECODE of a name prefix (case and a trailing dot ignored); 0 (none) when unknown."""
        if not title:
            return 0
        binder = Binder()
        rows = read(engine, f"SELECT TITLECODE FROM TITLES WHERE UPPER(TITLE) = UPPER({binder.text(title.rstrip('.'))})",
                    binder)
        return int(rows[0]["TITLECODE"]) if rows else 0

    def _spec(self, name: str) -> ResourceSpec:
        spec = REGISTRY.get(name)
        if spec is not None:
            return spec
        if name in KNOWN_UNSUPPORTED:
            raise outcome.FhirError(404, f"Resource type {name} is not supported by this server", code="not-supported")
        raise outcome.unknown_resource_type(name)

    def _search(self, spec: ResourceSpec, pairs: list[tuple[str, str]]) -> dict[str, Any]:
        if spec.type == "Slot":
            found = search_slots(self.engine_factory(), parse_pairs(pairs), DEFAULT_COUNT, MAX_COUNT)
            return bundle.searchset(
                bundle_id=self.new_id(), base=self.base_url, resource="Slot", pairs=pairs, total=found.total,
                offset=found.offset, count=found.count, matches=found.matches, included=[],
                last_updated=self._instant(),
            )
        result = search(self.engine_factory(), spec, parse_pairs(pairs), self._context(), REGISTRY)
        return bundle.searchset(
            bundle_id=self.new_id(), base=self.base_url, resource=spec.type, pairs=pairs, total=result.total,
            offset=result.offset, count=result.count, matches=result.matches, included=result.included,
            last_updated=self._instant(),
        )


def _bound(binder: Binder, column: str, value: Any) -> str:
    """A bound parameter for a PATIENTS value (NULL literal for None)."""
    if value is None:
        return "NULL"
    if isinstance(value, int):
        return binder.int(value)
    if column == "DOB":
        return binder.datetime(value)
    return binder.text(value)
