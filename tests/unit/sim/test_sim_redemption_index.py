"""Property: whatever happens to redemptions, the per-status indexes stay exact and paging
through them returns every redemption once, in order."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from companion.sim import SimError
from companion.sim.config import SimConfig
from companion.sim.state import SimState

OPS = st.lists(
    st.one_of(
        st.tuples(st.just("redeem"), st.integers(0, 2)),
        st.tuples(st.just("fulfil"), st.integers(0, 40)),
        st.tuples(st.just("cancel"), st.integers(0, 40)),
        st.tuples(st.just("delete"), st.integers(0, 2)),
    ),
    max_size=60,
)


@settings(max_examples=60, deadline=None)
@given(ops=OPS, page=st.integers(1, 7))
def test_indexes_match_statuses_and_pages_cover_everything(
    ops: list[tuple[str, int]], page: int
) -> None:
    state = SimState(SimConfig(seed=0))
    state.register_client("c")
    caster = state.create_user("caster")["id"]
    viewer = state.create_user("viewer")["id"]
    rewards = [
        state.create_reward(caster, "c", {"title": f"r{i}", "cost": 1})["id"] for i in range(3)
    ]
    made: list[str] = []
    for op, n in ops:
        if op == "redeem":
            reward = rewards[n]
            if reward in state.channels[caster].rewards:
                made.append(state.redeem(caster, reward, viewer)["id"])
        elif op in ("fulfil", "cancel") and made:
            red = state.redemptions[made[n % len(made)]]
            if red.reward_id not in state.channels[caster].rewards:
                continue
            status = "FULFILLED" if op == "fulfil" else "CANCELED"
            try:
                state.update_redemptions(caster, "c", red.reward_id, [red.id], status)
            except SimError as exc:
                assert exc.status == 404 and red.status != "UNFULFILLED"
        elif op == "delete" and rewards[n] in state.channels[caster].rewards:
            state.delete_reward(caster, "c", rewards[n])
    for reward in state.channels[caster].rewards.values():
        for status, index in reward.by_status.items():
            members = list(index)
            assert all(r.status == status and r.reward_id == reward.id for r in members)
            assert [r.seq for r in members] == sorted(r.seq for r in members)
            for sort in ("OLDEST", "NEWEST"):
                seen: list[str] = []
                cursor = None
                while True:
                    data, cursor = state.get_redemptions(
                        caster,
                        "c",
                        reward.id,
                        status=status,
                        ids=[],
                        sort=sort,
                        after=cursor,
                        first=page,
                    )
                    seen.extend(d["id"] for d in data)
                    if cursor is None:
                        break
                expected = [r.id for r in members]
                assert seen == (expected if sort == "OLDEST" else expected[::-1])
        total = sum(len(ix) for ix in reward.by_status.values())
        assert total == sum(1 for r in state.redemptions.values() if r.reward_id == reward.id)
