"""Settings and workspace creation: the two kinds that are about the workspace itself."""

from __future__ import annotations

from dataclasses import replace

import pytest

from reconciler.engine.kinds import PHASES, REGISTRY
from reconciler.engine.plan import Action
from reconciler.engine.planner import build_plan
from reconciler.errors import PlanningError
from reconciler.model import ALL_KINDS, DesiredSettings, LiveState, SourceLocation
from tests.engine.factories import (
    actions,
    client,
    desired,
    field_map,
    live,
    only_change,
    project,
    with_kinds,
    with_live,
)

SETTINGS_AT = SourceLocation("spec.yaml", 7, 3)


def _settings_spec(**values: object):
    spec = with_kinds(desired(), settings=values)
    sources = {key: SourceLocation("spec.yaml", 3 + n, 3) for n, key in enumerate(values)}
    return replace(spec, settings=DesiredSettings(values, sources))


def test_every_kind_has_one_planner_and_the_phases_come_from_them() -> None:
    assert sorted(planner.kind for planner in REGISTRY) == sorted(ALL_KINDS)
    creates = [PHASES[kind].create for kind in
               ("workspace", "settings", "client", "project", "tag", "group", "member", "task")]
    assert creates == sorted(creates) == list(range(8))
    removals = [PHASES[kind].removal for kind in
                ("task", "member", "group", "tag", "project", "client")]
    assert removals == sorted(removals)


def test_settings_change_only_the_written_keys_that_differ() -> None:
    spec = _settings_spec(default_hourly_rate=90, rounding=1, reports_collapse=True,
                          only_admins_may_create_tags=True)
    state = with_live(live(), settings={"default_hourly_rate": 90.0, "rounding": 0,
                                        "reports_collapse": 1, "only_admins_may_create_tags": True,
                                        "default_currency": "USD"})
    change = only_change(build_plan(spec, state))
    assert (change.action, change.kind, change.address) == (Action.UPDATE, "settings", "settings")
    assert change.live_id == 42 and change.name == "Test"
    # 90 and 90.0 are one rate; 1 is not True; default_currency is not written: not managed.
    assert field_map(change) == {"rounding": (0, 1), "reports_collapse": (1, True)}


def test_settings_already_as_written_plan_nothing() -> None:
    spec = _settings_spec(default_currency="EUR", rounding_minutes=15)
    state = with_live(live(), settings={"default_currency": "EUR", "rounding_minutes": 15})
    assert build_plan(spec, state).changes == ()


def test_a_spec_without_settings_reads_none_and_plans_none() -> None:
    state = with_live(live(), settings={"rounding": 0})
    assert build_plan(desired(), state).changes == ()


def test_a_paid_setting_on_a_free_workspace_is_a_plan_error_naming_key_and_plan() -> None:
    spec = _settings_spec(default_currency="EUR", rounding=1)
    state = with_live(live(tier="free"), settings={"default_currency": "USD", "rounding": 0})
    with pytest.raises(PlanningError) as caught:
        build_plan(spec, state)
    assert caught.value.problems == [
        "spec.yaml:4:3: settings.rounding needs the Starter plan or higher; workspace 'Test' "
        "is on the Free plan"
    ]


def test_a_paid_setting_the_free_workspace_already_has_is_no_error() -> None:
    spec = _settings_spec(rounding=0, default_currency="EUR")
    state = with_live(live(tier="free"), settings={"default_currency": "USD", "rounding": 0})
    assert field_map(only_change(build_plan(spec, state))) == {"default_currency": ("USD", "EUR")}


def test_the_billing_settings_are_billing_changes() -> None:
    spec = _settings_spec(default_hourly_rate=100)
    change = only_change(build_plan(spec, with_live(live(), settings={"default_hourly_rate": 90})))
    assert change.billing
    other = only_change(build_plan(_settings_spec(reports_collapse=True),
                                   with_live(live(), settings={"reports_collapse": False})))
    assert not other.billing


def _missing() -> LiveState:
    return with_live(LiveState(workspace_id=0, workspace_name=None), workspace_missing=True,
                     organization_id=7, settings={}, users=[], groups=[], members=[], tasks=[])


def test_a_missing_workspace_is_created_first_and_everything_else_is_a_create() -> None:
    spec = with_kinds(desired([client("Globex")], [project("Web", "Globex")]),
                      settings={"reports_collapse": True}, organization="Acme Inc")
    spec = replace(spec, workspace="New Space")
    plan = build_plan(spec, _missing())
    assert actions(plan) == [
        ("create", "workspace", "New Space"),
        ("update", "settings", "settings"),
        ("create", "client", "Globex"),
        ("create", "project", "Globex/Web"),
    ]
    create = plan.changes[0]
    assert create.options == {"organization_id": 7} and create.live_id is None
    assert plan.changes[1].live_id is None
    assert field_map(plan.changes[1]) == {"reports_collapse": (None, True)}


def test_an_existing_workspace_is_not_created() -> None:
    spec = with_kinds(desired(), organization="Acme Inc")
    assert build_plan(spec, with_live(live(), organization_id=7)).changes == ()


def test_a_missing_workspace_given_by_id_cannot_be_created() -> None:
    spec = with_kinds(desired(), organization="Acme Inc")  # workspace=1: an id
    spec = replace(spec, organization_source=SETTINGS_AT)
    with pytest.raises(PlanningError, match=r"spec.yaml:7:3: workspace 1 does not exist, and a "
                                            r"workspace given by id cannot be created"):
        build_plan(spec, _missing())


def test_a_missing_organization_is_a_plan_error() -> None:
    spec = with_kinds(desired(), organization="Nowhere")
    spec = replace(spec, workspace="New")
    state = with_live(_missing(), organization_id=None)
    with pytest.raises(PlanningError, match="organization 'Nowhere' was not found"):
        build_plan(spec, state)


@pytest.mark.parametrize("tier", ["starter", "premium", None])
def test_paid_settings_plan_on_paid_workspaces_and_when_the_tier_is_unknown(tier) -> None:
    spec = _settings_spec(rounding=1)
    state = with_live(live(tier=tier), settings={"rounding": 0})
    assert field_map(only_change(build_plan(spec, state))) == {"rounding": (0, 1)}


def test_the_billing_fields_of_each_kind() -> None:
    change = only_change(build_plan(_settings_spec(default_hourly_rate=100, rounding=1),
                                    with_live(live(), settings={"default_hourly_rate": 90,
                                                                "rounding": 0})))
    assert "default_hourly_rate" in change.billing_fields
    assert "rounding" not in change.billing_fields
