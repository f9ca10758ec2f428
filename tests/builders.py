"""Builders for Q&A content, going through the real services."""

from app.services import goals, questions

ANSWER_TEXT = "Try breaking it into smaller steps and practise each one."


def build_goal(owner, title="Give my first conference talk", tags=("speaking",), **extra):
    return goals.create_goal(owner, {"title": title, "tags": list(tags), **extra})


def build_question(
    owner,
    title="How do I write a conference abstract?",
    body="Any tips?",
    tags=("speaking",),
    goal=None,
):
    data = {"title": title, "body": body, "tags": list(tags)}
    if goal is not None:
        data["goal_id"] = goal.id
    return questions.ask_question(owner, data)


def build_answer(owner, question, body=ANSWER_TEXT):
    return questions.post_answer(owner, question, body)
