"""HTTPAwaitableAsyncIterator: one paginator, two ways to use it.

``await it`` returns a list of every result (up to ``limit``); ``async for x in it`` fetches
pages lazily. Both walk the same pages the same way. Pages are as large as the endpoint
allows unless a smaller ``page_size`` is asked for, and with a ``limit`` the last page is
shrunk so the walk stops exactly on a page boundary: :attr:`cursor` then resumes exactly
where this iterator stopped.
"""

from __future__ import annotations

import logging
from collections import deque
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from .errors import PayloadError

if TYPE_CHECKING:
    from collections.abc import Callable, Generator, Sequence

    from .http import HTTPHandler, Route
    from .models.users import BaseUser

__all__ = ["HTTPAwaitableAsyncIterator"]

_log = logging.getLogger(__name__)

T = TypeVar("T")


class HTTPAwaitableAsyncIterator(Generic[T]):
    """Pages through a Helix list endpoint.

    Args:
        http: The HTTP handler.
        route: The first page's route (without ``first``/``after``).
        transform: Builds one result from one ``data`` item (raises PayloadError if bad).
        page_size: Items per request (the endpoint's maximum, unless asked otherwise).
        limit: Stop after this many results (None: all).
        cursor: Start after this cursor (from a previous iterator's :attr:`cursor`).
        user: Whose token to use (None: the app token).
        scopes: Scopes the endpoint accepts.
        name: The public method, for error messages.

    Attributes:
        cursor: The cursor of the next page, or None when there is none (yet).
        exhausted: True once the last page was fetched or ``limit`` was reached.
        pages: Requests made so far.
    """

    def __init__(
        self,
        http: HTTPHandler,
        route: Route,
        transform: Callable[[Any], T],
        *,
        page_size: int,
        limit: int | None = None,
        cursor: str | None = None,
        user: BaseUser | None = None,
        scopes: Sequence[str] = (),
        name: str | None = None,
    ) -> None:
        if page_size < 1:
            raise ValueError("page_size must be at least 1")
        if limit is not None and limit < 0:
            raise ValueError("limit must not be negative")
        self._http = http
        self._route = route
        self._transform = transform
        self._page_size = page_size
        self._limit = limit
        self._user = user
        self._scopes = tuple(scopes)
        self._name = name
        # A deque: items leave from the front, one per __anext__ (list.pop(0) moves the rest).
        self._buffer: deque[T] = deque()
        self._yielded = 0
        self.cursor = cursor
        self.exhausted = limit == 0
        self.pages = 0

    def __repr__(self) -> str:
        return f"<HTTPAwaitableAsyncIterator {self._route} pages={self.pages}>"

    async def _fetch_page(self) -> None:
        size = self._page_size
        if self._limit is not None:
            size = min(size, self._limit - self._yielded - len(self._buffer))
        route = self._route.replace_params(first=size, after=self.cursor)
        body = await self._http.request(
            route, user=self._user, scopes=self._scopes, name=self._name
        )
        self.pages += 1
        if not isinstance(body, dict) or not isinstance(body.get("data"), list):
            raise PayloadError("expected an object with a 'data' list", field="data")
        transform = self._transform
        items = [transform(item) for item in body["data"]]
        pagination = body.get("pagination")
        cursor = pagination.get("cursor") if isinstance(pagination, dict) else None
        previous = self.cursor
        self.cursor = cursor if isinstance(cursor, str) and cursor else None
        self._buffer.extend(items)
        if self.cursor is None or not items or self.cursor == previous:
            # No cursor: the last page. An empty page or a repeated cursor would loop for ever.
            self.exhausted = True
            if self.cursor == previous:
                self.cursor = None
        if self._limit is not None and self._yielded + len(self._buffer) >= self._limit:
            self.exhausted = True

    def __aiter__(self) -> HTTPAwaitableAsyncIterator[T]:
        return self

    async def __anext__(self) -> T:
        if self._limit is not None and self._yielded >= self._limit:
            raise StopAsyncIteration
        buffer = self._buffer
        while not buffer:
            if self.exhausted:
                raise StopAsyncIteration
            await self._fetch_page()
        self._yielded += 1
        return buffer.popleft()

    async def flatten(self) -> list[T]:
        """Every remaining result as a list (what ``await`` does)."""
        return [item async for item in self]

    def __await__(self) -> Generator[Any, None, list[T]]:
        return self.flatten().__await__()
