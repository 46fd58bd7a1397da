"""An alert's words: headline, description and instruction, in English and Arabic."""

from __future__ import annotations

from typing import Any

TITLE = {
    "watch": ("Aircraft airborne", "طائرة حربية في الجو"),
    "warning": ("Aircraft approaching", "طائرة حربية تقترب"),
    "imminent": ("Air strike imminent", "غارة وشيكة"),
    "all_clear": ("All clear", "زوال الخطر"),
    "cancel": ("Alert cancelled", "إلغاء الإنذار"),
}
INSTRUCTION = {
    "watch": (
        "Stay alert for further warnings and know where you will shelter.",
        "ابقوا متيقظين لتحذيرات لاحقة واعرفوا أين ستحتمون.",
    ),
    "warning": (
        "Prepare to shelter: move away from upper floors, windows and open areas. "
        "Rescue teams: be ready to withdraw from strike sites.",
        "استعدوا للاحتماء: ابتعدوا عن الطوابق العليا والنوافذ والأماكن المكشوفة. "
        "فرق الإنقاذ: استعدوا للانسحاب من مواقع القصف.",
    ),
    "imminent": (
        "Take shelter now: the lowest floor or a basement, away from windows. "
        "Rescue teams: leave exposed sites now.",
        "احتموا الآن: في الطابق الأرضي أو القبو بعيداً عن النوافذ. "
        "فرق الإنقاذ: غادروا المواقع المكشوفة فوراً.",
    ),
    "all_clear": (
        "The threat has passed for these areas. Sites already hit may be struck again: "
        "approach them with care.",
        "زال الخطر عن هذه المناطق. قد تُستهدف المواقع المقصوفة مرة ثانية: اقتربوا منها بحذر.",
    ),
    "cancel": (
        "The earlier alert for these areas is withdrawn. Sites already hit may be struck again: "
        "approach them with care.",
        "سُحب الإنذار السابق لهذه المناطق. قد تُستهدف المواقع المقصوفة مرة ثانية: اقتربوا منها بحذر.",
    ),
}
SHOWN_NAMES = 5


def _minutes(seconds: float | None) -> str:
    return "0" if seconds is None else f"{max(0, round(seconds / 60))}"


def _names(zones: list[dict[str, Any]], key: str, sep: str, more: str) -> str:
    names = [z[key] for z in zones[:SHOWN_NAMES]]
    rest = len(zones) - len(names)
    return sep.join(names) + (more.format(rest) if rest else "")


# When listing every zone would make the alert too large a log entry for a mirror's tile
# (a city of several hundred zones), its descriptions list this many and count the others: each
# zone is still named in the alert's areas.
LISTED_WHEN_LONG = 20


def _line(level: str, z: dict[str, Any], operator: bool) -> tuple[str, str]:
    """One zone's line of the description, in English and Arabic."""
    en, ar = f"{z['name_en']} ({z['pcode']})", f"{z['name_ar']} ({z['pcode']})"
    if level == "all_clear":
        return f"{en}: no threat now", f"{ar}: لا خطر الآن"
    if level == "cancel":
        return f"{en}: earlier alert withdrawn", f"{ar}: سُحب الإنذار السابق"
    if operator and z.get("eta_min_s") is None:
        return f"{en}: warned by the operations room", f"{ar}: إنذار من غرفة العمليات"
    if z.get("eta_min_s") is None:
        return f"{en}: aircraft overhead now", f"{ar}: الطائرة فوق الحي الآن"
    lo, hi = _minutes(z["eta_min_s"]), _minutes(z["eta_max_s"])
    return (
        f"{en}: may be reached in {lo}–{hi} min; {z['strikes']} strikes logged here",
        f"{ar}: قد تصل خلال {lo}–{hi} دقيقة؛ {z['strikes']} غارات مسجلة هنا",
    )


def texts(
    level: str, zones: list[dict[str, Any]], *, operator: bool = False, listed: int | None = None
) -> dict[str, str]:
    """Headline, description and instruction in English and Arabic. `level` may also be
    "cancel"; an operator's alert without an ETA says who warned rather than "overhead".
    The description has a line per zone, or per the first `listed` zones and a count of the
    others."""
    title_en, title_ar = TITLE[level]
    instruction = {"instruction_en": INSTRUCTION[level][0], "instruction_ar": INSTRUCTION[level][1]}
    if not zones:
        return {
            "headline_en": title_en,
            "headline_ar": title_ar,
            "description_en": title_en,
            "description_ar": title_ar,
            **instruction,
        }
    lines = [_line(level, z, operator) for z in zones[:listed]]
    rest = len(zones) - len(lines)
    if rest:
        lines.append(
            (
                f"and {rest} more zones, each named in the alert's areas",
                f"و{rest} أحياء أخرى، كل منها مسمّى في مناطق الإنذار",
            )
        )
    return {
        "headline_en": f"{title_en}: {_names(zones, 'name_en', ', ', ' and {} more')}",
        "headline_ar": f"{title_ar}: {_names(zones, 'name_ar', '، ', ' و{} غيرها')}",
        "description_en": "\n".join(en for en, _ in lines),
        "description_ar": "\n".join(ar for _, ar in lines),
        **instruction,
    }
