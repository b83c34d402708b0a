"""The instructors' grading commands, run from the course's root (the folder of nbgrader_config.py).

``python -m course_pkg.grading autograde ASSIGNMENT --jobs N``
    Autograde every submission of ASSIGNMENT with N worker processes (``parallel.py``): a progress
    bar on stderr, a summary at the end, exit status 0 if every submission was graded, 1 if any
    failed, crashed or timed out, 2 if nothing could be graded (bad arguments, no such assignment).

``python -m course_pkg.grading report ASSIGNMENT``
    Write the misconception report of ASSIGNMENT (``report.py``): ``reports/ASSIGNMENT.csv`` and
    ``reports/ASSIGNMENT.html``, read from the autograded notebooks.
"""

import argparse
import sys


def _positive_int(text):
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer; got {text!r}")
    return value


def _positive_float(text):
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be a positive number of seconds; got {text!r}")
    return value


def _parser():
    parser = argparse.ArgumentParser(
        prog="python -m course_pkg.grading",
        description="Grade a class with nbgrader: parallel autograding and the misconception report.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    grade = commands.add_parser(
        "autograde", help="autograde every submission of an assignment with several processes",
        description="Autograde every submission of ASSIGNMENT (submitted/*/ASSIGNMENT/) with N worker "
                    "processes against the gradebook of nbgrader_config.py (PostgreSQL for N > 1).",
    )
    grade.add_argument("assignment", metavar="ASSIGNMENT")
    grade.add_argument("--jobs", "-j", type=_positive_int, default=1, metavar="N",
                       help="worker processes (default 1)")
    grade.add_argument("--student", action="append", metavar="S",
                       help="grade only this learner (repeat for several; default: all who submitted)")
    grade.add_argument("--timeout", type=_positive_float, default=None, metavar="SECONDS",
                       help="seconds one submission may take before it is killed (default 600)")
    grade.add_argument("--course-dir", default=".", metavar="DIR",
                       help="the course's root, holding nbgrader_config.py (default: .)")
    grade.add_argument("--quiet", action="store_true", help="no progress bar (the summary still prints)")

    report = commands.add_parser(
        "report", help="write the misconception report (CSV and HTML) of an assignment",
        description="Count, for every exercise of ASSIGNMENT, the learners who passed, who hit each "
                    "named misconception and who left it blank, from the autograded notebooks.",
    )
    report.add_argument("assignment", metavar="ASSIGNMENT")
    report.add_argument("--course-dir", default=".", metavar="DIR",
                        help="the course's root, holding nbgrader_config.py (default: .)")
    report.add_argument("--output", default=None, metavar="DIR",
                        help="folder for ASSIGNMENT.csv and ASSIGNMENT.html (default: COURSE_DIR/reports)")
    return parser


def main(argv=None):
    args = _parser().parse_args(argv)
    if args.command == "autograde":
        from course_pkg.grading import parallel

        try:
            run = parallel.autograde(
                args.assignment, jobs=args.jobs, course_dir=args.course_dir, students=args.student,
                timeout=args.timeout or parallel.DEFAULT_TIMEOUT,
                progress=None if args.quiet else sys.stderr,
            )
        except parallel.GradingError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        print(run.summary())
        return 0 if run.ok else 1

    from course_pkg.grading import report

    try:
        written = report.write_report(args.assignment, course_dir=args.course_dir, output=args.output)
    except report.ReportError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for path in written:
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
