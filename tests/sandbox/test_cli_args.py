"""The sandbox command's flags map onto SandboxConfig."""

from __future__ import annotations

import argparse

import pytest

from reconciler.sandbox.cli_args import add_sandbox_arguments, config_from_args


def _parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_sandbox_arguments(parser)
    return parser.parse_args(list(argv))


def test_defaults() -> None:
    config = config_from_args(_parse())
    assert (config.db, config.port, config.host, config.tier) == (
        "toggl-sandbox.db", 0, "127.0.0.1", "premium")
    assert config.seed_demo is True and config.token is None


def test_every_flag_reaches_the_config() -> None:
    config = config_from_args(_parse(
        "--port", "8080", "--host", "0.0.0.0", "--db", ":memory:", "--token", "t",
        "--tier", "free", "--rate-limit", "1", "--burst", "2", "--hourly-quota", "30",
        "--quota-window", "60", "--fail-before", "0.1", "--fail-after", "0.2", "--drop", "0.3",
        "--fault-seed", "9", "--no-seed", "--latency", "0.01",
    ))
    assert (config.port, config.host, config.db, config.token, config.tier) == (
        8080, "0.0.0.0", ":memory:", "t", "free")
    assert (config.rate_limit_per_second, config.rate_burst, config.hourly_quota) == (1.0, 2, 30)
    assert (config.quota_window_seconds, config.fail_before, config.fail_after) == (
        60.0, 0.1, 0.2)
    assert (config.drop, config.fault_seed, config.seed_demo, config.latency_seconds) == (
        0.3, 9, False, 0.01)


def test_invalid_probabilities_are_refused(capsys: pytest.CaptureFixture[str]) -> None:
    # Refused by argparse itself, naming the flag (the CLI turns that into exit 1).
    with pytest.raises(SystemExit):
        _parse("--drop", "2")
    assert "argument --drop: a probability is between 0 and 1, got 2" in capsys.readouterr().err
    with pytest.raises(ValueError):  # each flag valid, the combination not
        config_from_args(_parse("--drop", "0.6", "--fail-after", "0.6"))


def test_user_quota_and_maton_limit_flags() -> None:
    defaults = config_from_args(_parse())
    assert (defaults.user_hourly_quota, defaults.maton_rate_limit_per_second) == (None, 10.0)
    changed = config_from_args(_parse("--user-quota", "5", "--maton-rate-limit", "2.5"))
    assert (changed.user_hourly_quota, changed.maton_rate_limit_per_second) == (5, 2.5)
    off = config_from_args(_parse("--user-quota", "0", "--maton-rate-limit", "0"))
    assert (off.user_hourly_quota, off.maton_rate_limit_per_second) == (None, None)
