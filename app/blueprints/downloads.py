"""The data export as a file download, shared by /settings/export and GET /api/v1/me/export."""

import json

from flask import Response

from app.models.base import utcnow
from app.services.data_export import export_user_data


def export_download(user) -> Response:
    """The user's export as an attachment; never cached (it holds private content)."""
    data = export_user_data(user)
    filename = f"journster-{user.username}-{utcnow().date().isoformat()}.json"
    response = Response(json.dumps(data, ensure_ascii=False, indent=2), mimetype="application/json")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response
