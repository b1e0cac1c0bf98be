"""Channel Points part of the state: custom rewards and their redemptions."""

from __future__ import annotations

import asyncio
import logging
import re
from typing import TYPE_CHECKING, Any, Final

from .base import StateBase
from .errors import SimError, bad_request, not_found
from .ids import decode_cursor, encode_cursor, rfc3339
from .records import ChannelRecord, RedemptionRecord, RewardRecord

if TYPE_CHECKING:
    from collections.abc import Iterable

_log = logging.getLogger(__name__)

# Documented limits (SOURCES.md, Create/Update Custom Reward, Get/Update Redemption).
MAX_REWARDS_PER_CHANNEL: Final = 50
TITLE_MAX: Final = 45
PROMPT_MAX: Final = 200
COOLDOWN_MAX: Final = 604_800
MAX_IDS_PER_CALL: Final = 50
REDEMPTIONS_FIRST_MAX: Final = 50
REDEMPTIONS_FIRST_DEFAULT: Final = 20
REDEMPTION_STATUSES: Final = ("UNFULFILLED", "FULFILLED", "CANCELED")
INT64_MAX: Final = 2**63 - 1
_HEX_COLOR = re.compile(r"^#[0-9A-Fa-f]{6}$")
DEFAULT_IMAGE: Final = {
    "url_1x": "https://static-cdn.jtvnw.net/custom-reward-images/default-1.png",
    "url_2x": "https://static-cdn.jtvnw.net/custom-reward-images/default-2.png",
    "url_4x": "https://static-cdn.jtvnw.net/custom-reward-images/default-4.png",
}
# Twitch documents no default colour; the one its Create example returned.
DEFAULT_BACKGROUND: Final = "#00E5CB"

_BOOL_FIELDS: Final = (
    "is_enabled",
    "is_user_input_required",
    "is_max_per_stream_enabled",
    "is_max_per_user_per_stream_enabled",
    "is_global_cooldown_enabled",
    "should_redemptions_skip_request_queue",
    "is_paused",
)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_reward_body(body: dict[str, Any], *, creating: bool) -> None:
    """Validate a Create/Update Custom Reward body against the documented limits."""
    if creating:
        if "title" not in body:
            raise bad_request("The title field is required.")
        if "cost" not in body:
            raise bad_request("The cost field is required.")
        if "is_paused" in body:
            # Only Update documents is_paused; Create silently ignores it here.
            body = {k: v for k, v in body.items() if k != "is_paused"}
    for name in _BOOL_FIELDS:
        if name in body and not isinstance(body[name], bool):
            raise bad_request(f"The {name} field must be a boolean.")
    if "title" in body:
        title = body["title"]
        if not isinstance(title, str) or not 1 <= len(title) <= TITLE_MAX:
            raise bad_request(
                f"The title must contain a minimum of 1 character and a maximum of {TITLE_MAX}"
                " characters."
            )
    if "cost" in body and (not _is_int(body["cost"]) or not 1 <= body["cost"] <= INT64_MAX):
        raise bad_request("The cost field must contain a minimum of 1 point.")
    if "prompt" in body and (
        not isinstance(body["prompt"], str) or len(body["prompt"]) > PROMPT_MAX
    ):
        raise bad_request(f"The prompt field is limited to a maximum of {PROMPT_MAX} characters.")
    if "background_color" in body and (
        not isinstance(body["background_color"], str)
        or not _HEX_COLOR.match(body["background_color"])
    ):
        raise bad_request("The background_color must be a hex colour like #9147FF.")
    for flag, field, low, high in (
        ("is_max_per_stream_enabled", "max_per_stream", 1, INT64_MAX),
        ("is_max_per_user_per_stream_enabled", "max_per_user_per_stream", 1, INT64_MAX),
        ("is_global_cooldown_enabled", "global_cooldown_seconds", 1, COOLDOWN_MAX),
    ):
        if field in body and not _is_int(body[field]):
            raise bad_request(f"The {field} field must be an integer.")
        if body.get(flag) is True:
            value = body.get(field)
            if value is None or not low <= value <= high:
                limit = f"minimum value for {field} is {low}"
                if high != INT64_MAX:
                    limit += f" and the maximum is {high}"
                raise bad_request(f"If {flag} is true, the {limit}.")


