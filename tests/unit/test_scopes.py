from companion.core.scopes import PANEL_PURPOSE, PANEL_SCOPES, scopes_for


def test_union_of_enabled_panels() -> None:
    assert scopes_for(["queue", "rewards"]) == ["channel:manage:redemptions"]
    assert scopes_for(["goals", "extensions"]) == ["channel:read:goals", "user:edit:broadcast"]
    assert scopes_for([]) == []
    assert len(scopes_for(PANEL_SCOPES)) == 5


def test_every_scope_is_explained() -> None:
    for scopes in PANEL_SCOPES.values():
        for scope in scopes:
            assert PANEL_PURPOSE[scope]
