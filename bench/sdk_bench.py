#!/usr/bin/env python3
"""SDK side of the Lab Desk benchmark (run by bench/bench.py, one action per process).

    sdk_bench.py create PROJECT BATCH FOLDER     # create_tasks, one task per image, defaults
    sdk_bench.py list PROJECT                    # tasks(optional_fields=["data"]) (the default)
    sdk_bench.py export PROJECT FORMAT FOLDER    # export_tasks(format, output_folder=FOLDER)
    sdk_bench.py properties PROJECT IDS_FILE SCORE  # update_properties_of_tasks(ids, {"score"})

Credentials/endpoint from ISAHIT_LAB_API_ACCESS_ID / _SECRET_KEY / _ENDPOINT (the SDK's own
variables). Prints one JSON line {"tasks": n, "seconds": s}: `seconds` times the SDK call
only (interpreter start and imports excluded, which flatters the SDK slightly).
Everything else is the SDK's default behaviour, including its 0.5 s sleep between pages.
"""
import json
import os
import pathlib
import sys
import time


def main() -> int:
    action, *args = sys.argv[1:]
    from isahitlab.client import IsahitLab

    lab = IsahitLab()
    start = time.perf_counter()
    if action == "create":
        project, batch, folder = args
        files = sorted(p for p in pathlib.Path(folder).iterdir() if p.is_file())
        tasks = [{"name": p.name, "resources": [str(p)]} for p in files]
        lab.create_tasks(project_id=project, batch_id=batch, tasks=tasks)
        count = len(tasks)
    elif action == "list":
        (project,) = args
        count = len(lab.tasks(project_id=project))
    elif action == "export":
        project, fmt, folder = args
        os.makedirs(folder, exist_ok=True)
        lab.export_tasks(project_id=project, format=fmt, output_folder=folder)
        count = -1  # the driver knows the task count
    elif action == "properties":
        project, ids_file, score = args
        ids = pathlib.Path(ids_file).read_text().split()
        lab.update_properties_of_tasks(project, ids, {"score": float(score)}, disable_progress_bar=True)
        count = len(ids)
    else:
        print(f"unknown action {action}", file=sys.stderr)
        return 2
    seconds = time.perf_counter() - start
    print(json.dumps({"tasks": count, "seconds": seconds}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
