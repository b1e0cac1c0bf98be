"""Which scopes each public method needs, and which Helix endpoint it calls.

:data:`SCOPES` is what the client checks before sending (any one listed scope is enough;
an empty tuple means an app or user token without particular scopes). :data:`ENDPOINTS`
documents the endpoint behind each method; ``docs/client.md`` shows both, and a unit test
keeps that page in step with these tables.
"""

from __future__ import annotations

import logging
from typing import Final

__all__ = ["APP_SCOPES", "ENDPOINTS", "ENDPOINT_SCOPES", "SCOPES"]

_log = logging.getLogger(__name__)

_READ_REDEMPTIONS = ("channel:read:redemptions", "channel:manage:redemptions")
_MANAGE_REDEMPTIONS = ("channel:manage:redemptions",)
_READ_PREDICTIONS = ("channel:read:predictions", "channel:manage:predictions")
_MANAGE_PREDICTIONS = ("channel:manage:predictions",)
_READ_POLLS = ("channel:read:polls", "channel:manage:polls")
_MANAGE_POLLS = ("channel:manage:polls",)

#: Public method -> scopes it accepts (any one suffices).
SCOPES: Final[dict[str, tuple[str, ...]]] = {
    "Client.fetch_users": (),
    "Client.fetch_streams": (),
    "Client.fetch_channels": (),
    "PartialUser.fetch_channel_info": (),
    "PartialUser.get_custom_rewards": _READ_REDEMPTIONS,
    "PartialUser.create_custom_reward": _MANAGE_REDEMPTIONS,
    "CustomReward.edit": _MANAGE_REDEMPTIONS,
    "CustomReward.delete": _MANAGE_REDEMPTIONS,
    "CustomReward.get_redemptions": _READ_REDEMPTIONS,
    "PartialUser.get_redemptions": _READ_REDEMPTIONS,
    "PartialUser.update_redemptions": _MANAGE_REDEMPTIONS,
    "CustomRewardRedemption.fulfill": _MANAGE_REDEMPTIONS,
    "CustomRewardRedemption.refund": _MANAGE_REDEMPTIONS,
    "PartialUser.get_predictions": _READ_PREDICTIONS,
    "PartialUser.create_prediction": _MANAGE_PREDICTIONS,
    "PartialUser.end_prediction": _MANAGE_PREDICTIONS,
    "PartialUser.get_polls": _READ_POLLS,
    "PartialUser.create_poll": _MANAGE_POLLS,
    "PartialUser.end_poll": _MANAGE_POLLS,
    "PartialUser.get_goals": ("channel:read:goals",),
    # user:edit:broadcast is needed to include inactive extensions (SOURCES.md).
    "PartialUser.fetch_extensions": ("user:read:broadcast", "user:edit:broadcast"),
    "PartialUser.fetch_active_extensions": (),
    "PartialUser.update_extensions": ("user:edit:broadcast",),
}

#: Public method -> "METHOD /path" of the Helix endpoint it calls.
ENDPOINTS: Final[dict[str, str]] = {
    "Client.fetch_users": "GET /users",
    "Client.fetch_streams": "GET /streams",
    "Client.fetch_channels": "GET /channels",
    "PartialUser.fetch_channel_info": "GET /channels",
    "PartialUser.get_custom_rewards": "GET /channel_points/custom_rewards",
    "PartialUser.create_custom_reward": "POST /channel_points/custom_rewards",
    "CustomReward.edit": "PATCH /channel_points/custom_rewards",
    "CustomReward.delete": "DELETE /channel_points/custom_rewards",
    "CustomReward.get_redemptions": "GET /channel_points/custom_rewards/redemptions",
    "PartialUser.get_redemptions": "GET /channel_points/custom_rewards/redemptions",
    "PartialUser.update_redemptions": "PATCH /channel_points/custom_rewards/redemptions",
    "CustomRewardRedemption.fulfill": "PATCH /channel_points/custom_rewards/redemptions",
    "CustomRewardRedemption.refund": "PATCH /channel_points/custom_rewards/redemptions",
    "PartialUser.get_predictions": "GET /predictions",
    "PartialUser.create_prediction": "POST /predictions",
    "PartialUser.end_prediction": "PATCH /predictions",
    "PartialUser.get_polls": "GET /polls",
    "PartialUser.create_poll": "POST /polls",
    "PartialUser.end_poll": "PATCH /polls",
    "PartialUser.get_goals": "GET /goals",
    "PartialUser.fetch_extensions": "GET /users/extensions/list",
    "PartialUser.fetch_active_extensions": "GET /users/extensions",
    "PartialUser.update_extensions": "PUT /users/extensions",
}

#: "METHOD /path" -> scopes the endpoint accepts, for requests made without a public method
#: (a raw ``HTTPHandler.request``): an ``Unauthorized`` can still name the documented scopes.
#: Methods sharing an endpoint accept the same scopes (a unit test checks it).
ENDPOINT_SCOPES: Final[dict[str, tuple[str, ...]]] = {
    ENDPOINTS[name]: scopes for name, scopes in SCOPES.items()
}

#: Every scope the app's panels need, for the sign-in request.
APP_SCOPES: Final[tuple[str, ...]] = (
    "channel:manage:redemptions",
    "channel:manage:predictions",
    "channel:manage:polls",
    "channel:read:goals",
    "user:edit:broadcast",
)
