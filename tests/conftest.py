"""The top-level shell tests' fixtures (tests/live_sandbox.py); a folder's own conftest.py
still wins for its tests."""

pytest_plugins = ["tests.live_sandbox"]
