"""The peers' own defects that make a call of the conformance suite fail against Twitch.

One entry per ``test_defect_*`` test (which proves the defect and shows the simulator
answering as Twitch documents). docs/conformance.md shows the same table;
``test_defect_table.py`` holds the two together and checks that each cited line of the
peer's source, in the installed package, still says what the entry quotes.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Defect:
    """A peer's defect that makes one of the suite's calls fail.

    Attributes:
        test: The ``test_defect_*`` function that proves it (in ``test_<peer>.py``).
        peer: ``twitchAPI`` or ``twitchio``.
        version: The peer version the line number was read in.
        call: The call that fails.
        defect: What the peer does wrong, against Twitch's reference.
        source: The file, relative to site-packages.
        line: The line in ``version``.
        quote: Text of that line (stripped).
    """

    test: str
    peer: str
    version: str
    call: str
    defect: str
    source: str
    line: int
    quote: str


DEFECTS: tuple[Defect, ...] = (
    Defect(
        test="test_defect_predictions_first_is_capped_at_20",
        peer="twitchAPI",
        version="4.5.0",
        call="get_predictions(first=21..25)",
        defect=(
            "refuses first above 20 before sending (ValueError); Twitch's Get Predictions "
            "allows first 1-25"
        ),
        source="twitchAPI/twitch.py",
        line=2974,
        quote="if first is not None and (first < 1 or first > 20):",
    ),
    Defect(
        test="test_defect_poll_channel_points_voting_enabled_is_misspelt",
        peer="twitchAPI",
        version="4.5.0",
        call="create_poll / get_polls / end_poll: Poll.channel_points_voting_enabled",
        defect=(
            "Poll declares channel_point_voting_enabled; Twitch sends "
            "channel_points_voting_enabled, so the value is never read"
        ),
        source="twitchAPI/object/api.py",
        line=589,
        quote="channel_point_voting_enabled: bool",
    ),
    Defect(
        test="test_defect_redemption_fulfill_sends_the_broadcaster_id",
        peer="twitchio",
        version="3.3.2",
        call="CustomRewardRedemption.fulfill()",
        defect=(
            "sends the broadcaster id as the redemption id, and token_for=self (not a user) so "
            "the app token goes out: 401 from Twitch (a user token is required), nothing updated"
        ),
        source="twitchio/models/channel_points.py",
        line=438,
        quote="id=self.reward.broadcaster.id,",
    ),
    Defect(
        test="test_defect_stream_offline_model_requires_an_id",
        peer="twitchio",
        version="3.3.2",
        call="stream.offline notification (StreamOffline)",
        defect=(
            "StreamOffline reads payload['id']; Twitch's stream.offline event carries only "
            "the broadcaster, so the KeyError drops the event (logged, never dispatched)"
        ),
        source="twitchio/models/eventsub_.py",
        line=5651,
        quote='self.id: str = payload["id"]',
    ),
)
