"""Small factories shared by service and web tests."""
from __future__ import annotations

from datetime import date, timedelta

from processes.university_time import today_local
from storage.models import utcnow


def event_date(days: int = 10) -> str:
    return (today_local(utcnow()) + timedelta(days=days)).isoformat()


def submission(**overrides) -> dict:
    data = {
        "event_name": "Digital University 2026", "event_kind": "conference",
        "organizer": "KInEU", "event_date": event_date(), "location": "Kostanay, main hall",
        "title": "Цифровая трансформация университета", "text": "Тезистер: қаржы-шаруашылық қызметі туралы.",
        "categories": ["finance"],
    }
    data.update(overrides)
    return data


__all__ = ["event_date", "submission", "date"]


def api_complete(client, headers, task_id, data, status=200):
    """POST /api/v1/tasks/<id>/complete and check the status; return the JSON body."""
    response = client.post(f"/api/v1/tasks/{task_id}/complete", headers=headers, json={"data": data})
    assert response.status_code == status, response.get_json()
    return response.get_json()


def api_ready(client, headers, instance_id):
    """The caller's single ready task in an instance (GET /api/v1/tasks)."""
    (task,) = [t for t in client.get("/api/v1/tasks", headers=headers).get_json() if t["instance_id"] == instance_id]
    return task


def api_upload(client, headers, instance_id, name, content) -> int:
    """POST a file to /api/v1/instances/<id>/files; return its id."""
    import io

    response = client.post(f"/api/v1/instances/{instance_id}/files", headers=headers,
                           data={"file": (io.BytesIO(content), name)}, content_type="multipart/form-data")
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def kelisim_command(*args: str) -> list[str]:
    """`kelisim ARGS` with this environment's console script (or the module when it is not installed)."""
    import sys
    from pathlib import Path

    script = Path(sys.executable).parent / "kelisim"
    return [str(script), *args] if script.exists() else [sys.executable, "-m", "web.cli", *args]
