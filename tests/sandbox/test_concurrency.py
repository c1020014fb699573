"""8 threads x 500 mixed requests: no 5xx, no lost write, consistent state afterwards."""

from __future__ import annotations

import random
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import requests

from reconciler.sandbox import Sandbox

THREADS = 8
REQUESTS_PER_THREAD = 500


@dataclass
class Worker:
    """One thread's client and what it believes it created and deleted."""

    sandbox: Sandbox
    wid: int
    number: int
    created: dict[str, set[int]] = field(
        default_factory=lambda: {"clients": set(), "projects": set(), "tags": set()})
    deleted: dict[str, set[int]] = field(
        default_factory=lambda: {"clients": set(), "projects": set(), "tags": set()})
    statuses: Counter = field(default_factory=Counter)

    def __post_init__(self) -> None:
        self.session = requests.Session()
        self.session.auth = (self.sandbox.token, "api_token")
        self.random = random.Random(self.number)  # seeded: the same mix every run
        self.base = f"{self.sandbox.url}/api/v9/workspaces/{self.wid}"

    def send(self, method: str, path: str, body: object = None, **params: str) -> requests.Response:
        response = self.session.request(method, self.base + path, json=body, params=params,
                                        timeout=10)
        self.statuses[response.status_code] += 1
        return response

    def create(self, kind: str, step: int) -> None:
        # Shared names across threads on purpose: uniqueness must hold under contention.
        body: dict[str, object] = {"name": f"{kind}-{self.random.randrange(150)}"}
        if kind == "projects":
            body["active"] = True
        response = self.send("POST", f"/{kind}", body)
        if response.status_code == 200:
            self.created[kind].add(response.json()["id"])

    def update(self, kind: str, step: int) -> None:
        if self.created[kind] - self.deleted[kind]:
            target = self.random.choice(sorted(self.created[kind] - self.deleted[kind]))
            self.send("PUT", f"/{kind}/{target}", {"name": f"{kind}-r{self.number}-{step}"})

    def delete(self, kind: str, step: int) -> None:
        if self.created[kind] - self.deleted[kind]:
            target = self.random.choice(sorted(self.created[kind] - self.deleted[kind]))
            params = {"teDeletionMode": "unassign"} if kind == "projects" else {}
            if self.send("DELETE", f"/{kind}/{target}", **params).status_code == 200:
                self.deleted[kind].add(target)

    def read(self, kind: str, step: int) -> None:
        params = {"status": "both"} if kind == "clients" else {}
        self.send("GET", f"/{kind}", **params)

    def run(self) -> None:
        actions = [self.create] * 4 + [self.update] * 2 + [self.delete] + [self.read] * 3
        for step in range(REQUESTS_PER_THREAD):
            kind = self.random.choice(("clients", "projects", "tags"))
            self.random.choice(actions)(kind, step)
            if sum(self.statuses.values()) < step + 1:  # no action possible: read instead
                self.read(kind, step)


def test_mixed_load_from_eight_threads_stays_consistent(record_property: Any) -> None:
    with Sandbox(seed_demo=False) as sandbox:
        wid = sandbox.store.ensure_workspace("Load")
        workers = [Worker(sandbox, wid, number) for number in range(THREADS)]
        started = time.perf_counter()
        with ThreadPoolExecutor(THREADS) as pool:
            list(pool.map(lambda worker: worker.run(), workers))
        elapsed = time.perf_counter() - started
        total = sum(sum(w.statuses.values()) for w in workers)
        statuses = sum((w.statuses for w in workers), Counter())
        assert total == THREADS * REQUESTS_PER_THREAD
        assert not [status for status in statuses if status >= 500], statuses
        assert set(statuses) <= {200, 400}
        _assert_consistent(sandbox, wid, workers)
    rate = total / elapsed
    record_property("requests_per_second", round(rate))  # in --junitxml reports
    assert rate > 100, f"{rate:.0f} requests/s"  # measured 390-810/s here, clients in-process


def _assert_consistent(sandbox: Sandbox, wid: int, workers: list[Worker]) -> None:
    listings = {"clients": sandbox.store.clients(wid), "projects": sandbox.store.projects(wid),
                "tags": sandbox.store.tags(wid)}
    for kind, listed in listings.items():
        created = set().union(*(w.created[kind] for w in workers))
        deleted = set().union(*(w.deleted[kind] for w in workers))
        assert {item["id"] for item in listed} == created - deleted, kind  # no lost write
        names = [item["name"].casefold() for item in listed]
        if kind == "projects":
            names = [(item["client_id"], item["name"].casefold()) for item in listed]
        assert len(names) == len(set(names)), kind  # uniqueness held under contention
