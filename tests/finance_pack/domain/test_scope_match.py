"""Budget scope values that match no spend, and the closest values that do."""

from __future__ import annotations

from finance_pack.domain.budgets import Scope
from finance_pack.domain.scope_match import unmatched_values
from finance_pack.domain.services import canonical_service, service_spellings

EXISTING = {
    "providers": ["AWS"],
    "accounts": ["111111111111", "222222222222"],
    "services": ["AmazonEC2", "AmazonS3"],
    "regions": ["eu-west-1", "us-east-1"],
    "tags": ["team=core", "env=prod"],
}


def test_a_scope_whose_values_all_exist_has_nothing_unmatched() -> None:
    scope = Scope(
        providers=frozenset({"AWS"}),
        accounts=frozenset({"111111111111"}),
        services=frozenset({"Amazon Elastic Compute Cloud"}),  # the FOCUS name of AmazonEC2
        regions=frozenset({"eu-west-1"}),
        tags={"team": frozenset({"core"})},
    )
    assert unmatched_values(scope, EXISTING) == {}


def test_each_unmatched_value_is_listed_under_its_filter_with_close_spellings() -> None:
    scope = Scope(
        providers=frozenset({"aws"}),
        accounts=frozenset({"111111111111", "999"}),
        regions=frozenset({"eu-west-2"}),
        tags={"team": frozenset({"Core", "core"})},
    )
    assert unmatched_values(scope, EXISTING) == {
        "providers": {"aws": ["AWS"]},
        "accounts": {"999": []},
        "regions": {"eu-west-2": ["eu-west-1", "us-east-1"]},
        "tags": {"team=Core": ["team=core"]},
    }


def test_a_service_typo_is_suggested_by_its_canonical_name_first() -> None:
    scope = Scope(services=frozenset({"amazon simple storage servic", "zzz"}))
    services = unmatched_values(scope, EXISTING)["services"]
    assert services["zzz"] == []
    suggestions = services["amazon simple storage servic"]
    assert suggestions[0] == "Amazon Simple Storage Service"
    assert len(suggestions) == len(set(suggestions)) <= 3
    assert set(suggestions) <= {
        "AmazonEC2",
        "AmazonS3",
        "Amazon Elastic Compute Cloud",
        "Amazon Simple Storage Service",
    }


def test_a_service_written_another_way_matches_its_spend() -> None:
    scope = Scope(services=frozenset({"Amazon Simple Storage Service", "EC2 - Other"}))
    assert unmatched_values(scope, EXISTING) == {}


def test_a_filter_with_no_data_at_all_matches_nothing() -> None:
    scope = Scope(regions=frozenset({"eu-west-1"}))
    assert unmatched_values(scope, {}) == {"regions": {"eu-west-1": []}}


def test_service_names_have_one_canonical_spelling() -> None:
    assert canonical_service(" amazonec2 ") == "Amazon Elastic Compute Cloud"
    assert canonical_service("EC2 - Other") == "Amazon Elastic Compute Cloud"
    assert canonical_service("Oracle Cloud") == "Oracle Cloud"
    assert service_spellings(["AmazonS3", "Oracle Cloud"]) == {
        "AmazonS3",
        "Amazon Simple Storage Service",
        "Oracle Cloud",
    }
    assert service_spellings([]) == frozenset()


def test_at_most_three_suggestions_and_loosely_similar_ones_count() -> None:
    existing = {
        "regions": ["eu-west-1", "eu-west-2", "eu-west-3", "eu-west-4"],
        "accounts": ["123456"],
    }
    scope = Scope(regions=frozenset({"eu-west-9"}), accounts=frozenset({"12"}))
    found = unmatched_values(scope, existing)
    assert len(found["regions"]["eu-west-9"]) == 3
    # "12" against "123456": a similarity of 2 * 2 / 8 = 0.5, above the 0.4 cut-off
    assert found["accounts"] == {"12": ["123456"]}
