"""Journster application factory: create_app() assembles the app from register_* steps."""

import os
import secrets
from datetime import UTC, datetime
from pathlib import Path

from flask import Flask

from app.blueprints.admin.routes import bp as admin_bp
from app.blueprints.answers.routes import bp as answers_bp
from app.blueprints.api import register_api
from app.blueprints.auth.routes import bp as auth_bp
from app.blueprints.discovery.routes import bp as discovery_bp
from app.blueprints.feeds.routes import bp as feeds_bp
from app.blueprints.forms import current_viewer
from app.blueprints.goals.routes import bp as goals_bp
from app.blueprints.health.routes import bp as health_bp
from app.blueprints.main.routes import bp as main_bp
from app.blueprints.mentorship.routes import bp as mentorship_bp
from app.blueprints.notifications.routes import bp as notifications_bp
from app.blueprints.questions.routes import bp as questions_bp
from app.blueprints.search.routes import bp as search_bp
from app.blueprints.tags.routes import bp as tags_bp
from app.blueprints.users.routes import bp as users_bp
from app.cli import demo_cli, import_cli, users_cli
from app.cli_housekeeping import backup_cli, mentorship_cli, notify_cli
from app.cli_search import search_cli
from app.config import Config
from app.core.asker import asker_view, reveals_asker
from app.core.transaction import configure_sqlite_engine
from app.core.validation import CONTACT_MODES, parse_id, parse_int
from app.errors import register_error_handlers
from app.extensions import csrf, db, limiter, login_manager, migrate
from app.models import User
from app.models.base import alembic_render_item
from app.request_input import register_request_input
from app.search.background import register_background_indexer
from app.search.outbox import register_search_outbox
from app.search.similar_refresh import register_similar_refresh
from app.security import register_security
from app.services.account_mail import register_account_mailer
from app.services.accounts import account_usable
from app.services.listing import ago, excerpt, question_cards

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def create_app(config: object | None = None) -> Flask:
    """Build a configured Journster app (Config() from the environment by default)."""
    app = Flask(
        __name__,
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
        instance_path=str(PROJECT_ROOT / "instance"),
    )
    app.config.from_object(config if config is not None else Config())
    register_instance_defaults(app)
    register_database(app)
    register_search_outbox(app)
    register_extensions(app)
    register_request_input(app)  # before the blueprints: their <int:…> routes use its converter
    register_blueprints(app)
    register_error_handlers(app)
    register_security(app)
    register_template_helpers(app)
    register_cli(app)
    register_background_indexer(app)
    register_account_mailer(app)
    register_similar_refresh(app)
    return app


def register_instance_defaults(app: Flask) -> None:
    """Fill settings that default to files under instance/ (database, index, limits, key)."""
    instance = Path(app.instance_path)
    instance.mkdir(parents=True, exist_ok=True)
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{instance / 'journster.db'}"
    if not app.config.get("SEARCH_INDEX_DIR"):
        app.config["SEARCH_INDEX_DIR"] = str(instance / "search-index")
    if not app.config.get("RATELIMIT_STORAGE_URI"):
        app.config["RATELIMIT_STORAGE_URI"] = f"sqlite:///{instance / 'ratelimits.db'}"
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _instance_secret_key(instance / "secret_key")


def _instance_secret_key(path: Path) -> str:
    """Read the generated secret key, creating it once (owner-only) on first start."""
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        key = secrets.token_hex(32)
        # O_EXCL: if two workers start at once, exactly one writes and both read its key.
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return path.read_text().strip()
        with os.fdopen(fd, "w") as handle:
            handle.write(key)
        return key


def register_database(app: Flask) -> None:
    """Bind SQLAlchemy and Alembic; SQLite gets WAL and BEGIN IMMEDIATE for writes."""
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    if uri.startswith("sqlite"):
        options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS", {}))
        options.pop("pool_pre_ping", None)
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options
    db.init_app(app)
    migrate.init_app(
        app, db, render_as_batch=True, compare_type=True, render_item=alembic_render_item
    )
    if uri.startswith("sqlite"):
        with app.app_context():
            configure_sqlite_engine(db.engine)


def register_extensions(app: Flask) -> None:
    """Bind login, CSRF and rate limiting."""
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Sign in to continue."
    login_manager.login_message_category = "info"
    # "basic" marks a session non-fresh when its IP/user agent changes; "strong" would log
    # out every phone that switches networks. Password changes end sessions via get_id().
    login_manager.session_protection = "basic"

    @login_manager.user_loader
    def load_user(user_id: str):
        user_part, _, version_part = user_id.partition(":")
        user_pk, version = parse_id(user_part), parse_int(version_part, minimum=0)
        if user_pk is None or version is None:
            return None
        user = db.session.get(User, user_pk)
        if not account_usable(user) or user.session_version != version:
            return None
        return user

    csrf.init_app(app)
    limiter.init_app(app)


def register_blueprints(app: Flask) -> None:
    """Mount the web areas and the JSON API."""
    for blueprint in (
        main_bp,
        auth_bp,
        users_bp,
        goals_bp,
        questions_bp,
        answers_bp,
        tags_bp,
        feeds_bp,
        search_bp,
        mentorship_bp,
        notifications_bp,
    ):
        app.register_blueprint(blueprint)
    app.register_blueprint(discovery_bp)  # following, mentors directory
    app.register_blueprint(admin_bp)  # flagging, /admin moderation area
    register_api(app)
    app.register_blueprint(health_bp)  # /healthz for load balancers


def register_template_helpers(app: Flask) -> None:
    """Template globals: nothing with logic, only values templates need."""
    app.jinja_env.globals["CONTACT_MODES"] = CONTACT_MODES
    app.jinja_env.filters["atom_date"] = atom_date
    # Anonymous questions: how to show the asker / whether an author is the hidden asker.
    app.jinja_env.globals["asker_view"] = _asker_view
    app.jinja_env.globals["reveals_asker"] = _reveals_asker
    # Lists: excerpts, relative times, and per-thread activity read through the gate.
    app.jinja_env.filters["ago"] = ago
    app.jinja_env.filters["excerpt"] = excerpt
    app.jinja_env.globals["question_cards"] = _question_cards
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True


def _asker_view(question, public: bool = False) -> str:
    return asker_view(None if public else current_viewer(), question)


def _question_cards(questions) -> dict:
    return question_cards(current_viewer(), questions)


def _reveals_asker(question, author_id, public: bool = False) -> bool:
    return reveals_asker(None if public else current_viewer(), question, author_id)


def atom_date(value) -> str:
    """RFC 3339 UTC timestamp for Atom feeds (now, for an empty feed)."""
    return (value or datetime.now(UTC)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def register_cli(app: Flask) -> None:
    """Add the `flask` command groups: users, demo, import, search, backup, mentorship, notify."""
    app.cli.add_command(users_cli)
    app.cli.add_command(demo_cli)
    app.cli.add_command(import_cli)
    app.cli.add_command(search_cli)
    app.cli.add_command(backup_cli)
    app.cli.add_command(mentorship_cli)
    app.cli.add_command(notify_cli)
