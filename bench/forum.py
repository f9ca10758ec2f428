"""Seeded rows for users, tags, goals (milestones, journal), questions and answers."""

from bisect import bisect_left, bisect_right
from datetime import UTC, datetime, timedelta
from itertools import accumulate
from random import Random

from bench.corpus import Writer

# A fixed end (not "now") keeps a seed's output identical from one day to the next.
END = datetime(2026, 11, 1, tzinfo=UTC)
SPAN = timedelta(days=3 * 365)
START = END - SPAN
GOAL_SHARE = 0.03
POSTS_PER_USER = 15
# Answers per question, 0..8: skewed, mean ≈ 1.87 so answers come out ≈ 65% of posts.
ANSWER_WEIGHTS = (22, 31, 20, 11, 6.5, 4, 2.5, 1.7, 1.3)
TAG_COUNT_WEIGHTS = (25, 30, 25, 13, 7)  # 1..5 tags on a question
GOAL_QUESTION_SHARE = 0.30
CLOSED_GOAL_SHARE = 0.03


class Forum:
    """Builds every table's rows as lists of dicts, keyed by table name, in FK order."""

    def __init__(self, writer: Writer, rng: Random, posts: int) -> None:
        self.writer, self.rng = writer, rng
        self.rows: dict[str, list[dict]] = {}
        self.n_goals = round(posts * GOAL_SHARE)
        self.answer_counts = self._answer_counts(posts - self.n_goals)
        self.n_users = max(20, round(posts / POSTS_PER_USER))

    def _answer_counts(self, budget: int) -> list[int]:
        counts, cum = [], list(accumulate(ANSWER_WEIGHTS))
        while budget > 0:
            k = min(bisect_right(cum, self.rng.random() * cum[-1]), budget - 1)
            counts.append(k)
            budget -= 1 + k
        return counts

    def when(self, after: datetime, mean_hours: float) -> datetime:
        """A moment an exponential delay after ``after``, never past END."""
        return min(END, after + timedelta(hours=self.rng.expovariate(1 / mean_hours)))

    def times(self, count: int, earliest: datetime, latest: datetime) -> list[datetime]:
        """Sorted moments, denser towards the end (a site that grows), so ids follow time."""
        span = (latest - earliest).total_seconds()
        return sorted(
            earliest + timedelta(seconds=span * self.rng.random() ** 0.5) for _ in range(count)
        )

    def build(self) -> None:
        self.tags()
        self.users()
        self.goals()
        self.questions()
        self.answers()

    def tags(self) -> None:
        self.tag_id = {name: i for i, name in enumerate(self.writer.vocab.tags, 1)}
        self.rows["tags"] = [{"id": i, "name": n} for n, i in self.tag_id.items()]

    def users(self) -> None:
        """Users join over the whole span; a few are very active (Pareto activity weights)."""
        self.user_times = [
            START - timedelta(days=60),
            *self.times(self.n_users - 1, START - timedelta(days=59), END),
        ]
        self.user_cum = list(accumulate(self.rng.paretovariate(1.1) for _ in range(self.n_users)))
        self.reputation = [0] * (self.n_users + 1)
        users, skills = [], []
        for user_id, joined in enumerate(self.user_times, 1):
            first, last = self.writer.words(2)
            mentor = self.rng.random() < 0.15
            users.append(
                {
                    "id": user_id,
                    "username": f"{first[:20]}{user_id}",
                    "email": f"{first[:20]}{user_id}@example.org",
                    "password_hash": None,
                    "display_name": f"{first.title()} {last.title()}",
                    "bio": "",
                    "bio_html": "",
                    "location": "",
                    "timezone": "UTC",
                    "mentor_available": mentor,
                    "preferred_modes": ["message"] if mentor else [],
                    "availability": "",
                    "response_time_hours": self.rng.choice((4, 24, 48)) if mentor else None,
                    "role": "user",
                    "reputation": 0,
                    "session_version": 1,
                    "external_id": None,
                    "created_at": joined,
                    "updated_at": joined,
                }
            )
            if mentor:
                skills += [
                    {"user_id": user_id, "tag_id": self.tag_id[name]}
                    for name in self.writer.tags(self.rng.randint(1, 4))
                ]
        self.rows["users"], self.rows["user_skills"] = users, skills

    def pick_user(self, at: datetime, avoid: int = 0) -> int:
        """An active-weighted user id among those who had joined by ``at`` (not ``avoid``)."""
        joined = max(1, bisect_right(self.user_times, at))
        for _ in range(4):
            user_id = 1 + bisect_left(self.user_cum, self.rng.random() * self.user_cum[joined - 1])
            if user_id != avoid:
                break
        return user_id

    def goals(self) -> None:
        goals, goal_tags, milestones, journal = [], [], [], []
        self.goal_times = self.times(self.n_goals, START, END - timedelta(days=7))
        self.goal_owner, self.goal_tag_names = [0], [[]]
        for goal_id, created in enumerate(self.goal_times, 1):
            owner = self.pick_user(created)
            status = self.rng.choices(("active", "achieved", "abandoned"), (60, 28, 12))[0]
            closed = self.rng.random() < CLOSED_GOAL_SHARE
            mentor = self.pick_user(created, avoid=owner) if closed else None
            description, description_html = self.writer.body(1, 2)
            target = created + timedelta(days=self.rng.randint(30, 365))
            names = self.writer.tags(self.rng.randint(1, 3))
            self.goal_owner.append(owner)
            self.goal_tag_names.append(names)
            goal_tags += [{"goal_id": goal_id, "tag_id": self.tag_id[n]} for n in names]
            for position in range(1, self.rng.randint(1, 5) + 1):
                done = status == "achieved" or self.rng.random() < 0.4
                milestones.append(
                    {
                        "goal_id": goal_id,
                        "position": position,
                        "done": done,
                        "title": self.writer.title(high=80),
                        "due_date": (created + timedelta(days=20 * position)).date(),
                        "done_at": self.when(created, 24 * 20 * position) if done else None,
                        "created_at": self.when(created, 1),
                    }
                )
            for _ in range(1 if self.rng.random() < 0.7 else 2):
                body, body_html = self.writer.body(1, 2)
                journal.append(
                    {
                        "goal_id": goal_id,
                        "author_id": owner,
                        "body": body,
                        "body_html": body_html,
                        "created_at": self.when(created, 24 * 14),
                    }
                )
            verb = self.rng.choice(("Learn", "Get better at", "Finish", "Understand", "Ship"))
            goals.append(
                {
                    "id": goal_id,
                    "owner_id": owner,
                    "title": f"{verb} {self.writer.title(high=120)}",
                    "description": description,
                    "description_html": description_html,
                    "target_date": target.date() if self.rng.random() < 0.7 else None,
                    "visibility": "closed" if closed else "open",
                    "status": status,
                    "mentor_id": mentor,
                    "created_at": created,
                    "updated_at": created,
                }
            )
        self.rows.update(
            goals=goals, goal_tags=goal_tags, milestones=milestones, journal_entries=journal
        )

    def _goal_for(self, at: datetime) -> int | None:
        """One of the recent goals posted before ``at`` (questions follow their goal)."""
        started = bisect_right(self.goal_times, at)
        if not started or self.rng.random() >= GOAL_QUESTION_SHARE:
            return None
        return self.rng.randint(max(1, started - 200), started)

    def questions(self) -> None:
        questions, question_tags = [], []
        self.q_times = self.times(len(self.answer_counts), START, END - timedelta(hours=1))
        for question_id, (created, count) in enumerate(
            zip(self.q_times, self.answer_counts, strict=True), 1
        ):
            goal_id = self._goal_for(created)
            owner = self.goal_owner[goal_id] if goal_id else self.pick_user(created)
            first = self.goal_tag_names[goal_id][:1] if goal_id else []
            n_tags = self.rng.choices(range(1, 6), TAG_COUNT_WEIGHTS)[0]
            question_tags += [
                {"question_id": question_id, "tag_id": self.tag_id[name]}
                for name in self.writer.tags(n_tags, first)
            ]
            body, body_html = self.writer.body(1, 4)
            linked = question_id > 1 and self.rng.random() < 0.01
            questions.append(
                {
                    "id": question_id,
                    "owner_id": owner,
                    "goal_id": goal_id,
                    "title": self.writer.title(),
                    "body": body,
                    "body_html": body_html,
                    "score": 0,
                    "answer_count": count,
                    "external_id": None,
                    "answered_in_id": self.rng.randint(1, question_id - 1) if linked else None,
                    "created_at": created,
                    "updated_at": created,
                }
            )
        self.rows.update(questions=questions, question_tags=question_tags)

    def answers(self) -> None:
        """Answers arrive hours to days after their question; ids follow time."""
        answers = []
        for question in self.rows["questions"]:
            for _ in range(question["answer_count"]):
                created = self.when(question["created_at"], 36)
                question["updated_at"] = max(question["updated_at"], created)
                owner = self.pick_user(created, avoid=question["owner_id"])
                body, body_html = self.writer.body(1, 3)
                answers.append(
                    {
                        "question_id": question["id"],
                        "owner_id": owner,
                        "body": body,
                        "body_html": body_html,
                        "score": 0,
                        "external_id": None,
                        "created_at": created,
                        "updated_at": created,
                    }
                )
        answers.sort(key=lambda a: (a["created_at"], a["question_id"]))
        for answer_id, answer in enumerate(answers, 1):
            answer["id"] = answer_id
        self.rows["answers"] = answers
