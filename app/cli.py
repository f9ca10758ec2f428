"""Command-line tools: `flask users ...` and `flask demo ...`."""

import click
from flask.cli import AppGroup

from app.services.accounts import find_user_by_login, register_user, set_role, update_profile
from app.services.errors import ServiceError

users_cli = AppGroup("users", help="Manage accounts.")
demo_cli = AppGroup("demo", help="Demo data for a living local site.")

DEMO_PASSWORD = "journster-demo"  # noqa: S105
DEMO_USERS = [
    {
        "username": "ada", "email": "ada@example.com", "display_name": "Ada",
        "bio": "Backend engineer. Learning to **speak at conferences**.",
        "skills": ["python", "postgresql"], "timezone": "Europe/London",
        "mentor_available": True, "mentor_topics": ["python", "databases"],
        "preferred_modes": ["message", "video"], "availability": "Weekday evenings",
        "response_time_hours": 24,
    },
    {
        "username": "grace", "email": "grace@example.com", "display_name": "Grace",
        "bio": "Engineering manager; happy to help with *career* questions.",
        "skills": ["leadership", "career"], "timezone": "America/New_York",
        "mentor_available": True, "mentor_topics": ["career", "interviews"],
        "preferred_modes": ["message", "phone"], "availability": "Saturday mornings",
        "response_time_hours": 48,
    },
    {
        "username": "linus", "email": "linus@example.com", "display_name": "Linus",
        "bio": "Student, aiming for a first open-source contribution.",
        "skills": ["c", "git"], "timezone": "Europe/Helsinki",
        "mentor_available": False, "mentor_topics": [], "preferred_modes": ["message"],
        "availability": "", "response_time_hours": None,
    },
]


def _fail(error: ServiceError) -> None:
    details = "; ".join(f"{k}: {' '.join(m)}" for k, m in error.fields.items())
    raise click.ClickException(error.message + (f" ({details})" if details else ""))


@users_cli.command("create")
@click.argument("username")
@click.argument("email")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True,
              help="Prompted for when not given.")
@click.option("--admin", is_flag=True, help="Give the account the admin role.")
def create_user_command(username: str, email: str, password: str, admin: bool) -> None:
    """Create an account."""
    try:
        user = register_user(username, email, password)
        if admin:
            set_role(user.username, "admin")
    except ServiceError as error:
        _fail(error)
    click.echo(f"Created {user.username}{' (admin)' if admin else ''}.")


@users_cli.command("promote")
@click.argument("username")
@click.option("--role", type=click.Choice(["admin", "user"]), default="admin", show_default=True)
def promote_command(username: str, role: str) -> None:
    """Give an existing account a role (admin by default)."""
    try:
        user = set_role(username, role)
    except ServiceError as error:
        _fail(error)
    click.echo(f"{user.username} is now {user.role}.")


@demo_cli.command("users")
def demo_users_command() -> None:
    """Create the demo accounts (idempotent); their password is 'journster-demo'."""
    created = 0
    for spec in DEMO_USERS:
        if find_user_by_login(spec["username"]) is not None:
            continue
        profile = {k: val for k, val in spec.items() if k not in ("username", "email")}
        user = register_user(spec["username"], spec["email"], DEMO_PASSWORD,
                             display_name=profile.pop("display_name"))
        update_profile(user, profile)
        created += 1
    click.echo(f"Demo users: {created} created, {len(DEMO_USERS) - created} already there "
               f"(password: {DEMO_PASSWORD}).")
