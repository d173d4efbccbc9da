"""Offline learning: saving a course draws its quiz on the server (no answer reaches the
device), queued answers are graded once, refused answers are kept with their reason,
the service worker, manifest and offline page, and course packs."""

from __future__ import annotations

import json
import re
import zipfile

import pytest
import yaml
from sqlalchemy import func, select

from lms.courses.logic import published_course_or_404
from lms.courses.sync import sync_courses
from lms.extensions import db
from lms.learning.models import Completion, QuizAttempt
from lms.offline import logic
from lms.offline.models import OfflineDraw, OfflineSubmission
from lms.offline.pack import PACK_LIMIT
from tests.builders import (
    DEFAULT_QUIZ,
    RIGHT_ANSWERS,
    WRONG_ANSWERS,
    make_user,
    write_course,
)
from tests.conftest import csrf_token, login

SLUG = "ky-nang-so-co-ban"
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082")


def pairs(answers: dict) -> list[list[str]]:
    return [[f"q-{key}", value] for key, values in answers.items()
            for value in (values if isinstance(values, list) else [values])]


@pytest.fixture
def course(app, courses_dir):
    folder = write_course(courses_dir, lessons=["Thiết bị", "An toàn"])
    (folder / "images").mkdir()
    (folder / "images" / "so-do.png").write_bytes(PNG)
    lesson = next(folder.glob("01-*.md"))
    lesson.write_text(lesson.read_text("utf-8") + "\n![Sơ đồ](images/so-do.png)\n", "utf-8")
    sync_courses(courses_dir)
    db.session.commit()
    return published_course_or_404(SLUG)


@pytest.fixture
def learner(app, course):
    client = app.test_client()
    make_user("citizen", email="dan@example.vn")
    assert login(client, "dan@example.vn").status_code == 302
    return client


def save(client) -> dict:
    token = csrf_token(client, f"/courses/{SLUG}")
    response = client.post(f"/courses/{SLUG}/offline", data={"csrf_token": token})
    assert response.status_code == 200
    return response.get_json()


def send(client, payload: dict):
    token = client.get("/offline/token").get_json()["csrf_token"]
    return client.post("/offline/submissions", data=json.dumps(payload),
                       content_type="application/json", headers={"X-CSRFToken": token})


def payload(client, answers: dict, client_id: str = "a1b2c3d4-0001") -> dict:
    page = client.get(f"/courses/{SLUG}/offline/quiz").get_data(as_text=True)
    version = re.search(r'data-version="([0-9a-f]+)"', page).group(1)
    round_ = int(re.search(r'data-round="(\d+)"', page).group(1))
    return {"client_id": client_id, "course": SLUG, "version": version, "round": round_,
            "answers": pairs(answers), "answered_at": "2026-12-01T02:00:00.000Z"}


def test_saving_lists_the_lessons_pictures_and_offline_quiz(learner):
    saved = save(learner)
    assert saved["cache"] == f"lms-course-{SLUG}"
    urls = saved["urls"]
    assert urls[0] == f"/courses/{SLUG}"
    assert sum("/lessons/" in url for url in urls) == 2
    assert f"/courses/{SLUG}/files/images/so-do.png" in urls
    assert saved["quiz_url"] == f"/courses/{SLUG}/offline/quiz" and saved["quiz_url"] in urls
    assert "/offline/answers" in urls
    for url in urls:  # everything listed can be fetched to be stored
        response = learner.get(url)
        response.close()
        assert response.status_code == 200, url


def test_the_device_gets_the_questions_of_the_draw_but_no_answer(learner):
    save(learner)
    page = learner.get(f"/courses/{SLUG}/offline/quiz").get_data(as_text=True)
    draw = db.session.scalar(select(OfflineDraw))
    assert [q["id"] for q in draw.questions]  # kept with answers on the server
    for question in DEFAULT_QUIZ["questions"]:
        assert question["text"] in page
        assert question["explanation"] not in page
    assert "VNeID" not in page and "156" not in page  # the short answers
    # Saving again keeps the same draw (the device already has it).
    save(learner)
    assert db.session.scalar(select(func.count(OfflineDraw.id))) == 1


