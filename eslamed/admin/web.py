"""Everything the admin adds to the Flask app: the protected API and the PWA."""

from flask import Blueprint

from eslamed.admin import api, pwa

bp = Blueprint("eslamed_admin", __name__)
bp.register_blueprint(api.bp)
bp.register_blueprint(pwa.bp)
