from __future__ import annotations

import logging
import math
import time

from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    redirect,
    request,
    session,
)
from flask_babel import gettext as _
from flask_limiter import RateLimitExceeded
from flask_login import current_user
from flask_wtf.csrf import CSRFError

from lms.courses.logic import catalogue, catalogue_version
from lms.extensions import csrf, limiter
from lms.http_cache import anonymous_page, register_http_caching
from lms.layout import render_page
from lms.util.urls import is_safe_next

bp = Blueprint("main", __name__)


@bp.record_once
def cache_pages_and_static_files(state) -> None:
    """Revalidation of anonymous pages and fingerprinted static URLs, for the whole
    app (lms/http_cache.py)."""
    register_http_caching(state.app)


@bp.before_app_request
def refuse_nul_characters():
    """No parameter, field, path segment or file name legitimately holds a NUL
    character, and PostgreSQL refuses one in text: answer 400 before a view
    queries with it."""
    environ = request.environ
    body = environ.get("CONTENT_LENGTH", "0") not in ("", "0") \
        or environ.get("HTTP_TRANSFER_ENCODING")
    query = environ.get("QUERY_STRING", "")
    if not body and "\x00" not in environ.get("PATH_INFO", "") and "%00" not in query \
            and "\x00" not in query:
        return  # the path arrives decoded, the query string encoded: no NUL either way
    pairs = [*request.args.items(multi=True), *(request.view_args or {}).items()]
    if body:
        pairs += [*request.form.items(multi=True),
                  *((f.name, f.filename) for f in request.files.values())]
    if any(isinstance(text, str) and "\x00" in text for pair in pairs for text in pair):
        abort(400)


@bp.get("/")
def index():
    return anonymous_page(catalogue_version, lambda: render_page(
        "main/index.html", courses=catalogue(limit=6)))


def _from_another_site() -> bool:
    """Whether the browser says this request was started by another site's page
    (Fetch Metadata, else the Origin header). Browsers that send neither are trusted."""
    fetch_site = request.headers.get("Sec-Fetch-Site")
    if fetch_site is not None:
        return fetch_site not in ("same-origin", "none")
    origin = request.headers.get("Origin")
    return origin is not None and origin != request.host_url.rstrip("/")


@bp.post("/lang")
@csrf.exempt
def set_language():
    """The language switch in every page's header. It carries no CSRF token, so that
    an anonymous page holds nothing of one visitor's and can be sent as it was kept
    (lms/http_cache.py): the language is a display preference, and a switch started
    by another site is ignored all the same."""
    lang = request.form.get("lang", "")
    if lang in current_app.config["LMS_LANGUAGES"] and not _from_another_site():
        session["lang"] = lang
    target = request.form.get("next")
    return redirect(target if is_safe_next(target) else "/")


@bp.get("/privacy")
def privacy():
    return render_page(
        "main/privacy.html", version=current_app.config["LMS_PRIVACY_NOTICE_VERSION"]
    )


@bp.get("/help")
def help():
    """How to register, recover a password and whom to call (the operator's
    contact details come from the environment: LMS_OPERATOR_*, LMS_SUPPORT_*)."""
    return render_page("main/help.html")


@bp.get("/healthz")
def health():
    return {"status": "ok"}


def register_error_handlers(app: Flask) -> None:
    def render_error(code: int, title: str, message: str):
        return render_page("errors/error.html", code=code, title=title, message=message), code

    @app.errorhandler(400)
    def bad_request(_error):
        return render_error(400, _("Yêu cầu không hợp lệ"),
                            _("Trang không hiểu yêu cầu này. Hãy quay lại và thử lại."))

    @app.errorhandler(CSRFError)
    def csrf_error(_error):
        return render_error(
            400,
            _("Phiên làm việc đã hết hạn"),
            _("Biểu mẫu đã quá hạn hoặc thiếu mã bảo vệ. Hãy tải lại trang rồi gửi lại."),
        )

    @app.errorhandler(403)
    def forbidden(_error):
        logging.getLogger("lms.auth").warning("access refused: %s %s user=%s from %s",
                                              request.method, request.path,
                                              getattr(current_user, "id", None),
                                              request.remote_addr)
        return render_error(403, _("Không có quyền truy cập"),
                            _("Tài khoản của bạn không được xem trang này."))

    @app.errorhandler(404)
    def not_found(_error):
        return render_error(404, _("Không tìm thấy trang"),
                            _("Địa chỉ này không tồn tại hoặc đã được gỡ bỏ."))

    @app.errorhandler(413)
    def too_large(_error):
        limit = current_app.config["MAX_CONTENT_LENGTH"] / (1024 * 1024)
        return render_error(413, _("Tệp quá lớn"),
                            _("Tệp tải lên lớn hơn %(mb)s MB. Hãy bỏ các trang tính, cột hoặc "
                              "hình ảnh không cần thiết, hoặc chia danh sách thành nhiều tệp.",
                              mb=f"{limit:g}"))

    @app.errorhandler(RateLimitExceeded)
    def too_many(error):
        logging.getLogger("lms.auth").warning("throttled: %s from %s", request.path,
                                              request.remote_addr)
        reset = limiter.current_limit.reset_at if limiter.current_limit else time.time() + 60
        minutes = max(1, math.ceil((reset - time.time()) / 60))
        response, code = render_error(
            429, _("Quá nhiều lần thử"),
            _("Đã có quá nhiều lần thử liên tiếp nên tạm khóa để bảo vệ tài khoản. Hãy thử "
              "lại sau %(n)d phút. Nếu quên mật khẩu, hãy liên hệ bộ phận tổ chức cán bộ "
              "của đơn vị.", n=minutes))
        return response, code, {"Retry-After": str(minutes * 60)}

    @app.errorhandler(500)
    def server_error(_error):
        return render_error(500, _("Đã có lỗi xảy ra"),
                            _("Hệ thống gặp sự cố. Dữ liệu của bạn không bị mất; hãy thử lại sau."))