def test_answers_are_graded_once_however_often_the_device_retries(learner):
    save(learner)
    body = payload(learner, RIGHT_ANSWERS)
    first = send(learner, body)
    assert first.status_code == 200, first.get_json()
    result = first.get_json()
    assert result["status"] == "graded" and result["passed"] and result["score"] == 100
    again = send(learner, body)
    assert again.get_json()["result_url"] == result["result_url"]
    assert db.session.scalar(select(func.count(QuizAttempt.id))) == 1
    assert db.session.scalar(select(func.count(OfflineSubmission.id))) == 1
    attempt = db.session.scalar(select(QuizAttempt))
    assert attempt.passed and attempt.submitted_at is not None
    page = learner.get(result["result_url"])
    assert page.status_code == 200
    # The learner read no lesson online: passed, but not yet completed.
    assert db.session.scalar(select(func.count(Completion.id))) == 0


def test_the_draw_is_used_once_a_new_save_draws_again(learner):
    save(learner)
    assert send(learner, payload(learner, WRONG_ANSWERS)).get_json()["passed"] is False
    # The same draw answered again (another id): refused, kept.
    stale = dict(payload_from_db(), client_id="a1b2c3d4-0002", answers=pairs(RIGHT_ANSWERS))
    refused = send(learner, stale)
    assert refused.status_code == 409
    assert "đã được nộp và chấm" in refused.get_json()["message"]
    assert learner.get(f"/courses/{SLUG}/offline/quiz").status_code == 404
    save(learner)
    assert db.session.scalar(select(OfflineDraw)).round == 2
    graded = send(learner, payload(learner, RIGHT_ANSWERS, "a1b2c3d4-0003"))
    assert graded.get_json()["passed"] is True
    assert db.session.scalar(select(func.count(QuizAttempt.id))) == 2


def payload_from_db() -> dict:
    draw = db.session.scalar(select(OfflineDraw))
    return {"course": SLUG, "version": draw.quiz_version, "round": draw.round}


def test_answers_to_a_quiz_changed_since_are_refused_and_kept(learner, courses_dir):
    save(learner)
    body = payload(learner, RIGHT_ANSWERS)
    changed = dict(DEFAULT_QUIZ, pass_percent=80)
    (courses_dir / SLUG / "quiz.yml").write_text(yaml.safe_dump(changed, allow_unicode=True),
                                                 "utf-8")
    sync_courses(courses_dir)
    db.session.commit()
    response = send(learner, body)
    assert response.status_code == 409
    assert "Bài kiểm tra đã thay đổi" in response.get_json()["message"]
    assert db.session.scalar(select(func.count(QuizAttempt.id))) == 0
    kept = db.session.scalar(select(OfflineSubmission))
    assert kept.status == "refused" and kept.answers == body["answers"]
    page = learner.get("/offline/answers").get_data(as_text=True)
    assert "Kỹ năng số cơ bản" in page and "Bài kiểm tra đã thay đổi" in page
    # Retrying the same answers gives the same refusal, once.
    assert send(learner, body).status_code == 409
    assert db.session.scalar(select(func.count(OfflineSubmission.id))) == 1


def test_attempt_rules_hold_offline_too(learner, courses_dir):
    write_course(courses_dir, lessons=["Thiết bị", "An toàn"],
                 quiz=dict(DEFAULT_QUIZ, max_attempts=1))
    sync_courses(courses_dir)
    db.session.commit()
    save(learner)
    assert send(learner, payload(learner, WRONG_ANSWERS)).status_code == 200
    save(learner)
    refused = send(learner, payload(learner, RIGHT_ANSWERS, "a1b2c3d4-0009"))
    assert refused.status_code == 409
    assert "hết số lần làm bài" in refused.get_json()["message"]
    assert db.session.scalar(select(func.count(QuizAttempt.id))) == 1


def test_the_last_attempt_open_online_is_not_doubled_offline(app, learner, courses_dir):
    write_course(courses_dir, lessons=["Thiết bị", "An toàn"],
                 quiz=dict(DEFAULT_QUIZ, max_attempts=1))
    sync_courses(courses_dir)
    db.session.commit()
    save(learner)
    assert learner.get(f"/courses/{SLUG}/quiz").status_code == 200  # opens the attempt
    refused = send(learner, payload(learner, RIGHT_ANSWERS))
    assert refused.status_code == 409
    assert "hết số lần làm bài" in refused.get_json()["message"]


def test_a_timed_quiz_is_not_offered_offline(learner, courses_dir):
    write_course(courses_dir, lessons=["Thiết bị", "An toàn"],
                 quiz=dict(DEFAULT_QUIZ, time_limit_minutes=10))
    sync_courses(courses_dir)
    db.session.commit()
    saved = save(learner)
    assert saved["quiz_url"] is None and len(saved["urls"]) == 3  # the course, 2 lessons
    assert learner.get(f"/courses/{SLUG}/offline/quiz").status_code == 404


