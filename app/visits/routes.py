from flask import Blueprint, render_template
from flask_login import login_required

bp = Blueprint("visits", __name__, url_prefix="/visits")


@bp.get("/")
@login_required
def index():
    return render_template("visits/index.html")
