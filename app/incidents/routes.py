from flask import Blueprint, render_template
from flask_login import login_required

bp = Blueprint("incidents", __name__, url_prefix="/incidents")


@bp.get("/")
@login_required
def index():
    return render_template("incidents/index.html")
