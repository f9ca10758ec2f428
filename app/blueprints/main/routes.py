"""Home page and small site-wide pages."""

from flask import Blueprint, render_template

from app.services.accounts import count_users

bp = Blueprint("main", __name__)


@bp.get("/")
def index():
    """Home: what Journster is; newest goals and questions arrive with the Q&A core."""
    return render_template("main/index.html", user_count=count_users())
