"""The Helix endpoints behind the seed's minor models (moderation, chat, Bits, teams,
followers, subscriptions, hype train, raids, clips, videos, markers, games, schedule).

Written from ``helix-openapi.json`` and ``SOURCES.md`` (never from the client). Wire into the
simulator with :func:`install_extra_routes` from ``Simulator.build_app``.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from aiohttp import web

from ..config import DEMO_BROADCASTER_LOGIN
from . import channel, chat, content, moderation
from .demo import seed_demo_extras
from .store import ExtrasStore, extras_store

if TYPE_CHECKING:
    from ..state import SimState

__all__ = ["ExtrasStore", "extras_store", "install_extra_routes"]

_log = logging.getLogger(__name__)

_INSTALLED: web.AppKey[bool] = web.AppKey("sim_extras_installed", bool)


def install_extra_routes(app: web.Application, state: SimState) -> None:
    """Add the extra Helix routes to ``app`` (once; a second call does nothing).

    Also seeds the demo broadcaster's extras when the state has the demo channel.
    """
    if app.get(_INSTALLED):
        return
    app[_INSTALLED] = True
    store = extras_store(state)
    demo_id = state.user_ids_by_login.get(DEMO_BROADCASTER_LOGIN)
    if demo_id is not None and not store.demo_seeded:
        seed_demo_extras(store, demo_id)
    for module in (moderation, chat, channel, content):
        app.add_routes(module.routes())
