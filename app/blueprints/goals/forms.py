"""Goal forms: new and edit (shape only; services check the rules)."""

from flask_wtf import FlaskForm
from wtforms import DateField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from app.core import validation as v
from app.models.goals import STATUSES


class GoalForm(FlaskForm):
    title = StringField(
        "Title",
        validators=[DataRequired(), Length(max=v.TITLE_MAX)],
        description=f"{v.TITLE_MIN}–{v.TITLE_MAX} characters: what do you want to achieve?",
    )
    description = TextAreaField(
        "Description",
        validators=[Length(max=v.BODY_MAX)],
        description="Markdown. Where you are now, what you have tried, what success looks like.",
    )
    tags = StringField(
        "Tags",
        validators=[DataRequired()],
        description="1–5 tags separated by commas, e.g. public-speaking, career.",
    )
    target_date = DateField("Target date", validators=[Optional()])

    def goal_data(self) -> dict:
        return {
            "title": self.title.data,
            "description": self.description.data or "",
            "tags": self.tags.data or "",
            "target_date": self.target_date.data,
        }


class GoalEditForm(GoalForm):
    status = SelectField("Status", choices=[SelectChoice(s, s.capitalize()) for s in STATUSES])

    def goal_data(self) -> dict:
        return {**super().goal_data(), "status": self.status.data}
