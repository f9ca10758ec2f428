"""Forms on the question thread page: answer, comment, outcome, link, invite (shape only)."""

from flask_wtf import FlaskForm
from wtforms import IntegerField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from app.core import validation as v


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
