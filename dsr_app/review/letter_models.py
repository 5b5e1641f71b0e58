"""What a letter says about AI models (issue 19, items 3 and 4): which models
were trained on dataset versions that held the person's items, since when, what
became of each, and the measures staff recorded. Every sentence is a recorded
fact: a run's dates and status, a measure with its day, a later run on cleared
data (training.exposure). Nothing says a model "forgot" or changed unless a
measure says so.
"""

from __future__ import annotations

from collections.abc import Mapping

from dsr_app.review.letter_items import iso_day, plural

#: Letter types that answer with what is done about the models; an access letter
#: states which models, for what purpose (A02), since when (Art. 15(1)(a)).
DECIDING = ("objection", "erasure", "removal_complete")


def _versions(run: dict, texts: Mapping[str, str], state: str | None) -> str:
    return ", ".join(
        texts["M_version"].format(dataset=v["dataset"], version=v["dataset_version"])
        for v in run["versions"]
        if state is None or v["state"] == state
    )


def _measure(m: dict, runs: Mapping[int, dict], texts, lang: str) -> str:
    replacement = ""
    if m["replacement_run_id"] in runs:
        other = runs[m["replacement_run_id"]]
        replacement = texts["M_replacement"].format(
            model=other["model"], model_version=other["model_version"]
        )
    return texts[f"M_measure_{m['kind']}"].format(
        day=iso_day(m["taken_on"], lang), replacement=replacement
    )


def run_line(
    run: dict,
    found: Mapping[str, list[dict]],
    kind: str,
    lang: str,
    texts: Mapping[str, str],
    values: Mapping[str, str],
) -> str:
    """One exposed run said in the letter's language: model and version, since
    when, on what, how many of the person's items; for a deciding letter also
    when it started against the request, its status and measures, and the later
    version on cleared data if one is on record (``found``: the runs by kind)."""
    said = [
        texts["M_run"].format(
            model=run["model"],
            model_version=run["model_version"],
            started=iso_day(run["started_at"], lang),
            versions=_versions(run, texts, "held"),
            items=plural(texts, "M_items", len(run["items"]), lang),
        )
    ]
    if kind in DECIDING:
        if run["after_decision"]:
            said.append(
                texts["M_after"].format(
                    versions=_versions(run, texts, "held"), **values
                )
            )
        else:
            before = run["started_at"] < values["received_at"]
            said.append(texts["M_before" if before else "M_during"].format(**values))
    finished, retired = (iso_day(run[k], lang) for k in ("finished_at", "retired_at"))
    if finished:
        said.append(texts["M_finished"].format(finished=finished))
    if run["status"] == "retired":
        said.append(texts["M_retired"].format(retired=retired))
    else:
        said.append(texts[f"M_{run['status']}"])
    if kind not in DECIDING:
        return " ".join(said)
    runs = {r["id"]: r for group in found.values() for r in group}
    said += [_measure(m, runs, texts, lang) for m in run["measures"]]
    if not run["measures"]:
        said.append(texts["M_no_measure"])
    later = [r for r in found["cleared"] if r["model"] == run["model"]]
    if later:
        said.append(
            texts["M_successor"].format(
                model=later[0]["model"],
                model_version=later[0]["model_version"],
                started=iso_day(later[0]["started_at"], lang),
            )
        )
    else:
        said.append(texts["M_no_successor"])
    return " ".join(said)


def model_lines(
    found: Mapping[str, list[dict]],
    kind: str,
    lang: str,
    texts: Mapping[str, str],
    values: Mapping[str, str],
) -> list[str]:
    """Each exposed run of ``found`` (training.exposure.request_runs) as a line
    of the letter, oldest start first."""
    return [run_line(r, found, kind, lang, texts, values) for r in found["exposed"]]
