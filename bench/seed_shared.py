#!/usr/bin/env python3
"""Seed one shared project on a running tudu server through its public API (standard library
only): an owner, MEMBERS accounts it is shared with (as editors), and TASKS tasks in it, with the
same realistic fields as seed.py.

Writes the project's id to PROJECT_OUT and one line per listing account to OUT: "<token> <user
id>", the members' (AS=member) or the owner's (AS=owner).

usage: seed_shared.py BASE_URL MEMBERS TASKS OUT PROJECT_OUT AS [PARALLEL]
"""

import random
import sys
import threading

from seed import PASSWORD, Client, task_body


def main() -> None:
    base, members, tasks, out, project_out, listing_as = sys.argv[1:7]
    members, tasks = int(members), int(tasks)
    parallel = int(sys.argv[7]) if len(sys.argv) > 7 else 4
    if listing_as not in ("member", "owner"):
        raise SystemExit("seed_shared: AS must be member or owner")
    client = Client(base)

    def signup(name: str) -> tuple[str, str, str]:
        email = f"{name}@example.com"
        answer = client.post("/api/v1/auth/signup",
                             {"email": email, "password": PASSWORD, "name": name})
        return answer["token"], answer["user"]["id"], email

    owner = signup("bench-owner")
    project = client.post("/api/v1/projects", {"name": "Household"}, owner[0])["id"]
    accounts = [signup(f"bench-member-{i + 1}") for i in range(members)]
    for _, _, email in accounts:
        client.post(f"/api/v1/projects/{project}/members", {"email": email, "role": "editor"},
                    owner[0])

    failures = []

    def seed(count: int, seed_value: int) -> None:
        try:
            worker = Client(base)
            rng = random.Random(seed_value)
            for _ in range(count):
                body = task_body(rng)
                body["project_id"] = project
                worker.post("/api/v1/tasks", body, owner[0])
        except BaseException as err:  # noqa: BLE001 - reported below
            failures.append(err)

    shares = [tasks // parallel + (1 if k < tasks % parallel else 0) for k in range(parallel)]
    threads = [threading.Thread(target=seed, args=(n, k)) for k, n in enumerate(shares)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if failures:
        raise SystemExit(str(failures[0]))
    listing = accounts if listing_as == "member" else [owner]
    with open(out, "w", encoding="utf-8") as f:
        for token, user_id, _ in listing:
            f.write(f"{token} {user_id}\n")
    with open(project_out, "w", encoding="utf-8") as f:
        f.write(project)


if __name__ == "__main__":
    main()
