"""Browser-source overlays for OBS: a Qt-free hub of live state and a loopback web server.

API (the interface OVERLAY-PANEL's service and panel build on; changes are additive):

``companion.overlay.model`` (frozen records; all text untrusted, rendered as text)
    ``OverlayGoal(id, type, description, current, target)``
    ``OverlayOutcome(id, title, color, users, points)``
    ``OverlayPrediction(id, title, status, outcomes, ends_at, winning_outcome_id)``
    ``OverlayChoice(id, title, votes)``
    ``OverlayPoll(id, title, status, choices, ends_at)``
    ``OverlayAlert(id, viewer, reward_id, reward_title, user_input, duration_ms, test=False)``
    ``OverlayQueueItem(id, viewer, reward_title, user_input)``

``companion.overlay.hub``
    ``OverlayHub()``: ``set_goals``, ``set_prediction``, ``set_poll``, ``push_alert``,
    ``set_queue``, ``send_test_alert(*, duration_ms=5000) -> OverlayAlert``
    (``push_alert`` raises ``ValueError`` for a duration <= 0; polls that are
    ARCHIVED/MODERATED/INVALID count as none),
    ``snapshot(page) -> dict`` (the wire message; ``state(page)`` is the same without
    ``seq``), ``connected_sources() -> list[ConnectedSource]``,
    ``add_listener(callback) -> remove``; the server uses ``attach``/``detach``.
    ``ConnectedSource(source_id, page, connected_since, remote_port)``.
    ``PAGE_NAMES = ("goals", "prediction", "poll", "alerts", "queue")``.

``companion.overlay.server``
    ``PAGES``: ``OverlayPage(name, title, description, options)`` with
    ``PageOption(name, label, kind, default, description)``.
    ``DEFAULT_PORT = 7480``; ``OverlayServerError`` (cannot start; ``str()`` is a sentence)
    and its subclass ``OverlayPortInUse`` (port taken).
    ``OverlayServer(hub, *, port=DEFAULT_PORT, css_path=None)``: ``await start()``,
    ``await stop()``, ``hub``, ``port``, ``running``, ``css_path``, ``page_url(page, options)``.

Pages: ``http://127.0.0.1:<port>/overlay/<page>``; URL options per page in ``PAGES``
(``font_size``, ``color``, ``accent``, ``background``; ``goals``; ``result_seconds``;
``rewards``; ``max``). User CSS: ``<data folder>/overlays.css`` at ``/overlay/user.css``,
linked last. Alerts pass the page's ``rewards`` filter unless ``test`` is set.

README screenshots (each page over a checkerboard): ``docs/screenshots/overlay-goals.png``,
``overlay-prediction.png``, ``overlay-poll.png``, ``overlay-alerts.png`` and
``overlay-queue.png``, made by ``QT_QPA_PLATFORM=offscreen .venv/bin/python -m
tests.browser.make_screenshots``.

Browser tests: ``tests/browser/`` (fixtures ``browser_session`` and ``overlay`` in its
conftest; ``tests/browser/harness.py`` runs Playwright's async API, the hub and the
server on one background loop thread, so tests are plain sync functions).

Everything runs on the app's asyncio loop; nothing here blocks or imports Qt or
``companion.twitch``.
"""
