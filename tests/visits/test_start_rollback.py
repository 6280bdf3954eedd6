"""A check-in's visit row is written with Core and its object attached as loaded (app.database):
a rollback must take both away, so the same start can be tried again in the same session."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import func, select

from app.admin.services import find_user
from app.extensions import db as _db
from app.models import Visit
from app.visits import services


def test_a_rolled_back_start_can_be_done_again_in_the_same_session(app, clock):
    with app.app_context():
        s = _db.session
        anna = find_user(s, "anna")
        plan = services.VisitPlan(id=str(uuid.uuid4()), planned_end=clock.now() + timedelta(hours=1),
                                  buddy=find_user(s, "bo"), place="Vestergade 1")
        first, created = services.start(s, clock, anna, plan)
        assert created and first in s
        s.rollback()
        assert first not in s
        again, created = services.start(s, clock, anna, plan)
        assert created and again is not first
        s.commit()
        assert s.execute(select(func.count()).select_from(Visit)).scalar() == 1
        assert s.get(Visit, plan.id) is again
        _db.session.remove()
