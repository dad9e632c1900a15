"""SQL passthrough operations: immediate, async, status, batch status, result pages
(halo-facts 5, 6), and registered queries (halo-facts 7).

Each method is one Halo operation, named after its operationId. It takes an
admitted :class:`~mock_halo.cloud.access.Caller` and the validated request,
applies the scenario rules, runs the lifecycle and returns what the response
renders; failures are raised as the catalogue's errors.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from mock_halo import errors
from mock_halo.cloud.access import Caller
from mock_halo.cloud.base import Operations
from mock_halo.cloud.screening import fails_registration, immediate_fault, plan_override
from mock_halo.lifecycle.immediate import ImmediateRequest, ImmediateRun
from mock_halo.lifecycle.pages import PageDownload
from mock_halo.lifecycle.sqlport import with_result_limit
from mock_halo.scenarios import RequestFacts

#: INFERENCE: Halo documents no maximum for a batch status request; this keeps one bounded.
BATCH_STATUS_LIMIT = 1000


class QueryOperations(Operations):
    # -- immediate and async ------------------------------------------------------
    async def create_immediate_query(self, caller: Caller, request: ImmediateRequest) -> bytes:
        """``POST …/queries/immediate``: the successful query record as JSON bytes (200).

        Raises ``QueryFailed`` (400 SQL error / 413 too large, with the record), 400 for a
        parameter .NET cannot convert, 503/504 for a site that is offline/unreachable, 504
        past Halo's time limit, or a scenario rule's error.
        """
        decision = await self._screen(caller, "immediate", request.command.text)
        fault = immediate_fault(decision)
        site = caller.site
        assert site is not None
        deadline = self.sites.deadline()
        start = await self.sites.ready(site.id, deadline)
        run = ImmediateRun(self.emulator.ids, site.id, caller.integrator.id, request, start,
                           self.emulator.settings.immediate_result_limit_bytes)
        if fault is not None:
            failure = run.forced(fault.sql_error)
            self.lifecycle.store.add(failure.record)
            raise failure
        # The engine stops reading rows once their JSON passes the limit (a 413), never holding more.
        command = with_result_limit(request.command, self.emulator.settings.immediate_result_limit_bytes)
        try:
            outcome: Any = self.sites.quick(site, command)
            if outcome is None:
                outcome = await self.sites.run_now(
                    site, lambda: self.emulator.working_engine(site).execute(command), deadline)
        except errors.HaloError:
            raise
        except Exception as exc:  # noqa: BLE001 - the run turns the engine's errors into Halo's answer
            outcome = exc
        try:
            record = run.finish(outcome)
        except errors.QueryFailed as failure:
            self.lifecycle.store.add(failure.record)
            raise
        self.lifecycle.store.add(record)
        self.lifecycle.note_immediate(site.id, run.duration_ms, at=start)
        return record.body

    async def create_async_query(self, caller: Caller, request: ImmediateRequest) -> dict[str, Any]:
        """``POST …/queries/async``: the new query's 201 body (``initialising``)."""
        decision = await self._screen(caller, "async", request.command.text)
        await self.sites.caught_up(caller.site_id)  # what was due runs first, in plan order
        lifecycle = self.lifecycle
        query = lifecycle.submit(
            site_id=caller.site_id,
            integrator_id=caller.integrator.id,
            command=request.command,
            max_time_in_queue=request.max_time_in_queue,
            command_size=request.command_size,
            request_size=request.request_size,
            plan_override=plan_override(decision),
        )
        self._fault_webhook(decision, query.id)
        return query.render(lifecycle.site_now(caller.site_id))

    # -- reading queries ------------------------------------------------------------
    async def get_query(self, caller: Caller, query_id: str) -> bytes:
        """``GET …/queries/{queryId}``: the query (immediate or async) as it is now, as JSON bytes (a
        finished query's body is rendered once and kept: polls are the commonest call); 404 if not the caller's."""
        site_id = caller.site_id
        now = await self.sites.caught_up(site_id)
        record = self.access.own(caller, self.lifecycle.store.get(site_id, query_id), "Query", query_id)
        return record.rendered(now)

    async def get_query_status_batch(self, caller: Caller, query_ids: Iterable[str]) -> dict[str, Any]:
        """``POST /integrator/sites/{siteId}/queries/status`` (halo-facts 6.8): ``{"results": [...]}``;
        another integrator's query is ``notFound`` like an unknown id."""
        ids = list(query_ids)
        if len(ids) > BATCH_STATUS_LIMIT:
            raise errors.bad_request(f"queryIds may hold at most {BATCH_STATUS_LIMIT} ids; got {len(ids)}.")
        site_id = caller.site_id
        now = await self.sites.caught_up(site_id)
        results: list[dict[str, Any]] = []
        for query_id in ids:
            record = self.lifecycle.store.get(site_id, query_id)
            if record is None or record.integrator_id != caller.integrator.id:
                results.append({"queryId": query_id, "status": "notFound"})
            else:
                results.append({"queryId": query_id, "status": "found", "query": record.render(now)})
        return {"results": results}

    async def get_result_page(self, caller: Caller, query_id: str, page_number: int) -> PageDownload:
        """``GET …/queries/{queryId}/results/{pageNumber}``: the page (its ``raw`` JSON is the
        body of the Integrator API's ``/stream`` variant); 404/410 as Halo answers."""
        site_id = caller.site_id
        now = await self.sites.caught_up(site_id)
        self.access.own(caller, self.lifecycle.store.get(site_id, query_id), "Query", query_id)
        return self.lifecycle.page(site_id, query_id, page_number, at=now)

    # -- registered queries --------------------------------------------------------------
    async def create_registered_query(self, caller: Caller, *, name: Any, registered_query_type: Any,
                                      frequency: Any, duration: Any, command: Any, request_size: int) -> str:
        """``POST …/queries/registered``: the new query's id (Desktop answers 201, Integrator 202)."""
        decision = await self._screen(caller, "registered", command.text)
        await self.sites.caught_up(caller.site_id)
        query = self.lifecycle.create_registered(
            site_id=caller.site_id,
            integrator_id=caller.integrator.id,
            name=name,
            registered_query_type=registered_query_type,
            frequency=frequency,
            duration=duration,
            command=command,
            request_size=request_size,
            fail_initialisation=fails_registration(decision),
        )
        self._fault_webhook(decision, query.id)
        return query.id

    async def get_registered_queries(self, caller: Caller) -> dict[str, Any]:
        """``GET …/queries/registered``: the caller's registered queries on the site."""
        now = await self.sites.caught_up(caller.site_id)
        return self.lifecycle.list_registered(caller.site_id, caller.integrator.id, at=now)

    async def get_registered_query(self, caller: Caller, query_id: str) -> dict[str, Any]:
        now = await self._own_registered(caller, query_id)
        return self.lifecycle.get_registered(caller.site_id, query_id, at=now)

    async def cancel_registered_query(self, caller: Caller, query_id: str) -> None:
        """``DELETE …/registered/{queryId}``: 204 on return."""
        now = await self._own_registered(caller, query_id)
        self.lifecycle.cancel_registered(caller.site_id, query_id, at=now)

    async def get_registered_query_result(self, caller: Caller, query_id: str) -> dict[str, Any]:
        now = await self._own_registered(caller, query_id)
        return self.lifecycle.registered_result(caller.site_id, query_id, at=now)

    # -- helpers ----------------------------------------------------------------------------
    async def _own_registered(self, caller: Caller, query_id: str) -> datetime:
        """The instant the site is caught up to, once the query is known to be the caller's."""
        site_id = caller.site_id
        now = await self.sites.caught_up(site_id)
        try:
            query = self.lifecycle.registered.get(site_id, query_id)
        except errors.HaloError:
            query = None
        self.access.own(caller, query, "Registered query", query_id)
        return now

    def _fault_webhook(self, decision: Any, query_id: str) -> None:
        """A rule's or directive's webhook faults apply to this query's notification(s)."""
        if decision is not None and decision.webhook is not None:
            self.emulator.webhooks.fault(query_id, decision.webhook)

    async def _screen(self, caller: Caller, surface: str, sql: str | None):
        facts = RequestFacts(surface=surface, site=caller.site_id, sql=sql, headers=caller.headers)
        return await self.screening.screen(facts, caller.fired)
