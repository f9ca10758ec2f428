"""Seeded comments, votes, helped-me marks and outcomes, with scores and reputation to match."""

from app.services.votes import DOWNVOTE, HELPED_ME, UPVOTE_ANSWER, UPVOTE_QUESTION
from bench.forum import Forum

COMMENT_WEIGHTS = (55, 25, 12, 8)  # 0..3 comments on each question and answer
HELPFUL_SHARE = 0.35  # of answered questions
OUTCOME_SHARE_MARKED, OUTCOME_SHARE_OTHER = 0.4, 0.03


def add_activity(forum: Forum) -> None:
    """Fill comments, votes, helpful_marks and outcomes; set scores and reputation."""
    _comments(forum)
    votes: list[dict] = []
    for question in forum.rows["questions"]:
        question["score"] = _vote(forum, votes, question, "question_id", UPVOTE_QUESTION, 1.0)
    for answer in forum.rows["answers"]:
        answer["score"] = _vote(forum, votes, answer, "answer_id", UPVOTE_ANSWER, 1.3)
    for vote_id, vote in enumerate(votes, 1):
        vote["id"] = vote_id
    forum.rows["votes"] = votes
    _helpful_and_outcomes(forum)
    for user in forum.rows["users"]:
        user["reputation"] = forum.reputation[user["id"]]


def _comments(forum: Forum) -> None:
    rng, comments = forum.rng, []
    posts = [("question_id", q) for q in forum.rows["questions"]]
    posts += [("answer_id", a) for a in forum.rows["answers"]]
    for column, post in posts:
        for _ in range(rng.choices(range(4), COMMENT_WEIGHTS)[0]):
            created = forum.when(post["created_at"], 12)
            body, body_html = forum.writer.sentence()
            comments.append(
                {
                    "question_id": None,
                    "answer_id": None,
                    column: post["id"],
                    "author_id": forum.pick_user(created),
                    "body": body,
                    "body_html": body_html,
                    "created_at": created,
                }
            )
    comments.sort(key=lambda c: c["created_at"])
    for comment_id, comment in enumerate(comments, 1):
        comment["id"] = comment_id
    forum.rows["comments"] = comments


def _vote(
    forum: Forum, votes: list, post: dict, column: str, up_points: int, mean_up: float
) -> int:
    """Append one post's votes (distinct voters, never its owner); return its score."""
    rng = forum.rng
    up = int(rng.expovariate(1 / mean_up))
    if rng.random() < 0.02:  # the occasional famous post
        up += min(150, int(rng.paretovariate(1.3) * 5))
    down = 1 + int(rng.expovariate(2)) if rng.random() < 0.12 else 0
    wanted = min(up + down, forum.n_users - 1)
    voters = [
        u for u in rng.sample(range(1, forum.n_users + 1), wanted + 1) if u != post["owner_id"]
    ][:wanted]
    for i, voter in enumerate(voters):
        value = 1 if i < up else -1
        cast = forum.when(max(post["created_at"], forum.user_times[voter - 1]), 48)
        votes.append(
            {
                "user_id": voter,
                "question_id": None,
                "answer_id": None,
                column: post["id"],
                "value": value,
                "created_at": cast,
                "updated_at": cast,
            }
        )
        forum.reputation[post["owner_id"]] += up_points if value == 1 else DOWNVOTE
    return sum(1 if i < up else -1 for i in range(len(voters)))


def _helpful_and_outcomes(forum: Forum) -> None:
    """The asker marks the top answer on some threads and reports an outcome on a few."""
    rng, marks, outcomes = forum.rng, [], []
    by_question: dict[int, list[dict]] = {}
    for answer in forum.rows["answers"]:
        by_question.setdefault(answer["question_id"], []).append(answer)
    for question in forum.rows["questions"]:
        answers = by_question.get(question["id"])
        if not answers:
            continue
        marked = rng.random() < HELPFUL_SHARE
        if marked:
            best = max(answers, key=lambda a: (a["score"], -a["id"]))
            marked_at = forum.when(best["created_at"], 24)
            marks.append(
                {"answer_id": best["id"], "user_id": question["owner_id"], "created_at": marked_at}
            )
            # Marking your own answer earns nothing (as in app.services.helpful).
            if best["owner_id"] != question["owner_id"]:
                forum.reputation[best["owner_id"]] += HELPED_ME
        if rng.random() < (OUTCOME_SHARE_MARKED if marked else OUTCOME_SHARE_OTHER):
            body, body_html = forum.writer.body(1, 1)
            reported = forum.when(max(a["created_at"] for a in answers), 72)
            outcomes.append(
                {
                    "id": len(outcomes) + 1,
                    "question_id": question["id"],
                    "body": body,
                    "body_html": body_html,
                    "created_at": reported,
                    "updated_at": reported,
                }
            )
    forum.rows.update(helpful_marks=marks, outcomes=outcomes)
