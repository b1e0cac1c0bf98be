"""The seed's minor models read Twitch's documented examples to the exact values."""

from __future__ import annotations

import copy
from datetime import UTC, datetime

import pytest

from companion.twitch.errors import LimitError, PayloadError
from companion.twitch.models.bits import (
    BitLeaderboardUser,
    BitsLeaderboard,
    CheerEmote,
    CheerEmoteTier,
)
from companion.twitch.models.channels import ChannelTeams, Team
from companion.twitch.models.chat import ChatBadge, ChatBadgeVersion, ChatSettings, ChatterColor
from companion.twitch.models.clips import Clip
from companion.twitch.models.follows import FollowEvent
from companion.twitch.models.games import Game
from companion.twitch.models.hype_train import HypeTrainContribution, HypeTrainEvent
from companion.twitch.models.markers import Marker
from companion.twitch.models.moderation import (
    AutomodCheckMessage,
    AutomodCheckResponse,
    BanEvent,
    ModEvent,
    ModEventEnum,
    UserBan,
)
from companion.twitch.models.raids import Raid
from companion.twitch.models.schedule import Schedule, ScheduleSegment, ScheduleVacation
from companion.twitch.models.subscriptions import SubscriptionEvent
from companion.twitch.models.videos import Video
from tests.helpers.reference import SEED_FILE
from tests.unit.twitch.seed_extras_cases import (
    BAN_EVENT,
    CASES,
    CASTER,
    GIFT_EVENT,
    HTTP,
    HYPE_END_EVENT,
    MESSAGE_EVENT,
    MOD_NOTIFICATION,
    UNBAN_EVENT,
    WHEN,
    body,
    first,
    follow_notification,
)


