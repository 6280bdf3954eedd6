from flask import Blueprint, render_template
from flask_login import login_required

bp = Blueprint("help", __name__, url_prefix="/help")


@bp.get("/")
@login_required
def index():
    return render_template("help/index.html")