@pytest.mark.parametrize("body", [
    {}, {"client_id": "x"}, {"client_id": "a1b2c3d4-0001", "course": SLUG, "version": "v",
                             "round": 1, "answers": "q-mot=1"},
    {"client_id": "a1b2c3d4-0001", "course": SLUG, "version": "v", "round": True,
     "answers": []},
])
def test_what_is_not_a_submission_gets_400_and_stores_nothing(learner, body):
    save(learner)
    response = send(learner, body)
    assert response.status_code == 400
    assert db.session.scalar(select(func.count(OfflineSubmission.id))) == 0


def test_submissions_need_the_csrf_token(learner):
    save(learner)
    response = learner.post("/offline/submissions", data=json.dumps(payload(
        learner, RIGHT_ANSWERS)), content_type="application/json")
    assert response.status_code == 400
    assert db.session.scalar(select(func.count(QuizAttempt.id))) == 0


def test_service_worker_manifest_and_offline_page(client, course):
    worker = client.get("/sw.js")
    assert worker.status_code == 200
    assert worker.mimetype == "text/javascript"
    assert worker.headers["Service-Worker-Allowed"] == "/"
    shell = json.loads(re.search(r"var SHELL_FILES = (\[.*?\]);",
                                 worker.get_data(as_text=True)).group(1))
    assert "/offline" in shell and any("/static/css/app.css?v=" in url for url in shell)
    for url in shell:  # the service worker's install fails if one is missing
        response = client.get(url)
        response.close()
        assert response.status_code == 200, url
    manifest = client.get("/manifest.webmanifest")
    assert manifest.mimetype == "application/manifest+json"
    icons = manifest.get_json()["icons"]
    assert {"192x192", "512x512"} <= {icon["sizes"] for icon in icons}
    for icon in icons:
        response = client.get(icon["src"])
        response.close()
        assert response.status_code == 200
    page = client.get("/offline")
    assert page.status_code == 200 and "Không có kết nối mạng" in page.get_data(as_text=True)
    # Still no inline script anywhere: the policy is unchanged.
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    assert "<script>" not in page.get_data(as_text=True)
    home = client.get("/").get_data(as_text=True)
    assert 'rel="manifest"' in home and "js/offline.js" in home


def test_the_course_page_offers_saving_and_the_pack_by_role(app, course, learner):
    page = learner.get(f"/courses/{SLUG}").get_data(as_text=True)
    assert "Tải khóa học để học offline" in page
    assert "Tải bộ bài học offline" not in page
    assert learner.get(f"/courses/{SLUG}/pack").status_code == 403
    anonymous = app.test_client().get(f"/courses/{SLUG}").get_data(as_text=True)
    assert "Tải khóa học để học offline" not in anonymous
    helper = app.test_client()
    make_user("community_helper", email="to-cns@example.vn")
    assert login(helper, "to-cns@example.vn").status_code == 302
    assert "Tải bộ bài học offline" in helper.get(f"/courses/{SLUG}").get_data(as_text=True)
    response = helper.get(f"/courses/{SLUG}/pack")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    assert f"{SLUG}.zip" in response.headers["Content-Disposition"]


def test_the_pack_is_static_relative_and_small(app, course, runner, tmp_path):
    output = tmp_path / "pack.zip"
    result = runner.invoke(args=["courses", "pack", SLUG, "-o", str(output)])
    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(output) as archive:
        names = set(archive.namelist())
        texts = {name: archive.read(name).decode() for name in names
                 if name.endswith((".html", ".css"))}
    assert {f"{SLUG}/index.html", f"{SLUG}/style.css",
            f"{SLUG}/files/images/so-do.png"} <= names
    assert sum("/lessons/" in name for name in names) == 2
    for name, text in texts.items():
        assert "<script" not in text, name
        assert not re.search(r'(src|href)="(/|https?:)', text), name
        assert "http://" not in text and "https://" not in text and "@import" not in text, name
    lesson = next(text for name, text in texts.items() if "/lessons/01-" in name)
    assert 'src="../files/images/so-do.png"' in lesson
    assert "@media print" in texts[f"{SLUG}/style.css"]
    # The whole course on one page, to print at once: pictures from files/.
    whole = texts[f"{SLUG}/ca-khoa-hoc.html"]
    assert whole.count('<article class="lesson"') == 2
    assert 'src="files/images/so-do.png"' in whole
    assert 'href="ca-khoa-hoc.html"' in texts[f"{SLUG}/index.html"]
    assert output.stat().st_size <= PACK_LIMIT


