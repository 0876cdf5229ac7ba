"""Pre/post self-report questionnaires, defined in `<scenarios_dir>/questionnaires/*.yaml`.

A file: id, title, intro, when: [pre, post], scale {min, max, labels}, lower_is_better, items [{id, text}],
and optionally `languages: [en, es]` with `translations:` (server/languages.py): a participant is shown the
texts in their language where the file has them, in English where not. Scores and answers do not depend on it.
Answers are stored as given (item id -> number) with the mean as the score;
a person submits them on purpose, so they are kept as their record (exported
and deleted with it) whatever their recording choice.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from wire import errors
from wire.errors import WireError

from .. import languages, yamltext
from ..config import scenario_data

if TYPE_CHECKING:
    from ..config import Config
    from ..storage.interfaces import Storage


class QuestionnaireError(ValueError):
    pass


def questionnaire_dir(cfg: Config) -> Path:
    """`<scenarios_dir>/questionnaires/`, else the shipped questionnaires."""
    return scenario_data(cfg, "questionnaires")


def load_all(directory: Path) -> dict[str, dict[str, Any]]:
    """{id: the questionnaire in English, with `languages`: {language: the same in that language}}."""
    out: dict[str, dict[str, Any]] = {}
    for path in sorted(directory.glob("*.y*ml")):
        data = yamltext.data(path.read_text(encoding="utf-8"))
        where = str(path)
        out_of = _checked(data, where, out)
        out_of["languages"] = {
            lang: _checked(other, where, {})
            for lang, other in languages.per_language(data, languages.QUESTIONNAIRE_TEXTS).items()
        }
        out[out_of["id"]] = out_of
    return out


def _checked(data: Any, where: str, out: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """One questionnaire file's data, checked (`out`: those read before, for a repeated id)."""
    if not isinstance(data, dict) or not isinstance(data.get("id"), str):
        raise QuestionnaireError(f"{where}: needs an id")
    scale = data.get("scale") or {}
    items = data.get("items") or []
    lo, hi = scale.get("min"), scale.get("max")
    if not (isinstance(lo, int) and isinstance(hi, int) and lo < hi):
        raise QuestionnaireError(f"{where}: scale needs whole-number min < max")
    if not items or not all(
        isinstance(i, dict) and isinstance(i.get("id"), str) and isinstance(i.get("text"), str) for i in items
    ):
        raise QuestionnaireError(f"{where}: items must be a list of {{id, text}}")
    if data["id"] in out:
        raise QuestionnaireError(f"{where}: id '{data['id']}' is used twice")
    labels = {int(k): str(v) for k, v in (scale.get("labels") or {}).items()}
    return {
        "id": data["id"],
        "title": str(data.get("title", data["id"])),
        "intro": " ".join(str(data.get("intro", "")).split()),
        "when": list(data.get("when") or ["pre", "post"]),
        "scale": {"min": scale["min"], "max": scale["max"], "labels": labels},
        "lower_is_better": bool(data.get("lower_is_better", False)),
        "items": [{"id": i["id"], "text": " ".join(i["text"].split())} for i in items],
    }


class Questionnaires:
    def __init__(self, store: Storage, directory: Path):
        self.store = store
        self.defs = load_all(directory) if directory.exists() else {}

    def public(self, language: str = languages.SOURCE) -> list[dict[str, Any]]:
        """Every questionnaire as a client shows it, in `language` where the file has it (else English)."""
        out = []
        for d in self.defs.values():
            shown = d["languages"].get(language, d)
            out.append(
                {
                    **{k: v for k, v in shown.items() if k != "languages"},
                    "scale": {**shown["scale"], "labels": {str(k): v for k, v in shown["scale"]["labels"].items()}},
                }
            )
        return out

    def answer(
        self, user_id: int, qid: str, when: str, answers: dict[str, Any], run_id: int | None = None
    ) -> dict[str, Any]:
        d = self.defs.get(qid)
        if d is None:
            raise WireError(errors.NOT_FOUND, f"There is no questionnaire '{qid[:64]}'. Ask for the list.")
        if when not in d["when"]:
            raise WireError(errors.INVALID, f"This questionnaire is asked: {', '.join(d['when'])}.")
        ids = {i["id"] for i in d["items"]}
        lo, hi = d["scale"]["min"], d["scale"]["max"]
        clean = {}
        for k, v in answers.items():
            if k not in ids:
                raise WireError(errors.INVALID, f"'{str(k)[:64]}' is not a question in '{qid}'.")
            if isinstance(v, bool) or not isinstance(v, int) or not lo <= v <= hi:
                raise WireError(errors.INVALID, f"Answer each question with a whole number from {lo} to {hi}.")
            clean[k] = v
        if not clean:
            raise WireError(errors.INVALID, "Answer at least one question (you may skip any).")
        score = sum(clean.values()) / len(clean)
        rid = self.store.add_questionnaire_answer(user_id, qid, when, run_id, clean, score)
        return {"id": rid, "questionnaire": qid, "when": when, "score": score, "answered": len(clean)}

    def of_user(self, user_id: int) -> list[dict[str, Any]]:
        return self.store.questionnaire_answers(user_id)
