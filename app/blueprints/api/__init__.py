"""JSON API v1: registers the smorest blueprints and the OpenAPI document."""

from flask import Flask
from flask_smorest import Api

from app.blueprints.api.answers import blp as answers_blp
from app.blueprints.api.follows import blp as follows_blp
from app.blueprints.api.goals import blp as goals_blp
from app.blueprints.api.me import blp as me_blp
from app.blueprints.api.mentorship import blp as mentorship_blp
from app.blueprints.api.moderation import blp as moderation_blp
from app.blueprints.api.notifications import blp as notifications_blp
from app.blueprints.api.questions import blp as questions_blp
from app.blueprints.api.recovery import blp as recovery_blp
from app.blueprints.api.schemas import ErrorSchema
from app.blueprints.api.search import blp as search_blp
from app.blueprints.api.users import blp as users_blp


class JournsterApi(Api):
    """smorest Api documenting our error format; app/errors.py answers errors (HTML or JSON)."""

    ERROR_SCHEMA = ErrorSchema

    def _register_error_handlers(self) -> None:
        """Skip smorest's app-wide handler: it would turn HTML error pages into JSON."""


def register_api(app: Flask) -> None:
    """One Api per app, so several apps (tests) never share an OpenAPI document."""
    api = JournsterApi(
        app,
        spec_kwargs={
            "components": {
                "securitySchemes": {
                    "bearerAuth": {"type": "http", "scheme": "bearer"},
                    "basicAuth": {"type": "http", "scheme": "basic"},
                }
            },
            "security": [{"bearerAuth": []}, {}],
        },
    )
    for blueprint in (
        users_blp,
        goals_blp,
        questions_blp,
        answers_blp,
        search_blp,
        mentorship_blp,
        notifications_blp,
    ):
        api.register_blueprint(blueprint)
    api.register_blueprint(follows_blp)
    api.register_blueprint(moderation_blp)
    api.register_blueprint(me_blp)
    api.register_blueprint(recovery_blp)
    app.extensions["journster_api"] = api
