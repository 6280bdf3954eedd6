from flask import Blueprint, render_template
from flask_login import login_required

bp = Blueprint("alerts", __name__, url_prefix="/alerts")


@bp.get("/")
@login_required
def index():
    return render_template("alerts/index.html")