def test_a_pack_over_one_megabyte_is_refused_with_its_largest_files(app, courses_dir,
                                                                    runner, tmp_path):
    folder = write_course(courses_dir, lessons=["Ảnh lớn"])
    (folder / "images").mkdir()
    (folder / "images" / "lon.png").write_bytes(PNG + bytes(1200 * 1024))
    lesson = next(folder.glob("01-*.md"))
    lesson.write_text(lesson.read_text("utf-8") + "\n![Ảnh](images/lon.png)\n", "utf-8")
    sync_courses(courses_dir)
    db.session.commit()
    output = tmp_path / "pack.zip"
    result = runner.invoke(args=["courses", "pack", SLUG, "-o", str(output)])
    assert result.exit_code == 1
    assert "files/images/lon.png (1200 KB)" in result.output
    assert not output.exists()
    assert runner.invoke(args=["courses", "pack", "khong-co", "-o", str(output)]).exit_code == 1


def test_no_offline_quiz_after_completing_the_course(app, course):
    from lms.learning.logic import record_completion

    user = make_user("citizen", email="xong@example.vn")
    record_completion(user, course)
    db.session.commit()
    assert logic.save_course(user, course) is None


def test_logic_refuses_a_stale_round_without_the_web(app, course):
    user = make_user("citizen", email="b@example.vn")
    draw = logic.save_course(user, course)
    body = {"client_id": "abcdefgh-1", "course": SLUG, "version": draw.quiz_version,
            "round": draw.round + 1, "answers": pairs(RIGHT_ANSWERS)}
    submission = logic.receive(user, body)
    assert submission.status == "refused" and submission.reason == logic.OLD_DRAW


def test_offline_answers_are_in_the_data_download_and_dropped_on_deletion(app, course):
    from lms.auth.logic import find_by_identifier
    from lms.privacy.logic import anonymise, user_data

    user = make_user("citizen", email="xoa@example.vn")
    draw = logic.save_course(user, course)
    logic.receive(user, {"client_id": "abcdefgh-2", "course": SLUG,
                         "version": draw.quiz_version, "round": draw.round,
                         "answers": pairs(RIGHT_ANSWERS)})
    db.session.commit()
    [sent] = user_data(user)["offline_answers"]
    assert sent["status"] == "graded" and ["q-nam", "vneid"] in sent["answers"]
    anonymise(find_by_identifier("xoa@example.vn"))
    db.session.commit()
    assert db.session.scalar(select(OfflineSubmission)).answers is None


def test_one_page_keeps_each_lessons_footnotes_apart():
    from types import SimpleNamespace

    from lms.offline.pack import one_page

    html = ('<p>Ý<sup id="fnref:1"><a class="footnote-ref" href="#fn:1">1</a></sup>, '
            '<img alt="x" src="../files/a.png"> <a href="an-toan">An toàn</a></p>'
            '<li id="fn:1">Chú thích</li>')
    page = one_page(html, SimpleNamespace(position=3), {"an-toan": "ca-khoa-hoc.html#bai-2"})
    assert 'id="bai-3-fnref:1"' in page and 'href="#bai-3-fn:1"' in page
    assert 'id="bai-3-fn:1"' in page and 'src="files/a.png"' in page
    assert '<a href="ca-khoa-hoc.html#bai-2">An toàn</a>' in page


def test_pack_links_go_to_the_pack_pages_and_never_out():
    from lms.offline.pack import pack_links

    html = ('<p>Xem <a href="an-toan#mat-khau">bài An toàn</a> và '
            '<a href="https://dichvucong.gov.vn" rel="noopener noreferrer">Cổng DVC</a>, '
            '<a href="#fn1">1</a>, <a href="../../khac/lessons/bai">khóa khác</a>.</p>')
    packed = pack_links(html, {"an-toan": "02-an-toan.html"})
    assert '<a href="02-an-toan.html#mat-khau">bài An toàn</a>' in packed
    assert 'Cổng DVC <span class="address">(https://dichvucong.gov.vn)</span>' in packed
    assert "<a href=\"https" not in packed
    assert '<a href="#fn1">1</a>' in packed  # footnotes stay on the page
    assert ", khóa khác." in packed  # another course is not in the pack
