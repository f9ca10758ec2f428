"""Question, answer, comment, outcome and link forms (shape only)."""

from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, IntegerField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from app.core import validation as v


class QuestionForm(FlaskForm):
    title = StringField(
        "Title",
        validators=[DataRequired(), Length(max=v.TITLE_MAX)],
        description=f"{v.TITLE_MIN}–{v.TITLE_MAX} characters. Ask one specific question.",
        render_kw={"autocomplete": "off"},
    )
    body = TextAreaField(
        "Details",
        validators=[DataRequired(), Length(max=v.BODY_MAX)],
        description="Markdown. What have you tried? What would help?",
    )
    tags = StringField(
        "Tags", validators=[DataRequired()], description="1–5 tags separated by commas."
    )
    goal_id = HiddenField()
    anonymous = BooleanField(
        "Ask anonymously",
        description="Others see “anonymous protégé”; only you and the site's admins see "
        "that you asked. Not for questions about a goal.",
    )

    def question_data(self) -> dict:
        data = {"title": self.title.data, "body": self.body.data, "tags": self.tags.data or ""}
        goal_id = v.parse_id(self.goal_id.data)
        if goal_id is not None:
            data["goal_id"] = goal_id
        if self.anonymous.data:
            data["anonymous"] = True
        return data


class InviteForm(FlaskForm):
    usernames = StringField(
        "Invite people to answer",
        validators=[DataRequired()],
        description="Up to 5 usernames in all, separated by commas or spaces.",
        render_kw={"autocomplete": "off"},
    )

    def username_list(self) -> list[str]:
        return [name for name in (self.usernames.data or "").replace(",", " ").split() if name]


class AnswerForm(FlaskForm):
    body = TextAreaField(
        "Your answer",
        validators=[DataRequired(), Length(v.ANSWER_MIN, v.BODY_MAX)],
        description=f"Markdown, at least {v.ANSWER_MIN} characters. Share what worked for you.",
    )


class CommentForm(FlaskForm):
    body = TextAreaField(
        "Add a comment",
        validators=[DataRequired(), Length(max=v.COMMENT_MAX)],
        description=f"Up to {v.COMMENT_MAX} characters: ask for "
        "clarification or suggest an improvement.",
    )


class OutcomeForm(FlaskForm):
    body = TextAreaField(
        "What did you try, and what happened?", validators=[DataRequired(), Length(max=v.BODY_MAX)]
    )


class AnsweredInForm(FlaskForm):
    question_id = IntegerField(
        "Id of the earlier question", validators=[Optional(), NumberRange(min=1)]
    )
