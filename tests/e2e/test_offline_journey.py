"""Offline learning in the browser: a learner saves a course, loses the connection,
reads every lesson (marking each done), takes the quiz, and when the connection returns
the lessons count and the attempt is graded once; a helper downloads the course pack,
which opens from disk with no request leaving it."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from lms.courses.sync import sync_courses
from lms.extensions import db
from lms.learning.models import Completion, LessonProgress, QuizAttempt
from lms.offline.models import OfflineSubmission
from tests.builders import DEFAULT_QUIZ, PASSWORD, RIGHT_ANSWERS, make_user, write_course
from tests.e2e.conftest import login, serious_violations, shot

SLUG = "ky-nang-so-co-ban"
LESSONS = ["Thiết bị", "An toàn", "Dịch vụ công"]
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082")


@pytest.fixture
def e2e_courses(tmp_path) -> Path:
    courses = tmp_path / "courses"
    folder = write_course(courses, SLUG, title="Kỹ năng số cơ bản", lessons=LESSONS,
                          audiences=["citizen", "official"])
    (folder / "images").mkdir()
    (folder / "images" / "so-do.png").write_bytes(PNG)
    first = next(folder.glob("01-*.md"))
    first.write_text(first.read_text("utf-8") + "\n![Sơ đồ kết nối](images/so-do.png)\n",
                     "utf-8")
    write_course(courses, "van-ban-dien-tu", title="Văn bản điện tử", quiz=False,
                 audiences=["citizen"], lessons=["Chữ ký số"])
    return courses


def counts(live_server) -> tuple[int, int, int, int]:
    with live_server.app.app_context():
        result = (db.session.scalar(select(func.count(QuizAttempt.id))
                                    .where(QuizAttempt.submitted_at.is_not(None))),
                  db.session.scalar(select(func.count(OfflineSubmission.id))),
                  db.session.scalar(select(func.count(LessonProgress.id))),
                  db.session.scalar(select(func.count(Completion.id))))
        db.session.remove()
        return result


def answer(page, answers: dict) -> None:
    for qid, value in answers.items():
        if isinstance(value, list):
            for choice in value:
                page.check(f"input[name='q-{qid}'][value='{choice}']")
        elif page.locator(f"input[type=text][name='q-{qid}']").count():
            page.fill(f"input[name='q-{qid}']", value)
        else:
            page.check(f"input[name='q-{qid}'][value='{value}']")


def test_a_learner_studies_offline_and_the_quiz_is_graded_once_back_online(browser,
                                                                             live_server):
    with live_server.app.app_context():
        make_user("citizen", email="hoc-offline@example.vn", name="Lò Văn Học")
        db.session.remove()
    base = live_server.url
    context = browser.new_context(viewport={"width": 360, "height": 740}, locale="vi-VN")
    page = context.new_page()
    outside: list[str] = []
    page.on("request", lambda request: None if request.url.startswith(base)
            else outside.append(request.url))
    login(page, base, "hoc-offline@example.vn", PASSWORD)
    page.goto(f"{base}/courses/{SLUG}")
    assert page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.get_by_role("button", name="Tải khóa học để học offline").click()
    expect(page.get_by_text("Đã lưu 3 bài học của khóa này trên máy")).to_be_visible()
    shot(page, "offline-saved")
    findings = serious_violations(page)

    context.set_offline(True)
    # Every lesson, read and marked done without a connection; after the last one the
    # learner lands on the offline quiz.
    page.goto(f"{base}/courses/{SLUG}")
    page.get_by_role("link", name="Bắt đầu học").click()
    for title in LESSONS:
        expect(page.get_by_role("heading", level=1, name=title)).to_be_visible()
        if title == LESSONS[0]:
            image = page.get_by_role("img", name="Sơ đồ kết nối")
            expect(image).to_be_visible()
            assert image.evaluate("img => img.complete && img.naturalWidth > 0")
            shot(page, "offline-lesson")
        page.get_by_role("button", name="Đánh dấu đã học").click()
    expect(page.get_by_role("heading", name="Bài kiểm tra offline")).to_be_visible()
    findings += serious_violations(page)
    # A page that was not saved: the offline page, which lists what was.
    page.goto(f"{base}/courses/van-ban-dien-tu")
    expect(page.get_by_role("heading", name="Không có kết nối mạng")).to_be_visible()
    expect(page.get_by_role("link", name="Kỹ năng số cơ bản")).to_be_visible()
    shot(page, "offline-page")
    findings += serious_violations(page)

    page.get_by_role("link", name="Bài kiểm tra offline").click()
    expect(page.get_by_role("heading", name="Bài kiểm tra offline")).to_be_visible()
    answer(page, RIGHT_ANSWERS)
    page.get_by_role("button", name="Nộp bài").click()
    expect(page.get_by_text("Đã giữ bài làm trên máy này")).to_be_visible()
    shot(page, "offline-quiz-queued")
    assert counts(live_server) == (0, 0, 0, 0)

    # What the device holds, readable offline too.
    page.goto(f"{base}/offline/answers")
    expect(page.locator("[data-queue-list] li").first).to_contain_text("Chờ có mạng để nộp")
    shot(page, "offline-answers-waiting")

    context.set_offline(False)  # the "online" event sends the queued answers
    # Sent on the "online" event, or retried a few seconds later when the connection
    # comes back only partly (the service worker's side can lag the page's).
    expect(page.get_by_text("Bài làm offline đã được chấm: 100%, đạt.")).to_be_visible(
        timeout=20000)
    # Graded once; the lessons read offline count; so the course is completed.
    assert counts(live_server) == (1, 1, 3, 1)
    page.get_by_role("link", name="Xem kết quả").click()
    expect(page.get_by_text("Chúc mừng, bạn đã đạt!")).to_be_visible()
    expect(page.get_by_role("link", name="Xem chứng nhận")).to_be_visible()

    # The device sends the same answers again (a lost response): still graded once.
    page.evaluate("""() => {
      const key = Object.keys(localStorage).find(k => k.startsWith("lms-offline-queue-"));
      const queue = JSON.parse(localStorage.getItem(key));
      queue.forEach(entry => { entry.state = "queued"; });
      localStorage.setItem(key, JSON.stringify(queue));
    }""")
    page.goto(f"{base}/offline/answers")
    expect(page.locator("[data-queue-list] li").first).to_contain_text("Đã chấm")
    assert counts(live_server) == (1, 1, 3, 1)
    shot(page, "offline-answers")
    findings += serious_violations(page)

    # Signing out on a shared computer removes the saved pages.
    assert page.evaluate("caches.has('lms-course-ky-nang-so-co-ban')")
    page.get_by_role("button", name="Đăng xuất").click()
    page.wait_for_url(lambda address: "/offline" not in address)
    assert not page.evaluate("caches.has('lms-course-ky-nang-so-co-ban')")
    context.close()
    assert findings == [], findings
    assert outside == [], outside


def test_answers_to_a_quiz_changed_while_offline_are_refused_and_kept(browser, live_server,
                                                                       e2e_courses):
    with live_server.app.app_context():
        make_user("citizen", email="doi-de@example.vn", name="Hà Thị Đổi")
        db.session.remove()
    base = live_server.url
    context = browser.new_context(viewport={"width": 360, "height": 740}, locale="vi-VN")
    page = context.new_page()
    login(page, base, "doi-de@example.vn", PASSWORD)
    page.goto(f"{base}/courses/{SLUG}")
    assert page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.get_by_role("button", name="Tải khóa học để học offline").click()
    expect(page.get_by_text("Đã lưu 3 bài học của khóa này trên máy")).to_be_visible()
    context.set_offline(True)
    page.goto(f"{base}/courses/{SLUG}/offline/quiz")
    answer(page, RIGHT_ANSWERS)
    page.get_by_role("button", name="Nộp bài").click()
    expect(page.get_by_text("Đã giữ bài làm trên máy này")).to_be_visible()

    # Meanwhile the course's authors change the quiz.
    write_course(e2e_courses, SLUG, title="Kỹ năng số cơ bản", lessons=LESSONS,
                 audiences=["citizen", "official"],
                 quiz=dict(DEFAULT_QUIZ, pass_percent=80))
    with live_server.app.app_context():
        sync_courses(e2e_courses)
        db.session.commit()
        db.session.remove()

    context.set_offline(False)
    expect(page.get_by_text("Bài kiểm tra đã thay đổi sau khi bạn lưu khóa học")).to_be_visible(
        timeout=20000)
    assert counts(live_server)[:2] == (0, 1)
    page.goto(f"{base}/offline/answers")
    refused = page.locator(".offline-refused li")
    expect(refused).to_have_count(1)
    expect(refused).to_contain_text("Bài kiểm tra đã thay đổi")
    expect(refused).to_contain_text("6 câu trả lời đã được giữ lại")
    on_device = page.locator("[data-queue-list] li").first
    expect(on_device).to_contain_text("Không được chấm")
    # Times in the province's time, written as the server writes them.
    device_time = re.search(r"\d\d/\d\d/\d{4} \d\d:\d\d", on_device.inner_text()).group(0)
    assert device_time[:13] in refused.inner_text()  # the same day and hour
    shot(page, "offline-answers-refused")
    assert serious_violations(page) == []
    context.close()


def test_a_helper_downloads_the_course_pack_which_opens_from_disk(browser, live_server,
                                                                   tmp_path):
    with live_server.app.app_context():
        make_user("community_helper", email="to-cns@example.vn", name="Vi Thị Hỗ Trợ")
        db.session.remove()
    base = live_server.url
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="vi-VN",
                                  accept_downloads=True)
    page = context.new_page()
    login(page, base, "to-cns@example.vn", PASSWORD)
    page.goto(f"{base}/courses/{SLUG}")
    with page.expect_download() as download:
        page.get_by_role("link", name="Tải bộ bài học offline (.zip)").click()
    archive = tmp_path / download.value.suggested_filename
    download.value.save_as(archive)
    context.close()
    assert archive.name == f"{SLUG}.zip" and archive.stat().st_size <= 1024 * 1024
    with zipfile.ZipFile(archive) as opened:
        opened.extractall(tmp_path / "room")

    # The learning room's computer: no network at all, the pack from disk.
    room = browser.new_context(viewport={"width": 360, "height": 740}, locale="vi-VN",
                               offline=True)
    left: list[str] = []

    def guard(route):
        if route.request.url.startswith("file://"):
            route.continue_()
        else:
            left.append(route.request.url)
            route.abort()

    room.route("**/*", guard)
    page = room.new_page()
    page.goto((tmp_path / "room" / SLUG / "index.html").as_uri())
    expect(page.get_by_role("heading", name="Kỹ năng số cơ bản")).to_be_visible()
    shot(page, "pack-index")
    assert serious_violations(page) == []
    for title in LESSONS:
        page.get_by_role("link", name=title, exact=True).click()
        expect(page.get_by_role("heading", level=1, name=title)).to_be_visible()
        assert page.evaluate("getComputedStyle(document.body).fontFamily").startswith("system-ui")
        if title == LESSONS[0]:
            image = page.get_by_role("img", name="Sơ đồ kết nối")
            assert image.evaluate("img => img.complete && img.naturalWidth > 0")
            shot(page, "pack-lesson")
            assert serious_violations(page) == []
        page.get_by_role("link", name="Mục lục").click()
    assert re.search(r"/index\.html$", page.url)
    page.get_by_role("link", name="Toàn bộ bài học trên một trang (để in)").click()
    expect(page.locator("article.lesson")).to_have_count(len(LESSONS))
    image = page.get_by_role("img", name="Sơ đồ kết nối")
    assert image.evaluate("img => img.complete && img.naturalWidth > 0")
    assert serious_violations(page) == []
    page.get_by_role("link", name="Mục lục").click()
    # On paper: the print style sheet, without the navigation.
    page.get_by_role("link", name=LESSONS[0], exact=True).click()
    page.emulate_media(media="print")
    assert page.locator("nav.pager").evaluate("nav => getComputedStyle(nav).display") == "none"
    shot(page, "pack-print")
    page.emulate_media(media="screen")
    room.close()
    assert left == [], f"requests left the pack: {left}"
