"""The app's router: Starlette's, but a request is only matched against the routes that could match it.

Starlette tries every route in order (about 100 here; a FHIR read was the 21st to be tried, each
try a regular expression). :class:`IndexedRouter` first narrows the list by the path's literal
segments: a route whose path has the literal ``fhir`` as its fourth segment cannot match a path
whose fourth segment is anything else. What is left keeps its order and is handed to a plain
Starlette router with the same settings, so the first full match, a 405 for a path that matches
with another method, the trailing-slash redirect and the 404 are exactly what Starlette decides
over the whole list: only routes that could not have matched are skipped.
"""

from __future__ import annotations

from typing import Any

from starlette.routing import BaseRoute, Router
from starlette.types import Receive, Scope, Send

#: Convertors that match within one path segment (``{id}``, ``{n:int}``); any other (``path``
#: and the like) may span segments, so a route's segments after it are not indexed.
_ONE_SEGMENT = frozenset(("", "str", "int", "float", "uuid"))
#: Narrowed routers kept at most (one per distinct combination of literals a path has).
_MAX_NARROWED = 256


def literal_segments(route: BaseRoute) -> tuple[str | None, ...]:
    """The route's path segments (after splitting on ``/``) up to the first that may span several:
    a literal as it is, None for a parameter; ``()`` for a route without a path (always tried)."""
    path = getattr(route, "path", None)
    if not isinstance(path, str) or not path.startswith("/"):
        return ()
    segments: list[str | None] = []
    for segment in path.split("/"):
        if "{" not in segment:
            segments.append(segment or None)  # an empty segment (a trailing slash) is left to the route
            continue
        name = segment[segment.index("{") + 1:segment.index("}")] if "}" in segment else ":?"
        if name.partition(":")[2] not in _ONE_SEGMENT:
            break
        segments.append(None)
    return tuple(segments)


class IndexedRouter(Router):
    """A Starlette router that tries only the routes whose literal path segments the request has."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._indexed: tuple[list[BaseRoute], int] | None = None  # the route list indexed, and its length then
        self._wanted: list[tuple[str | None, ...]] = []
        self._literals: list[frozenset[str]] = []
        self._narrowed: dict[tuple[str | None, ...], Router] = {}

    async def app(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("root_path"):
            await super().app(scope, receive, send)
            return
        scope.setdefault("router", self)
        await self._narrow(scope["path"]).app(scope, receive, send)

    def _narrow(self, path: str) -> Router:
        """A router over the routes that could match ``path`` (or a trailing-slash variant of it:
        an empty segment, like a missing one, is no route's literal)."""
        if self._indexed is None or self._indexed[0] is not self.routes or self._indexed[1] != len(self.routes):
            self._index()
        literals = self._literals
        segments = path.split("/", len(literals))
        key = tuple(segment if segment in known else None
                    for segment, known in zip(segments, literals))
        narrowed = self._narrowed.get(key)
        if narrowed is None:
            if len(self._narrowed) >= _MAX_NARROWED:
                self._narrowed.clear()
            candidates = [route for route, wanted in zip(self.routes, self._wanted)
                          if all(literal is None or (i < len(key) and key[i] == literal)
                                 for i, literal in enumerate(wanted))]
            narrowed = self._narrowed[key] = Router(candidates, redirect_slashes=self.redirect_slashes,
                                                     default=self.default)
        return narrowed

    def _index(self) -> None:
        self._indexed = (self.routes, len(self.routes))
        self._wanted = [literal_segments(route) for route in self.routes]
        depth = max((len(wanted) for wanted in self._wanted), default=0)
        self._literals = [frozenset(wanted[i] for wanted in self._wanted if i < len(wanted) and wanted[i] is not None)
                          for i in range(depth)]
        self._narrowed = {}
