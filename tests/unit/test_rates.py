"""Abuse limits: the policy's figures and the token buckets that count attempts."""

from __future__ import annotations

import tomllib

import pytest

from xinyong.domain.errors import CatalogError
from xinyong.domain.policy import Policy
from xinyong.domain.rates import Action, Limit, RateCounter, RateLimited, RateRules, Who


def rules(requests: int = 3, seconds: float = 60, max_tracked: int = 100) -> RateRules:
    return RateRules({(Action.LOGIN, Who.CLIENT): Limit(requests, seconds)}, max_tracked)


def test_the_packaged_policy_limits_every_action_named_in_the_issue(policy: Policy) -> None:
    for action in (Action.LOGIN, Action.REGISTRATION, Action.KEY_FAILURE):
        assert policy.rates.limit(action, Who.CLIENT) is not None
    for action in (Action.CHECK, Action.SCREENING):
        assert policy.rates.limit(action, Who.CLIENT) is not None
        assert policy.rates.limit(action, Who.KEY) is not None


def test_a_burst_up_to_the_limit_passes_and_the_next_attempt_is_refused_with_a_wait() -> None:
    counter = RateCounter(rules(requests=3, seconds=60))
    for _ in range(3):
        counter.take(Action.LOGIN, Who.CLIENT, "10.0.0.1", now=0.0)
    with pytest.raises(RateLimited) as refused:
        counter.take(Action.LOGIN, Who.CLIENT, "10.0.0.1", now=0.0)
    assert refused.value.retry_after == 20  # one attempt refills in 60 / 3 seconds
    assert refused.value.first
    assert "address" in refused.value.detail


def test_only_the_first_refusal_of_a_run_is_reported_and_the_bucket_refills() -> None:
    counter = RateCounter(rules(requests=2, seconds=10))
    counter.take(Action.LOGIN, Who.CLIENT, "a", now=0.0)
    counter.take(Action.LOGIN, Who.CLIENT, "a", now=0.0)
    firsts = []
    for _ in range(3):
        with pytest.raises(RateLimited) as refused:
            counter.take(Action.LOGIN, Who.CLIENT, "a", now=1.0)
        firsts.append(refused.value.first)
    assert firsts == [True, False, False]
    counter.take(Action.LOGIN, Who.CLIENT, "a", now=6.0)  # 5 s refill one attempt
    with pytest.raises(RateLimited) as again:
        counter.take(Action.LOGIN, Who.CLIENT, "a", now=6.0)
    assert again.value.first  # a new run


def test_callers_are_counted_apart_and_an_unlimited_action_is_never_refused() -> None:
    counter = RateCounter(rules(requests=1))
    counter.take(Action.LOGIN, Who.CLIENT, "a", now=0.0)
    counter.take(Action.LOGIN, Who.CLIENT, "b", now=0.0)
    for _ in range(100):
        counter.take(Action.CHECK, Who.KEY, "a", now=0.0)
    with pytest.raises(RateLimited):
        counter.take(Action.LOGIN, Who.CLIENT, "a", now=0.0)


def test_failures_are_noted_without_refusal_until_the_allowance_is_used_up() -> None:
    counter = RateCounter(RateRules({(Action.KEY_FAILURE, Who.CLIENT): Limit(2, 60)}, 100))
    assert counter.blocked(Action.KEY_FAILURE, Who.CLIENT, "a", now=0.0) is None
    assert counter.note(Action.KEY_FAILURE, Who.CLIENT, "a", now=0.0) is None
    assert counter.note(Action.KEY_FAILURE, Who.CLIENT, "a", now=0.0) == 30
    assert counter.blocked(Action.KEY_FAILURE, Who.CLIENT, "a", now=10.0) == 20
    assert counter.blocked(Action.KEY_FAILURE, Who.CLIENT, "a", now=30.0) is None


def test_many_callers_cost_bounded_memory() -> None:
    counter = RateCounter(rules(requests=1, max_tracked=50))
    for i in range(1000):
        counter.take(Action.LOGIN, Who.CLIENT, f"10.0.{i // 250}.{i % 250}", now=0.0)
    assert len(counter) <= 50


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("[login]\nclient = { requests = 0, seconds = 60 }", "requests"),
        ("[login]\nclient = { requests = 5, seconds = -1 }", "seconds"),
        ("[login]\nsomeone = { requests = 5, seconds = 1 }", "someone"),
        ("[login]\nclient = 5", "-"),
    ],
)
def test_a_mistyped_figure_names_the_file_and_the_key(text: str, field: str) -> None:
    with pytest.raises(CatalogError) as refused:
        RateRules.from_policy(tomllib.loads(text), "rates.toml")
    assert "rates.toml" in str(refused.value)
    assert field in str(refused.value)