#: The most paced redemptions made in one loop turn when the pacing is behind schedule.
_PACED_BURST = 256


class RewardsState(StateBase):
    """Custom rewards, redemptions and their indexes."""

    # -- shapes ------------------------------------------------------------------------------

    def in_stock(self, rec: RewardRecord) -> bool:
        """``is_in_stock`` of :meth:`reward_view`: not sold out this stream, not cooling down.

        Computed on its own because a redemption checks it for every reward of the
        channel, and building whole views for that cost more than the redemption itself.
        """
        max_stream = rec.data["max_per_stream_setting"]
        sold_out = (
            max_stream["is_enabled"] and rec.redeemed_this_stream >= max_stream["max_per_stream"]
        )
        return not (sold_out or rec.cooldown_until > self.now())

    def reward_view(self, rec: RewardRecord) -> dict[str, Any]:
        """A reward in Helix's Get Custom Reward shape, with the live fields filled in."""
        d = rec.data
        ch = self.channels[rec.broadcaster_id]
        now = self.now()
        in_cooldown = rec.cooldown_until > now
        max_stream = d["max_per_stream_setting"]
        view = self.broadcaster_fields(rec.broadcaster_id)
        out: dict[str, Any] = {
            "broadcaster_name": view["broadcaster_name"],
            "broadcaster_login": view["broadcaster_login"],
            "broadcaster_id": rec.broadcaster_id,
            "id": rec.id,
            "image": d["image"],
            "background_color": d["background_color"],
            "is_enabled": d["is_enabled"],
            "cost": d["cost"],
            "title": d["title"],
            "prompt": d["prompt"],
            "is_user_input_required": d["is_user_input_required"],
            "max_per_stream_setting": dict(max_stream),
            "max_per_user_per_stream_setting": dict(d["max_per_user_per_stream_setting"]),
            "global_cooldown_setting": dict(d["global_cooldown_setting"]),
            "is_paused": d["is_paused"],
            "is_in_stock": self.in_stock(rec),
            "default_image": dict(DEFAULT_IMAGE),
            "should_redemptions_skip_request_queue": d["should_redemptions_skip_request_queue"],
            # Documented "may be null": we give null while the channel is offline.
            "redemptions_redeemed_current_stream": (
                rec.redeemed_this_stream if ch.stream is not None else None
            ),
            "cooldown_expires_at": rfc3339(rec.cooldown_until) if in_cooldown else None,
        }
        return out

    def _reward_times(self, rec: RewardRecord) -> dict[str, str]:
        """``cooldown_expires_at`` to the nanosecond (as EventSub sends it) while it runs."""
        if rec.cooldown_until > self.now():
            return {"cooldown_expires_at": rfc3339(rec.cooldown_until, nanos=True)}
        return {}

    def _reward(self, ch: ChannelRecord, reward_id: str) -> RewardRecord:
        rec = ch.rewards.get(reward_id)
        if rec is None:
            raise not_found("The custom reward was not found.")
        return rec

    @staticmethod
    def _require_partner(user: dict[str, Any]) -> None:
        if user["broadcaster_type"] not in ("affiliate", "partner"):
            raise SimError(403, "The broadcaster is not a partner or affiliate.")

    # -- rewards -----------------------------------------------------------------------------

    def create_reward(
        self, broadcaster_id: str, client_id: str, body: dict[str, Any]
    ) -> dict[str, Any]:
        """Create Custom Rewards. Validates everything before changing anything.

        Raises:
            SimError: 400 for a broken limit, 403 for a non-affiliate channel.
        """
        ch = self.channel(broadcaster_id)
        self._require_partner(self.users[broadcaster_id])
        _check_reward_body(body, creating=True)
        if len(ch.rewards) >= MAX_REWARDS_PER_CHANNEL:
            raise bad_request("The channel has the maximum number of custom rewards (50).")
        if body["title"] in ch.reward_titles:
            raise bad_request("The title must be unique amongst all of the broadcaster's rewards.")
        reward_id = self.ids.uuid()
        data: dict[str, Any] = {
            "title": body["title"],
            "prompt": body.get("prompt", ""),
            "cost": body["cost"],
            "image": None,
            "background_color": body.get("background_color", DEFAULT_BACKGROUND),
            "is_enabled": body.get("is_enabled", True),
            "is_user_input_required": body.get("is_user_input_required", False),
            "max_per_stream_setting": {
                "is_enabled": body.get("is_max_per_stream_enabled", False),
                "max_per_stream": body.get("max_per_stream", 0),
            },
            "max_per_user_per_stream_setting": {
                "is_enabled": body.get("is_max_per_user_per_stream_enabled", False),
                "max_per_user_per_stream": body.get("max_per_user_per_stream", 0),
            },
            "global_cooldown_setting": {
                "is_enabled": body.get("is_global_cooldown_enabled", False),
                "global_cooldown_seconds": body.get("global_cooldown_seconds", 0),
            },
            "is_paused": False,
            "should_redemptions_skip_request_queue": body.get(
                "should_redemptions_skip_request_queue", False
            ),
        }
        rec = RewardRecord(reward_id, broadcaster_id, client_id, data)
        ch.rewards[reward_id] = rec
        ch.reward_titles[data["title"]] = reward_id
        view = self.reward_view(rec)
        self.emit("reward.add", broadcaster_id, view, exact_times=self._reward_times(rec))
        return view

    def get_rewards(
        self,
        broadcaster_id: str,
        client_id: str,
        ids: list[str],
        only_manageable: bool,
    ) -> list[dict[str, Any]]:
        """Get Custom Reward: sorted by id; 404 if ids were given and none was found."""
        ch = self.channel(broadcaster_id)
        self._require_partner(self.users[broadcaster_id])
        if len(set(ids)) > MAX_IDS_PER_CALL:
            raise bad_request(f"You may specify a maximum of {MAX_IDS_PER_CALL} id parameters.")
        if ids:
            recs = [ch.rewards[i] for i in dict.fromkeys(ids) if i in ch.rewards]
            if not recs:
                raise not_found("All of the custom rewards specified were not found.")
        else:
            recs = list(ch.rewards.values())
        if only_manageable:
            recs = [r for r in recs if r.client_id == client_id]
        return [self.reward_view(r) for r in sorted(recs, key=lambda r: r.id)]

    def _manageable(self, ch: ChannelRecord, reward_id: str, client_id: str) -> RewardRecord:
        rec = self._reward(ch, reward_id)
        if rec.client_id != client_id:
            raise SimError(
                403,
                "The ID in the Client-Id header must match the client ID used to create the"
                " custom reward.",
            )
        return rec

    def update_reward(
        self, broadcaster_id: str, client_id: str, reward_id: str, body: dict[str, Any]
    ) -> dict[str, Any]:
        """Update Custom Reward (only the creating client). Sends only the given fields."""
        ch = self.channel(broadcaster_id)
        self._require_partner(self.users[broadcaster_id])
        rec = self._manageable(ch, reward_id, client_id)
        merged = dict(body)
        # A flag turned on without a value falls back on the stored value.
        for flag, setting, field in (
            ("is_max_per_stream_enabled", "max_per_stream_setting", "max_per_stream"),
            (
                "is_max_per_user_per_stream_enabled",
                "max_per_user_per_stream_setting",
                "max_per_user_per_stream",
            ),
            ("is_global_cooldown_enabled", "global_cooldown_setting", "global_cooldown_seconds"),
        ):
            if flag not in merged and field in merged:
                merged[flag] = rec.data[setting]["is_enabled"]
            if merged.get(flag) is True and field not in merged:
                merged[field] = rec.data[setting][field]
        _check_reward_body(merged, creating=False)
        title = body.get("title")
        if title is not None and ch.reward_titles.get(title, reward_id) != reward_id:
            raise bad_request("The title must be unique amongst all of the broadcaster's rewards.")
        previous = self.reward_view(rec)
        d = rec.data
        for name in (
            "title",
            "prompt",
            "cost",
            "background_color",
            "is_enabled",
            "is_user_input_required",
            "is_paused",
            "should_redemptions_skip_request_queue",
        ):
            if name in body:
                d[name] = body[name]
        for flag, setting, field in (
            ("is_max_per_stream_enabled", "max_per_stream_setting", "max_per_stream"),
            (
                "is_max_per_user_per_stream_enabled",
                "max_per_user_per_stream_setting",
                "max_per_user_per_stream",
            ),
            ("is_global_cooldown_enabled", "global_cooldown_setting", "global_cooldown_seconds"),
        ):
            if flag in body:
                d[setting]["is_enabled"] = body[flag]
            if field in body:
                d[setting][field] = body[field]
        if title is not None and title != previous["title"]:
            del ch.reward_titles[previous["title"]]
            ch.reward_titles[title] = reward_id
        view = self.reward_view(rec)
        self.emit(
            "reward.update", broadcaster_id, view, previous, exact_times=self._reward_times(rec)
        )
        return view

    def delete_reward(self, broadcaster_id: str, client_id: str, reward_id: str) -> None:
        """Delete Custom Reward: its UNFULFILLED redemptions become FULFILLED (no refund)."""
        ch = self.channel(broadcaster_id)
        self._require_partner(self.users[broadcaster_id])
        rec = self._manageable(ch, reward_id, client_id)
        view = self.reward_view(rec)
        for red in list(rec.by_status["UNFULFILLED"]):
            self._set_redemption_status(rec, red, "FULFILLED")
        del ch.rewards[reward_id]
        del ch.reward_titles[rec.data["title"]]
        self.emit("reward.remove", broadcaster_id, view, exact_times=self._reward_times(rec))

    # -- redemptions -------------------------------------------------------------------------

    def redeem(
        self, broadcaster_id: str, reward_id: str, user_id: str, user_input: str = ""
    ) -> dict[str, Any]:
        """A viewer redeems a reward (what the Twitch UI does). Returns the Helix redemption.

        Raises:
            SimError: 404 unknown reward or user; 400 if the reward is disabled, paused, out
                of stock, over the per-user limit, or needs input that was not given.
        """
        ch = self.channel(broadcaster_id)
        rec = self._reward(ch, reward_id)
        user = self.users.get(user_id)
        if user is None:
            raise not_found(f"user {user_id} not found")
        d = rec.data
        if not d["is_enabled"] or d["is_paused"] or not self.in_stock(rec):
            raise bad_request("The reward cannot be redeemed now (disabled, paused or no stock).")
        per_user = d["max_per_user_per_stream_setting"]
        used = rec.per_user_this_stream.get(user_id, 0)
        if per_user["is_enabled"] and used >= per_user["max_per_user_per_stream"]:
            raise bad_request("The viewer reached max_per_user_per_stream.")
        if d["is_user_input_required"] and not user_input:
            raise bad_request("The reward requires user input.")
        now = self.now()
        rec.redeemed_this_stream += 1
        rec.per_user_this_stream[user_id] = used + 1
        cooldown = d["global_cooldown_setting"]
        if cooldown["is_enabled"]:
            rec.cooldown_until = now + cooldown["global_cooldown_seconds"]
        status = "FULFILLED" if d["should_redemptions_skip_request_queue"] else "UNFULFILLED"
        data = {
            **self.broadcaster_fields(broadcaster_id),
            "id": self.ids.uuid(),
            "user_id": user_id,
            "user_login": user["login"],
            "user_name": user["display_name"],
            "user_input": user_input,
            "status": status,
            "redeemed_at": rfc3339(now),
            "reward": {
                "id": reward_id,
                "title": d["title"],
                "prompt": d["prompt"],
                "cost": d["cost"],
            },
        }
        red = RedemptionRecord(data["id"], self.next_seq(), reward_id, data, redeemed_epoch=now)
        self.redemptions[red.id] = red
        rec.by_status[status].add(red)
        if status != "UNFULFILLED":
            self.settled_redemptions.append((now, rec, red))
        out = dict(data)
        self.emit("redemption.add", broadcaster_id, out, exact_times=_redeemed_at(red))
        return out

    def _viewer_pool(self, broadcaster_id: str) -> list[str]:
        pool = [uid for uid in self.users if uid != broadcaster_id]
        return pool or [broadcaster_id]

    def _redeemable(self, ch: ChannelRecord) -> list[RewardRecord]:
        out = []
        for rec in ch.rewards.values():
            d = rec.data
            if d["is_enabled"] and not d["is_paused"] and self.in_stock(rec):
                out.append(rec)
        return out

    def redeem_random(self, broadcaster_id: str) -> dict[str, Any] | None:
        """One redemption of a random redeemable reward by a random viewer (None if none)."""
        ch = self.channel(broadcaster_id)
        candidates = self._redeemable(ch)
        viewers = self._viewer_pool(broadcaster_id)
        for _ in range(4):
            if not candidates:
                return None
            rec = self.ids.choice(candidates)
            viewer = self.ids.choice(viewers)
            text = "demo input" if rec.data["is_user_input_required"] else ""
            try:
                return self.redeem(broadcaster_id, rec.id, viewer, text)
            except SimError:
                candidates.remove(rec)
        return None

    def redeem_many(
        self, broadcaster_id: str, count: int, rate: float | None = None
    ) -> list[dict[str, Any]] | asyncio.Task[list[dict[str, Any]]]:
        """Make ``count`` random redemptions.

        Without ``rate`` they happen now and the list is returned. With ``rate`` (per second)
        they are paced on the running loop and an awaitable task is returned.
        """
        if rate is None:
            out = []
            for _ in range(count):
                red = self.redeem_random(broadcaster_id)
                if red is not None:
                    out.append(red)
            return out
        return asyncio.get_running_loop().create_task(
            self._redeem_paced(broadcaster_id, count, rate), name="sim-redeem-many"
        )

    async def _redeem_paced(
        self, broadcaster_id: str, count: int, rate: float
    ) -> list[dict[str, Any]]:
        # Paced against a schedule (the i-th at start + i / rate), not by a sleep after
        # each one: a sleep of 1 / rate lasts at least one loop turn (~1 ms), so at 2,000/s
        # the old pacing made about 700/s. Whatever is due is made in one go, at most
        # _PACED_BURST at a time so the session writers still get the loop between bursts.
        loop = asyncio.get_running_loop()
        start = loop.time()
        out = []
        made = 0
        while made < count:
            due = min(count, made + _PACED_BURST, int((loop.time() - start) * rate) + 1)
            for _ in range(made, due):
                red = self.redeem_random(broadcaster_id)
                if red is not None:
                    out.append(red)
            made = max(made, due)
            if made < count:
                await asyncio.sleep(max(0.0, start + made / rate - loop.time()))
        return out

    def _set_redemption_status(
        self, reward: RewardRecord, red: RedemptionRecord, status: str
    ) -> dict[str, Any]:
        previous = dict(red.data)
        reward.by_status[red.status].remove(red)
        red.data["status"] = status
        red.changed()
        reward.by_status[status].add(red)
        if status != "UNFULFILLED":
            self.settled_redemptions.append((self.now(), reward, red))
        out = dict(red.data)
        self.emit(
            "redemption.update", reward.broadcaster_id, out, previous, exact_times=_redeemed_at(red)
        )
        return out

    def drop_expired_redemptions(self) -> int:
        """Forget settled redemptions past the retention window; returns how many.

        Twitch answers Get Custom Reward Redemption for FULFILLED and CANCELED ones "for
        only a few days" (SOURCES.md); see ``SimConfig.settled_redemption_retention``.
        """
        cutoff = self.now() - self.config.settled_redemption_retention
        settled = self.settled_redemptions
        dropped = 0
        while settled and settled[0][0] <= cutoff:
            _, reward, red = settled.popleft()
            if self.redemptions.get(red.id) is not red or red.status == "UNFULFILLED":
                continue
            del self.redemptions[red.id]
            reward.by_status[red.status].remove(red)
            dropped += 1
        return dropped

    def get_redemptions(
        self,
        broadcaster_id: str,
        client_id: str,
        reward_id: str,
        *,
        status: str | None,
        ids: list[str],
        sort: str,
        after: str | None,
        first: int,
    ) -> tuple[list[dict[str, Any]], str | None]:
        """Get Custom Reward Redemption. Returns the page and the next cursor (or None)."""
        page, cursor = self.redemption_page(
            broadcaster_id,
            client_id,
            reward_id,
            status=status,
            ids=ids,
            sort=sort,
            after=after,
            first=first,
        )
        return [dict(r.data) for r in page], cursor

    def redemption_page(
        self,
        broadcaster_id: str,
        client_id: str,
        reward_id: str,
        *,
        status: str | None,
        ids: list[str],
        sort: str,
        after: str | None,
        first: int,
    ) -> tuple[list[RedemptionRecord], str | None]:
        """The records of a Get Custom Reward Redemption page, and the next cursor."""
        ch = self.channel(broadcaster_id)
        self._require_partner(self.users[broadcaster_id])
        if status is not None and status not in REDEMPTION_STATUSES:
            raise bad_request("The value in the status query parameter is not valid.")
        if sort not in ("OLDEST", "NEWEST"):
            raise bad_request("The value in the sort query parameter is not valid.")
        if not ids and status is None:
            raise bad_request("The status query parameter is required if you didn't specify id.")
        if len(set(ids)) > MAX_IDS_PER_CALL:
            raise bad_request(f"You may specify a maximum of {MAX_IDS_PER_CALL} id parameters.")
        rec = self._manageable(ch, reward_id, client_id)
        if ids:
            found = [
                self.redemptions[i]
                for i in dict.fromkeys(ids)
                if i in self.redemptions and self.redemptions[i].reward_id == reward_id
            ]
            if status is not None:
                found = [r for r in found if r.status == status]
            if not found:
                raise not_found("All of the redemptions specified were not found.")
            found.sort(key=lambda r: r.seq, reverse=sort == "NEWEST")
            return found, None
        assert status is not None
        after_seq: int | None = None
        if after:
            cur = decode_cursor(after)
            if cur is None or not isinstance(cur.get("s"), int) or cur.get("o") != sort:
                raise bad_request("The cursor specified in the after query parameter is not valid.")
            after_seq = cur["s"]
        index = rec.by_status[status]
        page = index.page(newest_first=sort == "NEWEST", after_seq=after_seq, limit=first + 1)
        more = len(page) > first
        page = page[:first]
        cursor = encode_cursor({"s": page[-1].seq, "o": sort}) if more and page else None
        return page, cursor

    def update_redemptions(
        self,
        broadcaster_id: str,
        client_id: str,
        reward_id: str,
        ids: Iterable[str],
        status: Any,
    ) -> list[dict[str, Any]]:
        """Update Redemption Status.

        Only UNFULFILLED redemptions of ``reward_id`` are changed. The reference does not say
        what happens when some ids qualify and others do not; we update the ones that qualify
        and answer 404 only when none does.
        """
        ch = self.channel(broadcaster_id)
        self._require_partner(self.users[broadcaster_id])
        id_list = list(dict.fromkeys(ids))
        if not id_list:
            raise bad_request("The id query parameter is required.")
        if len(id_list) > MAX_IDS_PER_CALL:
            raise bad_request(f"You may specify a maximum of {MAX_IDS_PER_CALL} id parameters.")
        if status not in ("CANCELED", "FULFILLED"):
            raise bad_request("The value in the status field is not valid.")
        rec = self._manageable(ch, reward_id, client_id)
        targets = [
            self.redemptions[i]
            for i in id_list
            if i in self.redemptions
            and self.redemptions[i].reward_id == reward_id
            and self.redemptions[i].status == "UNFULFILLED"
        ]
        if not targets:
            raise not_found(
                "The redemptions specified were not found or their statuses weren't marked as"
                " UNFULFILLED."
            )
        return [self._set_redemption_status(rec, r, status) for r in targets]

    def reset_stream_counters(self, broadcaster_id: str) -> None:
        """A new stream starts: per-stream redemption counts go back to zero."""
        for rec in self.channels[broadcaster_id].rewards.values():
            rec.redeemed_this_stream = 0
            rec.per_user_this_stream.clear()


def _redeemed_at(red: RedemptionRecord) -> dict[str, str]:
    """``redeemed_at`` to the nanosecond, as EventSub sends it (Helix: whole seconds)."""
    return {"redeemed_at": rfc3339(red.redeemed_epoch, nanos=True)}