def t(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


@pytest.mark.parametrize("case", sorted(CASES))
def test_every_documented_payload_parses(case: str) -> None:
    parse, payload = CASES[case]
    model = parse(copy.deepcopy(payload))
    assert model == parse(copy.deepcopy(payload))
    assert hash(model) == hash(parse(copy.deepcopy(payload)))
    assert repr(model).startswith("<")


def test_automod() -> None:
    items = body("POST", "/moderation/enforcements/status")["data"]
    got = [AutomodCheckResponse(item) for item in items]
    assert [(r.id, r.permitted) for r in got] == [("123", True), ("393", False)]
    message = AutomodCheckMessage("123", "Hello World!", CASTER)
    assert message.to_payload() == {"msg_id": "123", "msg_text": "Hello World!"}


def test_user_ban_is_a_partial_user_with_ban_details() -> None:
    ban = UserBan(HTTP, first("GET", "/moderation/banned"), CASTER)
    assert (ban.id, ban.login, ban.name) == ("423374343", "glowillig", "glowillig")
    assert ban.broadcaster is CASTER
    assert ban.created_at == datetime(2022, 3, 15, 1, 30, 28, tzinfo=UTC)
    assert ban.expires_at == datetime(2022, 3, 15, 2, 0, 28, tzinfo=UTC)
    assert ban.reason == "Does not like pineapple on pizza."
    assert (ban.moderator.id, ban.moderator.login) == ("141981764", "twitchdev")
    assert hasattr(ban, "fetch_channel_info")


def test_permanent_ban_has_no_expiry() -> None:
    data = first("GET", "/moderation/banned")
    data["expires_at"] = ""
    assert UserBan(HTTP, data, CASTER).expires_at is None


def test_ban_event_from_ban_user_response() -> None:
    ban = BanEvent(HTTP, first("POST", "/moderation/bans", "Example 1"))
    assert (ban.broadcaster.id, ban.moderator.id, ban.user.id) == ("1234", "5678", "9876")
    assert ban.timestamp == datetime(2021, 9, 28, 18, 22, 31, tzinfo=UTC)
    assert ban.expires_at is None
    assert ban.banned is True
    timeout = BanEvent(HTTP, first("POST", "/moderation/bans", "Example 2"))
    assert timeout.expires_at == datetime(2021, 9, 28, 19, 22, 31, tzinfo=UTC)


def test_ban_and_unban_events_from_eventsub() -> None:
    ban = BanEvent.from_eventsub(HTTP, BAN_EVENT)
    assert (ban.user.login, ban.moderator.login, ban.broadcaster.id) == (
        "cool_user",
        "mod_user",
        "1337",
    )
    assert ban.timestamp == datetime(2020, 7, 15, 18, 15, 11, 171067, tzinfo=UTC)
    assert ban.expires_at == datetime(2020, 7, 15, 18, 16, 11, 171067, tzinfo=UTC)
    assert (ban.banned, ban.reason) == (True, "Offensive language")
    unban = BanEvent.from_eventsub(HTTP, UNBAN_EVENT, timestamp=WHEN)
    assert (unban.banned, unban.timestamp, unban.expires_at) == (False, WHEN, None)


def test_mod_event_from_notification() -> None:
    event = ModEvent.from_notification(HTTP, MOD_NOTIFICATION)
    assert event.type is ModEventEnum.moderator_added
    assert (event.broadcaster.id, event.user.id, event.user.login) == ("1337", "1234", "mod_user")
    assert event.timestamp == datetime(2024, 1, 2, 3, 4, 5, 123456, tzinfo=UTC)
    other = copy.deepcopy(MOD_NOTIFICATION)
    other["metadata"]["subscription_type"] = "channel.follow"
    with pytest.raises(PayloadError, match="not a moderator event"):
        ModEvent.from_notification(HTTP, other)


def test_bits_leaderboard() -> None:
    board = BitsLeaderboard(HTTP, body("GET", "/bits/leaderboard"))
    assert board.started_at == datetime(2018, 2, 5, 8, tzinfo=UTC)
    assert board.ended_at == datetime(2018, 2, 12, 8, tzinfo=UTC)
    assert board.total == 2
    assert all(isinstance(u, BitLeaderboardUser) for u in board.leaders)
    assert hasattr(board.leaders[0], "fetch_channel_info")  # every PartialUser method
    assert [(u.id, u.login, u.name, u.rank, u.score) for u in board.leaders] == [
        ("158010205", "tundracowboy", "TundraCowboy", 1, 12543),
        ("7168163", "topramens", "Topramens", 2, 6900),
    ]
    empty = {"data": [], "date_range": {"started_at": "", "ended_at": ""}, "total": 0}
    window = BitsLeaderboard(HTTP, empty)
    assert (window.started_at, window.ended_at, window.leaders) == (None, None, [])


def test_cheermote_and_tiers() -> None:
    emote = CheerEmote(HTTP, first("GET", "/bits/cheermotes"))
    assert (emote.prefix, emote.type, emote.order, emote.is_charitable) == (
        "Cheer",
        "global_first_party",
        1,
        False,
    )
    assert emote.last_updated == datetime(2018, 5, 22, 0, 6, 4, tzinfo=UTC)
    tier = emote.tiers[0]
    assert isinstance(tier, CheerEmoteTier)
    assert (tier.id, tier.min_bits, tier.color, tier.can_cheer, tier.show_in_bits_card) == (
        "1",
        1,
        "#979797",
        True,
        True,
    )
    assert tier.images["dark"]["animated"]["1.5"] == (
        "https://d3aqoihi2n8ty8.cloudfront.net/actions/cheer/dark/animated/1/1.5.gif"
    )


def test_teams() -> None:
    member = ChannelTeams(HTTP, first("GET", "/teams/channel"))
    assert (member.broadcaster.id, member.broadcaster.login, member.id) == (
        "96909659",
        "csharpfritz",
        "6358",
    )
    assert (member.name, member.display_name) == ("livecoders", "Live Coders")
    # The example sends null although the schema says string.
    assert (member.background_image_url, member.banner) == (None, None)
    assert member.created_at == datetime(2019, 2, 11, 12, 9, 22, tzinfo=UTC)
    assert member.updated_at == datetime(2020, 11, 18, 15, 56, 41, tzinfo=UTC)
    team = Team(HTTP, first("GET", "/teams"))
    assert [(u.id, u.login) for u in team.users] == [
        ("278217731", "mastermndio"),
        ("41284990", "jenninexus"),
    ]
    assert team.id == "6358"


def test_chat_badges_settings_colors() -> None:
    badges = [ChatBadge(item) for item in body("GET", "/chat/badges")["data"]]
    assert [b.set_id for b in badges] == ["bits", "subscriber"]
    bits = badges[0].versions[0]
    assert isinstance(bits, ChatBadgeVersion)
    assert (bits.id, bits.title, bits.click_action, bits.click_url) == (
        "1",
        "cheer 1",
        "visit_url",
        "https://bits.twitch.tv",
    )
    assert badges[1].versions[0].click_url is None  # documented as null
    settings = ChatSettings(HTTP, first("GET", "/chat/settings"))
    assert settings.broadcaster.id == "713936733"
    assert (settings.slow_mode, settings.slow_mode_wait_time) == (False, None)
    assert (settings.follower_mode, settings.follower_mode_duration) == (True, 0)
    assert (settings.non_moderator_chat_delay, settings.non_moderator_chat_delay_duration) == (
        True,
        4,
    )
    assert settings.moderator is None
    updated = ChatSettings(HTTP, first("PATCH", "/chat/settings"))
    assert updated.moderator is not None
    assert updated.moderator.id == "5678"
    assert (updated.slow_mode, updated.slow_mode_wait_time) == (True, 10)
    colors = [ChatterColor(HTTP, item) for item in body("GET", "/chat/color")["data"]]
    assert [(c.user.id, c.user.login, c.color) for c in colors] == [
        ("11111", "speedyspeedster1", "#9146FF"),
        ("44444", "speedyspeedster2", None),
    ]


def test_clips() -> None:
    clip = Clip(HTTP, first("GET", "/clips", "Example 1"))
    assert (clip.id, clip.broadcaster.id, clip.broadcaster.name) == (
        "AwkwardHelplessSalamanderSwiftRage",
        "67955580",
        "ChewieMelodies",
    )
    assert (clip.creator.id, clip.creator.name) == ("53834192", "BlackNova03")
    assert (clip.video_id, clip.duration, clip.vod_offset, clip.is_featured) == (
        "205586603",
        60.0,
        480,
        False,
    )
    assert clip.created_at == datetime(2017, 11, 30, 22, 34, 18, tzinfo=UTC)
    other = Clip(HTTP, first("GET", "/clips", "Example 2"))
    assert (other.video_id, other.duration, other.is_featured) == (None, 12.9, True)


def test_follows() -> None:
    follow = FollowEvent(HTTP, first("GET", "/channels/followers", "Example 1"), to=CASTER)
    assert (follow.from_user.id, follow.from_user.login) == ("11111", "userloginname")
    assert follow.to_user is CASTER
    assert follow.followed_at == datetime(2022, 5, 24, 22, 22, 8, tzinfo=UTC)
    event = FollowEvent.from_eventsub(HTTP, follow_notification()["payload"]["event"])
    assert (event.from_user.id, event.to_user.id, event.to_user.login) == (
        "1337",
        "12826",
        "twitch",
    )
    assert event.followed_at == datetime(2023, 7, 15, 18, 16, 11, 171067, tzinfo=UTC)
    with pytest.raises(PayloadError, match="broadcaster_user_id"):
        FollowEvent(HTTP, first("GET", "/channels/followers", "Example 1"))


def test_game_art_url() -> None:
    game = Game(HTTP, first("GET", "/games"))
    assert (game.id, game.name, game.igdb_id) == ("33214", "Fortnite", "1905")
    assert game.art_url(285, 380) == "https://static-cdn.jtvnw.net/ttv-boxart/33214-285x380.jpg"
    for bad in ((0, 10), (10, -1), (True, 10)):
        with pytest.raises(ValueError, match="positive integers"):
            game.art_url(*bad)


def test_hype_train_from_status_and_eventsub() -> None:
    train = HypeTrainEvent(HTTP, first("GET", "/hypetrain/status")["current"])
    assert (train.id, train.broadcaster.id, train.broadcaster.login) == (
        "1b0AsbInCHZW2SQFQkCzqN07Ib2",
        "1337",
        "cool_user",
    )
    assert (train.level, train.total, train.progress, train.goal) == (2, 700, 200, 1000)
    assert all(isinstance(c, HypeTrainContribution) for c in train.top_contributions)
    assert [(c.user.id, c.type, c.total) for c in train.top_contributions] == [
        ("123", "bits", 50),
        ("456", "subscription", 45),
    ]
    assert train.started_at == datetime(2020, 7, 15, 17, 16, 3, 171067, tzinfo=UTC)
    assert train.expiry == datetime(2020, 7, 15, 17, 16, 11, 171067, tzinfo=UTC)
    assert (train.type, train.is_shared_train, train.timestamp) == ("golden_kappa", True, None)
    assert (train.last_contribution, train.cooldown_end_time) == (None, None)
    ended = HypeTrainEvent.from_eventsub(HTTP, HYPE_END_EVENT, timestamp=WHEN)
    assert ended.cooldown_end_time == datetime(2020, 7, 15, 18, 16, 11, 171067, tzinfo=UTC)
    assert (ended.progress, ended.goal, ended.expiry, ended.timestamp) == (None, None, None, WHEN)


def test_markers() -> None:
    created = Marker(first("POST", "/streams/markers"))
    assert (created.id, created.position, created.description) == (
        "123",
        244,
        "hello, this is a marker!",
    )
    listed = Marker(first("GET", "/streams/markers")["videos"][0]["markers"][0])
    assert listed.url == "https://twitch.tv/twitchname/manager/highlighter/456?t=0h4m06s"


def test_raid() -> None:
    raid = Raid(first("POST", "/raids"))
    assert raid.created_at == datetime(2022, 2, 18, 7, 20, 50, 520000, tzinfo=UTC)
    assert raid.is_mature is False


def test_schedule() -> None:
    schedule = Schedule(HTTP, body("GET", "/schedule"))
    assert (schedule.user.id, schedule.user.login, schedule.vacation, schedule.cursor) == (
        "141981764",
        "twitchdev",
        None,
        None,
    )
    (segment,) = schedule.segments
    assert isinstance(segment, ScheduleSegment)
    assert segment.title == "TwitchDev Monthly Update // July 1, 2021"
    assert segment.start_time == datetime(2021, 7, 1, 18, tzinfo=UTC)
    assert segment.end_time == datetime(2021, 7, 1, 19, tzinfo=UTC)
    assert (segment.canceled_until, segment.is_recurring) == (None, False)
    assert segment.category is not None
    assert (segment.category.id, segment.category.name) == ("509670", "Science & Technology")
    data = body("GET", "/schedule")
    data["data"]["vacation"] = {
        "start_time": "2021-07-02T00:00:00Z",
        "end_time": "2021-07-09T00:00:00Z",
    }
    vacation = Schedule(HTTP, data).vacation
    assert isinstance(vacation, ScheduleVacation)
    assert (vacation.start_time, vacation.end_time) == (
        t("2021-07-02T00:00:00Z"),
        t("2021-07-09T00:00:00Z"),
    )


def test_subscriptions() -> None:
    sub = SubscriptionEvent(HTTP, first("GET", "/subscriptions"))
    assert (sub.broadcaster.id, sub.user and sub.user.id, sub.tier) == (
        "141981764",
        "527115020",
        "1000",
    )
    assert (sub.is_gift, sub.gifter and sub.gifter.login) == (True, "twitch")
    assert (sub.plan_name, sub.type) == ("Channel Subscription (twitchdev)", None)
    gift = SubscriptionEvent.from_eventsub(HTTP, "channel.subscription.gift", GIFT_EVENT)
    assert (gift.user, gift.gifter and gift.gifter.id, gift.total, gift.cumulative_total) == (
        None,
        "1234",
        2,
        284,
    )
    anonymous = dict(GIFT_EVENT, is_anonymous=True, user_id=None)
    hidden = SubscriptionEvent.from_eventsub(HTTP, "channel.subscription.gift", anonymous)
    assert (hidden.gifter, hidden.is_anonymous) == (None, True)
    resub = SubscriptionEvent.from_eventsub(HTTP, "channel.subscription.message", MESSAGE_EVENT)
    assert (resub.message, resub.cumulative_months, resub.streak_months) == (
        "Love the stream! FevziGG",
        15,
        1,
    )
    assert resub.duration_months == 6


def test_video() -> None:
    video = Video(HTTP, first("GET", "/videos"))
    assert (video.id, video.stream_id, video.user.id, video.user.login) == (
        "335921245",
        None,
        "141981764",
        "twitchdev",
    )
    assert (video.type, video.duration, video.view_count, video.viewable) == (
        "upload",
        "3m21s",
        1863062,
        "public",
    )
    assert video.published_at == datetime(2018, 11, 14, 22, 4, 30, tzinfo=UTC)
    assert [(m.offset, m.duration) for m in video.muted_segments] == [(120, 30)]


def test_bad_arguments_are_refused_before_sending() -> None:
    from companion.twitch.models._extra_common import EXTRA_LIMITS, page_size

    with pytest.raises(LimitError):
        EXTRA_LIMITS["delete_video_ids"].check(["1"] * 6)
    with pytest.raises(LimitError):
        page_size("schedule_page_size", 26)
    assert page_size("schedule_page_size", None) == 25
    assert EXTRA_LIMITS["delete_video_ids"].maximum == 5


#: One documented payload per class of this area (a CASES key, or a path to a nested model).
_INSTANCES = {
    "AutomodCheckResponse": ("automod_response", ()),
    "BanEvent": ("ban_event_eventsub", ()),
    "BitsLeaderboard": ("bits_leaderboard", ()),
    "BitLeaderboardUser": ("bits_leaderboard", ("leaders", 0)),
    "ChannelTeams": ("channel_teams", ()),
    "ChatBadge": ("chat_badge", ()),
    "ChatBadgeVersion": ("chat_badge", ("versions", 0)),
    "ChatSettings": ("chat_settings_update", ()),
    "ChatterColor": ("chatter_color", ()),
    "CheerEmote": ("cheermote", ()),
    "CheerEmoteTier": ("cheermote", ("tiers", 0)),
    "Clip": ("clip", ()),
    "FollowEvent": ("follow", ()),
    "Game": ("game", ()),
    "HypeTrainEvent": ("hype_train", ()),
    "HypeTrainContribution": ("hype_train", ("top_contributions", 0)),
    "Marker": ("marker_listed", ()),
    "ModEvent": ("mod_notification", ()),
    "Raid": ("raid", ()),
    "Schedule": ("schedule", ()),
    "ScheduleSegment": ("schedule", ("segments", 0)),
    "SubscriptionEvent": ("subscription", ()),
    "Team": ("team", ()),
    "UserBan": ("user_ban", ()),
    "Video": ("video", ()),
}


def _seed_attributes() -> dict[str, list[str]]:
    import re

    text = SEED_FILE.read_text(encoding="utf-8")
    blocks = re.split(r"^- class twitchio\.", text, flags=re.MULTILINE)[1:]
    out: dict[str, list[str]] = {}
    for block in blocks:
        name = block.split("(", 1)[0]
        out[name] = re.findall(r"^- (\w+)#$", block, flags=re.MULTILINE)
    return out


@pytest.mark.parametrize("name", sorted(_INSTANCES))
def test_documented_attributes_exist(name: str) -> None:
    case, path = _INSTANCES[name]
    parse, payload = CASES[case]
    model: object = parse(copy.deepcopy(payload))
    for step in path:
        model = model[step] if isinstance(step, int) else getattr(model, step)  # type: ignore[index]
    assert type(model).__name__ == name
    documented = _seed_attributes()[name]
    assert [a for a in documented if not hasattr(model, a)] == []
