#!/usr/bin/env python3
"""Seed a running tudu server through its public API (standard library only).

Signs up USERS accounts one after the other (Argon2 hashing is deliberately slow and memory-hungry,
so signing up in parallel would only inflate the server's peak RSS), then creates TASKS_PER_USER
tasks for every user with realistic fields, several users at a time over keep-alive connections.
Each user's tasks are created in order, so they carry the numbers 1..TASKS_PER_USER.

Writes one line per user to OUT: "<token> <user id>".

usage: seed.py BASE_URL USERS TASKS_PER_USER OUT [PARALLEL]
"""

import http.client
import json
import random
import sys
import threading
import urllib.parse
from datetime import datetime, timedelta, timezone

VERBS = ["Review", "Write", "Call", "Fix", "Plan", "Book", "Send", "Prepare", "Update", "Clean",
         "Pay", "Read", "Order", "Schedule", "Check", "Draft", "Renew", "Test", "Buy", "Ship"]
OBJECTS = ["the quarterly report", "dentist appointment", "flaky login test", "team offsite",
           "train tickets to Lyon", "invoice #4821", "onboarding checklist", "garage door",
           "insurance renewal", "release notes for 2.3", "grocery list", "conference talk",
           "backup of the NAS", "birthday present for Sam", "sprint retrospective", "tax return",
           "passport photos", "customer feedback survey", "kitchen shelves", "database migration"]
DESCRIPTIONS = [
    "Needs to be done before the end of the week; ask Alex if anything is unclear.",
    "Follow up on the email thread from Monday and attach the signed PDF.",
    "Low effort but keeps slipping. Block 30 minutes in the calendar.",
    "Check the numbers against last year's and note any difference above 5 %.",
    "Bring the receipts. Parking is behind the building, entrance on Rue Victor Hugo.",
    "Split into smaller steps if it takes more than two hours.",
]
TAGS = ["work", "home", "errands", "finance", "health", "urgent", "later", "family", "admin",
        "reading", "travel", "q4"]
PRIORITIES = ["HIGH", "MEDIUM", "LOW", "NONE"]
ZONES = ["UTC", "Europe/Paris", "America/New_York", "Asia/Tokyo", "Australia/Sydney"]
PASSWORD = "bench-password-123"


def task_body(rng: random.Random) -> dict:
    body = {"title": f"{rng.choice(VERBS)} {rng.choice(OBJECTS)}",
            "priority": rng.choice(PRIORITIES),
            "tags": rng.sample(TAGS, rng.randint(0, 4))}
    if rng.random() < 0.7:
        body["description"] = rng.choice(DESCRIPTIONS)
    roll = rng.random()
    if roll < 0.5:  # an instant, as an API client would send it
        due = datetime.now(timezone.utc) + timedelta(hours=rng.randint(-72, 24 * 60))
        body["due_date"] = due.replace(microsecond=0).isoformat().replace("+00:00", "Z")
    elif roll < 0.7:  # a bare date, read in the user's zone (end of that day)
        body["due_date"] = (datetime.now().date() + timedelta(days=rng.randint(0, 90))).isoformat()
    if rng.random() < 0.1:
        body["recurrence_pattern"] = rng.choice(["DAILY", "WEEKLY", "MONTHLY"])
        body["recurrence_interval"] = rng.randint(1, 3)
        body.setdefault("due_date", (datetime.now().date() + timedelta(days=1)).isoformat())
    if rng.random() < 0.2:
        body["completed"] = True
    return body


class Client:
    def __init__(self, base: str):
        url = urllib.parse.urlsplit(base)
        self.conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)

    def post(self, path: str, body: dict, token: str | None = None) -> dict:
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self.conn.request("POST", path, json.dumps(body), headers)
        response = self.conn.getresponse()
        payload = response.read()
        if response.status != 201:
            raise SystemExit(f"seed: POST {path} answered {response.status}: {payload[:300]!r}")
        return json.loads(payload)


def main() -> None:
    base, users, per_user, out = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    parallel = int(sys.argv[5]) if len(sys.argv) > 5 else 4
    client = Client(base)
    accounts = []
    for i in range(users):
        answer = client.post("/api/v1/auth/signup", {
            "email": f"bench-user-{i + 1}@example.com", "password": PASSWORD,
            "name": f"Bench User {i + 1}", "timezone": ZONES[i % len(ZONES)]})
        accounts.append((answer["token"], answer["user"]["id"]))

    failures = []

    def seed_users(indexes: list[int]) -> None:
        try:
            worker = Client(base)
            for i in indexes:
                rng = random.Random(i)
                token = accounts[i][0]
                for n in range(1, per_user + 1):
                    created = worker.post("/api/v1/tasks", task_body(rng), token)
                    if created["number"] != n:
                        raise SystemExit(f"seed: user {i + 1} got task number {created['number']}, expected {n}")
        except BaseException as err:  # noqa: BLE001 - reported below
            failures.append(err)

    threads = [threading.Thread(target=seed_users, args=(list(range(k, users, parallel)),))
               for k in range(parallel)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if failures:
        raise SystemExit(str(failures[0]))
    with open(out, "w", encoding="utf-8") as f:
        for token, user_id in accounts:
            f.write(f"{token} {user_id}\n")


if __name__ == "__main__":
    main()
