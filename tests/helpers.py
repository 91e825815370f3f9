"""Small factories shared by service and web tests."""
from __future__ import annotations

from datetime import date, timedelta

from processes.usecases.timezone import today_local
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
