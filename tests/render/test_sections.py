"""The partial-plan note and the billing section (reconciler.render.sections)."""

from __future__ import annotations

from reconciler.render.markdown import md_escape, render_markdown
from reconciler.render.sections import markdown_sections, text_sections


def billing_change(number: int) -> dict:
    return {"action": "update", "kind": "project", "address": f"Acme/P{number:05}",
            "name": f"P{number:05}", "billing": True,
            "fields": [{"field": "rate", "before": 100, "after": 120},
                       {"field": "color", "before": "#000000", "after": "#ffffff"}]}


def plan_with(changes: list[dict], **extra: object) -> dict:
    return {"workspace": {"id": 1, "name": "W"}, "changes": changes,
            "summary": {"update": len(changes), "total": len(changes)},
            "billing": {"changes": len(changes), "policy": "require-flag"}, **extra}


def test_no_billing_and_no_targeting_adds_nothing() -> None:
    plan = plan_with([dict(billing_change(1), billing=False)])
    assert text_sections(plan) == "" and markdown_sections(plan, md_escape, 10_000) == ""


def test_the_text_section_lists_only_the_money_fields() -> None:
    text = text_sections(plan_with([billing_change(1)]))
    assert 'update project "Acme/P00001": rate: 100 -> 120' in text
    assert "color" not in text
    assert "--allow-billing-changes" in text


def test_the_markdown_section_stays_within_its_budget_and_counts_the_rest() -> None:
    plan = plan_with([billing_change(n) for n in range(5_000)])
    section = markdown_sections(plan, md_escape, 2_000)
    assert len(section) <= 2_000
    assert "more (see the JSON plan)" in section and "(5000)" in section
    assert markdown_sections(plan, md_escape, 20) == ""  # no room at all: nothing half-written
    whole = render_markdown(plan, max_chars=5_000)
    assert len(whole) <= 5_000 and "Billing changes" in whole


def test_the_partial_note_names_pulled_in_and_dropped_changes() -> None:
    targeting = {"targets": ["project:Acme/*"], "excludes": ["tag:x"], "total_changes": 9,
                 "left_out": 7,
                 "pulled_in": [{"kind": "client", "address": "Acme", "action": "create",
                                "because": {"relation": "needed by", "action": "create",
                                            "kind": "project", "address": "Acme/P"}}],
                 "dropped": [{"kind": "project", "address": "Acme/\u202eQ", "action": "create",
                              "because": {"relation": "needs", "action": "create",
                                          "kind": "tag", "address": "x"}}]}
    text = text_sections(plan_with([], targeting=targeting))
    assert "This plan is partial (--target project:Acme/* --exclude tag:x): 7 of 9 changes" in text
    assert 'pulled in: create client "Acme", needed by create project "Acme/P"' in text
    assert "\u202e" not in text and "\\u202e" in text
