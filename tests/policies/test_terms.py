"""Vehicle-terms and renewal links (DOMAIN.md §3, §4) — pure, table-driven."""

from datetime import date

import pytest

from policies.terms import PolicyFacts, group_terms, link_renewals, renewal_kind


def policy(key, kind, start, end, number=None, previous=""):
    return PolicyFacts(
        key=key, kind=kind, policy_no=number or f"N{key}", start_on=start, end_on=end, signed_on=None,
        previous_policy_no=previous,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("start_on", "previous_last_end", "expected"),
    [
        (date(2025, 7, 1), date(2025, 6, 30), "renewal"),  # continuous: starts the day after the last covered day
        (date(2025, 6, 20), date(2025, 6, 30), "renewal"),  # renewed early
        (date(2025, 7, 2), date(2025, 6, 30), "lapsed"),  # one day without cover
        (date(2025, 7, 31), date(2025, 6, 30), "lapsed"),  # 30 days after the day following: still a 续回
        (date(2025, 8, 1), date(2025, 6, 30), "new"),  # 31 days: new business, not a renewal
    ],
)
def test_renewal_kind_edges(start_on, previous_last_end, expected):
    assert renewal_kind(start_on=start_on, previous_last_end=previous_last_end) == expected


def test_compulsory_and_commercial_of_one_term_count_once_and_t_is_the_earlier_end():
    terms = group_terms(
        [
            policy(1, "compulsory", date(2024, 5, 10), date(2025, 5, 9)),
            policy(2, "commercial", date(2024, 6, 20), date(2025, 6, 19)),  # 41 days later: same term
        ]
    )
    assert len(terms) == 1
    assert terms[0].t_date == date(2025, 5, 9)
    assert terms[0].last_end == date(2025, 6, 19)
    assert terms[0].lead_policy.key == 2  # credits come from the 商业 policy


def test_policies_more_than_60_days_apart_are_separate_terms():
    terms = group_terms(
        [
            policy(1, "compulsory", date(2024, 1, 1), date(2024, 12, 31)),
            policy(2, "commercial", date(2024, 3, 2), date(2025, 3, 1)),  # 60 days after T: still the same term
            policy(3, "commercial", date(2024, 3, 10), date(2025, 3, 9)),  # second commercial: a new term
        ]
    )
    assert [len(t.policies) for t in terms] == [2, 1]


def test_previous_term_follows_the_named_previous_policy_number_not_just_the_latest():
    terms = link_renewals(
        group_terms(
            [
                policy(1, "commercial", date(2023, 1, 1), date(2023, 12, 31), number="A"),
                policy(2, "commercial", date(2024, 1, 1), date(2024, 12, 31), number="B", previous="A"),
                policy(3, "commercial", date(2025, 1, 1), date(2025, 12, 31), number="C", previous="B"),
            ]
        )
    )
    assert [t.previous_index for t in terms] == [None, 0, 1]
    assert [t.renewal_kind for t in terms] == ["new", "renewal", "renewal"]


def test_without_a_previous_number_the_latest_earlier_term_is_used_and_a_gap_makes_it_lapsed():
    terms = link_renewals(
        group_terms(
            [
                policy(1, "commercial", date(2024, 1, 1), date(2024, 12, 31)),
                policy(2, "commercial", date(2025, 1, 20), date(2026, 1, 19)),
            ]
        )
    )
    assert terms[1].previous_index == 0
    assert terms[1].renewal_kind == "lapsed"


def test_a_term_long_after_the_previous_one_is_new_business():
    terms = link_renewals(
        group_terms(
            [
                policy(1, "commercial", date(2022, 1, 1), date(2022, 12, 31)),
                policy(2, "commercial", date(2024, 1, 1), date(2024, 12, 31)),
            ]
        )
    )
    assert terms[1].previous_index is None
    assert terms[1].renewal_kind == "new"
