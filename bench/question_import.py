"""Question bank import benchmark: a synthetic 10 MB GIFT bank into a course's quiz.yml.

The bar (issue 14, point 8): a 10 MB bank imports in at most 5 s. Measured as the
command does it, in a fresh process after the app has started (as
bench/roster_import.py times its imports): read the file, parse it, check every
question with the type registry, merge and write quiz.yml. First into a course
without a quiz, then again (a re-import: every question unchanged, nothing
written). The parse alone and the whole ``flask --app lms courses import-questions``
command (interpreter and app start-up included) are shown beside it.

The bank mixes every supported type (one and several choices with weights,
true/false, short answers, matching, numerical values and ranges), with
categories, titles, per-answer and general feedback, escapes, comments,
``[html]`` text and multi-line questions.

    python -m bench question_import [--megabytes 10] [--keep]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCHMARK = "question bank import: a synthetic 10 MB GIFT bank into quiz.yml"
ROOT = Path(__file__).resolve().parent.parent
SECONDS_BAR = 5.0
COURSE = "ngan-hang-cau-hoi"
RESULT = "BENCH-CHILD-RESULT "

WORDS = ("mật khẩu", "thư điện tử", "lừa đảo", "chữ ký số", "dịch vụ công", "định danh",
         "VNeID", "mã OTP", "tệp đính kèm", "mạng xã hội", "cán bộ", "ủy ban nhân dân",
         "bảo mật", "sao lưu", "phần mềm", "cập nhật", "tin nhắn", "đường dẫn", "Zalo",
         "hồ sơ", "thanh toán", "ngân hàng", "xác thực", "hai lớp", "Wi-Fi công cộng")


def _sentence(rng: random.Random, words: int) -> str:
    text = " ".join(rng.choice(WORDS) for _ in range(words))
    return text[0].upper() + text[1:]


def _question(rng: random.Random, number: int) -> str:
    kind = number % 7
    title = f"::Câu {number} {_sentence(rng, 2)}::"
    text = _sentence(rng, rng.randint(8, 20)) + "?"
    feedback = f"####{_sentence(rng, rng.randint(6, 14))}."
    if kind == 0:
        right = rng.randrange(4)
        answers = "\n".join(
            f"  {'=' if i == right else '~'}{_sentence(rng, 4)} #{_sentence(rng, 3)}"
            for i in range(4))
        return f"{title}{text} {{\n{answers}\n  {feedback}\n}}"
    if kind == 1:
        answers = " ".join(f"~%{w}%{_sentence(rng, 3)}" for w in ("50", "50", "-100", "-100"))
        return f"// several right answers\n{title}{text} {{{answers} {feedback}}}"
    if kind == 2:
        return (f"{title}{text}\n{_sentence(rng, 6)} \\{{lưu ý\\}}: 50\\% "
                f"{{{rng.choice(['T', 'F', 'TRUE', 'FALSE'])}#Chưa đúng.#Đúng. {feedback}}}")
    if kind == 3:
        return f"{title}{text} {{={_sentence(rng, 2)} ={_sentence(rng, 2)} {feedback}}}"
    if kind == 4:
        pairs = " ".join(f"={_sentence(rng, 3)} ({j}) -> {_sentence(rng, 2)}" for j in range(3))
        return f"{title}[html]<p>{text} <b>ghép</b></p> {{{pairs} {feedback}}}"
    if kind == 5:
        value = rng.randint(1, 500)
        return f"{title}{text} {{#{value}.5:0.5 {feedback}}}"
    low = rng.randint(1, 100)
    return f"{title}{text} {{#={low}..{low + 10} =%50%{low + 20} {feedback}}}"


def generate(path: Path, megabytes: float, seed: int = 14) -> int:
    rng = random.Random(seed)
    target = int(megabytes * 1024 * 1024)
    size = count = 0
    with path.open("w", encoding="utf-8") as out:
        while size < target:
            if count % 500 == 0:
                block = f"$CATEGORY: $course$/top/{COURSE}/Chủ đề {count // 500 + 1}\n\n"
            else:
                block = ""
            block += _question(rng, count) + "\n\n"
            out.write(block)
            size += len(block.encode("utf-8"))
            count += 1
    return count


def bench(name: str, value: float, unit: str, bar: str | None = None, ok: bool | None = None):
    print(f"BENCH {name} {value:.3f} {unit}", flush=True)
    if bar:
        print(f"# bar: {bar} ({'ok' if ok else 'MISSED'})", flush=True)


def _environment(courses: Path) -> dict[str, str]:
    environment = {key: value for key, value in os.environ.items()
                   if not key.startswith("LMS_")}
    environment.update(LMS_ENV="testing", SECRET_KEY="bench-" + "x" * 40,
                       LMS_COURSES_DIR=str(courses),
                       DATABASE_URL=f"sqlite:///{courses.parent / 'unused.sqlite3'}")
    return environment


def _run_cli(bank: Path, courses: Path) -> tuple[float, str]:
    command = [sys.executable, "-m", "flask", "--app", "lms", "courses", "import-questions",
               str(bank), "--course", COURSE]
    started = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, env=_environment(courses), capture_output=True,
                          text=True, check=False)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"import failed ({done.returncode}):\n{done.stdout[-3000:]}"
                           f"{done.stderr[-3000:]}")
    return elapsed, done.stdout.strip().splitlines()[-1]


def _run_child(bank: Path, courses: Path) -> dict[str, float | str]:
    command = [sys.executable, "-m", "bench.question_import", "--child", str(bank),
               str(courses)]
    done = subprocess.run(command, cwd=ROOT, env=_environment(courses), capture_output=True,
                          text=True, check=False)
    lines = [line for line in done.stdout.splitlines() if line.startswith(RESULT)]
    if done.returncode != 0 or not lines:
        raise RuntimeError(f"import failed ({done.returncode}):\n{done.stdout[-3000:]}"
                           f"{done.stderr[-3000:]}")
    return json.loads(lines[-1][len(RESULT):])


def _child(bank: Path, courses: Path) -> int:
    """One import as the command runs it, timed after the app has started."""
    from lms import create_app
    from lms.courses.banks.cli import import_bank
    from lms.courses.banks.merge import apply

    app = create_app()
    with app.app_context():
        started = time.perf_counter()
        plan = import_bank(bank, courses / COURSE, "gift")
        planned = time.perf_counter()
        if plan.problems:
            print("\n".join(str(p) for p in plan.problems[:5]))
            return 1
        apply(plan)
        done = time.perf_counter()
    print(RESULT + json.dumps({
        "seconds": done - started, "plan_seconds": planned - started,
        "summary": f"{plan.count('new')} new, {plan.count('changed')} changed, "
                   f"{plan.count('unchanged')} unchanged",
        "written": plan.text is not None}), flush=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench question_import",
                                     description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--megabytes", type=float, default=10.0)
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    parser.add_argument("--child", nargs=2, type=Path, help=argparse.SUPPRESS)
    args, _unknown = parser.parse_known_args(argv)
    if args.child:
        return _child(*args.child)

    from lms.courses.banks.gift import read_gift

    directory = Path(tempfile.mkdtemp(prefix="lms-bench-bank-"))
    ok = True
    try:
        bank = directory / "ngan-hang.gift"
        count = generate(bank, args.megabytes)
        megabytes = bank.stat().st_size / 1024 / 1024
        print(f"# bank: {count} questions, {megabytes:.1f} MB", flush=True)
        courses = directory / "courses"
        folder = courses / COURSE
        folder.mkdir(parents=True)
        (folder / "course.yml").write_text(
            "title: Ngân hàng câu hỏi\nsummary: Thử.\naudiences: [official]\n", "utf-8")
        (folder / "01-bai-mot.md").write_text("# Bài một\n\nNội dung.\n", "utf-8")

        started = time.perf_counter()
        parsed = read_gift(bank.read_bytes(), str(bank))
        parse_seconds = time.perf_counter() - started
        if parsed.errors or parsed.unsupported or len(parsed.questions) != count:
            raise RuntimeError(f"parse: {len(parsed.questions)} of {count} questions, "
                               f"first problems: {[str(p) for p in parsed.errors[:3]]}")
        bench("question_bank_parse_s", parse_seconds, "s")

        first = _run_child(bank, courses)
        quiz = folder / "quiz.yml"
        print(f"# first import: {first['summary']}; quiz.yml "
              f"{quiz.stat().st_size / 1024 / 1024:.1f} MB", flush=True)
        if first["summary"] != f"{count} new, 0 changed, 0 unchanged":
            raise RuntimeError(f"first import: {first['summary']}, expected {count} new")
        ok &= first["seconds"] <= SECONDS_BAR
        bench("question_bank_import_s", first["seconds"], "s",
              f"<= {SECONDS_BAR:g} s for a 10 MB bank", first["seconds"] <= SECONDS_BAR)
        bench("question_bank_import_mb_per_s", megabytes / first["seconds"], "MB/s")

        before = quiz.read_bytes()
        again = _run_child(bank, courses)
        print(f"# re-import: {again['summary']}", flush=True)
        if again["written"] or quiz.read_bytes() != before \
                or again["summary"] != f"0 new, 0 changed, {count} unchanged":
            raise RuntimeError(f"re-import changed quiz.yml ({again['summary']}): ids are "
                               "not stable")
        ok &= again["seconds"] <= SECONDS_BAR
        bench("question_bank_reimport_s", again["seconds"], "s",
              f"<= {SECONDS_BAR:g} s for a 10 MB bank", again["seconds"] <= SECONDS_BAR)

        quiz.unlink()
        wall, _summary = _run_cli(bank, courses)
        bench("question_bank_import_command_s", wall, "s")
        print("# the whole command: interpreter and app start-up included", flush=True)
    except RuntimeError as error:
        print(f"# FAILED: {error}", flush=True)
        return 2
    finally:
        if args.keep:
            print(f"# kept {directory}", flush=True)
        else:
            shutil.rmtree(directory, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
