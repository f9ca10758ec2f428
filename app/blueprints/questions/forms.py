"""The ask and edit form of a question (shape only)."""

from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

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
